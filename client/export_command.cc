// `ftcapture export`: streams the examples that pass the filters
// (ExportExamples) and writes them as JSON lines in a fine-tuning format,
// optionally split into train and test files.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/commands.h"
#include "client/display.h"
#include "client/replicas.h"
#include "client/rpc.h"
#include "src/tools/export_format.h"
#include "src/tools/shard_merge.h"
#include "src/util/atomic_file.h"
#include "src/util/env.h"
#include "src/util/proto_time.h"

namespace ftcapture {
namespace {

constexpr absl::Duration kProgressInterval = absl::Milliseconds(100);
constexpr int kProgressBarWidth = 30;

// Where one output's lines go: a file written atomically, or stdout.
class LineSink {
 public:
  explicit LineSink(std::ostream* stream) : stream_(stream) {}
  explicit LineSink(std::unique_ptr<AtomicOutputFile> file)
      : file_(std::move(file)) {}

  absl::Status Write(absl::string_view line) {
    ++lines_;
    if (file_ != nullptr) {
      absl::Status status = file_->Append(line);
      if (status.ok()) status = file_->Append("\n");
      return status;
    }
    *stream_ << line << '\n';
    if (!stream_->good()) return absl::DataLossError("cannot write to stdout");
    return absl::OkStatus();
  }

  absl::Status Commit() {
    if (file_ != nullptr) return file_->Commit();
    stream_->flush();
    if (!stream_->good()) return absl::DataLossError("cannot write to stdout");
    return absl::OkStatus();
  }

  int64_t lines() const { return lines_; }

 private:
  std::ostream* stream_ = nullptr;
  std::unique_ptr<AtomicOutputFile> file_;
  int64_t lines_ = 0;
};

absl::StatusOr<std::unique_ptr<LineSink>> OpenSink(
    const std::string& path, std::ostream* stdout_stream) {
  if (path == "-") return std::make_unique<LineSink>(stdout_stream);
  auto file = AtomicOutputFile::Create(path);
  if (!file.ok()) return file.status();
  return std::make_unique<LineSink>(*std::move(file));
}

// "[#########.....................]  30% 123/410 examples", or without a
// bar when the total is unknown (0).
std::string ProgressLine(int64_t received, int64_t total) {
  if (total <= 0) return absl::StrFormat("export: %d examples", received);
  const int64_t shown = std::min(received, total);
  const int filled = static_cast<int>(shown * kProgressBarWidth / total);
  return absl::StrFormat(
      "[%s%s] %3d%% %d/%d examples", std::string(filled, '#'),
      std::string(kProgressBarWidth - filled, '.'),
      static_cast<int>(shown * 100 / total), received, total);
}

// "1 example", "2 examples".
std::string Examples(int64_t n, absl::string_view noun = "example") {
  return absl::StrCat(n, " ", noun, n == 1 ? "" : "s");
}

// Which examples a format writes a line for (FormatExportLine).
const char* WhatFormatHolds(ExportFormat format) {
  switch (format) {
    case ExportFormat::kTrlKto:
      return "single examples";
    case ExportFormat::kTrlDpo:
    case ExportFormat::kOpenAiDpo:
      return "preference pairs";
    case ExportFormat::kFullJsonl:
      return "every example";
    default:
      return "positive single examples";
  }
}

class ExportCommand : public Command {
 public:
  const char* name() const override { return "export"; }
  const char* synopsis() const override {
    return "--format=openai-chat|trl-sft|trl-kto|sharegpt|trl-dpo|openai-dpo|"
           "full-jsonl --out=FILE|- [--history=N] [--since=TIME] "
           "[--until=TIME] [--status=pending|approved|rejected] "
           "[--label=positive|negative] [--kind=single|pair] "
           "[--min_confidence=low|high] [--split=0.9 [--seed=N]] "
           "[--data_dir=DIR[,DIR...]]";
  }
  const char* summary() const override {
    return "write the dataset as JSON lines for fine-tuning (ExportExamples)";
  }

