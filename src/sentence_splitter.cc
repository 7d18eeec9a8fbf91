#include "src/sentence_splitter.h"

#include "absl/strings/ascii.h"
#include "re2/re2.h"

namespace ftcapture {
namespace {

const RE2& Boundary() {
  // Group 1: the terminator that stays with the sentence.
  static const RE2* const kBoundary = new RE2(
      "([.!?\\x{2026}]+[\"'\\x{2019}\\x{201D})\\]]*)(?:\\s+|$)|\\s*\\n\\s*");
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
  re2::StringPiece match[2];
  while (pos < text.size() &&
         Boundary().Match(input, pos, text.size(), RE2::UNANCHORED, match, 2)) {
    const size_t match_begin = match[0].data() - text.data();
    const size_t match_end = match_begin + match[0].size();
    const size_t sentence_end =
        match[1].data() != nullptr
            ? static_cast<size_t>(match[1].data() - text.data()) +
                  match[1].size()
            : match_begin;
    AddTrimmed(text.substr(pos, sentence_end - pos), &sentences);
    if (match_end == pos) break;  // cannot happen: every boundary is non-empty
    pos = match_end;
  }
  if (pos < text.size()) AddTrimmed(text.substr(pos), &sentences);
  return sentences;
}

}  // namespace ftcapture
