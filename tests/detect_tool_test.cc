#include "src/tools/detect_tool.h"

#include <memory>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/detect/praise_detector.h"

namespace ftcapture {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A small rule file keeps these tests about the command, not the rules.
constexpr char kRules[] =
    "# ftcapture-rules v1\n"
    "praise    good_one   \\b(good\\s+one)\\b\n"
    "criticism too_long   \\b(too\\s+long)\\b\n"
    "guard     negation   before  praise  \\bnot\\s+(?:a\\s+)?$\n";

std::unique_ptr<PraiseDetector> TestDetector() {
  absl::StatusOr<std::unique_ptr<PraiseDetector>> made =
      PraiseDetector::Create(kRules, "Timmy");
  EXPECT_TRUE(made.ok()) << made.status();
  return made.ok() ? std::move(*made) : nullptr;
}

TEST(RunDetectTest, PrintsKindExplanationAndMessagePerLine) {
  std::unique_ptr<PraiseDetector> detector = TestDetector();
  ASSERT_NE(detector, nullptr);
  std::istringstream in(
      "Good one, Timmy!\r\n"
      "That was not a good one\n"
      "\n"
      "Way too long\n"
      "Hello there");
  std::ostringstream out;
  EXPECT_EQ(RunDetect(*detector, in, out), 0);
  EXPECT_EQ(out.str(),
            "praise\tgood_one\tGood one, Timmy!\n"
            "none\tvetoed:negation:good_one\tThat was not a good one\n"
            "none\t-\t\n"
            "criticism\ttoo_long\tWay too long\n"
            "none\t-\tHello there\n");
}

TEST(RunDetectTest, EmptyInputPrintsNothing) {
  std::unique_ptr<PraiseDetector> detector = TestDetector();
  ASSERT_NE(detector, nullptr);
  std::istringstream in("");
  std::ostringstream out;
  EXPECT_EQ(RunDetect(*detector, in, out), 0);
  EXPECT_EQ(out.str(), "");
}

TEST(VerdictExplanationTest, RuleVetoOrDash) {
  Verdict verdict;
  EXPECT_EQ(VerdictExplanation(verdict), "-");
  verdict.rule = "good_one";
  verdict.veto = "question";
  EXPECT_EQ(VerdictExplanation(verdict), "vetoed:question:good_one");
  verdict.kind = FeedbackKind::kPraise;
  verdict.veto.clear();
  EXPECT_EQ(VerdictExplanation(verdict), "good_one");
}

TEST(RunDetectEvalTest, ScoresPraiseAndListsEveryMiss) {
  std::unique_ptr<PraiseDetector> detector = TestDetector();
  ASSERT_NE(detector, nullptr);
  std::istringstream tsv(
      "# label\tsource\tmessage\n"
      "1\tt\tGood one, Timmy\n"     // true positive
      "1\tt\tNailed it\n"           // false negative
      "0\tt\tnot a good one\n"      // true negative (vetoed)
      "0\tt\tMake it a good one\n"  // false positive
      "\n"
      "0\tt\tsome\ttabs\tinside\n"  // true negative, message keeps tabs
      "0\tt\tfar too long\n");      // criticism not scored: no -1 labels
  std::ostringstream out;
  ASSERT_TRUE(RunDetectEval(*detector, tsv, out).ok());
  const std::string report = out.str();
  EXPECT_THAT(report, HasSubstr("examples: 6 (praise 2, criticism 0)"));
  EXPECT_THAT(report, HasSubstr("praise precision: 0.5000 (1/2)"));
  EXPECT_THAT(report, HasSubstr("praise recall:    0.5000 (1/2)"));
  EXPECT_THAT(report, HasSubstr("praise F1:        0.5000"));
  EXPECT_THAT(report, HasSubstr("FN\tline 3\texpected praise\tgot none\t-\t"
                                "Nailed it\n"));
  EXPECT_THAT(report, HasSubstr("FP\tline 5\texpected none\tgot praise\t"
                                "good_one\tMake it a good one\n"));
  EXPECT_THAT(report, Not(HasSubstr("criticism precision")));
  EXPECT_THAT(report, Not(HasSubstr("far too long")));
  EXPECT_THAT(report, Not(HasSubstr("Good one, Timmy")));
}

TEST(RunDetectEvalTest, ScoresCriticismWhenTheFileLabelsIt) {
  std::unique_ptr<PraiseDetector> detector = TestDetector();
  ASSERT_NE(detector, nullptr);
  std::istringstream tsv(
      "-1\tc\tThat was too long\n"
      "-1\tc\tThat was boring\n"
      "0\tc\tfar too long a drive\n"
      "1\tp\tgood one\n");
  std::ostringstream out;
  ASSERT_TRUE(RunDetectEval(*detector, tsv, out).ok());
  const std::string report = out.str();
  EXPECT_THAT(report, HasSubstr("praise precision: 1.0000 (1/1)"));
  EXPECT_THAT(report, HasSubstr("criticism precision: 0.5000 (1/2)"));
  EXPECT_THAT(report, HasSubstr("criticism recall:    0.5000 (1/2)"));
  EXPECT_THAT(report, HasSubstr("kind\tline 2\texpected criticism\tgot none"));
  EXPECT_THAT(report, HasSubstr("kind\tline 3\texpected none\tgot criticism"));
}

TEST(RunDetectEvalTest, PerfectFileSaysNoMisses) {
  std::unique_ptr<PraiseDetector> detector = TestDetector();
  ASSERT_NE(detector, nullptr);
  std::istringstream tsv("1\ts\tgood one\n0\ts\thello\n");
  std::ostringstream out;
  ASSERT_TRUE(RunDetectEval(*detector, tsv, out).ok());
  EXPECT_THAT(out.str(), HasSubstr("misses: none\n"));
}

struct BadTsv {
  const char* text;
  const char* message_part;
};

class RunDetectEvalBadInputTest : public ::testing::TestWithParam<BadTsv> {};

TEST_P(RunDetectEvalBadInputTest, InvalidArgumentAndNoOutput) {
  std::unique_ptr<PraiseDetector> detector = TestDetector();
  ASSERT_NE(detector, nullptr);
  std::istringstream tsv(GetParam().text);
  std::ostringstream out;
  absl::Status status = RunDetectEval(*detector, tsv, out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr(GetParam().message_part));
  EXPECT_EQ(out.str(), "");
}

INSTANTIATE_TEST_SUITE_P(
    Errors, RunDetectEvalBadInputTest,
    ::testing::Values(BadTsv{"1\ts\tgood one\nyes\ts\tgood one\n",
                             "line 2: label must be 1, 0 or -1, got 'yes'"},
                      BadTsv{"# c\n2\ts\tgood one\n", "line 2: label must be"},
                      BadTsv{"1\tno message column\n",
                             "line 1: expected label<TAB>"},
                      BadTsv{"# only a comment\n\n", "no labeled lines"}));

}  // namespace
}  // namespace ftcapture
