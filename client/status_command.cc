// `ftcapture status [--chart=FILE.svg]`: the dataset status page in
// Markdown, rendered from live GetStats figures, and optionally the timeline
// as an SVG chart.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/atomic_output_file.h"
#include "client/commands.h"
#include "client/rpc.h"
#include "src/tools/status_report.h"

namespace ftcapture {
namespace {

class StatusCommand : public Command {
 public:
  const char* name() const override { return "status"; }
  const char* synopsis() const override { return "[--chart=FILE.svg]"; }
  const char* summary() const override {
    return "print the dataset status page in Markdown: totals, timeline, "
           "recent captures, milestones (GetStats)";
  }

  void DefineFlags(FlagSet* flags) override {
    flags->String("chart", &chart_path_,
                  "also write the timeline (examples per day, cumulative "
                  "total) as an SVG chart",
                  "FILE.svg");
  }

  absl::Status Run(const CommandContext& context) override {
    if (!context.args.empty()) {
      return UsageError("status takes no arguments");
    }
    auto stub = NewCaptureStub(context.connection);
    auto rpc = NewUnaryContext();
    v1::GetStatsResponse stats;
    grpc::Status status =
        stub->GetStats(rpc.get(), v1::GetStatsRequest(), &stats);
    if (!status.ok()) return RpcError("GetStats", context.server, status);

    if (!chart_path_.empty()) {
      auto chart = AtomicOutputFile::Create(chart_path_);
      if (!chart.ok()) return chart.status();
      absl::Status written = (*chart)->Append(RenderTimelineSvg(stats));
      if (written.ok()) written = (*chart)->Commit();
      if (!written.ok()) return written;
      *context.err << "wrote the timeline chart to " << chart_path_ << "\n";
    }
    *context.out << RenderStatusMarkdown(stats, absl::Now());
    return absl::OkStatus();
  }

 private:
  std::string chart_path_;
};

}  // namespace

std::unique_ptr<Command> NewStatusCommand() {
  return std::make_unique<StatusCommand>();
}

}  // namespace ftcapture
