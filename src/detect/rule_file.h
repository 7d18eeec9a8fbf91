#ifndef FTCAPTURE_SRC_DETECT_RULE_FILE_H_
#define FTCAPTURE_SRC_DETECT_RULE_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "src/detect/praise_detector.h"

namespace ftcapture {

// The parsed form of a feedback rule file (format v1, see
// src/detect/rules/README.md). Parsing checks syntax, names and placeholders;
// the regexes themselves are compiled (and checked) by the detector.

// Which text a guard looks at, relative to the words a rule matched.
enum class GuardScope {
  kBefore,     // the sentence up to the matched words
  kAfter,      // the sentence after the matched words
  kSentence,   // the whole sentence
  kPreceding,  // the message up to the matched words
  kRest,       // the message after the matched words (later sentences too)
  kMessage,    // the whole message
};

absl::string_view GuardScopeName(GuardScope scope);

// A praise or criticism rule. Invariant: neither regex contains a bare `^` or
// `$`; sentence boundaries are only expressed through {start} / {end}.
struct RuleSpec {
  FeedbackKind kind = FeedbackKind::kNone;
  std::string name;
  int line = 0;
  // `confidence=strong|weak` after the name; strong when left out.
  Confidence confidence = Confidence::kStrong;
  // Matched against one sentence: {start} -> ^, {end} -> $.
  std::string sentence_regex;
  // Matched against the whole message as a cheap prefilter: every sentence
  // match is also a match of this regex somewhere in the message. It is the
  // rule from its {prefilter} mark on, or the whole rule.
  std::string prefilter_regex;
};

// A guard vetoes the rules it targets when its regex matches its scope.
struct GuardSpec {
  std::string name;
  int line = 0;
  GuardScope scope = GuardScope::kSentence;
  // "*", "praise", "criticism", a rule name, or a rule-name prefix ending in
  // '*'.
  std::vector<std::string> targets;
  std::string regex;
};

struct RuleFile {
  int version = 0;
  std::vector<RuleSpec> rules;    // in file order
  std::vector<GuardSpec> guards;  // in file order
};

// True when guard target `target` names `rule`: "*" every rule, "praise" or
// "criticism" every rule of that kind, "name*" every rule whose name starts
// with "name", otherwise the rule of that name.
bool TargetNamesRule(absl::string_view target, const RuleSpec& rule);
// True when one of `guard`'s targets names `rule`.
bool GuardTargetsRule(const GuardSpec& guard, const RuleSpec& rule);

// The first line every rule file must start with (version 1).
inline constexpr absl::string_view kRuleFileHeaderV1 = "# ftcapture-rules v1";

// Parses `text`; `{persona}` becomes `persona` (regex-quoted, any run of
// whitespace in it matching any run of whitespace). Errors are
// InvalidArgument and name the line: "rules line 7: ...".
absl::StatusOr<RuleFile> ParseRuleFile(absl::string_view text,
                                       absl::string_view persona);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_DETECT_RULE_FILE_H_
