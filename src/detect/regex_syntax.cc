#include "src/detect/regex_syntax.h"

namespace ftcapture {

bool WalkRegexSyntax(absl::string_view regex,
                     absl::FunctionRef<bool(size_t i, int depth)> visit) {
  constexpr size_t kNone = absl::string_view::npos;
  int depth = 0;
  bool in_class = false;
  for (size_t i = 0; i < regex.size(); ++i) {
    const char c = regex[i];
    if (c == '\\') {
      if (i + 1 < regex.size() && regex[i + 1] == 'Q') {
        // \Q...\E is literal text, parentheses and brackets included.
        const size_t end = regex.find("\\E", i + 2);
        if (end == kNone) return false;
        i = end + 1;
      } else if (i + 2 < regex.size() && regex[i + 2] == '{' &&
                 (regex[i + 1] == 'x' || regex[i + 1] == 'p' ||
                  regex[i + 1] == 'P')) {
        // \x{2019}, \p{Greek}: the braces belong to the escape.
        const size_t end = regex.find('}', i + 3);
        if (end == kNone) return false;
        i = end;
      } else {
        ++i;  // the escaped character
      }
      continue;
    }
    if (in_class) {
      if (c == '[' && i + 1 < regex.size() && regex[i + 1] == ':') {
        // [:alpha:] inside a class: its ']' does not close the class.
        const size_t end = regex.find(":]", i + 2);
        if (end == kNone) return false;
        i = end + 1;
      } else if (c == ']') {
        in_class = false;
      }
      continue;
    }
    if (c == '[') {
      in_class = true;
      // A ']' right after '[' or '[^' is a literal member.
      if (i + 1 < regex.size() && regex[i + 1] == '^') ++i;
      if (i + 1 < regex.size() && regex[i + 1] == ']') ++i;
      continue;
    }
    if (c == ')') --depth;
    if (depth < 0) return false;
    if (!visit(i, depth)) return true;
    if (c == '(') ++depth;
  }
  return depth == 0 && !in_class;
}

}  // namespace ftcapture
