#include "src/storage/markdown_format.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace ftcapture {
namespace {

v1::Example Fixture() {
  v1::Example e;
  e.set_id("ex-1");
  e.mutable_captured_at()->set_seconds(1763596820);  // 2025-11-20T00:00:20Z
  e.mutable_captured_at()->set_nanos(192958000);
  e.set_session_id("s1");
  v1::Turn* user = e.mutable_user_turn();
  user->set_turn_id("u1");
  user->set_role(v1::ROLE_USER);
  user->set_text("What is this whistle?");
  v1::Turn* assistant = e.mutable_assistant_turn();
  assistant->set_turn_id("a1");
  assistant->set_role(v1::ROLE_ASSISTANT);
  assistant->set_text("A brass train whistle.");
  assistant->set_system_prompt("You are Timmy.");
  (*assistant->mutable_metadata())["model"] = "m1";
  v1::Memory* memory = assistant->add_memories();
  memory->set_text("Dan likes trains");
  memory->set_category("preference");
  memory->set_importance(4);
  memory->mutable_created_at()->set_seconds(1761998400);  // 2025-11-01T12Z
  v1::Turn* praise = e.mutable_praise_turn();
  praise->set_turn_id("u2");
  praise->set_role(v1::ROLE_USER);
  praise->set_text("Good one, Timmy!");
  e.set_praise_text("Good one, Timmy!");
  e.set_rule("good_one");
  e.set_label(v1::LABEL_POSITIVE);
  e.set_source(v1::SOURCE_IMPLICIT);
  return e;
}

TEST(MarkdownFormatTest, LayoutIsByteExact) {
  const std::string rule(80, '=');
  const std::string expected =
      absl::StrCat("\n", rule, "\n",
                   "## Example Captured: 2025-11-20T00:00:20.192958Z\n"
                   "**Praise:** Good one, Timmy!\n",
                   rule, "\n",
                   "\n"
                   "### User Message (n-3):\n"
                   "```\n"
                   "What is this whistle?\n"
                   "```\n"
                   "\n"
                   "### System Prompt with Memories (n-2):\n"
                   "```\n"
                   "You are Timmy.\n"
                   "\n"
                   "Memories:\n"
                   "\xE2\x80\xA2 [preference, importance 4, created "
                   "2025-11-01T12:00:00.000000Z] Dan likes trains\n"
                   "```\n"
                   "\n"
                   "### Assistant Response (n-1):\n"
                   "```\n"
                   "A brass train whistle.\n"
                   "```\n"
                   "\n"
                   "### Metadata:\n"
                   "```json\n"
                   "{\n"
                   "  \"example_id\": \"ex-1\",\n"
                   "  \"session_id\": \"s1\",\n"
                   "  \"user_turn_id\": \"u1\",\n"
                   "  \"assistant_turn_id\": \"a1\",\n"
                   "  \"praise_turn_id\": \"u2\",\n"
                   "  \"rule\": \"good_one\",\n"
                   "  \"label\": \"LABEL_POSITIVE\",\n"
                   "  \"source\": \"SOURCE_IMPLICIT\",\n"
                   "  \"captured_at\": \"2025-11-20T00:00:20.192958Z\",\n"
                   "  \"assistant_metadata\": {\n"
                   "    \"model\": \"m1\"\n"
                   "  }\n"
                   "}\n"
                   "```\n"
                   "\n");
  EXPECT_EQ(FormatExampleMarkdown(Fixture()), expected);
}

TEST(MarkdownFormatTest, FenceIsLongerThanAnyBacktickRunInside) {
  EXPECT_EQ(MarkdownFenceFor("plain"), "```");
  EXPECT_EQ(MarkdownFenceFor("a ` b `` c"), "```");
  EXPECT_EQ(MarkdownFenceFor("```"), "````");
  EXPECT_EQ(MarkdownFenceFor("```\ncode\n```` and ``````"), "```````");

  v1::Example e = Fixture();
  e.mutable_assistant_turn()->set_text(
      "Here:\n```\nint x;\n```\nand\n````\nnested\n````\n``````");
  e.mutable_user_turn()->set_text("```");
  const std::string md = FormatExampleMarkdown(e);
  EXPECT_NE(md.find("### Assistant Response (n-1):\n```````\nHere:\n"),
            std::string::npos);
  EXPECT_NE(md.find("\n``````\n```````\n\n### Metadata:"), std::string::npos);
  EXPECT_NE(md.find("### User Message (n-3):\n````\n```\n````\n"),
            std::string::npos);
  // The content did not end a block early: the scanner sees one complete
  // example.
  ExampleMarkdownScanner scanner;
  scanner.Feed(md);
  scanner.Finish();
  EXPECT_TRUE(scanner.example_ids().contains("ex-1"));
  EXPECT_EQ(scanner.complete_bytes(), md.size());
  EXPECT_FALSE(scanner.torn_tail());
}

TEST(MarkdownFormatTest, MultiLinePraiseStaysOnTheHeaderLine) {
  v1::Example e = Fixture();
  e.set_praise_text("Good one,\nTimmy!\r\nReally.");
  const std::string md = FormatExampleMarkdown(e);
  EXPECT_NE(md.find("\n**Praise:** Good one, Timmy! Really.\n" +
                    std::string(80, '=') + "\n"),
            std::string::npos);
}

TEST(MarkdownFormatTest, MemoriesListOnlyWhatIsSet) {
  v1::Example e = Fixture();
  v1::Turn* assistant = e.mutable_assistant_turn();
  assistant->clear_system_prompt();
  assistant->clear_memories();
  assistant->add_memories()->set_text("bare memory");
  const std::string md = FormatExampleMarkdown(e);
  EXPECT_NE(md.find("(n-2):\n```\nMemories:\n\xE2\x80\xA2 [importance 0] "
                    "bare memory\n```\n"),
            std::string::npos);

  assistant->clear_memories();
  assistant->set_system_prompt("Only a prompt.");
  EXPECT_NE(FormatExampleMarkdown(e).find("(n-2):\n```\nOnly a prompt.\n```\n"),
            std::string::npos);
}

TEST(MarkdownFormatTest, JsonEscapesEverythingThatNeedsIt) {
  v1::Example e = Fixture();
  e.set_rule(std::string("a\"b\\c\nd\te\x01", 10));
  EXPECT_NE(FormatExampleMarkdown(e).find(
                "  \"rule\": \"a\\\"b\\\\c\\nd\\te\\u0001\",\n"),
            std::string::npos);
  e.set_rule("caf\xC3\xA9 \xE2\x80\xA2 ok");  // valid UTF-8 kept
  EXPECT_NE(FormatExampleMarkdown(e).find(
                "  \"rule\": \"caf\xC3\xA9 \xE2\x80\xA2 ok\",\n"),
            std::string::npos);
  // Invalid UTF-8 becomes U+FFFD, so the block stays valid JSON. (The
  // hand-written writer escaped it as \\ufffd and DEL as \\u007f; nlohmann
  // writes both as UTF-8, as Python's json.dumps(ensure_ascii=False) does.)
  e.set_rule("bad \xC3 and \xFF");
  EXPECT_NE(FormatExampleMarkdown(e).find(
                "  \"rule\": \"bad \xEF\xBF\xBD and \xEF\xBF\xBD\",\n"),
            std::string::npos);
}

TEST(MarkdownFormatTest, MetadataMapsAreSortedAndEscaped) {
  v1::Example e = Fixture();
  (*e.mutable_metadata())["z"] = "last";
  (*e.mutable_metadata())["a\"key"] = "line\nbreak";
  const std::string md = FormatExampleMarkdown(e);
  EXPECT_NE(md.find("  \"metadata\": {\n"
                    "    \"a\\\"key\": \"line\\nbreak\",\n"
                    "    \"z\": \"last\"\n"
                    "  },\n"),
            std::string::npos);
}

// Issue 13: a chatbot user's praise line used to go into the file raw, so
// HTML in it rendered in any HTML-enabled preview, and Markdown in it
// changed the page.
TEST(MarkdownSafetyTest, PraiseLineIsEscapedForMarkdownAndHtml) {
  v1::Example e = Fixture();
  e.set_praise_text(
      R"(<img src=x onerror=alert(1)> *great* [x](javascript:y) & `z`)");
  const std::string md = FormatExampleMarkdown(e);
  EXPECT_EQ(md.find("<img"), std::string::npos) << md;
  EXPECT_NE(
      md.find(R"(**Praise:** &lt;img src=x onerror=alert(1)&gt; \*great\* )"
              R"(\[x\](javascript:y) &amp; \`z\`)"
              "\n"),
      std::string::npos)
      << md;
  EXPECT_EQ(UnescapeMarkdownInline(EscapeMarkdownInline(e.praise_text())),
            e.praise_text());
}

// NUL and ESC used to go into the file raw (grep called it binary, a
// terminal obeyed the escape).
TEST(MarkdownSafetyTest, ControlCharactersAreShownVisiblyEverywhere) {
  using std::string_literals::operator""s;
  v1::Example e = Fixture();
  e.set_praise_text("hi\x1b[31m\0there"s);
  e.mutable_user_turn()->set_text("a\0b\x1b[2Jc\x7f\r\nd"s);
  e.mutable_assistant_turn()->set_text("bell\a and C1 \xc2\x9b too");
  const std::string md = FormatExampleMarkdown(e);
  for (char c : md) {
    const auto byte = static_cast<unsigned char>(c);
    EXPECT_TRUE(byte >= 0x20 || c == '\n' || c == '\r') << int{byte};
  }
  EXPECT_NE(md.find(R"(**Praise:** hi\\u001b\[31m\\u0000there)"
                    "\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find(R"(a\u0000b\u001b[2Jc\u007f)"
                    "\r\nd\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find(R"(bell\u0007 and C1 \u009b too)"), std::string::npos)
      << md;
}

// `grep -c "Example Captured"` counted 27 blocks for 16 examples: fenced
// text can hold such lines. Now no fenced line starts with the heading.
TEST(MarkdownSafetyTest, FencedTextCannotStartACountedLine) {
  v1::Example e = Fixture();
  e.mutable_user_turn()->set_text(
      "## Example Captured: fake\n"
      R"(\## Example Captured: fake too)"
      "\nok");
  e.mutable_assistant_turn()->set_text("x\n## Example Captured");
  const std::string md = FormatExampleMarkdown(e);
  int counted = 0;
  for (absl::string_view line : absl::StrSplit(md, '\n')) {
    if (absl::StartsWith(line, "## Example Captured")) ++counted;
  }
  EXPECT_EQ(counted, 1) << md;
  EXPECT_NE(md.find("```\n"
                    R"(\## Example Captured: fake)"
                    "\n"
                    R"(\\## Example Captured: fake too)"
                    "\nok\n```"),
            std::string::npos)
      << md;
  EXPECT_EQ(UnquoteFencedLine(R"(\\## Example Captured: x)"),
            R"(\## Example Captured: x)");
  EXPECT_EQ(UnquoteFencedLine(R"(\## Example)"), R"(\## Example)");
  EXPECT_EQ(QuoteFencedLine("## Example Captured"), R"(\## Example Captured)");
}

// History (issue 12) and a pair's rejected reply are fenced as safely as
// the exchange: no line of theirs can start a counted block, close the fence
// or send a control character to a terminal.
TEST(MarkdownSafetyTest, HistoryAndRejectedReplyAreFencedSafely) {
  v1::Example e = Fixture();
  v1::Turn* earlier = e.add_history();
  earlier->set_role(v1::ROLE_USER);
  earlier->set_text("## Example Captured: fake\n```\n\x1b[31mred");
  e.mutable_rejected_turn()->set_text("## Example Captured: also fake");
  const std::string md = FormatExampleMarkdown(e);
  int counted = 0;
  for (absl::string_view line : absl::StrSplit(md, '\n')) {
    if (absl::StartsWith(line, "## Example Captured")) ++counted;
  }
  EXPECT_EQ(counted, 1) << md;
  EXPECT_EQ(md.find('\x1b'), std::string::npos) << md;
  EXPECT_NE(md.find("````\n"
                    R"(\## Example Captured: fake)"
                    "\n```\n"),
            std::string::npos)
      << md;
}

std::string ThreeBlocks(std::string* last_id) {
  std::string md;
  for (int i = 0; i < 3; ++i) {
    v1::Example e = Fixture();
    e.set_id(absl::StrCat("id \"", i, "\"\n"));  // ids needing escapes
    md += FormatExampleMarkdown(e);
    *last_id = e.id();
  }
  return md;
}

TEST(MarkdownScannerTest, FindsIdsLinesAndBytesWhateverTheChunking) {
  std::string last_id;
  const std::string md = ThreeBlocks(&last_id);
  for (size_t chunk = 1; chunk <= 64; chunk += 7) {
    ExampleMarkdownScanner scanner;
    for (size_t i = 0; i < md.size(); i += chunk) {
      scanner.Feed(absl::string_view(md).substr(i, chunk));
    }
    scanner.Finish();
    EXPECT_EQ(scanner.example_ids().size(), 3u);
    EXPECT_TRUE(scanner.example_ids().contains(last_id));
    EXPECT_EQ(scanner.bytes(), md.size());
    EXPECT_EQ(scanner.lines(),
              static_cast<uint64_t>(std::count(md.begin(), md.end(), '\n')));
    EXPECT_EQ(scanner.complete_bytes(), md.size());
    EXPECT_FALSE(scanner.torn_tail());
  }
}

TEST(MarkdownScannerTest, TornLastBlockAtEveryByte) {
  std::string last_id;
  const std::string md = ThreeBlocks(&last_id);
  const size_t last_start =
      md.rfind("\n" + std::string(80, '=') + "\n## Example Captured:");
  for (size_t cut = last_start; cut < md.size(); ++cut) {
    SCOPED_TRACE(absl::StrCat("cut at ", cut));
    ExampleMarkdownScanner scanner;
    scanner.Feed(md.substr(0, cut));
    scanner.Finish();
    if (cut == md.size() - 1) {
      // Only the final blank line is missing: the block is complete.
      EXPECT_EQ(scanner.example_ids().size(), 3u);
      EXPECT_EQ(scanner.complete_bytes(), cut);
      EXPECT_TRUE(scanner.missing_final_blank());
      EXPECT_FALSE(scanner.torn_tail());
      continue;
    }
    EXPECT_EQ(scanner.example_ids().size(), 2u);
    EXPECT_FALSE(scanner.example_ids().contains(last_id));
    EXPECT_EQ(scanner.complete_bytes(), last_start);
    // A lone blank line is harmless; anything more is a torn block.
    EXPECT_EQ(scanner.torn_tail(), cut > last_start + 1);
  }
}

TEST(MarkdownScannerTest, HandWrittenTextAfterTheLastBlockIsNotTorn) {
  std::string last_id;
  const std::string md = ThreeBlocks(&last_id) + "Some notes by hand.\n";
  ExampleMarkdownScanner scanner;
  scanner.Feed(md);
  scanner.Finish();
  EXPECT_EQ(scanner.example_ids().size(), 3u);
  EXPECT_FALSE(scanner.torn_tail());
}

}  // namespace
}  // namespace ftcapture
