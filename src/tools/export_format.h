#ifndef FTCAPTURE_SRC_TOOLS_EXPORT_FORMAT_H_
#define FTCAPTURE_SRC_TOOLS_EXPORT_FORMAT_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ftcapture/v1/capture.pb.h"
#include "src/storage/example_filter.h"

namespace ftcapture {

// The shapes `ftcapture export --format=...` writes, one JSON line per
// example, all produced through protobuf's JSON mapping (proto/ftcapture/v1/
// export.proto). "history" is the example's earlier conversation, oldest
// first, each message {"role":"user"|"assistant","content":...}; the
// system message is left out when the example has neither a prompt nor
// memories.
//   kOpenAiChat  {"messages":[system, history..., user <n-3>,
//                 assistant <n-1>]} with "weight":0 on the history's
//                assistant messages and "weight":1 on the reply (no weights
//                with --history=0, the shape from before history);
//                positive single examples.
//   kTrlSft      {"messages":[system, history..., user, assistant]};
//                positive single examples.
//   kTrlKto      {"prompt":[system, history..., user],
//                 "completion":[assistant],"label":true|false}; every
//                single example, label false = negative.
//   kShareGpt    {"conversations":[{"from":"human"|"gpt","value":...}...],
//                 "system":...}; positive single examples.
//   kTrlDpo      {"prompt":[system, history..., user],"chosen":[assistant],
//                 "rejected":[assistant]}; preference pairs only.
//   kOpenAiDpo   {"input":{"messages":[system, history..., user]},
//                 "preferred_output":[assistant],
//                 "non_preferred_output":[assistant]}; pairs only.
//   kFullJsonl   the whole v1::Example in protobuf's canonical JSON mapping
//                (lowerCamelCase names, enums by name, default values shown).
enum class ExportFormat {
  kOpenAiChat,
  kTrlSft,
  kTrlKto,
  kShareGpt,
  kTrlDpo,
  kOpenAiDpo,
  kFullJsonl
};

// A format's name as above ("openai-chat", "trl-sft", "trl-kto",
// "sharegpt", "trl-dpo", "openai-dpo", "full-jsonl"); anything else:
// InvalidArgument.
absl::StatusOr<ExportFormat> ParseExportFormat(absl::string_view name);
absl::string_view ExportFormatName(ExportFormat format);
// trl-dpo and openai-dpo: lines come from preference pairs only.
bool IsPairFormat(ExportFormat format);

struct ExportOptions {
  // How many of the latest history messages to include; negative: all,
  // 0: none.
  int history = -1;
};

// True when `example` has what a training format teaches: a user message
// (n-3) and a reply (n-1), and for a pair the rejected reply, each with
// text. Capture and import refuse examples without; ones stored before
// they did are left out of every format but kFullJsonl.
bool HasExchange(const v1::Example& example);

// One JSON line for `example` without the trailing newline, or an empty
// string when `format` leaves the example out (see above, and
// HasExchange). Fails only when the example cannot be printed as JSON
// (invalid UTF-8).
absl::StatusOr<std::string> FormatExportLine(
    ExportFormat format, const v1::Example& example,
    const ExportOptions& options = ExportOptions());

// The system message of an exported example: the assistant turn's
// system_prompt exactly as the model saw it, followed by those of its
// structured memories whose text the prompt does not already contain, as
//   <prompt>\n\nMemories:\n- <text>\n- <text>
// (no blank lines before "Memories:" when the prompt is empty). Prompts
// captured from a backend that inlines its memories therefore come out
// unchanged.
std::string SystemContent(const v1::Example& example);

// Splits examples into train and test deterministically: the decision is a
// stable hash of (seed, example id), so it does not depend on the order of
// the examples, on the other examples, or on the machine, and an example
// stays on its side when the dataset grows.
class ExportSplitter {
 public:
  // `train_fraction` is clamped to [0, 1]; 1 puts everything in train.
  ExportSplitter(double train_fraction, uint64_t seed);
  bool IsTrain(const v1::Example& example) const;

 private:
  uint64_t threshold_;  // IsTrain iff hash < threshold_ (or all_train_)
  bool all_train_;
  uint64_t seed_;
};

// The train and test file names for `--out FILE` with `--split`:
// "dir/out.jsonl" -> {"dir/out.train.jsonl", "dir/out.test.jsonl"}; a name
// without an extension gets ".train" / ".test" appended.
std::pair<std::string, std::string> SplitOutputPaths(absl::string_view out);

// `--since` / `--until` values: RFC 3339 ("2025-11-28T17:09:14Z",
// "...+01:00", fractional seconds allowed), a naive "YYYY-MM-DDTHH:MM:SS"
// taken as UTC, or a date "YYYY-MM-DD" meaning its UTC midnight.
absl::StatusOr<absl::Time> ParseTimeFlag(absl::string_view text);

// `--status`: "pending", "approved", "rejected", or "" / "all" for
// REVIEW_STATUS_UNSPECIFIED (no filter). Case-insensitive.
absl::StatusOr<v1::ReviewStatus> ParseReviewStatusFlag(absl::string_view text);
// `--label`: "positive", "negative", or "" / "all" for LABEL_UNSPECIFIED.
absl::StatusOr<v1::Label> ParseLabelFlag(absl::string_view text);
// `--min_confidence`: "low" (every example, weak negatives too) or "high"
// (high-confidence only); "" means unset: weak negatives left out.
absl::StatusOr<v1::Confidence> ParseConfidenceFlag(absl::string_view text);
// `--kind`: "single", "pair", or "" / "all" for EXAMPLE_KIND_UNSPECIFIED.
absl::StatusOr<v1::ExampleKind> ParseKindFlag(absl::string_view text);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_TOOLS_EXPORT_FORMAT_H_
