#ifndef FTCAPTURE_SRC_DETECT_PRAISE_DETECTOR_H_
#define FTCAPTURE_SRC_DETECT_PRAISE_DETECTOR_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ftcapture {

enum class FeedbackKind { kNone, kPraise, kCriticism };

absl::string_view FeedbackKindName(FeedbackKind kind);  // "praise", ...

// How sure a rule is of its signal: strong rules hear an explicit judgement
// of the reply ("that was way too long"), weak ones a factual correction
// ("wrong year, it was 2019") that a reviewer should confirm.
enum class Confidence { kStrong, kWeak };

absl::string_view ConfidenceName(Confidence confidence);  // "strong", "weak"

// Why a message was judged the way it was.
struct Verdict {
  FeedbackKind kind = FeedbackKind::kNone;
  // The rule that decided: the praise/criticism rule that fired, or empty.
  std::string rule;
  // The guard that vetoed a rule that fired ("negation", "question", ...);
  // empty when nothing was vetoed. When set, `kind` is kNone and `rule` names
  // the rule it vetoed.
  std::string veto;
  // The words the deciding (or vetoed) rule matched, e.g. "good one"; empty
  // when no rule matched.
  std::string evidence;
  // The deciding rule's confidence (kStrong when nothing fired).
  Confidence confidence = Confidence::kStrong;
  // Praise only: a criticism of the same reply in the same message ("Lovely
  // answer, but far too long"). Praise wins; the criticism is kept here so a
  // review can see both. Empty when there was none.
  std::string mixed_criticism_rule;
  std::string mixed_criticism_evidence;
  Confidence mixed_criticism_confidence = Confidence::kStrong;
};

// Judges whether a user message praises (or criticises) the reply just
// given. Rules are compiled once (RE2, linear time); Detect() is const and
// safe to call from any number of threads at once.
class PraiseDetector {
 public:
  // The persona used when an empty one is given.
  static constexpr absl::string_view kDefaultPersona = "Timmy";

  // `rules_text` is a rule file (format: src/detect/rules/README.md);
  // `{persona}` in a rule stands for `persona` (kDefaultPersona when empty). A
  // malformed file yields InvalidArgument naming the offending line.
  static absl::StatusOr<std::unique_ptr<PraiseDetector>> Create(
      absl::string_view rules_text, absl::string_view persona);
  // Reads the rule file at `path`; an empty path means the built-in rules.
  static absl::StatusOr<std::unique_ptr<PraiseDetector>> CreateFromFile(
      const std::string& path, absl::string_view persona);
  // The built-in rule file (src/detect/rules/default_rules.txt), embedded in
  // the binary.
  static absl::string_view DefaultRules();

  virtual ~PraiseDetector() = default;
  virtual Verdict Detect(absl::string_view message) const = 0;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_DETECT_PRAISE_DETECTOR_H_
