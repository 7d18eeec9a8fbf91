#include "src/detect/rule_file.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "re2/re2.h"
#include "src/detect/sentence_splitter.h"

namespace ftcapture {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

absl::StatusOr<RuleFile> Parse(const std::string& body) {
  return ParseRuleFile("# ftcapture-rules v1\n" + body, "Timmy");
}

TEST(RuleFileTest, ConfidenceIsStrongUnlessTheRuleSaysWeak) {
  absl::StatusOr<RuleFile> file = Parse(
      "criticism judged \\b(too\\s+long)\\b\n"
      "criticism fact confidence=weak \\b(wrong\\s+year)\\b\n"
      "praise liked confidence=strong \\b(good\\s+one)\\b\n");
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(file->rules.size(), 3u);
  EXPECT_EQ(file->rules[0].confidence, Confidence::kStrong);
  EXPECT_EQ(file->rules[1].confidence, Confidence::kWeak);
  EXPECT_EQ(file->rules[1].sentence_regex, "\\b(wrong\\s+year)\\b");
  EXPECT_EQ(file->rules[2].confidence, Confidence::kStrong);

  absl::StatusOr<RuleFile> bad =
      Parse("criticism fact confidence=sure \\b(wrong)\\b\n");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(),
              HasSubstr("line 2: confidence must be strong or weak"));
}

TEST(RuleFileTest, WithoutPrefilterMarkThePrefilterIsTheWholeRule) {
  absl::StatusOr<RuleFile> file = Parse("praise ok \\byou\\s+(rock){end}\n");
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(file->rules.size(), 1u);
  EXPECT_EQ(file->rules[0].sentence_regex, "\\byou\\s+(rock)$");
  EXPECT_TRUE(
      absl::StartsWith(file->rules[0].prefilter_regex, "\\byou\\s+(rock)"));
  EXPECT_THAT(file->rules[0].prefilter_regex, Not(HasSubstr("{end}")));
}

// {end} in the prefilter: wherever the splitter can end a sentence, and not
// after a word that a space and more words follow.
TEST(RuleFileTest, PrefilterEndIsWhereTheSplitterEndsSentences) {
  absl::StatusOr<RuleFile> file = Parse("praise ok \\b(great)[.!]*{end}\n");
  ASSERT_TRUE(file.ok()) << file.status();
  RE2::Options options;
  options.set_case_sensitive(false);
  const RE2 sentence(file->rules[0].sentence_regex, options);
  const RE2 prefilter(file->rules[0].prefilter_regex, options);
  for (const char* message :
       {"great", "great  ", "Great!", "Great! Next one.", "great.\tnext",
        "great \n next", "great\r\nnext", "ok. great\v", "(great!) fine",
        "a great idea", "great, thanks", "greatness", "so great\tthen",
        "great!then"}) {
    SCOPED_TRACE(message);
    bool in_a_sentence = false;
    for (absl::string_view piece : SplitSentences(message)) {
      in_a_sentence |= RE2::PartialMatch(
          re2::StringPiece(piece.data(), piece.size()), sentence);
    }
    const bool screened = RE2::PartialMatch(message, prefilter);
    // Sound: never misses a sentence match.
    if (in_a_sentence) {
      EXPECT_TRUE(screened);
    }
  }
  EXPECT_TRUE(RE2::PartialMatch("Great! Next one.", prefilter));
  EXPECT_TRUE(RE2::PartialMatch("ok. great\v", prefilter));
  // Tight: a word followed by a space and more text ends no sentence.
  EXPECT_FALSE(RE2::PartialMatch("a great idea", prefilter));
  EXPECT_FALSE(RE2::PartialMatch("so great\tthen", prefilter));
}

TEST(RuleFileTest, PrefilterMarkCutsOnlyThePrefilter) {
  absl::StatusOr<RuleFile> file = Parse(
      "define SUBJ (?:you|it)\n"
      "criticism made_up {start}{SUBJ}\\s+(?:\\w+\\s+){0,3}{prefilter}"
      "(made\\s+\\w+\\s+up){end}\n");
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(file->rules.size(), 1u);
  // The sentence still needs the subject; the message prefilter does not.
  EXPECT_EQ(file->rules[0].sentence_regex,
            "^(?:(?:you|it))\\s+(?:\\w+\\s+){0,3}(made\\s+\\w+\\s+up)$");
  EXPECT_TRUE(
      absl::StartsWith(file->rules[0].prefilter_regex, "(made\\s+\\w+\\s+up)"));
}

struct BadMark {
  const char* body;
  const char* message_part;
};

class RuleFileBadMarkTest : public ::testing::TestWithParam<BadMark> {};

TEST_P(RuleFileBadMarkTest, InvalidArgumentNamingTheLine) {
  absl::StatusOr<RuleFile> file = Parse(GetParam().body);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(file.status().message()),
              HasSubstr(GetParam().message_part));
}

INSTANTIATE_TEST_SUITE_P(
    Errors, RuleFileBadMarkTest,
    ::testing::Values(
        // A cut inside a group would leave an unbalanced regex.
        BadMark{"praise p (?:you{prefilter}\\s+rock)\n",
                "rules line 2: {prefilter} inside a group"},
        // With a top-level '|' the rest covers only the last alternative.
        BadMark{"praise p wow|you{prefilter}\\s+rock\n",
                "rules line 2: {prefilter} in a rule with a top-level '|'"},
        BadMark{"praise p a{prefilter}b{prefilter}c\n",
                "rules line 2: {prefilter} more than once"},
        // An empty prefilter would pass every message.
        BadMark{"praise p you\\s+rock{prefilter}\n",
                "rules line 2: nothing after {prefilter}"},
        BadMark{"define D a{prefilter}b\npraise p {D}\n",
                "rules line 2: {prefilter} belongs in a praise or criticism"},
        BadMark{"praise p rock\nguard g before * x{prefilter}y\n",
                "rules line 3: {prefilter} belongs in a praise or criticism"}));

TEST(RuleFileTest, MarkInAClassOrEscapedIsLiteralText) {
  absl::StatusOr<RuleFile> file = Parse(
      "praise in_class x[{prefilter}]\n"
      "praise escaped  y\\{prefilter}\n");
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(file->rules.size(), 2u);
  EXPECT_EQ(file->rules[0].sentence_regex, "x[{prefilter}]");
  EXPECT_EQ(file->rules[0].prefilter_regex, "x[{prefilter}]");
  EXPECT_EQ(file->rules[1].sentence_regex, "y\\{prefilter}");
  EXPECT_EQ(file->rules[1].prefilter_regex, "y\\{prefilter}");
}

}  // namespace
}  // namespace ftcapture
