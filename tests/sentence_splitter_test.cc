#include "src/detect/sentence_splitter.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ftcapture {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Split(absl::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view s : SplitSentences(text)) out.emplace_back(s);
  return out;
}

TEST(SentenceSplitterTest, SplitsAfterTerminatorsAndKeepsThem) {
  EXPECT_THAT(Split("Good one, Timmy. Was it? Yes!  Great..."),
              ElementsAre("Good one, Timmy.", "Was it?", "Yes!", "Great..."));
}

TEST(SentenceSplitterTest, SplitsAtLineBreaksAndKeepsClosingQuotes) {
  EXPECT_THAT(Split("He said \"great.\" Then left\nnew line"),
              ElementsAre("He said \"great.\"", "Then left", "new line"));
}

TEST(SentenceSplitterTest, DoesNotSplitInsideWordsOrNumbers) {
  EXPECT_THAT(Split("It is 3.5 volts.and more"),
              ElementsAre("It is 3.5 volts.and more"));
}

TEST(SentenceSplitterTest, EmptyAndBlankGiveNothing) {
  EXPECT_THAT(Split(""), IsEmpty());
  EXPECT_THAT(Split("  \n \n"), IsEmpty());
  EXPECT_THAT(Split("..."), ElementsAre("..."));
}

TEST(SentenceSplitterTest, ViewsPointIntoTheText) {
  const std::string text = "One. Two.";
  std::vector<absl::string_view> parts = SplitSentences(text);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[1].data(), text.data() + 5);
}

}  // namespace
}  // namespace ftcapture
