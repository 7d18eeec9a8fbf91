#include "src/storage/markdown_format.h"

#include <algorithm>
#include <map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "src/util/visible_text.h"

namespace ftcapture {
namespace {

const std::string& Rule() {
  static const std::string* const rule = new std::string(80, '=');
  return *rule;
}

bool IsSet(const google::protobuf::Timestamp& t) {
  return t.seconds() != 0 || t.nanos() != 0;
}

// Length of the longest run of `c` in `text`.
size_t LongestRun(absl::string_view text, char c) {
  size_t longest = 0, run = 0;
  for (char ch : text) {
    run = ch == c ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

constexpr absl::string_view kCountedHeading = "## Example Captured";

// Client text in a fence: control characters visible, and lines that grep
// would count as a block quoted (see the header).
std::string FencedContent(absl::string_view content) {
  std::string visible;
  if (!IsVisibleText(content)) {
    visible = VisibleText(content);
    content = visible;
  }
  if (content.find(kCountedHeading) == absl::string_view::npos) {
    return std::string(content);
  }
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    lines.push_back(QuoteFencedLine(line));
  }
  return absl::StrJoin(lines, "\n");
}

void AppendFenced(absl::string_view raw, absl::string_view info,
                  std::string* out) {
  const std::string content = FencedContent(raw);
  const std::string fence = MarkdownFenceFor(content);
  absl::StrAppend(out, fence, info, "\n", content, "\n", fence, "\n");
}

// Decodes one UTF-8 sequence at `p`; returns its length, 0 when invalid.
size_t Utf8SequenceLength(absl::string_view s, size_t p) {
  const auto b0 = static_cast<uint8_t>(s[p]);
  size_t n;
  uint32_t cp;
  if (b0 < 0x80) return 1;
  if ((b0 & 0xe0) == 0xc0) {
    n = 2;
    cp = b0 & 0x1f;
  } else if ((b0 & 0xf0) == 0xe0) {
    n = 3;
    cp = b0 & 0x0f;
  } else if ((b0 & 0xf8) == 0xf0) {
    n = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (p + n > s.size()) return 0;
  for (size_t i = 1; i < n; ++i) {
    const auto b = static_cast<uint8_t>(s[p + i]);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

// A JSON object written with two-space indentation, keys in insertion
// order (like Python's json.dumps(indent=2)).
class JsonObjectWriter {
 public:
  JsonObjectWriter(std::string* out, int indent) : out_(out), indent_(indent) {
    out_->append("{");
  }
  void String(absl::string_view key, absl::string_view value) {
    Key(key);
    AppendJsonString(value, out_);
  }
  void Map(absl::string_view key,
           const google::protobuf::Map<std::string, std::string>& map) {
    Key(key);
    const std::map<std::string, std::string> sorted(map.begin(), map.end());
    JsonObjectWriter nested(out_, indent_ + 2);
    for (const auto& [k, v] : sorted) nested.String(k, v);
    nested.Close();
  }
  void Close() {
    if (fields_ > 0) {
      out_->append("\n");
      out_->append(indent_, ' ');
    }
    out_->append("}");
  }

 private:
  void Key(absl::string_view key) {
    out_->append(fields_++ == 0 ? "\n" : ",\n");
    out_->append(indent_ + 2, ' ');
    AppendJsonString(key, out_);
    out_->append(": ");
  }
  std::string* const out_;
  const int indent_;
  int fields_ = 0;
};

std::string MetadataJson(const v1::Example& e) {
  std::string json;
  JsonObjectWriter w(&json, 0);
  w.String("example_id", e.id());
  w.String("session_id", e.session_id());
  if (e.has_user_turn()) w.String("user_turn_id", e.user_turn().turn_id());
  if (e.has_assistant_turn()) {
    w.String("assistant_turn_id", e.assistant_turn().turn_id());
  }
  if (e.has_praise_turn())
    w.String("praise_turn_id", e.praise_turn().turn_id());
  if (e.has_rejected_turn()) {
    w.String("rejected_turn_id", e.rejected_turn().turn_id());
  }
  w.String("rule", e.rule());
  w.String("label", v1::Label_Name(e.label()));
  w.String("source", v1::Source_Name(e.source()));
  if (IsSet(e.captured_at()))
    w.String("captured_at", FormatIsoTime(e.captured_at()));
  if (IsSet(e.user_turn().time())) {
    w.String("user_time", FormatIsoTime(e.user_turn().time()));
  }
  if (IsSet(e.assistant_turn().time())) {
    w.String("assistant_time", FormatIsoTime(e.assistant_turn().time()));
  }
  if (IsSet(e.praise_turn().time())) {
    w.String("praise_time", FormatIsoTime(e.praise_turn().time()));
  }
  if (!e.metadata().empty()) w.Map("metadata", e.metadata());
  if (!e.user_turn().metadata().empty()) {
    w.Map("user_metadata", e.user_turn().metadata());
  }
  if (!e.assistant_turn().metadata().empty()) {
    w.Map("assistant_metadata", e.assistant_turn().metadata());
  }
  if (!e.praise_turn().metadata().empty()) {
    w.Map("praise_metadata", e.praise_turn().metadata());
  }
  w.Close();
  return json;
}

std::string PromptWithMemories(const v1::Turn& assistant) {
  std::string text = assistant.system_prompt();
  if (assistant.memories_size() == 0) return text;
  if (!text.empty()) text.append("\n\n");
  text.append("Memories:");
  for (const v1::Memory& m : assistant.memories()) {
    std::vector<std::string> tags;
    if (!m.category().empty()) tags.push_back(m.category());
    tags.push_back(absl::StrCat("importance ", m.importance()));
    if (IsSet(m.created_at())) {
      tags.push_back(absl::StrCat("created ", FormatIsoTime(m.created_at())));
    }
    absl::StrAppend(&text, "\n\xE2\x80\xA2 [", absl::StrJoin(tags, ", "), "] ",
                    m.text());
  }
  return text;
}

// The conversation before the user message, as labelled fenced blocks
// ahead of the three sections, so the sections stay as the original had
// them.
void AppendHistory(const v1::Example& example, std::string* out) {
  if (example.history_size() == 0) return;
  absl::StrAppend(out, kMarkdownHistoryLabel, " ", example.history_size(),
                  example.history_size() == 1 ? " message" : " messages",
                  ", oldest first\n");
  for (const v1::Turn& turn : example.history()) {
    absl::StrAppend(out, "\n",
                    turn.role() == v1::ROLE_ASSISTANT
                        ? kMarkdownHistoryAssistant
                        : kMarkdownHistoryUser,
                    "\n");
    AppendFenced(turn.text(), "", out);
  }
  out->append("\n");
}

// A pair's rejected reply, after the preferred one.
void AppendRejected(const v1::Example& example, std::string* out) {
  if (!example.has_rejected_turn()) return;
  absl::StrAppend(out, "\n", kMarkdownRejectedResponse, "\n");
  AppendFenced(example.rejected_turn().text(), "", out);
  absl::StrAppend(out, "\n", kMarkdownRejectedPrompt, "\n");
  AppendFenced(PromptWithMemories(example.rejected_turn()), "", out);
}

// Keeps the header line one line long.
std::string OneLine(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"\r\n", " "}, {"\n", " "}, {"\r", " "}});
}

// Parses the JSON string literal at the start of `s` (after its opening
// quote). Returns false when it is not a complete literal.
bool ParseJsonStringBody(absl::string_view s, std::string* out) {
  out->clear();
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') return true;
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (++i >= s.size()) return false;
    switch (s[i]) {
      case '"':
        out->push_back('"');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case '/':
        out->push_back('/');
        break;
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'u': {
        if (i + 4 >= s.size()) return false;
        uint32_t cp = 0;
        for (int k = 1; k <= 4; ++k) {
          const char h = s[i + k];
          cp <<= 4;
          if (h >= '0' && h <= '9')
            cp |= h - '0';
          else if (h >= 'a' && h <= 'f')
            cp |= h - 'a' + 10;
          else if (h >= 'A' && h <= 'F')
            cp |= h - 'A' + 10;
          else
            return false;
        }
        i += 4;
        // Surrogate pairs are not produced by AppendJsonString; a lone one
        // keeps its code point, which is enough to compare ids.
        if (cp < 0x80) {
          out->push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
          out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
          out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        } else {
          out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
          out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
          out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        }
        break;
      }
      default:
        return false;
    }
  }
  return false;
}

}  // namespace

std::string EscapeMarkdownInline(absl::string_view text) {
  const std::string visible = VisibleText(OneLine(text));
  std::string out;
  out.reserve(visible.size() + 16);
  for (char c : visible) {
    switch (c) {
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      case '&':
        out.append("&amp;");
        break;
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '~':
      case '|':
        out.push_back('\\');
        out.push_back(c);
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string UnescapeMarkdownInline(absl::string_view text) {
  static constexpr std::pair<absl::string_view, char> kEntities[] = {
      {"&lt;", '<'},
      {"&gt;", '>'},
      {"&amp;", '&'},
      {"&quot;", '"'},
      {"&#39;", '\''}};
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size() &&
        absl::ascii_ispunct(static_cast<unsigned char>(text[i + 1]))) {
      out.push_back(text[++i]);
      continue;
    }
    bool decoded = false;
    if (c == '&') {
      for (const auto& [entity, character] : kEntities) {
        if (absl::StartsWith(text.substr(i), entity)) {
          out.push_back(character);
          i += entity.size() - 1;
          decoded = true;
          break;
        }
      }
    }
    if (!decoded) out.push_back(c);
  }
  return out;
}

bool LooksLikeCountedHeading(absl::string_view line) {
  const size_t slashes = line.find_first_not_of('\\');
  return slashes != absl::string_view::npos &&
         absl::StartsWith(line.substr(slashes), kCountedHeading);
}

std::string QuoteFencedLine(absl::string_view line) {
  if (!LooksLikeCountedHeading(line)) return std::string(line);
  return absl::StrCat("\\", line);
}

absl::string_view UnquoteFencedLine(absl::string_view line) {
  if (!line.empty() && line[0] == '\\' && LooksLikeCountedHeading(line)) {
    line.remove_prefix(1);
  }
  return line;
}

std::string MarkdownFenceFor(absl::string_view content) {
  return std::string(std::max<size_t>(3, LongestRun(content, '`') + 1), '`');
}

std::string FormatIsoTime(const google::protobuf::Timestamp& time) {
  const absl::Time t =
      absl::FromUnixSeconds(time.seconds()) + absl::Nanoseconds(time.nanos());
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

void AppendJsonString(absl::string_view text, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<uint8_t>(text[i]);
    if (c >= 0x80) {
      const size_t n = Utf8SequenceLength(text, i);
      if (n == 0) {
        out->append("\\ufffd");
        ++i;
      } else {
        out->append(text.data() + i, n);
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static constexpr char kHex[] = "0123456789abcdef";
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xf]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out->push_back('"');
}

std::string FormatExampleMarkdown(const v1::Example& example) {
  std::string out;
  out.reserve(1024 + example.user_turn().text().size() +
              example.assistant_turn().system_prompt().size() +
              example.assistant_turn().text().size());
  absl::StrAppend(&out, "\n", Rule(), "\n",
                  "## Example Captured: ", FormatIsoTime(example.captured_at()),
                  "\n", "**Praise:** ",
                  EscapeMarkdownInline(example.praise_text()), "\n", Rule(),
                  "\n\n");
  AppendHistory(example, &out);
  out.append("### User Message (n-3):\n");
  AppendFenced(example.user_turn().text(), "", &out);
  out.append("\n### System Prompt with Memories (n-2):\n");
  AppendFenced(PromptWithMemories(example.assistant_turn()), "", &out);
  out.append("\n### Assistant Response (n-1):\n");
  AppendFenced(example.assistant_turn().text(), "", &out);
  AppendRejected(example, &out);
  out.append("\n### Metadata:\n");
  AppendFenced(MetadataJson(example), "json", &out);
  out.append("\n");
  return out;
}

// ---------------------------------------------------------------------------

void ExampleMarkdownScanner::Feed(absl::string_view chunk) {
  while (!chunk.empty()) {
    const size_t nl = chunk.find('\n');
    if (nl == absl::string_view::npos) {
      partial_line_.append(chunk.data(), chunk.size());
      return;
    }
    absl::string_view line;
    if (partial_line_.empty()) {
      line = chunk.substr(0, nl + 1);
      ProcessLine(line, true);
    } else {
      partial_line_.append(chunk.data(), nl + 1);
      ProcessLine(partial_line_, true);
      partial_line_.clear();
    }
    chunk.remove_prefix(nl + 1);
  }
}

void ExampleMarkdownScanner::Finish() {
  if (!partial_line_.empty()) {
    ProcessLine(partial_line_, false);
    partial_line_.clear();
  }
  torn_tail_ = bytes_ > complete_bytes_ &&
               (tail_marker_ || block_started_ || fence_length_ > 0);
}

void ExampleMarkdownScanner::ProcessLine(absl::string_view line,
                                         bool terminated) {
  line_start_ = bytes_;
  bytes_ += line.size();
  if (terminated) ++lines_;
  absl::string_view text = line;
  if (terminated) text.remove_suffix(1);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);

  if (expect_blank_) {
    expect_blank_ = false;
    if (text.empty() && terminated) {
      complete_bytes_ = bytes_;
      complete_lines_ = lines_;
      last_block_has_blank_ = true;
      return;
    }
  }

  size_t ticks = 0;
  while (ticks < text.size() && text[ticks] == '`') ++ticks;

  if (fence_length_ > 0) {  // inside a fence
    absl::string_view rest = text.substr(ticks);
    while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
    if (ticks >= fence_length_ && rest.empty() && terminated) {
      fence_length_ = 0;
      if (fence_is_metadata_ && block_started_) {
        block_started_ = false;
        if (!pending_id_.empty()) ++ids_[pending_id_];
        ++complete_blocks_;
        pending_id_.clear();
        complete_bytes_ = bytes_;
        complete_lines_ = lines_;
        last_block_has_blank_ = false;
        expect_blank_ = true;
        tail_marker_ = false;
      }
      fence_is_metadata_ = false;
      return;
    }
    constexpr absl::string_view kIdKey = "  \"example_id\": \"";
    if (fence_is_metadata_ && terminated &&
        text.substr(0, kIdKey.size()) == kIdKey) {
      std::string id;
      if (ParseJsonStringBody(text.substr(kIdKey.size()), &id)) {
        pending_id_ = std::move(id);
      }
    }
    return;
  }

  if (ticks >= 3) {
    fence_length_ = ticks;
    fence_is_metadata_ = metadata_heading_;
    metadata_heading_ = false;
    return;
  }
  if (text.empty()) return;
  metadata_heading_ = text == "### Metadata:";
  if (text.substr(0, 20) == "## Example Captured:") {
    block_started_ = true;
    pending_id_.clear();
    tail_marker_ = true;
  } else if (text[0] == '=') {
    tail_marker_ = true;
  }
}

}  // namespace ftcapture
