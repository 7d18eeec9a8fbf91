#include "src/detect/rule_file.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "re2/re2.h"
#include "src/detect/regex_syntax.h"

namespace ftcapture {
namespace {

// In the prefilter a sentence may start at the message start or after a
// sentence terminator (or newline) followed by closing quotes and spaces.
// It may end where the splitter (src/sentence_splitter.cc) ends one: before
// trailing whitespace at the message end, before whitespace that holds a
// line break, or before whitespace that follows a terminator or closing
// quote; all of those are non-word characters, so a word followed by a space
// mid-message ("a great idea") is no sentence end. Wider than the splitter on
// purpose: the prefilter must never miss a sentence-level match. The
// whitespace is the splitter's (ASCII, vertical tab included).
constexpr absl::string_view kPrefilterStart =
    "(?:^|[.!?\\x{2026}\\n])[\\t\\n\\v\\f\\r \"'\\x{2019}\\x{201D})\\]]*";
constexpr absl::string_view kPrefilterEnd =
    "(?:[\\t\\n\\v\\f\\r ]*$|[\\t\\v\\f\\r ]*\\n|\\B[\\t\\n\\v\\f\\r ])";

bool IsIdentifier(absl::string_view s) {
  if (s.empty() || absl::ascii_isdigit(s[0])) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '_') return false;
  }
  return true;
}

absl::Status LineError(int line, absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat("rules line ", line, ": ", message));
}

// Splits off the next whitespace-separated field of `*rest`.
absl::string_view NextField(absl::string_view* rest) {
  *rest = absl::StripLeadingAsciiWhitespace(*rest);
  size_t end = 0;
  while (end < rest->size() && !absl::ascii_isspace((*rest)[end])) ++end;
  absl::string_view field = rest->substr(0, end);
  rest->remove_prefix(end);
  return field;
}

std::string PersonaRegex(absl::string_view persona) {
  std::vector<std::string> words;
  for (absl::string_view word :
       absl::StrSplit(persona, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty())) {
    words.push_back(RE2::QuoteMeta(re2::StringPiece(word.data(), word.size())));
  }
  return absl::StrCat("(?:", absl::StrJoin(words, "\\s+"), ")");
}

constexpr absl::string_view kPrefilterMark = "{prefilter}";

