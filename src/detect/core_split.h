#ifndef FTCAPTURE_SRC_DETECT_CORE_SPLIT_H_
#define FTCAPTURE_SRC_DETECT_CORE_SPLIT_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace ftcapture {

// A rule regex cut around its first capturing group (the rule's core):
// regex == before + "(" + core + ")" + after.
//
// Invariant: the group stands at the top level (inside no other group), the
// regex has no top-level '|' and no top-level flag group such as "(?s)", and
// no quantifier follows the group. Then every match of the regex is a match
// of `before`, then `core`, then `after`, each a valid regex on its own, and
// RE2's leftmost-first choice of the group is: the first parse of `before`
// that `core` + `after` can complete, then the first parse of `core` that
// `after` can complete. The detector finds the group that way with a few DFA
// runs, where RE2 itself would run its NFA (1-4 us for a large rule).
// When the part before the core ends with a lazy loop, before == head +
// item + quantifier, e.g. "\\bthat\\s+was\\s+" + "(?:\\w+\\s+)" + "{0,4}?".
// The loop's parses come in order: min items, then one more, and so on, each
// item taking its own first parse; so where the first parse of the whole part
// before is too short for the core, the detector walks the loop item by item
// with DFA runs instead of asking RE2's NFA.
struct LazyGap {
  std::string head;
  std::string item;
  int min = 0;
  int max = -1;  // -1: unbounded
};

struct CoreSplit {
  std::string before;
  std::string core;
  std::string after;
  std::optional<LazyGap> gap;
};

// The split of `regex`, or nullopt when it has no such top-level group (the
// detector then lets RE2 find the group).
std::optional<CoreSplit> SplitAtCore(absl::string_view regex);

// True when `regex` can only match the empty string: it is made of nothing
// but the assertions ^ $ \b \B \A \z (so its match is known without a run).
bool MatchesOnlyEmpty(absl::string_view regex);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_DETECT_CORE_SPLIT_H_
