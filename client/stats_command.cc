// `ftcapture stats`: GetStats as readable text, or as JSON with --json.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "client/commands.h"
#include "client/display.h"
#include "client/proto_json.h"
#include "client/replicas.h"

namespace ftcapture {
namespace {

class StatsCommand : public Command {
 public:
  const char* name() const override { return "stats"; }
  const char* synopsis() const override { return "[--json]"; }
  const char* summary() const override {
    return "show the server's counters and file sizes (GetStats; several "
           "servers are added up)";
  }
  void DefineFlags(FlagSet* flags) override {
    flags->Bool("json", &json_, "print the GetStatsResponse as JSON");
  }

  absl::Status Run(const CommandContext& context) override {
    if (!context.args.empty()) {
      return UsageError("stats takes no arguments");
    }
    absl::StatusOr<v1::GetStatsResponse> fetched =
        FetchStats(context.connection);
    if (!fetched.ok()) return fetched.status();
    const v1::GetStatsResponse& stats = *fetched;
    if (json_) {
      std::vector<std::string> warnings;
      absl::StatusOr<std::string> json =
          ToJson(stats, /*pretty=*/true, /*with_defaults=*/true, &warnings);
      if (!json.ok()) return json.status();
      *context.out << *json << "\n";
      for (const std::string& warning : warnings) {
        *context.err << "stats: warning: " << warning << "\n";
      }
    } else {
      *context.out << Text(stats);
    }
    for (const v1::Example& example : stats.recent_examples()) {
      PrintReadWarnings(example, {}, *context.err);
    }
    return absl::OkStatus();
  }

 private:
  static std::string Text(const v1::GetStatsResponse& s) {
    std::string out;
    absl::StrAppendFormat(
        &out, "examples        %d (positive %d, negative %d, imported %d)\n",
        s.examples_total(), s.positive_examples(), s.negative_examples(),
        s.imported_examples());
    absl::StrAppendFormat(&out,
                          "privacy         redacted %d, deleted %d (%d "
                          "awaiting compaction, %d compactions)\n",
                          s.redacted_examples(), s.deleted_examples(),
                          s.deleted_pending_compaction(), s.compactions());
    absl::StrAppendFormat(&out,
                          "review          pending %d, approved %d, "
                          "rejected %d\n",
                          s.pending_examples(), s.approved_examples(),
                          s.rejected_examples());
    absl::StrAppendFormat(&out, "turns seen      %d (user %d, assistant %d)\n",
                          s.turns_seen(), s.user_turns_seen(),
                          s.assistant_turns_seen());
    absl::StrAppendFormat(&out,
                          "praise seen     %d (%d with no reply to credit)\n",
                          s.praise_seen(), s.praise_uncredited());
    absl::StrAppendFormat(&out, "criticism seen  %d\n", s.criticism_seen());
    absl::StrAppendFormat(&out, "live sessions   %d\n", s.live_sessions());
    absl::StrAppendFormat(&out, "dataset         %d bytes\n",
                          s.dataset_bytes());
    absl::StrAppendFormat(&out, "markdown        %d bytes, %d lines\n",
                          s.markdown_bytes(), s.markdown_lines());
    absl::StrAppendFormat(&out, "first example   %s\n",
                          TimestampText(s.first_example_at()));
    absl::StrAppendFormat(&out, "last example    %s\n",
                          TimestampText(s.last_example_at()));
    absl::StrAppendFormat(&out, "server started  %s\n",
                          TimestampText(s.started_at()));
    if (s.examples_per_day_size() > 0) {
      absl::StrAppend(&out, "examples per day\n");
      for (const v1::DayCount& day : s.examples_per_day()) {
        absl::StrAppendFormat(&out, "  %s  %d\n", day.date(), day.examples());
      }
    }
    if (s.recent_examples_size() > 0) {
      absl::StrAppend(&out, "recent examples\n");
      for (const v1::Example& e : s.recent_examples()) {
        absl::StrAppendFormat(&out, "  %s  %s  \"%s\"\n",
                              TimestampText(e.captured_at()), e.id(),
                              OneLine(e.praise_text(), 60));
      }
    }
    return out;
  }

  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> NewStatsCommand() {
  return std::make_unique<StatsCommand>();
}

}  // namespace ftcapture
