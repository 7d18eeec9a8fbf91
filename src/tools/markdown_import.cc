#include "src/tools/markdown_import.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "src/storage/markdown_format.h"
#include "src/tools/export_format.h"
#include "src/tools/flat_json.h"
#include "src/util/proto_time.h"
#include "src/util/stable_hash.h"
#include "src/util/visible_text.h"

namespace ftcapture {
namespace {

constexpr absl::string_view kCapturedPrefix = "## Example Captured:";
constexpr absl::string_view kPraisePrefix = "**Praise:**";
constexpr absl::string_view kCriticismPrefix = "**Criticism:**";

bool IsBlank(absl::string_view line) {
  return absl::StripAsciiWhitespace(line).empty();
}

// The "====" line that opens and closes an example header.
bool IsRule(absl::string_view line) {
  line = absl::StripTrailingAsciiWhitespace(line);
  return line.size() >= 3 &&
         line.find_first_not_of('=') == absl::string_view::npos;
}

size_t CountLeading(absl::string_view line, char c) {
  size_t n = 0;
  while (n < line.size() && line[n] == c) ++n;
  return n;
}

// Length of the backtick run opening a fence on `line`, or 0 if it is not an
// opening fence. The info string after the run may not contain a backtick.
size_t OpeningFenceLength(absl::string_view line) {
  size_t n = CountLeading(line, '`');
  if (n < 3) return 0;
  if (line.substr(n).find('`') != absl::string_view::npos) return 0;
  return n;
}

// CommonMark closing fence for an opening run of `open` backticks.
bool IsClosingFence(absl::string_view line, size_t open) {
  size_t indent = CountLeading(line, ' ');
  if (indent > 3) return false;
  line.remove_prefix(indent);
  size_t n = CountLeading(line, '`');
  if (n < open) return false;
  return line.substr(n).find_first_not_of(" \t") == absl::string_view::npos;
}

// A parse of one file. Invariant: i_ indexes the next unread line of lines_.
class LegacyMarkdownParser {
 public:
  explicit LegacyMarkdownParser(absl::string_view text)
      : lines_(absl::StrSplit(text, '\n')) {}

  absl::StatusOr<std::vector<v1::Example>> Parse() {
    std::vector<v1::Example> examples;
    while (true) {
      SkipBlankLines();
      if (AtEnd()) break;
      if (!IsRule(lines_[i_])) {
        return Error(i_, "expected a line of '=' opening an example");
      }
      absl::StatusOr<v1::Example> example = ParseExample();
      if (!example.ok()) return example.status();
      examples.push_back(*std::move(example));
    }
    return examples;
  }

 private:
  bool AtEnd() const { return i_ >= lines_.size(); }
  void SkipBlankLines() {
    while (!AtEnd() && IsBlank(lines_[i_])) ++i_;
  }
  // `index` is 0-based; messages name 1-based lines as editors do.
  absl::Status Error(size_t index, absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", index + 1, ": ", what));
  }

