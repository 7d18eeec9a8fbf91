#include "src/tools/markdown_import.h"

#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/storage/markdown_format.h"

namespace ftcapture {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kRule(80, '=');

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(FTCAPTURE_SOURCE_DIR "/tests/data/") + name,
                   std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

absl::Time Utc(int y, int mo, int d, int h, int mi, int s) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s),
                         absl::UTCTimeZone());
}

// One example in the original's layout, built here so malformed variants
// can be made by editing one piece.
std::string OneExample(const std::string& user = "hi",
                       const std::string& reply = "hello") {
  return absl::StrCat("\n", kRule,
                      "\n## Example Captured: 2025-11-20T00:00:20\n"
                      "**Praise:** good one\n",
                      kRule, "\n\n### User Message (n-3):\n```\n", user,
                      "\n```\n\n### System Prompt with Memories (n-2):\n```\n"
                      "be brief\n```\n\n### Assistant Response (n-1):\n```\n",
                      reply, "\n```\n\n### Metadata:\n```json\n{}\n```\n");
}

class LegacyFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    text_ = ReadFixture("legacy_sample.md");
    ASSERT_FALSE(text_.empty()) << "fixture missing";
    auto parsed = ParseLegacyMarkdown(text_);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    examples_ = *std::move(parsed);
    ASSERT_EQ(examples_.size(), 4u);
  }
  std::string text_;
  std::vector<v1::Example> examples_;
};

TEST_F(LegacyFixtureTest, HeadingLikeLinesInsideAFenceAreContent) {
  EXPECT_EQ(examples_[0].user_turn().text(),
            absl::StrCat("Can you read this back?\n"
                         "### Assistant Response (n-1):\n"
                         "## Example Captured: 2025-01-01T00:00:00\n",
                         kRule, "\n**Praise:** not a header"));
}

TEST_F(LegacyFixtureTest, KeepsTextExactlyWithTrailingSpacesAndBullets) {
  const v1::Example& e = examples_[0];
  EXPECT_EQ(e.assistant_turn().system_prompt(),
            "You are Little Timmy — sardonic.   \n"
            "        Rules:\n"
            "        - Be brief.\n"
            " \n"
            "Relevant memories for this turn:\n"
            "• (4 weeks ago) Dan likes brass whistles.\n"
            "• [Personal Data, Importance: 5] User (1 day ago) - cats: two");
  EXPECT_EQ(e.assistant_turn().text(), "Jack-o-leoh!\t");
  EXPECT_EQ(e.praise_text(), "amazing dude");
  EXPECT_EQ(e.praise_turn().text(), "amazing dude");
  EXPECT_EQ(examples_[3].praise_text(), "Great response — 👍  ");
}

TEST_F(LegacyFixtureTest, LongerFenceKeepsShorterAndIndentedRuns) {
  EXPECT_EQ(examples_[1].user_turn().text(), "How do I fence code?");
  EXPECT_EQ(examples_[1].assistant_turn().text(),
            "Like this:\n```python\nprint(\"hi\")\n```\nor inline ``x``.\n"
            "    ````\n```` not a close");
}

TEST_F(LegacyFixtureTest, EmptyBlocksAndBlankLinesInsideBlocks) {
  const v1::Example& e = examples_[2];
  EXPECT_EQ(e.user_turn().text(), "\nWhat now?\n");
  EXPECT_EQ(e.assistant_turn().system_prompt(), "");
  EXPECT_EQ(e.assistant_turn().text(), "\n\nSpaced out.\n");
  EXPECT_TRUE(e.metadata().empty());
}

TEST_F(LegacyFixtureTest, MetadataFlattenedToStringsAndSessionId) {
  const auto& m0 = examples_[0].metadata();
  EXPECT_EQ(m0.at("source"), "payloads.txt");
  EXPECT_EQ(m0.at("timestamp"), "2025-11-19 02:09:53");
  EXPECT_EQ(m0.at("conversation_number"), "105");
  EXPECT_EQ(examples_[0].session_id(), "");

  const auto& m1 = examples_[1].metadata();
  EXPECT_EQ(m1.at("turns"), "{\"user\":\"u1\",\"assistant\":\"a1\"}");
  EXPECT_EQ(m1.at("score"), "1.50");
  EXPECT_EQ(m1.at("ok"), "true");
  EXPECT_EQ(m1.at("nothing"), "null");
  EXPECT_EQ(m1.at("note"), "café \"q\" 😀");
  EXPECT_EQ(examples_[1].session_id(), "s-42");
  EXPECT_EQ(examples_[1].user_turn().session_id(), "s-42");

  // A "rule" in the metadata stays metadata; the example's rule says how it
  // arrived.
  EXPECT_EQ(examples_[3].metadata().at("rule"), "great_response");
  EXPECT_EQ(examples_[3].metadata().at("metadata"), "{\"app\":\"timmy\"}");
  EXPECT_EQ(examples_[3].rule(), "imported");
}

