#include "src/sentence_splitter.h"

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "re2/re2.h"

namespace ftcapture {
namespace {

const RE2& Boundary() {
  // A run of terminators (with closing quotes) before whitespace or the end,
  // or a line break. No capturing groups: the whole match is found by the
  // DFA alone, which keeps splitting cheap.
  static const RE2* const kBoundary = new RE2(
      "[.!?\\x{2026}]+[\"'\\x{2019}\\x{201D})\\]]*(?:\\s+|$)|\\s*\\n\\s*");
  return *kBoundary;
}

void AddTrimmed(absl::string_view piece,
                std::vector<absl::string_view>* sentences) {
  piece = absl::StripAsciiWhitespace(piece);
  if (!piece.empty()) sentences->push_back(piece);
}

}  // namespace

std::vector<absl::string_view> SplitSentences(absl::string_view text) {
  std::vector<absl::string_view> sentences;
  const re2::StringPiece input(text.data(), text.size());
  size_t pos = 0;
  re2::StringPiece match;
  while (pos < text.size() && Boundary().Match(input, pos, text.size(),
                                               RE2::UNANCHORED, &match, 1)) {
    const size_t match_begin = match.data() - text.data();
    const size_t match_end = match_begin + match.size();
    // The terminators stay with the sentence; the whitespace after them
    // does not (a line-break boundary is all whitespace, so nothing stays).
    const absl::string_view terminator = absl::StripTrailingAsciiWhitespace(
        absl::string_view(match.data(), match.size()));
    const size_t sentence_end = match_begin + terminator.size();
    AddTrimmed(text.substr(pos, sentence_end - pos), &sentences);
    pos = match_end;  // every boundary is non-empty, so this advances
  }
  if (pos < text.size()) AddTrimmed(text.substr(pos), &sentences);
  return sentences;
}

}  // namespace ftcapture
