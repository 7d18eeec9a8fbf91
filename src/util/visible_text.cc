#include "src/util/visible_text.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
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

// Both scans below run over every text field of every turn, mostly plain
// ASCII, so they skip eight bytes at a time while a word holds nothing
// they look for (a byte-by-byte loop with an early exit does not
// vectorize; these were 5% of the server's CPU).
constexpr uint64_t kHighBits = 0x8080808080808080ull;
constexpr uint64_t kEachByte = 0x0101010101010101ull;

uint64_t LoadWord(const char* p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof(word));
  return word;
}

// True when a byte of `word` is below 0x20. Exact for "any": a borrow
// reaches a higher byte only from a byte that is below 0x20 itself, and a
// byte of 0x80 or more never sets its high bit in `~word`.
bool HasByteBelowSpace(uint64_t word) {
  return ((word - 0x20 * kEachByte) & ~word & kHighBits) != 0;
}

// The offset of the first word at or after `i` that holds a byte
// `interesting` says is one, or the offset where fewer than 8 bytes are
// left (the caller goes on byte by byte from there).
template <typename WordTest>
size_t SkipPlainWords(absl::string_view text, size_t i, WordTest interesting) {
  while (i + sizeof(uint64_t) <= text.size() &&
         !interesting(LoadWord(text.data() + i))) {
    i += sizeof(uint64_t);
  }
  return i;
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
  const auto has_non_ascii = [](uint64_t word) {
    return (word & kHighBits) != 0;
  };
  for (size_t i = 0; i < text.size();) {
    i = SkipPlainWords(text, i, has_non_ascii);
    if (i == text.size()) break;
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

size_t FindControlCharacter(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    i = SkipPlainWords(text, i, HasByteBelowSpace);
    // Byte by byte through the word that has one (often a tab or newline).
    const size_t word_end = std::min(text.size(), i + sizeof(uint64_t));
    for (; i < word_end; ++i) {
      const auto c = static_cast<uint8_t>(text[i]);
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return i;
    }
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

namespace {

// Bytes of the Unicode space character `text` starts with, other than
// ASCII, or 0: the White_Space characters a client may pad with (no-break,
// next line, ogham, U+2000..U+200A, line and paragraph separators, narrow
// no-break, medium mathematical and ideographic spaces).
size_t UnicodeSpaceBytes(absl::string_view text) {
  static constexpr absl::string_view kSpaces[] = {
      "\xC2\xA0",     "\xC2\x85",     "\xE1\x9A\x80", "\xE2\x80\xA8",
      "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80"};
  for (absl::string_view space : kSpaces) {
    if (absl::StartsWith(text, space)) return space.size();
  }
  if (text.size() >= 3 && text[0] == '\xE2' && text[1] == '\x80' &&
      static_cast<uint8_t>(text[2]) >= 0x80 &&
      static_cast<uint8_t>(text[2]) <= 0x8A) {
    return 3;  // U+2000..U+200A
  }
  return 0;
}

}  // namespace

bool IsBlankText(absl::string_view text) {
  while (!text.empty()) {
    if (absl::ascii_isspace(static_cast<unsigned char>(text[0]))) {
      text.remove_prefix(1);
      continue;
    }
    const size_t space = UnicodeSpaceBytes(text);
    if (space == 0) return false;
    text.remove_prefix(space);
  }
  return true;
}

}  // namespace ftcapture