TEST_F(LegacyFixtureTest, MarksImportedPositivePendingWithRoles) {
  for (const v1::Example& e : examples_) {
    EXPECT_EQ(e.source(), v1::SOURCE_IMPORTED);
    EXPECT_EQ(e.label(), v1::LABEL_POSITIVE);
    EXPECT_EQ(e.rule(), "imported");
    EXPECT_EQ(e.status(), v1::REVIEW_STATUS_PENDING);
    EXPECT_EQ(e.user_turn().role(), v1::ROLE_USER);
    EXPECT_EQ(e.assistant_turn().role(), v1::ROLE_ASSISTANT);
    EXPECT_EQ(e.praise_turn().role(), v1::ROLE_USER);
    EXPECT_THAT(e.id(), StartsWith("imp-"));
    EXPECT_EQ(e.id().size(), 4u + 32u);
    EXPECT_EQ(e.id(), ImportedExampleId(e));
  }
}

TEST_F(LegacyFixtureTest, HeaderTimesNaiveAsUtcOffsetsHonoured) {
  EXPECT_EQ(TimeOf(examples_[0].captured_at()),
            Utc(2025, 11, 20, 0, 0, 20) + absl::Microseconds(192958));
  EXPECT_EQ(TimeOf(examples_[1].captured_at()), Utc(2025, 11, 21, 9, 30, 0));
  EXPECT_EQ(TimeOf(examples_[2].captured_at()),
            Utc(2025, 11, 28, 16, 9, 14));  // +01:00
  EXPECT_EQ(TimeOf(examples_[3].captured_at()),
            Utc(2025, 11, 28, 21, 13, 46) + absl::Microseconds(361416));
}

TEST_F(LegacyFixtureTest, IdsAreStableAcrossParsesAndDistinct) {
  auto again = ParseLegacyMarkdown(text_);
  ASSERT_TRUE(again.ok());
  for (size_t i = 0; i < examples_.size(); ++i) {
    EXPECT_EQ((*again)[i].id(), examples_[i].id());
    for (size_t j = 0; j < i; ++j) {
      EXPECT_NE(examples_[i].id(), examples_[j].id());
    }
  }
  v1::Example changed = examples_[0];
  changed.set_praise_text(changed.praise_text() + " ");
  EXPECT_NE(ImportedExampleId(changed), examples_[0].id());
}

TEST(ParseLegacyMarkdownTest, EmptyInputHasNoExamples) {
  auto parsed = ParseLegacyMarkdown("\n\n");
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->empty());
}

TEST(ParseLegacyMarkdownTest, CriticismHeaderMakesANegativeExample) {
  std::string text = OneExample();
  text.replace(text.find("**Praise:**"), 11, "**Criticism:**");
  auto parsed = ParseLegacyMarkdown(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)[0].label(), v1::LABEL_NEGATIVE);
  EXPECT_EQ((*parsed)[0].praise_text(), "good one");
}

TEST(ParseLegacyMarkdownTest, MultiLinePraiseKeepsItsNewlines) {
  std::string text = OneExample();
  text.replace(text.find("good one"), 8, "good one\nreally");
  auto parsed = ParseLegacyMarkdown(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)[0].praise_text(), "good one\nreally");
}

TEST(ParseLegacyMarkdownTest, UnknownSectionIsKeptInMetadata) {
  std::string text =
      absl::StrCat(OneExample(), "\n### Memories:\n```\n- likes tea\n```\n");
  auto parsed = ParseLegacyMarkdown(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)[0].metadata().at("Memories"), "- likes tea");
}

TEST(ParseLegacyMarkdownTest, TwoExamplesBackToBack) {
  auto parsed = ParseLegacyMarkdown(OneExample("a", "b") + OneExample("c"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].user_turn().text(), "a");
  EXPECT_EQ((*parsed)[0].assistant_turn().text(), "b");
  EXPECT_EQ((*parsed)[1].user_turn().text(), "c");
}

