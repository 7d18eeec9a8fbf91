// `ftcapture replay FILE`: sends a JSONL file of Turns through StreamTurns.
//
// The file is checked in full before anything is sent, so a bad line changes
// nothing on the server. Then a writer thread streams the turns while this
// thread reads the responses, which come back one per turn, in order.

#include <cstdint>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/commands.h"
#include "client/proto_json.h"
#include "client/rpc.h"

namespace ftcapture {
namespace {

// Failed turns reported one by one before the rest are only counted.
constexpr int kMaxErrorsShown = 20;
constexpr absl::Duration kProgressInterval = absl::Milliseconds(100);

// Reads the non-blank lines of a JSONL file with their line numbers.
class JsonlReader {
 public:
  explicit JsonlReader(const std::string& path) : in_(path, std::ios::binary) {}
  bool is_open() const { return in_.is_open(); }

  // The next non-blank line, or false at the end.
  bool Next(std::string* line, int64_t* line_number) {
    while (std::getline(in_, *line)) {
      ++line_number_;
      if (!line->empty() && line->back() == '\r') line->pop_back();
      if (absl::StripAsciiWhitespace(*line).empty()) continue;
      *line_number = line_number_;
      return true;
    }
    return false;
  }

 private:
  std::ifstream in_;
  int64_t line_number_ = 0;
};

struct ReplayCounts {
  int64_t responses = 0;
  int64_t examples = 0;
  int64_t praise = 0;
  int64_t duplicates = 0;
  int64_t errors = 0;
};

class ReplayCommand : public Command {
 public:
  const char* name() const override { return "replay"; }
  const char* synopsis() const override { return "FILE.jsonl"; }
  const char* summary() const override {
    return "send a JSONL file of Turns (protobuf JSON, one per line) through "
           "StreamTurns";
  }

  absl::Status Run(const CommandContext& context) override {
    if (context.args.size() != 1) {
      return UsageError("replay takes exactly one FILE");
    }
    const std::string& path = context.args[0];
    std::vector<int64_t> line_numbers;
    if (absl::Status s = Validate(path, &line_numbers); !s.ok()) return s;
    const int64_t total = static_cast<int64_t>(line_numbers.size());

    auto stub = NewCaptureStub(context.connection);
    grpc::ClientContext rpc;
    auto stream = stub->StreamTurns(&rpc);

    std::thread writer([&stream, &path] {
      JsonlReader reader(path);
      std::string line;
      int64_t line_number = 0;
      v1::RecordTurnRequest request;
      while (reader.Next(&line, &line_number)) {
        // Validated above; the file would have to change under us to fail.
        absl::StatusOr<v1::Turn> turn = ParseTurnJson(line);
        if (!turn.ok()) break;
        *request.mutable_turn() = *std::move(turn);
        if (!stream->Write(request)) break;  // the call failed; Finish says why
      }
      stream->WritesDone();
    });

    ReplayCounts counts;
    absl::Time next_progress = absl::Now() + kProgressInterval;
    v1::RecordTurnResponse response;
    while (stream->Read(&response)) {
      const int64_t line_number =
          counts.responses < total ? line_numbers[counts.responses] : -1;
      ++counts.responses;
      // A duplicate (a turn the session already saw) echoes the example_id
      // it captured the first time; it captured nothing now.
      if (!response.example_id().empty() && !response.duplicate()) {
        ++counts.examples;
      }
      if (response.praise()) ++counts.praise;
      if (response.duplicate()) ++counts.duplicates;
      if (response.error_code() != 0) {
        if (++counts.errors <= kMaxErrorsShown) {
          if (context.err_is_tty) *context.err << "\r\033[K";
          *context.err << "replay: " << path << ":" << line_number << ": "
                       << absl::StatusCodeToString(
                              static_cast<absl::StatusCode>(
                                  response.error_code()))
                       << ": " << response.error_message() << "\n";
        }
      }
      if (context.err_is_tty && absl::Now() >= next_progress) {
        *context.err << "\r" << ProgressLine(counts, total) << std::flush;
        next_progress = absl::Now() + kProgressInterval;
      }
    }
    writer.join();
    grpc::Status status = stream->Finish();
    if (context.err_is_tty) *context.err << "\r\033[K";
    *context.err << ProgressLine(counts, total) << "\n";
    if (!status.ok()) return RpcError("StreamTurns", context.server, status);
    if (counts.responses != total) {
      return absl::DataLossError(absl::StrFormat(
          "sent %d turns but got %d responses", total, counts.responses));
    }

    *context.out << absl::StrFormat(
        "replayed %d turns from %s: %d examples captured, %d praise seen, "
        "%d duplicates, %d errors\n",
        total, path, counts.examples, counts.praise, counts.duplicates,
        counts.errors);
    if (counts.errors > 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%d of %d turns were rejected (first %d shown above)", counts.errors,
          total, std::min<int64_t>(counts.errors, kMaxErrorsShown)));
    }
    return absl::OkStatus();
  }

 private:
  static std::string ProgressLine(const ReplayCounts& counts, int64_t total) {
    return absl::StrFormat("replay: %d/%d turns, %d examples", counts.responses,
                           total, counts.examples);
  }

  // Parses every line once so that a bad one stops the replay before any
  // turn is sent; records the line number of each turn.
  static absl::Status Validate(const std::string& path,
                               std::vector<int64_t>* line_numbers) {
    JsonlReader reader(path);
    if (!reader.is_open()) {
      return absl::NotFoundError(absl::StrCat("cannot read ", path));
    }
    std::string line;
    int64_t line_number = 0;
    while (reader.Next(&line, &line_number)) {
      absl::StatusOr<v1::Turn> turn = ParseTurnJson(line);
      if (!turn.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", line_number, ": ", turn.status().message(),
                         "\nnothing was sent"));
      }
      line_numbers->push_back(line_number);
    }
    return absl::OkStatus();
  }
};

}  // namespace

std::unique_ptr<Command> NewReplayCommand() {
  return std::make_unique<ReplayCommand>();
}

}  // namespace ftcapture
