// Control characters shown visibly: the Markdown log and the CLI output
// (issue 13: `ftcapture list` sent a session id's escape sequence to the
// operator's terminal).

#include "src/util/visible_text.h"

#include <sstream>
#include <string>

#include "client/escaping_streambuf.h"
#include "gtest/gtest.h"

namespace ftcapture {
namespace {

using std::string_literals::operator""s;

TEST(VisibleTextTest, ControlCharactersBecomeJsonStyleEscapes) {
  EXPECT_EQ(VisibleText("a\x1b[31mb"), R"(a\u001b[31mb)");
  EXPECT_EQ(VisibleText("nul\0!"s), R"(nul\u0000!)");
  EXPECT_EQ(VisibleText("del\x7f"), R"(del\u007f)");
  EXPECT_EQ(VisibleText("csi\xc2\x9b"
                        "2J"),
            R"(csi\u009b2J)");
  EXPECT_EQ(VisibleText("lone\rcr"), R"(lone\u000dcr)");
  EXPECT_EQ(VisibleText("bad\xff"), R"(bad\xff)");
  EXPECT_EQ(VisibleText("cut \xe2\x82"), R"(cut \xe2\x82)");
}

TEST(VisibleTextTest, OrdinaryTextIsUnchanged) {
  const std::string text =
      "tab\tnewline\ncrlf\r\nUTF-8: \xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\x89";
  EXPECT_TRUE(IsVisibleText(text));
  EXPECT_EQ(VisibleText(text), text);
  EXPECT_FALSE(IsVisibleText("x\x1b"));
  EXPECT_FALSE(IsVisibleText("x\r"));
  EXPECT_FALSE(IsVisibleText("\xed\xa0\x80"));  // a surrogate
}

TEST(VisibleTextTest, StreamingWaitsForTheRestOfASequence) {
  std::string out;
  EXPECT_EQ(AppendVisibleText("ab\xe2\x82", /*final=*/false, &out), 2u);
  EXPECT_EQ(out, "ab");
  EXPECT_EQ(AppendVisibleText("x\r", /*final=*/false, &out), 1u);
  EXPECT_EQ(out, "abx");
}

TEST(ControlEscapingStreambufTest, EscapesWhateverIsWrittenInAnyPieces) {
  std::ostringstream target;
  {
    ControlEscapingStreambuf buffer(target.rdbuf());
    std::ostream out(&buffer);
    out << "session \x1b]0;owned\x07 ok\n";
    out << "\xe2";  // a euro sign split across two writes
    out << "\x82\xac" << '\x1b' << "\r\n";
    out.flush();
  }
  EXPECT_EQ(target.str(),
            "session \\u001b]0;owned\\u0007 ok\n\xe2\x82\xac\\u001b\r\n");
}

TEST(ControlEscapingStreambufTest, JsonStaysJsonWithTheSameMeaning) {
  std::ostringstream target;
  {
    ControlEscapingStreambuf buffer(target.rdbuf());
    std::ostream out(&buffer);
    out << "{\"text\":\"a\xc2\x9b"
           "b\"}\n";
  }
  EXPECT_EQ(target.str(), "{\"text\":\"a\\u009bb\"}\n");
}

// The scans skip eight bytes at a time; a byte they look for must be found
// at every offset of a word, after plain words, tabs, newlines and
// multi-byte characters.
TEST(FindControlCharacterTest, FindsTheFirstControlAtEveryOffset) {
  const std::string plain = "ab\tc d\n\xc3\xa9 \r\nefgh ij klmnopq rstuv wxyz!";
  EXPECT_EQ(FindControlCharacter(plain), absl::string_view::npos);
  for (size_t at = 0; at <= plain.size(); ++at) {
    for (const char control : {'\x00', '\x01', '\x1b', '\x1f'}) {
      std::string text = plain;
      text.insert(at, 1, control);
      text.push_back('\x07');  // a later one is not the first
      EXPECT_EQ(FindControlCharacter(text), at) << "at " << at;
    }
  }
}

TEST(FindControlCharacterTest, AllowsEveryOtherByte) {
  std::string text;
  for (int c = 0x20; c < 0x100; ++c) text.push_back(static_cast<char>(c));
  text += "\t\n\r";
  EXPECT_EQ(FindControlCharacter(text), absl::string_view::npos);
}

TEST(FindInvalidUtf8Test, FindsTheFirstBadByteAtEveryOffset) {
  const std::string plain =
      "abc d\xc3\xa9"
      "fgh \xe2\x82\xac ijklmno \xf0\x9f\x98\x80 pqrstuvwxyz";
  EXPECT_EQ(FindInvalidUtf8(plain), absl::string_view::npos);
  for (size_t at = 0; at <= plain.size(); ++at) {
    // Only between characters: inside one, the character is what breaks.
    if (at < plain.size() && (static_cast<uint8_t>(plain[at]) & 0xc0) == 0x80)
      continue;
    for (const std::string bad : {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xc3"}) {
      std::string text = plain;
      text.insert(at, bad);
      EXPECT_EQ(FindInvalidUtf8(text), at) << "at " << at << " " << bad.size();
    }
  }
}

}  // namespace
}  // namespace ftcapture