void ExpectInvalid(const std::string& text, const std::string& message_part) {
  auto parsed = ParseLegacyMarkdown(text);
  ASSERT_FALSE(parsed.ok()) << "parsed:\n" << text;
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr(message_part));
}

TEST(ParseLegacyMarkdownTest, MalformedInputNamesTheLine) {
  // OneExample(): line 2 the rule, 3 the time, 7 "### User Message", 8 fence.
  ExpectInvalid("hello\n", "line 1:");
  ExpectInvalid(OneExample().substr(0, OneExample().rfind("```")),
                "never closed");
  std::string bad_time = OneExample();
  bad_time.replace(bad_time.find("2025-11-20T00:00:20"), 19, "yesterday");
  ExpectInvalid(bad_time, "line 3:");
  std::string no_praise = OneExample();
  no_praise.replace(no_praise.find("**Praise:**"), 11, "Praise:");
  ExpectInvalid(no_praise, "line 4:");
  std::string stray = OneExample();
  stray.insert(stray.find("### User"), "stray words\n");
  ExpectInvalid(stray, "line 7:");
  std::string no_fence = OneExample();
  no_fence.replace(no_fence.find("```\nhi"), 3, "~~~");
  ExpectInvalid(no_fence, "line 8:");
  std::string open_header = absl::StrCat("\n", kRule,
                                         "\n## Example Captured: 2025-11-20\n"
                                         "**Praise:** x\n");
  ExpectInvalid(open_header, "not closed");
}

TEST(ParseLegacyMarkdownTest, MissingOrRepeatedSectionsAreInvalid) {
  std::string no_reply = OneExample();
  no_reply.replace(no_reply.find("### Assistant Response (n-1):"), 29,
                   "### Answer:");
  ExpectInvalid(no_reply, "Assistant Response");
  std::string twice = OneExample();
  twice += "\n### User Message (n-3):\n```\nagain\n```\n";
  ExpectInvalid(twice, "second");
}

TEST(ParseLegacyMarkdownTest, EmptyUserMessageOrReplyIsInvalidNamingItsLine) {
  // Line 7 is the "### User Message (n-3):" heading.
  ExpectInvalid(OneExample(""), "line 7: the user message is empty");
  std::string no_lines = OneExample();
  no_lines.replace(no_lines.find("```\nhi\n```"), 10, "```\n```");
  ExpectInvalid(no_lines, "line 7: the user message is empty");
  ExpectInvalid(OneExample("hi", ""), "the assistant response is empty");
  // A message of spaces is not empty: the user sent it.
  auto parsed = ParseLegacyMarkdown(OneExample(" "));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)[0].user_turn().text(), " ");
}

TEST(ParseLegacyMarkdownTest, MetadataMustBeAJsonObject) {
  for (const char* bad : {"[1, 2]", "{\"a\": }", "{\"a\": 1,}", "{'a': 1}",
                          "{\"a\": 1} trailing", "{\"a\": 01}"}) {
    std::string text = OneExample();
    text.replace(text.find("{}"), 2, bad);
    ExpectInvalid(text, "Metadata");
  }
}

TEST(ParseLegacyMarkdownTest, InvalidUtf8IsRejectedWithItsLine) {
  std::string text = OneExample("caf\xe9");
  ExpectInvalid(text, "line 9: invalid UTF-8");
}

// Issue 13: the writer now escapes the praise line and quotes fenced lines
// that look like a block heading; import undoes both, so our own file
// imports to the texts that were captured.
TEST(ParseLegacyMarkdownTest, OurEscapedFileRoundTrips) {
  v1::Example e;
  e.set_id("ex-1");
  e.mutable_captured_at()->set_seconds(1763596820);
  e.set_praise_text(R"(<b>*so* good_one</b> & [link](x) \ `code` | ~x~)");
  e.mutable_user_turn()->set_text(
      "## Example Captured: inside\n"
      R"(\## Example Captured: two)"
      "\nend");
  e.mutable_assistant_turn()->set_text("reply\n```\n## Example Captured");
  e.set_label(v1::LABEL_POSITIVE);
  auto parsed = ParseLegacyMarkdown(FormatExampleMarkdown(e));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].praise_text(), e.praise_text());
  EXPECT_EQ((*parsed)[0].user_turn().text(), e.user_turn().text());
  EXPECT_EQ((*parsed)[0].assistant_turn().text(), e.assistant_turn().text());
}

