#include "src/detect/sentence_splitter.h"

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "re2/re2.h"

namespace ftcapture {
namespace {

const RE2& SentenceAndBoundary() {
  // Anchored at a sentence start: the shortest text up to the first boundary
  // and the boundary itself, a run of terminators (with closing quotes)
  // before whitespace or the end, or a line break. Anchored and without
  // capturing groups, the match is found by one forward DFA run; the lazy
  // prefix makes the boundary the leftmost one, as an unanchored search for
  // it would find.
  static const RE2* const kSentence = new RE2(
      "(?s:.*?)(?:[.!?\\x{2026}]+[\"'\\x{2019}\\x{201D})\\]]*(?:\\s+|$)|"
      "\\s*\\n\\s*)");
  return *kSentence;
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
  while (pos < text.size() &&
         SentenceAndBoundary().Match(input, pos, text.size(), RE2::ANCHOR_START,
                                     &match, 1)) {
    // The terminators stay with the sentence; the whitespace after them
    // does not (trimming drops it, and a line-break boundary entirely).
    AddTrimmed(text.substr(pos, match.size()), &sentences);
    pos += match.size();  // every boundary is non-empty, so this advances
  }
  if (pos < text.size()) AddTrimmed(text.substr(pos), &sentences);
  return sentences;
}

}  // namespace ftcapture
