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
// export.proto):
//   kOpenAiChat  {"messages":[{"role":"system","content":...},
//                 {"role":"user","content":<n-3>},
//                 {"role":"assistant","content":<n-1>}]}
//                positive examples only; the system message is left out when
//                the example has neither a prompt nor memories.
//   kTrlKto      {"prompt":[system?, user],"completion":[assistant],
//                 "label":true|false}  every example; label false = negative.
//   kFullJsonl   the whole v1::Example in protobuf's canonical JSON mapping
//                (lowerCamelCase names, enums by name, default values shown).
enum class ExportFormat { kOpenAiChat, kTrlKto, kFullJsonl };

// "openai-chat", "trl-kto" or "full-jsonl"; anything else: InvalidArgument.
absl::StatusOr<ExportFormat> ParseExportFormat(absl::string_view name);
absl::string_view ExportFormatName(ExportFormat format);

// One JSON line for `example` without the trailing newline, or an empty
// string when `format` leaves the example out (openai-chat: not positive).
// Fails only when the example cannot be printed as JSON (invalid UTF-8).
absl::StatusOr<std::string> FormatExportLine(ExportFormat format,
                                             const v1::Example& example);

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

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_TOOLS_EXPORT_FORMAT_H_