  void DefineFlags(FlagSet* flags) override {
    flags->Custom(
        "format", "FORMAT",
        [this](absl::string_view text) {
          absl::StatusOr<ExportFormat> format = ParseExportFormat(text);
          if (!format.ok()) return format.status();
          format_ = *format;
          return absl::OkStatus();
        },
        "openai-chat: {\"messages\":[system,history...,user,assistant]} "
        "with weight 0 on earlier replies, positive examples; trl-sft: "
        "{\"messages\":[...]}, positive examples; trl-kto: {\"prompt\","
        "\"completion\",\"label\"}, every example; sharegpt: "
        "{\"conversations\",\"system\"}, positive examples; trl-dpo: "
        "{\"prompt\",\"chosen\",\"rejected\"} and openai-dpo: {\"input\","
        "\"preferred_output\",\"non_preferred_output\"}, preference pairs; "
        "full-jsonl: the whole Example in protobuf JSON");
    flags->Int("history", &history_,
               "earlier conversation messages to include (the latest N); "
               "0 = none, the shape from before history; default: all the "
               "example holds");
    flags->String("out", &out_,
                  "output file, replaced only once complete; '-' = stdout",
                  "FILE");
    flags->Custom(
        "since", "TIME",
        [this](absl::string_view text) {
          return SetTime(text, "--since", request_.mutable_since());
        },
        "only examples captured at or after TIME (RFC 3339, or a UTC date "
        "YYYY-MM-DD)");
    flags->Custom(
        "until", "TIME",
        [this](absl::string_view text) {
          return SetTime(text, "--until", request_.mutable_until());
        },
        "only examples captured before TIME");
    flags->Custom(
        "status", "STATUS",
        [this](absl::string_view text) {
          absl::StatusOr<v1::ReviewStatus> status = ParseReviewStatusFlag(text);
          if (!status.ok()) return Prefixed("--status", status.status());
          request_.set_status(*status);
          return absl::OkStatus();
        },
        "only examples in this review state");
    flags->Custom(
        "label", "LABEL",
        [this](absl::string_view text) {
          absl::StatusOr<v1::Label> label = ParseLabelFlag(text);
          if (!label.ok()) return Prefixed("--label", label.status());
          request_.set_label(*label);
          return absl::OkStatus();
        },
        "only praised (positive) or criticised (negative) examples");
    flags->Custom(
        "min_confidence", "LEVEL",
        [this](absl::string_view text) {
          absl::StatusOr<v1::Confidence> level = ParseConfidenceFlag(text);
          if (!level.ok()) return Prefixed("--min_confidence", level.status());
          request_.set_min_confidence(*level);
          return absl::OkStatus();
        },
        "high: only examples from strong rules (or approved in review); low: "
        "weak ones too. Unset: all but weak negatives still pending");
    flags->Custom(
        "kind", "KIND",
        [this](absl::string_view text) {
          absl::StatusOr<v1::ExampleKind> kind = ParseKindFlag(text);
          if (!kind.ok()) return Prefixed("--kind", kind.status());
          request_.set_kind(*kind);
          return absl::OkStatus();
        },
        "only single examples or only preference pairs");
    flags->Double("split", &split_,
                  "fraction (0..1) of examples for FILE.train.EXT, the rest "
                  "in FILE.test.EXT; decided by a hash of the example id");
    flags->Int("seed", &seed_, "seed of the --split hash");
    flags->String("data_dir", &data_dir_,
                  "read these data dirs (comma-separated, e.g. the volumes "
                  "of several replicas) offline instead of asking a server",
                  "DIR[,DIR...]");
    flags_ = flags;
  }

  absl::Status Run(const CommandContext& context) override {
    absl::Status status = CheckFlags(context);
    if (!status.ok()) return status;
    ApplyFormatDefaults();
    Outputs outputs;
    status = OpenOutputs(context, &outputs);
    if (!status.ok()) return status;
    LeftOut skipped;
    status = StreamExamples(context, &outputs, &skipped);
    // On any failure the sinks are dropped uncommitted: no file is replaced.
    if (!status.ok()) return status;
    status = outputs.train->Commit();
    if (status.ok() && outputs.test != nullptr) status = outputs.test->Commit();
    if (!status.ok()) return status;
    PrintSummary(context, outputs, skipped);
    return absl::OkStatus();
  }

 private:
  // Where the lines go: one file (or stdout), or train and test with --split.
  struct Outputs {
    std::string train_path;
    std::string test_path;  // empty without --split
    std::unique_ptr<LineSink> train;
    std::unique_ptr<LineSink> test;  // null without --split
  };

  bool split() const { return flags_->IsSet("split"); }

