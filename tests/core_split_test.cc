#include "src/core_split.h"

#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace ftcapture {
namespace {

TEST(CoreSplitTest, CutsAroundATopLevelGroup) {
  std::optional<CoreSplit> split =
      SplitAtCore("\\b(?:that|it)\\s+(good|fine)\\s+(?:one|answer)\\b");
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(split->before, "\\b(?:that|it)\\s+");
  EXPECT_EQ(split->core, "good|fine");
  EXPECT_EQ(split->after, "\\s+(?:one|answer)\\b");
}

TEST(CoreSplitTest, NamedGroupAndLaterGroups) {
  std::optional<CoreSplit> split = SplitAtCore("a(?P<core>b(c))(d)");
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(split->before, "a");
  EXPECT_EQ(split->core, "b(c)");
  EXPECT_EQ(split->after, "(d)");
}

TEST(CoreSplitTest, ParenthesesThatAreNotGroupsAreSkipped) {
  std::optional<CoreSplit> split =
      SplitAtCore("[(]\\(\\Q(x)\\E[[:alpha:](](y)");
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(split->before, "[(]\\(\\Q(x)\\E[[:alpha:](]");
  EXPECT_EQ(split->core, "y");
  EXPECT_EQ(split->after, "");
}

TEST(CoreSplitTest, NoSplitWhereThePartsWouldMeanSomethingElse) {
  EXPECT_FALSE(SplitAtCore("good one").has_value());          // no group
  EXPECT_FALSE(SplitAtCore("(?:a(b))c").has_value());         // nested
  EXPECT_FALSE(SplitAtCore("wow|(great)").has_value());       // top-level |
  EXPECT_FALSE(SplitAtCore("(a)+b").has_value());             // quantified
  EXPECT_FALSE(SplitAtCore("(a)?b").has_value());             // quantified
  EXPECT_FALSE(SplitAtCore("(a){2}").has_value());            // quantified
  EXPECT_FALSE(SplitAtCore("(?s)x(a)").has_value());          // flags leak
  EXPECT_FALSE(SplitAtCore("x(a").has_value());               // unbalanced
  EXPECT_FALSE(SplitAtCore("\\Q(a)").has_value());            // open \Q
  EXPECT_TRUE(SplitAtCore("(?s:x)(a)").has_value());          // scoped flags
  EXPECT_TRUE(SplitAtCore("(?:x|y)(a)(?:b|c)").has_value());  // nested |
}

TEST(CoreSplitTest, MatchesOnlyEmpty) {
  EXPECT_TRUE(MatchesOnlyEmpty(""));
  EXPECT_TRUE(MatchesOnlyEmpty("\\b"));
  EXPECT_TRUE(MatchesOnlyEmpty("^\\b"));
  EXPECT_TRUE(MatchesOnlyEmpty("\\B$\\z\\A"));
  EXPECT_FALSE(MatchesOnlyEmpty("\\s"));
  EXPECT_FALSE(MatchesOnlyEmpty("\\b "));
  EXPECT_FALSE(MatchesOnlyEmpty("a"));
}

}  // namespace
}  // namespace ftcapture
