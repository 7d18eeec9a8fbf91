#ifndef FTCAPTURE_SRC_DETECT_REGEX_SYNTAX_H_
#define FTCAPTURE_SRC_DETECT_REGEX_SYNTAX_H_

#include <cstddef>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"

namespace ftcapture {

// Walks the RE2 syntax of `regex` and calls `visit(i, depth)` for every
// character that is syntax at the top of the pattern: not part of an escape
// (\x, \x{2019}, \p{Greek}, \Q...\E) and not inside a character class
// ([...], with [:alpha:] inside one). `depth` is the number of groups around
// position i, so a group's '(' and ')' are both seen at the depth outside it.
// `visit` returns false to stop the walk.
//
// Returns false when the regex ends inside \Q...\E or a class, or its
// parentheses do not balance; RE2 would reject most such regexes anyway,
// and callers treat them as "no structure found".
bool WalkRegexSyntax(absl::string_view regex,
                     absl::FunctionRef<bool(size_t i, int depth)> visit);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_DETECT_REGEX_SYNTAX_H_