  // No --history: each format's own default; a pair format without --kind
  // exports pairs.
  void ApplyFormatDefaults() {
    if (!flags_->IsSet("history")) history_ = -1;
    if (IsPairFormat(format_) && !flags_->IsSet("kind")) {
      request_.set_kind(v1::EXAMPLE_KIND_PAIR);
    }
  }

  absl::Status CheckFlags(const CommandContext& context) const {
    if (!context.args.empty()) {
      return UsageError(absl::StrCat("export takes no arguments, got '",
                                     context.args[0], "'"));
    }
    if (!flags_->IsSet("format")) {
      return UsageError(
          "--format is required: openai-chat, trl-sft, trl-kto, sharegpt, "
          "trl-dpo, openai-dpo or full-jsonl");
    }
    if (flags_->IsSet("history") && history_ < 0) {
      return UsageError("--history must not be negative");
    }
    if (out_.empty()) {
      return UsageError("--out is required (a file, or - for stdout)");
    }
    if (split() && !(split_ > 0 && split_ < 1)) {
      return UsageError(
          absl::StrCat("--split must be between 0 and 1, got ", split_));
    }
    if (split() && out_ == "-") {
      return UsageError(
          "--split writes two files; give --out a file name, not -");
    }
    if (flags_->IsSet("seed") && !split()) {
      return UsageError("--seed only applies with --split");
    }
    if (request_.has_since() && request_.has_until() &&
        FromProtoTime(request_.until()) <= FromProtoTime(request_.since())) {
      return UsageError("--until must be after --since");
    }
    return absl::OkStatus();
  }

  // Outputs first: a path that cannot be written fails before the export.
  absl::Status OpenOutputs(const CommandContext& context,
                           Outputs* outputs) const {
    outputs->train_path = out_;
    if (split()) {
      std::tie(outputs->train_path, outputs->test_path) =
          SplitOutputPaths(out_);
    }
    absl::StatusOr<std::unique_ptr<LineSink>> sink =
        OpenSink(outputs->train_path, context.out);
    if (!sink.ok()) return sink.status();
    outputs->train = *std::move(sink);
    if (split()) {
      sink = OpenSink(outputs->test_path, context.out);
      if (!sink.ok()) return sink.status();
      outputs->test = *std::move(sink);
    }
    return absl::OkStatus();
  }

  // Examples the format left out: not of the kind it holds, or (stored
  // before capture refused them) without a user message or reply.
  struct LeftOut {
    int64_t other_kind = 0;
    int64_t no_exchange = 0;
  };

  // Streams the examples (from each server or data dir, merged by id) into
  // the outputs, with a progress bar on a tty; `*skipped` counts the
  // examples the format leaves out.
  absl::Status StreamExamples(const CommandContext& context, Outputs* outputs,
                              LeftOut* skipped) const {
    absl::StatusOr<std::vector<ExampleStream>> streams = OpenStreams(context);
    if (!streams.ok()) return streams.status();
    const int64_t total =
        context.err_is_tty && streams->size() == 1 && data_dir_.empty()
            ? ExpectedTotal(context.connection)
            : 0;
    const ExportSplitter splitter(split() ? split_ : 1.0,
                                  static_cast<uint64_t>(seed_));
    int64_t received = 0;
    absl::Time next_progress = absl::Now();  // draw the bar at once
    absl::Status status = MergeExampleStreams(
        *std::move(streams), [&](const v1::Example& merged) -> absl::Status {
          ++received;
          // A time JSON cannot hold (stored before times were checked) is
          // exported as the nearest valid one, with a warning.
          v1::Example example = merged;
          PrintReadWarnings(example, ClampTimestamps(&example), *context.err);
          ExportOptions options;
          options.history = static_cast<int>(history_);
          absl::StatusOr<std::string> line =
              FormatExportLine(format_, example, options);
          if (!line.ok()) {
            return absl::Status(line.status().code(),
                                absl::StrCat("example ", example.id(), ": ",
                                             line.status().message()));
          }
          if (line->empty()) {
            // Not in this format (see WhatFormatHolds), or nothing to learn.
            ++(HasExchange(example) ? skipped->other_kind
                                    : skipped->no_exchange);
          } else {
            LineSink* to = splitter.IsTrain(example) ? outputs->train.get()
                                                     : outputs->test.get();
            absl::Status written = to->Write(*line);
            if (!written.ok()) return written;
          }
          if (context.err_is_tty && absl::Now() >= next_progress) {
            *context.progress << "\r" << ProgressLine(received, total)
                              << std::flush;
            next_progress = absl::Now() + kProgressInterval;
          }
          return absl::OkStatus();
        });
    if (context.err_is_tty) *context.progress << "\r\033[K" << std::flush;
    return status;
  }