  // At the opening "====" line.
  absl::StatusOr<v1::Example> ParseExample() {
    const size_t start = i_++;
    if (AtEnd() || !absl::StartsWith(lines_[i_], kCapturedPrefix)) {
      return Error(i_, absl::StrCat("expected \"", kCapturedPrefix,
                                    " <time>\" after the '=' line"));
    }
    absl::string_view time_text =
        absl::StripAsciiWhitespace(lines_[i_].substr(kCapturedPrefix.size()));
    absl::StatusOr<absl::Time> captured_at = ParseTimeFlag(time_text);
    if (!captured_at.ok()) {
      return Error(
          i_, absl::StrCat("cannot read the capture time \"", time_text, "\""));
    }
    ++i_;

    bool negative = false;
    absl::string_view first;
    if (!AtEnd() && absl::StartsWith(lines_[i_], kPraisePrefix)) {
      first = lines_[i_].substr(kPraisePrefix.size());
    } else if (!AtEnd() && absl::StartsWith(lines_[i_], kCriticismPrefix)) {
      first = lines_[i_].substr(kCriticismPrefix.size());
      negative = true;
    } else {
      return Error(i_, absl::StrCat("expected \"", kPraisePrefix, " <text>\""));
    }
    absl::ConsumePrefix(&first, " ");
    std::string praise(first);
    for (++i_; !AtEnd() && !IsRule(lines_[i_]); ++i_) {
      absl::StrAppend(&praise, "\n", lines_[i_]);
    }
    if (AtEnd()) {
      return Error(start, "the example header is not closed by a '=' line");
    }
    ++i_;

    v1::Example example;
    *example.mutable_captured_at() = ToProtoTime(*captured_at);
    // As a renderer shows it: our writer escapes the line (and the
    // original's rarely needs it).
    example.set_praise_text(UnescapeMarkdownInline(praise));
    example.set_label(negative ? v1::LABEL_NEGATIVE : v1::LABEL_POSITIVE);
    example.set_source(v1::SOURCE_IMPORTED);
    example.set_rule("imported");
    example.set_status(v1::REVIEW_STATUS_PENDING);

    absl::optional<std::string> user, prompt, reply, metadata;
    absl::optional<std::string> rejected, rejected_prompt;
    size_t metadata_line = 0, user_line = 0, reply_line = 0;
    while (true) {
      SkipBlankLines();
      if (AtEnd() || IsRule(lines_[i_])) break;
      const size_t heading = i_;
      absl::string_view title = absl::StripTrailingAsciiWhitespace(lines_[i_]);
      if (absl::StartsWith(title, "**")) {
        absl::Status read =
            ReadLabelledBlock(title, &example, &rejected, &rejected_prompt);
        if (!read.ok()) return read;
        continue;
      }
      if (!absl::ConsumePrefix(&title, "### ") ||
          !absl::ConsumeSuffix(&title, ":")) {
        return Error(i_,
                     "expected a section heading like \"### User Message "
                     "(n-3):\" or a fenced block");
      }
      ++i_;
      absl::StatusOr<std::string> block = ReadFencedBlock(heading);
      if (!block.ok()) return block.status();

      absl::optional<std::string>* slot = nullptr;
      if (absl::StartsWith(title, "User Message")) {
        slot = &user;
        user_line = heading;
      } else if (absl::StartsWith(title, "System Prompt")) {
        slot = &prompt;
      } else if (absl::StartsWith(title, "Assistant Response")) {
        slot = &reply;
        reply_line = heading;
      } else if (absl::StartsWith(title, "Metadata")) {
        slot = &metadata;
        metadata_line = heading;
      }
      if (slot == nullptr) {
        (*example.mutable_metadata())[std::string(title)] = *std::move(block);
        continue;
      }
      if (slot->has_value()) {
        return Error(heading, absl::StrCat("second \"", title,
                                           "\" section in one example"));
      }
      *slot = *std::move(block);
    }
    if (!user.has_value()) {
      return Error(start, "example has no \"### User Message (n-3):\" section");
    }
    if (!reply.has_value()) {
      return Error(start,
                   "example has no \"### Assistant Response (n-1):\" section");
    }
    // An example teaches a reply to a user message: with either empty it
    // teaches nothing, and ImportExamples refuses it.
    if (user->empty()) {
      return Error(user_line,
                   "the user message is empty; an example needs the message "
                   "the reply answers (remove this example or fill it in)");
    }
    if (reply->empty()) {
      return Error(reply_line,
                   "the assistant response is empty; an example needs the "
                   "reply (remove this example or fill it in)");
    }

    if (metadata.has_value() && !IsBlank(*metadata)) {
      auto members = FlattenJsonObject(*metadata);
      if (!members.ok()) {
        return Error(metadata_line,
                     absl::StrCat("Metadata is not a JSON object: ",
                                  members.status().message()));
      }
      for (auto& [key, value] : *members) {
        (*example.mutable_metadata())[key] = std::move(value);
      }
    }
    auto session = example.metadata().find("session_id");
    if (session != example.metadata().end()) {
      example.set_session_id(session->second);
    }

    v1::Turn* user_turn = example.mutable_user_turn();
    user_turn->set_role(v1::ROLE_USER);
    user_turn->set_text(*std::move(user));
    v1::Turn* assistant_turn = example.mutable_assistant_turn();
    assistant_turn->set_role(v1::ROLE_ASSISTANT);
    assistant_turn->set_text(*std::move(reply));
    if (prompt.has_value()) assistant_turn->set_system_prompt(*prompt);
    if (rejected.has_value()) {
      v1::Turn* rejected_turn = example.mutable_rejected_turn();
      rejected_turn->set_role(v1::ROLE_ASSISTANT);
      rejected_turn->set_text(*std::move(rejected));
      if (rejected_prompt.has_value()) {
        rejected_turn->set_system_prompt(*rejected_prompt);
      }
      rejected_turn->set_session_id(example.session_id());
    }
    for (v1::Turn& turn : *example.mutable_history()) {
      turn.set_session_id(example.session_id());
    }
    v1::Turn* praise_turn = example.mutable_praise_turn();
    praise_turn->set_role(v1::ROLE_USER);
    praise_turn->set_text(example.praise_text());
    for (v1::Turn* turn : {user_turn, assistant_turn, praise_turn}) {
      turn->set_session_id(example.session_id());
    }
    example.set_id(ImportedExampleId(example));
    return example;
  }

