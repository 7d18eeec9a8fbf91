#include "src/util/visible_text.h"

#include <cstdint>

#include "absl/strings/str_format.h"

namespace ftcapture {
namespace {

// How many bytes the well-formed UTF-8 sequence at `text[i]` has; 0 when
// the bytes there are not one; -1 when they may become one with more bytes.
int SequenceLength(absl::string_view text, size_t i) {
  const auto lead = static_cast<uint8_t>(text[i]);
  int n;
  uint8_t low = 0x80, high = 0xbf;  // allowed range of the second byte
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) {
    n = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    n = 3;
    if (lead == 0xe0) low = 0xa0;   // no overlong forms
    if (lead == 0xed) high = 0x9f;  // no surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    n = 4;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  for (int k = 1; k < n; ++k) {
    if (i + k >= text.size()) return -1;
    const auto b = static_cast<uint8_t>(text[i + k]);
    if (k == 1 ? (b < low || b > high) : (b & 0xc0) != 0x80) return 0;
  }
  return n;
}

bool IsShownEscaped(uint8_t c) {
  return (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f;
}

}  // namespace

size_t AppendVisibleText(absl::string_view text, bool final, std::string* out) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<uint8_t>(text[i]);
    if (c == '\r') {
      if (i + 1 == text.size() && !final) break;  // CRLF or not: wait
      if (i + 1 < text.size() && text[i + 1] == '\n') {
        out->append("\r\n");
        i += 2;
        continue;
      }
    }
    if (c < 0x80) {
      if (IsShownEscaped(c)) {
        absl::StrAppendFormat(out, "\\u%04x", c);
      } else {
        out->push_back(static_cast<char>(c));
      }
      ++i;
      continue;
    }
    int n = SequenceLength(text, i);
    if (n < 0 && !final) break;  // wait for the rest of the sequence
    if (n <= 0) {
      absl::StrAppendFormat(out, "\\x%02x", c);
      ++i;
      continue;
    }
    const auto second = static_cast<uint8_t>(text[i + 1]);
    if (c == 0xc2 && second <= 0x9f) {  // a C1 control
      absl::StrAppendFormat(out, "\\u%04x", second);
    } else {
      out->append(text.data() + i, n);
    }
    i += n;
  }
  return i;
}

std::string VisibleText(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendVisibleText(text, /*final=*/true, &out);
  return out;
}

size_t FindInvalidUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    if (static_cast<uint8_t>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const int n = SequenceLength(text, i);
    if (n <= 0) return i;
    i += n;
  }
  return absl::string_view::npos;
}

bool IsVisibleText(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<uint8_t>(text[i]);
    if (c < 0x80) {
      if (IsShownEscaped(c) &&
          !(c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
        return false;
      }
      ++i;
      continue;
    }
    const int n = SequenceLength(text, i);
    if (n <= 0) return false;
    if (c == 0xc2 && static_cast<uint8_t>(text[i + 1]) <= 0x9f) return false;
    i += n;
  }
  return true;
}

}  // namespace ftcapture