  // The summary goes to stderr when stdout carries the data.
  void PrintSummary(const CommandContext& context, const Outputs& outputs,
                    const LeftOut& skipped) const {
    std::ostream& summary = out_ == "-" ? *context.err : *context.out;
    std::string skipped_note =
        skipped.other_kind == 0
            ? ""
            : absl::StrFormat(" (%s left out: %s holds %s only)",
                              Examples(skipped.other_kind),
                              ExportFormatName(format_),
                              WhatFormatHolds(format_));
    if (skipped.no_exchange > 0) {
      absl::StrAppend(&skipped_note,
                      absl::StrFormat(" (%s left out: no user message or "
                                      "reply to learn from)",
                                      Examples(skipped.no_exchange)));
    }
    const LineSink& train = *outputs.train;
    if (outputs.test != nullptr) {
      const LineSink& test = *outputs.test;
      summary << absl::StrFormat(
          "exported %s: %d to %s (train), %d to %s (test)%s\n",
          Examples(train.lines() + test.lines()), train.lines(),
          outputs.train_path, test.lines(), outputs.test_path, skipped_note);
    } else {
      summary << absl::StrFormat("exported %s to %s%s\n",
                                 Examples(train.lines()),
                                 out_ == "-" ? "stdout" : out_, skipped_note);
    }
  }

  static absl::Status Prefixed(absl::string_view flag,
                               const absl::Status& status) {
    return absl::Status(status.code(),
                        absl::StrCat(flag, ": ", status.message()));
  }

  static absl::Status SetTime(absl::string_view text, absl::string_view flag,
                              google::protobuf::Timestamp* out) {
    absl::StatusOr<absl::Time> time = ParseTimeFlag(text);
    if (!time.ok()) return Prefixed(flag, time.status());
    *out = ToProtoTime(*time);
    return absl::OkStatus();
  }

  // One stream per server of --server, or per data dir of --data_dir
  // (offline).
  absl::StatusOr<std::vector<ExampleStream>> OpenStreams(
      const CommandContext& context) const {
    std::vector<ExampleStream> streams;
    if (!data_dir_.empty()) {
      for (absl::string_view dir : absl::StrSplit(data_dir_, ',')) {
        if (dir.empty()) continue;
        absl::StatusOr<ExampleStream> stream =
            OpenDataDirStream(Env::Default(), std::string(dir), request_);
        if (!stream.ok()) return stream.status();
        streams.push_back(*std::move(stream));
      }
      return streams;
    }
    absl::StatusOr<std::vector<std::string>> servers =
        ParseServerList(context.server);
    if (!servers.ok()) return servers.status();
    for (const std::string& server : *servers) {
      streams.push_back(ServerExampleStream(
          WithServer(context.connection, server), request_));
    }
    return streams;
  }

  // How many examples the export will stream, for the progress bar: the
  // ListExamples total under the same status and label filters. Unknown (0)
  // with a time filter, which ListExamples cannot apply, or on any error.
  int64_t ExpectedTotal(const ServerConnection& connection) const {
    if (request_.has_since() || request_.has_until()) return 0;
    auto stub = NewCaptureStub(connection);
    v1::ListExamplesRequest list;
    list.set_page_size(1);
    list.set_status(request_.status());
    list.set_label(request_.label());
    list.set_kind(request_.kind());
    v1::ListExamplesResponse page;
    auto rpc = NewUnaryContext();
    if (!stub->ListExamples(rpc.get(), list, &page).ok()) return 0;
    return page.total_size();
  }

  ExportFormat format_ = ExportFormat::kFullJsonl;
  std::string out_;
  std::string data_dir_;
  v1::ExportExamplesRequest request_;
  double split_ = 0;
  int64_t history_ = -1;
  int64_t seed_ = 0;
  const FlagSet* flags_ = nullptr;
};

}  // namespace

std::unique_ptr<Command> NewExportCommand() {
  return std::make_unique<ExportCommand>();
}

}  // namespace ftcapture
