#ifndef FTCAPTURE_SRC_UTIL_VISIBLE_TEXT_H_
#define FTCAPTURE_SRC_UTIL_VISIBLE_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace ftcapture {

// Text clients sent ends up in files people open (the Markdown log) and on
// operators' terminals (the CLI), where a control character is invisible,
// makes grep call the file binary, or is an escape sequence the terminal
// obeys. This shows every control character as visible text instead:
//  - C0 controls other than tab and newline, DEL, and the C1 controls
//    (U+0080..U+009F) as "\u001b" (the JSON spelling, so inside a JSON
//    string it means the same character); a carriage return right before a
//    newline (CRLF) is kept;
//  - a byte that is not part of well-formed UTF-8 as "\xff".
// Everything else passes unchanged.

// Appends the visible form of `text` to `*out` and returns how many bytes
// of `text` it consumed: all of them when `final`, else all but an
// incomplete UTF-8 sequence (or a lone CR) at the end, which the caller
// passes again with the bytes that follow (for streams).
size_t AppendVisibleText(absl::string_view text, bool final, std::string* out);

// The visible form of the whole of `text`.
std::string VisibleText(absl::string_view text);

// True when VisibleText(text) == text (the common case; no copy needed).
bool IsVisibleText(absl::string_view text);

// True when `text` holds nothing but whitespace: ASCII and the common
// Unicode spaces (no-break, en/em, ideographic, line/paragraph separators).
// What "no text" means wherever a turn or an example needs text: a blank
// message teaches nothing.
bool IsBlankText(absl::string_view text);

// Offset of the first byte that is not part of well-formed UTF-8 (no
// overlong forms, no surrogates, nothing above U+10FFFF), or npos.
size_t FindInvalidUtf8(absl::string_view text);

// Offset of the first C0 control character (a byte below 0x20) other than
// tab, newline and carriage return, or npos.
size_t FindControlCharacter(absl::string_view text);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_UTIL_VISIBLE_TEXT_H_
