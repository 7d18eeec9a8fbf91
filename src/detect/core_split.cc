#include "src/detect/core_split.h"

#include <cstddef>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "src/detect/regex_syntax.h"

namespace ftcapture {

namespace {

// The counts of a lazy quantifier that is all of `quantifier` ("*?", "+?",
// "{2}?", "{0,4}?", "{1,}?"); nullopt for anything else.
std::optional<LazyGap> ParseLazyGap(absl::string_view quantifier) {
  LazyGap gap;
  if (quantifier == "*?") {
    gap.min = 0;
    gap.max = -1;
    return gap;
  }
  if (quantifier == "+?") {
    gap.min = 1;
    gap.max = -1;
    return gap;
  }
  if (!absl::ConsumePrefix(&quantifier, "{") ||
      !absl::ConsumeSuffix(&quantifier, "}?")) {
    return std::nullopt;
  }
  const size_t comma = quantifier.find(',');
  if (!absl::SimpleAtoi(quantifier.substr(0, comma), &gap.min)) {
    return std::nullopt;
  }
  if (comma == absl::string_view::npos) {
    gap.max = gap.min;
  } else if (comma + 1 == quantifier.size()) {
    gap.max = -1;
  } else if (!absl::SimpleAtoi(quantifier.substr(comma + 1), &gap.max) ||
             gap.max < gap.min) {
    return std::nullopt;
  }
  if (gap.min < 0) return std::nullopt;
  return gap;
}

}  // namespace

std::optional<CoreSplit> SplitAtCore(absl::string_view regex) {
  constexpr size_t kNone = absl::string_view::npos;
  size_t open = kNone;   // the group's '('
  size_t close = kNone;  // its ')'
  // The last top-level group before the core, [group_open, group_close].
  size_t group_open = kNone;
  size_t group_close = kNone;
  bool splits = true;
  auto no_split = [&] {
    splits = false;
    return false;
  };
  const bool well_formed = WalkRegexSyntax(regex, [&](size_t i, int depth) {
    const char c = regex[i];
    if (c == '|' && depth == 0) return no_split();
    if (c == '(') {
      const absl::string_view rest = regex.substr(i);
      const bool capturing =
          !absl::StartsWith(rest, "(?") || absl::StartsWith(rest, "(?P<");
      if (capturing && open == kNone) {
        if (depth != 0) return no_split();  // group 1 is nested
        open = i;
      } else if (depth == 0 && open == kNone) {
        group_open = i;
        group_close = kNone;
      }
      // "(?i)" changes the flags of everything after it: cut there, the
      // parts would no longer mean what they meant in the whole.
      const size_t end = rest.find_first_of(":)");
      if (!capturing && depth == 0 && end != kNone && rest[end] == ')') {
        return no_split();
      }
    } else if (c == ')' && depth == 0) {
      if (open == kNone) {
        group_close = i;
      } else if (close == kNone) {
        close = i;
        // A quantified group is not "before, core, after" in turn.
        if (i + 1 < regex.size() &&
            absl::string_view("*+?{").find(regex[i + 1]) != kNone) {
          return no_split();
        }
      }
    }
    return true;
  });
  if (!splits || !well_formed || close == kNone) return std::nullopt;
  CoreSplit split;
  split.before = std::string(regex.substr(0, open));
  const size_t core_begin = absl::StartsWith(regex.substr(open), "(?P<")
                                ? regex.find('>', open) + 1
                                : open + 1;
  split.core = std::string(regex.substr(core_begin, close - core_begin));
  split.after = std::string(regex.substr(close + 1));
  if (group_close != kNone) {
    split.gap =
        ParseLazyGap(regex.substr(group_close + 1, open - group_close - 1));
    if (split.gap.has_value()) {
      split.gap->head = std::string(regex.substr(0, group_open));
      split.gap->item =
          std::string(regex.substr(group_open, group_close + 1 - group_open));
    }
  }
  return split;
}

bool MatchesOnlyEmpty(absl::string_view regex) {
  while (!regex.empty()) {
    if (regex[0] == '^' || regex[0] == '$') {
      regex.remove_prefix(1);
    } else if (regex.size() >= 2 && regex[0] == '\\' &&
               absl::string_view("bBAz").find(regex[1]) !=
                   absl::string_view::npos) {
      regex.remove_prefix(2);
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace ftcapture
