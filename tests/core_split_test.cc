#include "src/detect/core_split.h"

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

TEST(CoreSplitTest, LazyLoopRightBeforeTheCore) {
  std::optional<CoreSplit> split =
      SplitAtCore("\\bthat\\s+(?:was|is)\\s+(?:\\w+\\s+){0,4}?(good)\\b");
  ASSERT_TRUE(split.has_value());
  ASSERT_TRUE(split->gap.has_value());
  EXPECT_EQ(split->gap->head, "\\bthat\\s+(?:was|is)\\s+");
  EXPECT_EQ(split->gap->item, "(?:\\w+\\s+)");
  EXPECT_EQ(split->gap->min, 0);
  EXPECT_EQ(split->gap->max, 4);

  struct Counts {
    const char* quantifier;
    int min;
    int max;
  };
  for (const Counts& counts :
       {Counts{"*?", 0, -1}, Counts{"+?", 1, -1}, Counts{"{2}?", 2, 2},
        Counts{"{1,}?", 1, -1}, Counts{"{1,3}?", 1, 3}}) {
    SCOPED_TRACE(counts.quantifier);
    split = SplitAtCore(std::string("x(?:a|b)") + counts.quantifier + "(c)");
    ASSERT_TRUE(split.has_value());
    ASSERT_TRUE(split->gap.has_value());
    EXPECT_EQ(split->gap->head, "x");
    EXPECT_EQ(split->gap->item, "(?:a|b)");
    EXPECT_EQ(split->gap->min, counts.min);
    EXPECT_EQ(split->gap->max, counts.max);
  }
  // Greedy loops, loops not right before the core, odd counts: no gap.
  for (const char* regex : {"x(?:a)*(c)", "x(?:a){0,4}(c)", "(?:a)*?b(c)",
                            "(?:a){4,2}?(c)", "(?:a){x}?(c)", "(c)"}) {
    SCOPED_TRACE(regex);
    split = SplitAtCore(regex);
    ASSERT_TRUE(split.has_value());
    EXPECT_FALSE(split->gap.has_value());
  }
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