  // At a bold label line (`label`, our writer's additions): the history
  // line, a history message, or a pair's rejected reply or prompt, each
  // but the first followed by a fenced block.
  absl::Status ReadLabelledBlock(absl::string_view label, v1::Example* example,
                                 absl::optional<std::string>* rejected,
                                 absl::optional<std::string>* rejected_prompt) {
    const size_t line = i_++;
    if (absl::StartsWith(label, kMarkdownHistoryLabel)) return absl::OkStatus();
    absl::optional<std::string>* slot = nullptr;
    v1::Role role = v1::ROLE_UNSPECIFIED;
    if (label == kMarkdownHistoryUser) {
      role = v1::ROLE_USER;
    } else if (label == kMarkdownHistoryAssistant) {
      role = v1::ROLE_ASSISTANT;
    } else if (label == kMarkdownRejectedResponse) {
      slot = rejected;
    } else if (label == kMarkdownRejectedPrompt) {
      slot = rejected_prompt;
    } else {
      return Error(line, absl::StrCat("unknown label \"", label, "\""));
    }
    absl::StatusOr<std::string> block = ReadFencedBlock(line);
    if (!block.ok()) return block.status();
    if (slot == nullptr) {
      v1::Turn* turn = example->add_history();
      turn->set_role(role);
      turn->set_text(*std::move(block));
      return absl::OkStatus();
    }
    if (slot->has_value()) {
      return Error(line, absl::StrCat("second \"", label, "\" in one example"));
    }
    *slot = *std::move(block);
    return absl::OkStatus();
  }

  // After a section heading (at `heading`): blank lines, then one fenced
  // block; returns its text exactly.
  absl::StatusOr<std::string> ReadFencedBlock(size_t heading) {
    SkipBlankLines();
    if (AtEnd()) return Error(heading, "section has no fenced block");
    const size_t open_line = i_;
    const size_t fence = OpeningFenceLength(lines_[i_]);
    if (fence == 0) {
      return Error(i_, "expected a fence of at least 3 backticks");
    }
    std::vector<absl::string_view> content;
    for (++i_; !AtEnd(); ++i_) {
      if (IsClosingFence(lines_[i_], fence)) {
        ++i_;
        return absl::StrJoin(content, "\n");
      }
      content.push_back(UnquoteFencedLine(lines_[i_]));
    }
    return Error(open_line, "fenced block is never closed");
  }

  std::vector<absl::string_view> lines_;
  size_t i_ = 0;
};

}  // namespace

absl::StatusOr<std::vector<v1::Example>> ParseLegacyMarkdown(
    absl::string_view text) {
  size_t bad = FindInvalidUtf8(text);
  if (bad != absl::string_view::npos) {
    size_t line = 1 + std::count(text.begin(), text.begin() + bad, '\n');
    return absl::InvalidArgumentError(
        absl::StrCat("line ", line, ": invalid UTF-8 (byte ", bad, ")"));
  }
  return LegacyMarkdownParser(text).Parse();
}

}  // namespace ftcapture
