#include "src/storage/markdown_format.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "src/util/proto_time.h"
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

using OrderedJson = nlohmann::ordered_json;

OrderedJson SortedObject(
    const google::protobuf::Map<std::string, std::string>& map) {
  const std::map<std::string, std::string> sorted(map.begin(), map.end());
  OrderedJson object = OrderedJson::object();
  for (const auto& [key, value] : sorted) object[key] = value;
  return object;
}

std::string MetadataJson(const v1::Example& e) {
  // Keys in insertion order, two-space indent, UTF-8 kept as is (like
  // Python's json.dumps(indent=2, ensure_ascii=False)); invalid UTF-8 becomes
  // U+FFFD so the block is always valid JSON.
  OrderedJson json = OrderedJson::object();
  json["example_id"] = e.id();
  json["session_id"] = e.session_id();
  if (e.has_user_turn()) json["user_turn_id"] = e.user_turn().turn_id();
  if (e.has_assistant_turn()) {
    json["assistant_turn_id"] = e.assistant_turn().turn_id();
  }
  if (e.has_praise_turn()) json["praise_turn_id"] = e.praise_turn().turn_id();
  if (e.has_rejected_turn()) {
    json["rejected_turn_id"] = e.rejected_turn().turn_id();
  }
  json["rule"] = e.rule();
  json["label"] = v1::Label_Name(e.label());
  json["source"] = v1::Source_Name(e.source());
  if (IsSet(e.captured_at())) json["captured_at"] = Rfc3339(e.captured_at());
  if (IsSet(e.user_turn().time())) {
    json["user_time"] = Rfc3339(e.user_turn().time());
  }
  if (IsSet(e.assistant_turn().time())) {
    json["assistant_time"] = Rfc3339(e.assistant_turn().time());
  }
  if (IsSet(e.praise_turn().time())) {
    json["praise_time"] = Rfc3339(e.praise_turn().time());
  }
  if (!e.metadata().empty()) json["metadata"] = SortedObject(e.metadata());
  if (!e.user_turn().metadata().empty()) {
    json["user_metadata"] = SortedObject(e.user_turn().metadata());
  }
  if (!e.assistant_turn().metadata().empty()) {
    json["assistant_metadata"] = SortedObject(e.assistant_turn().metadata());
  }
  if (!e.praise_turn().metadata().empty()) {
    json["praise_metadata"] = SortedObject(e.praise_turn().metadata());
  }
  return json.dump(2, ' ', /*ensure_ascii=*/false,
                   OrderedJson::error_handler_t::replace);
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
      tags.push_back(absl::StrCat("created ", Rfc3339(m.created_at())));
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

// The JSON string at the start of `s` ("...", maybe followed by ','), or
// false when it is not one.
bool ParseJsonStringAtLineStart(absl::string_view s, std::string* out) {
  absl::ConsumeSuffix(&s, ",");
  const nlohmann::json value =
      nlohmann::json::parse(s.begin(), s.end(), nullptr,
                            /*allow_exceptions=*/false);
  if (!value.is_string()) return false;
  *out = value.get<std::string>();
  return true;
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

std::string FormatExampleMarkdown(const v1::Example& example) {
  std::string out;
  out.reserve(1024 + example.user_turn().text().size() +
              example.assistant_turn().system_prompt().size() +
              example.assistant_turn().text().size());
  absl::StrAppend(&out, "\n", Rule(), "\n",
                  "## Example Captured: ", Rfc3339(example.captured_at()), "\n",
                  "**Praise:** ", EscapeMarkdownInline(example.praise_text()),
                  "\n", Rule(), "\n\n");
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
    constexpr absl::string_view kIdKey = "  \"example_id\": ";
    if (fence_is_metadata_ && terminated &&
        text.substr(0, kIdKey.size()) == kIdKey) {
      std::string id;
      if (ParseJsonStringAtLineStart(text.substr(kIdKey.size()), &id)) {
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