// The original's files were never escaped: their praise reads as it
// rendered, plain text unchanged.
TEST(ParseLegacyMarkdownTest, OriginalPraiseReadsAsRendered) {
  std::string text = OneExample();
  text.replace(text.find("good one"), 8, "amazing dude, 10/10 & more!");
  auto parsed = ParseLegacyMarkdown(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)[0].praise_text(), "amazing dude, 10/10 & more!");
}

}  // namespace
}  // namespace ftcapture

namespace ftcapture {
namespace {

// An example with history and a rejected alternative, as the writer has it.
v1::Example ExampleWithHistoryAndPair() {
  v1::Example e;
  e.set_id("pair-1");
  e.set_session_id("s1");
  e.mutable_captured_at()->set_seconds(1790000000);
  e.set_praise_text("Good one, Timmy!");
  e.set_label(v1::LABEL_POSITIVE);
  for (const auto& [role, text] : std::vector<std::pair<v1::Role, std::string>>{
           {v1::ROLE_USER, "Is it ```fenced```?"},
           {v1::ROLE_ASSISTANT, "### Not a heading\n**Assistant:**"},
           {v1::ROLE_USER, "**User:**"}}) {
    v1::Turn* turn = e.add_history();
    turn->set_role(role);
    turn->set_text(text);
  }
  e.mutable_user_turn()->set_text("Why does my kettle whistle?");
  e.mutable_assistant_turn()->set_text("Steam through the spout.");
  e.mutable_assistant_turn()->set_system_prompt("You are Timmy.");
  e.mutable_rejected_turn()->set_text("Because it is ````angry````.");
  e.mutable_rejected_turn()->set_system_prompt("You are Timmy, v2.");
  return e;
}

int Count(const std::string& text, const std::string& needle) {
  int count = 0;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

TEST(MarkdownHistoryTest, KeepsTheOriginalsLayoutAndReadsBack) {
  const v1::Example e = ExampleWithHistoryAndPair();
  const std::string markdown =
      FormatExampleMarkdown(e) + FormatExampleMarkdown(e);
  // Two examples, each with the three sections and one Metadata, whatever
  // the history holds.
  EXPECT_EQ(Count(markdown, "\n## Example Captured:"), 2);
  EXPECT_EQ(Count(markdown, "\n### User Message (n-3):\n"), 2);
  EXPECT_EQ(Count(markdown, "\n### System Prompt with Memories (n-2):\n"), 2);
  EXPECT_EQ(Count(markdown, "\n### Assistant Response (n-1):\n"), 2);
  EXPECT_EQ(Count(markdown, "\n### Metadata:\n"), 2);
  EXPECT_THAT(markdown, HasSubstr("**Conversation before (n-3):** 3 messages"));
  EXPECT_THAT(markdown, HasSubstr("\n`````\nBecause it is ````angry````.\n"));

  absl::StatusOr<std::vector<v1::Example>> parsed =
      ParseLegacyMarkdown(markdown);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  const v1::Example& back = (*parsed)[0];
  ASSERT_EQ(back.history_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(back.history(i).role(), e.history(i).role());
    EXPECT_EQ(back.history(i).text(), e.history(i).text());
  }
  EXPECT_EQ(back.user_turn().text(), e.user_turn().text());
  EXPECT_EQ(back.assistant_turn().text(), e.assistant_turn().text());
  EXPECT_EQ(back.rejected_turn().text(), e.rejected_turn().text());
  EXPECT_EQ(back.rejected_turn().system_prompt(),
            e.rejected_turn().system_prompt());

  // Without history or a pair, the block is the original's.
  v1::Example plain = e;
  plain.clear_history();
  plain.clear_rejected_turn();
  const std::string block = FormatExampleMarkdown(plain);
  EXPECT_THAT(block, Not(HasSubstr("**Conversation")));
  EXPECT_THAT(block, Not(HasSubstr("**Rejected")));
  parsed = ParseLegacyMarkdown(block);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)[0].history_size(), 0);
  EXPECT_FALSE((*parsed)[0].has_rejected_turn());
}

TEST(MarkdownHistoryTest, UnknownBoldLabelIsAnErrorNamingItsLine) {
  const std::string text = absl::StrCat(
      kRule, "\n## Example Captured: 2025-11-20T00:00:00Z\n**Praise:** ok\n",
      kRule, "\n\n**Someone:**\n```\nx\n```\n");
  absl::StatusOr<std::vector<v1::Example>> parsed = ParseLegacyMarkdown(text);
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("line 6"));
}

}  // namespace
}  // namespace ftcapture