// Expands {name} placeholders: macros and {persona} now, {start} and {end}
// kept for the per-mode substitution. {prefilter} is kept when
// `allow_prefilter_mark` (rules), an error elsewhere. Braces that do not hold
// an identifier (counted repetition such as {2,3}) are left alone.
absl::StatusOr<std::string> ExpandPlaceholders(
    absl::string_view regex,
    const absl::flat_hash_map<std::string, std::string>& macros,
    const std::string& persona_regex, bool allow_prefilter_mark, int line) {
  std::string out;
  size_t i = 0;
  while (i < regex.size()) {
    char c = regex[i];
    if (c == '\\' && i + 1 < regex.size()) {
      // \x{2019}, \p{Greek}: the braces belong to the escape.
      size_t end = i + 2;
      if (end < regex.size() && regex[end] == '{' &&
          (regex[i + 1] == 'x' || regex[i + 1] == 'p' || regex[i + 1] == 'P')) {
        size_t close = regex.find('}', end);
        end = close == absl::string_view::npos ? regex.size() : close + 1;
      }
      out.append(regex.data() + i, end - i);
      i = end;
      continue;
    }
    if (c == '{') {
      size_t close = regex.find('}', i + 1);
      if (close != absl::string_view::npos) {
        absl::string_view name = regex.substr(i + 1, close - i - 1);
        if (IsIdentifier(name)) {
          if (name == "persona") {
            out += persona_regex;
          } else if (name == "start" || name == "end") {
            absl::StrAppend(&out, "{", name, "}");
          } else if (name == "prefilter") {
            if (!allow_prefilter_mark) {
              return LineError(line,
                               "{prefilter} belongs in a praise or criticism "
                               "rule, not in a define or a guard");
            }
            absl::StrAppend(&out, kPrefilterMark);
          } else {
            auto it = macros.find(std::string(name));
            if (it == macros.end()) {
              return LineError(line, absl::StrCat("unknown placeholder {", name,
                                                  "} (define it first)"));
            }
            out += it->second;
          }
          i = close + 1;
          continue;
        }
      }
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

// Rules express sentence boundaries only with {start}/{end}, so that the
// whole-message prefilter can widen them; a bare ^ or $ would silently mean
// the message boundary there.
absl::Status CheckNoBareAnchors(absl::string_view regex, int line) {
  char bare = 0;
  WalkRegexSyntax(regex, [&](size_t i, int) {
    if (regex[i] != '^' && regex[i] != '$') return true;
    bare = regex[i];
    return false;
  });
  if (bare != 0) {
    return LineError(line, absl::StrCat("bare '", std::string(1, bare),
                                        "' in a rule; use {start} / {end} "
                                        "for sentence boundaries"));
  }
  return absl::OkStatus();
}

// Where a rule's {prefilter} mark is: npos when it has none. The mark must
// stand at most once, outside every group, in a regex without a top-level
// '|': only there is the rest of the rule a sound prefilter (every match of
// the rule contains a match of the rest).
absl::StatusOr<size_t> FindPrefilterMark(absl::string_view regex, int line) {
  size_t mark = absl::string_view::npos;
  int marks = 0;
  int mark_depth = 0;
  bool top_level_alternation = false;
  WalkRegexSyntax(regex, [&](size_t i, int depth) {
    if (regex[i] == '|' && depth == 0) top_level_alternation = true;
    if (regex[i] == '{' && absl::StartsWith(regex.substr(i), kPrefilterMark) &&
        marks++ == 0) {
      mark = i;
      mark_depth = depth;
    }
    return true;
  });
  if (marks == 0) return mark;
  if (marks > 1) {
    return LineError(line, "{prefilter} more than once in a rule");
  }
  if (mark_depth != 0) {
    return LineError(line,
                     "{prefilter} inside a group; it must stand "
                     "at the top level of the rule");
  }
  if (top_level_alternation) {
    return LineError(line,
                     "{prefilter} in a rule with a top-level '|'; "
                     "wrap the alternatives in (?:...) first");
  }
  if (mark + kPrefilterMark.size() == regex.size()) {
    return LineError(line, "nothing after {prefilter}");
  }
  return mark;
}

std::string ReplaceBoundaries(absl::string_view regex, absl::string_view start,
                              absl::string_view end) {
  std::string out;
  size_t i = 0;
  while (i < regex.size()) {
    if (regex[i] == '\\' && i + 1 < regex.size()) {
      out.append(regex.data() + i, 2);
      i += 2;
    } else if (absl::StartsWith(regex.substr(i), "{start}")) {
      out.append(start.data(), start.size());
      i += 7;
    } else if (absl::StartsWith(regex.substr(i), "{end}")) {
      out.append(end.data(), end.size());
      i += 5;
    } else {
      out.push_back(regex[i]);
      ++i;
    }
  }
  return out;
}

constexpr absl::string_view kConfidenceAttribute = "confidence=";

// Takes an optional `confidence=strong|weak` field off the front of `*rest`
// (a rule's regex never starts with it: write `(?:confidence=)` for that).
absl::Status TakeConfidence(absl::string_view* rest, int line,
                            Confidence* confidence) {
  absl::string_view after = absl::StripLeadingAsciiWhitespace(*rest);
  if (!absl::StartsWith(after, kConfidenceAttribute)) return absl::OkStatus();
  absl::string_view value = NextField(&after);
  value.remove_prefix(kConfidenceAttribute.size());
  if (value == "strong") {
    *confidence = Confidence::kStrong;
  } else if (value == "weak") {
    *confidence = Confidence::kWeak;
  } else {
    return LineError(line, absl::StrCat("confidence must be strong or weak, "
                                        "got '",
                                        value, "'"));
  }
  *rest = after;
  return absl::OkStatus();
}

absl::StatusOr<GuardScope> ParseScope(absl::string_view s, int line) {
  if (s == "before") return GuardScope::kBefore;
  if (s == "after") return GuardScope::kAfter;
  if (s == "sentence") return GuardScope::kSentence;
  if (s == "rest") return GuardScope::kRest;
  if (s == "preceding") return GuardScope::kPreceding;
  if (s == "message") return GuardScope::kMessage;
  return LineError(
      line, absl::StrCat("unknown guard scope '", s,
                         "' (before|after|sentence|preceding|rest|message)"));
}

}  // namespace

absl::string_view GuardScopeName(GuardScope scope) {
  switch (scope) {
    case GuardScope::kBefore:
      return "before";
    case GuardScope::kAfter:
      return "after";
    case GuardScope::kSentence:
      return "sentence";
    case GuardScope::kPreceding:
      return "preceding";
    case GuardScope::kRest:
      return "rest";
    case GuardScope::kMessage:
      return "message";
  }
  return "?";
}

bool TargetNamesRule(absl::string_view target, const RuleSpec& rule) {
  if (target == "*") return true;
  if (target == "praise") return rule.kind == FeedbackKind::kPraise;
  if (target == "criticism") return rule.kind == FeedbackKind::kCriticism;
  if (absl::ConsumeSuffix(&target, "*")) {
    return absl::StartsWith(rule.name, target);
  }
  return rule.name == target;
}

bool GuardTargetsRule(const GuardSpec& guard, const RuleSpec& rule) {
  return std::any_of(
      guard.targets.begin(), guard.targets.end(),
      [&](const std::string& target) { return TargetNamesRule(target, rule); });
}

namespace {

// One parse of a rule file, line by line. Invariant: macros_ holds the
// expanded regex of every define seen so far, names_ every rule and guard
// name (one space for both).
class RuleFileParser {
 public:
  explicit RuleFileParser(absl::string_view persona)
      : persona_regex_(PersonaRegex(absl::StripAsciiWhitespace(persona).empty()
                                        ? PraiseDetector::kDefaultPersona
                                        : persona)) {}

  absl::StatusOr<RuleFile> Parse(absl::string_view text) {
    int line_no = 0;
    for (absl::string_view raw : absl::StrSplit(text, '\n')) {
      ++line_no;
      absl::string_view line = absl::StripAsciiWhitespace(raw);
      absl::Status status = file_.version == 0 ? ParseHeader(line, line_no)
                                               : ParseLine(line, line_no);
      if (!status.ok()) return status;
    }
    if (file_.version == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "rules: empty rule file (expected '", kRuleFileHeaderV1, "')"));
    }
    if (file_.rules.empty()) {
      return absl::InvalidArgumentError(
          "rules: no praise or criticism rule in the file");
    }
    absl::Status targets = CheckGuardTargets();
    if (!targets.ok()) return targets;
    return std::move(file_);
  }

 private:
  // Blank lines, then the version line.
  absl::Status ParseHeader(absl::string_view line, int line_no) {
    if (line.empty()) return absl::OkStatus();
    if (line != kRuleFileHeaderV1) {
      if (absl::StartsWith(line, "# ftcapture-rules ")) {
        return LineError(line_no,
                         absl::StrCat("unsupported rule file version '", line,
                                      "' (this build reads v1)"));
      }
      return LineError(line_no, absl::StrCat("a rule file must start with '",
                                             kRuleFileHeaderV1, "'"));
    }
    file_.version = 1;
    return absl::OkStatus();
  }

  // "DIRECTIVE NAME ...": define, praise, criticism or guard.
  absl::Status ParseLine(absl::string_view line, int line_no) {
    if (line.empty() || line[0] == '#') return absl::OkStatus();
    absl::string_view rest = line;
    absl::string_view directive = NextField(&rest);
    absl::string_view name = NextField(&rest);
    if (!IsIdentifier(name)) {
      return LineError(line_no,
                       absl::StrCat("'", directive,
                                    "' needs a name made of letters, digits "
                                    "and '_', got '",
                                    name, "'"));
    }
    if (directive == "define") return ParseDefine(name, rest, line_no);
    if (directive != "praise" && directive != "criticism" &&
        directive != "guard") {
      return LineError(line_no,
                       absl::StrCat("unknown directive '", directive,
                                    "' (define|praise|criticism|guard)"));
    }
    if (!names_.insert(std::string(name)).second) {
      return LineError(line_no, absl::StrCat("'", name, "' used twice"));
    }
    if (directive == "guard") return ParseGuard(name, rest, line_no);
    return ParseRule(directive == "praise" ? FeedbackKind::kPraise
                                           : FeedbackKind::kCriticism,
                     name, rest, line_no);
  }

  absl::StatusOr<std::string> Expand(absl::string_view regex,
                                     bool allow_prefilter_mark, int line_no) {
    return ExpandPlaceholders(regex, macros_, persona_regex_,
                              allow_prefilter_mark, line_no);
  }

  absl::Status ParseDefine(absl::string_view name, absl::string_view rest,
                           int line_no) {
    absl::string_view regex = absl::StripAsciiWhitespace(rest);
    if (regex.empty()) return LineError(line_no, "define without a regex");
    if (name == "persona" || name == "start" || name == "end") {
      return LineError(line_no, absl::StrCat("{", name, "} is built in"));
    }
    if (macros_.contains(std::string(name))) {
      return LineError(line_no, absl::StrCat("'", name, "' defined twice"));
    }
    absl::StatusOr<std::string> expanded =
        Expand(regex, /*allow_prefilter_mark=*/false, line_no);
    if (!expanded.ok()) return expanded.status();
    macros_[std::string(name)] = absl::StrCat("(?:", *expanded, ")");
    return absl::OkStatus();
  }

  // "guard NAME SCOPE TARGET[,TARGET...] REGEX"
  absl::Status ParseGuard(absl::string_view name, absl::string_view rest,
                          int line_no) {
    GuardSpec guard;
    guard.name = std::string(name);
    guard.line = line_no;
    absl::StatusOr<GuardScope> scope = ParseScope(NextField(&rest), line_no);
    if (!scope.ok()) return scope.status();
    guard.scope = *scope;
    absl::string_view targets = NextField(&rest);
    for (absl::string_view target : absl::StrSplit(targets, ',')) {
      if (target.empty()) return LineError(line_no, "guard without targets");
      guard.targets.emplace_back(target);
    }
    absl::string_view regex = absl::StripAsciiWhitespace(rest);
    if (regex.empty()) return LineError(line_no, "guard without a regex");
    absl::StatusOr<std::string> expanded =
        Expand(regex, /*allow_prefilter_mark=*/false, line_no);
    if (!expanded.ok()) return expanded.status();
    // A guard sees a plain piece of text: its boundaries are ^ and $.
    guard.regex = ReplaceBoundaries(*expanded, "^", "$");
    file_.guards.push_back(std::move(guard));
    return absl::OkStatus();
  }

  // "praise|criticism NAME REGEX", where REGEX may hold {prefilter}.
  absl::Status ParseRule(FeedbackKind kind, absl::string_view name,
                         absl::string_view rest, int line_no) {
    RuleSpec rule;
    rule.kind = kind;
    rule.name = std::string(name);
    rule.line = line_no;
    absl::Status attribute = TakeConfidence(&rest, line_no, &rule.confidence);
    if (!attribute.ok()) return attribute;
    absl::string_view regex = absl::StripAsciiWhitespace(rest);
    if (regex.empty()) return LineError(line_no, "rule without a regex");
    absl::StatusOr<std::string> expanded =
        Expand(regex, /*allow_prefilter_mark=*/true, line_no);
    if (!expanded.ok()) return expanded.status();
    absl::Status anchors = CheckNoBareAnchors(*expanded, line_no);
    if (!anchors.ok()) return anchors;
    absl::StatusOr<size_t> mark = FindPrefilterMark(*expanded, line_no);
    if (!mark.ok()) return mark.status();
    std::string whole = *expanded;
    absl::string_view screened = whole;
    if (*mark != absl::string_view::npos) {
      whole.erase(*mark, kPrefilterMark.size());
      screened = absl::string_view(whole).substr(*mark);
    }
    rule.sentence_regex = ReplaceBoundaries(whole, "^", "$");
    rule.prefilter_regex =
        ReplaceBoundaries(screened, kPrefilterStart, kPrefilterEnd);
    file_.rules.push_back(std::move(rule));
    return absl::OkStatus();
  }

  // Every guard target must name something, so a typo cannot silently
  // disable a guard.
  absl::Status CheckGuardTargets() const {
    for (const GuardSpec& guard : file_.guards) {
      for (const std::string& target : guard.targets) {
        if (target == "*" || target == "praise" || target == "criticism") {
          continue;
        }
        const bool found = std::any_of(file_.rules.begin(), file_.rules.end(),
                                       [&](const RuleSpec& rule) {
                                         return TargetNamesRule(target, rule);
                                       });
        if (!found) {
          return LineError(guard.line,
                           absl::StrCat("guard '", guard.name, "' targets '",
                                        target, "', which names no rule"));
        }
      }
    }
    return absl::OkStatus();
  }

  const std::string persona_regex_;
  RuleFile file_;  // version 0 until the header is read
  absl::flat_hash_map<std::string, std::string> macros_;
  absl::flat_hash_set<std::string> names_;
};

}  // namespace

absl::StatusOr<RuleFile> ParseRuleFile(absl::string_view text,
                                       absl::string_view persona) {
  return RuleFileParser(persona).Parse(text);
}

}  // namespace ftcapture
