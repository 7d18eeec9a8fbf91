#include "src/detect/regex_syntax.h"

#include <string>

#include "gtest/gtest.h"

namespace ftcapture {
namespace {

// The syntax characters the walk visits, each followed by its depth.
std::string Visited(absl::string_view regex, bool* well_formed = nullptr) {
  std::string seen;
  const bool ok = WalkRegexSyntax(regex, [&](size_t i, int depth) {
    seen.push_back(regex[i]);
    seen += std::to_string(depth);
    return true;
  });
  if (well_formed != nullptr) *well_formed = ok;
  return seen;
}

TEST(RegexSyntaxTest, GroupsAreSeenAtTheDepthAroundThem) {
  EXPECT_EQ(Visited("a(b(c))|d"), "a0(0b1(1c2)1)0|0d0");
}

TEST(RegexSyntaxTest, EscapesQuotedTextAndClassesAreSkipped) {
  bool ok = false;
  EXPECT_EQ(Visited("\\(\\x{2019}\\Q(|)\\E[(|)][]^][^]$][[:alpha:]$]x", &ok),
            "x0");
  EXPECT_TRUE(ok);
}

TEST(RegexSyntaxTest, UnbalancedOrUnterminatedIsNotWellFormed) {
  bool ok = true;
  Visited("(a", &ok);
  EXPECT_FALSE(ok);
  Visited("a)", &ok);
  EXPECT_FALSE(ok);
  Visited("[ab", &ok);
  EXPECT_FALSE(ok);
  Visited("\\Qab", &ok);
  EXPECT_FALSE(ok);
}

TEST(RegexSyntaxTest, VisitCanStopTheWalk) {
  std::string seen;
  WalkRegexSyntax("abc", [&](size_t i, int) {
    seen.push_back("abc"[i]);
    return i < 1;
  });
  EXPECT_EQ(seen, "ab");
}

}  // namespace
}  // namespace ftcapture
