// The Markdown view of captured examples, in the original's layout so its
// readers and `grep -c "Example Captured"` keep working:
//
//   <blank>
//   ================================================================================
//   ## Example Captured: 2025-11-20T00:00:20.192958Z
//   **Praise:** Good one, Timmy!
//   ================================================================================
//   <blank>
//   **Conversation before (n-3):** 4 messages, oldest first   (only with
//   <blank>                                                     history)
//   **User:**                  (or **Assistant:**, each with a fence)
//   ```
//   ...
//   ```
//   <blank>
//   ### User Message (n-3):
//   ```
//   ...
//   ```
//   <blank>
//   ### System Prompt with Memories (n-2):    (prompt, then "Memories:" lines)
//   ### Assistant Response (n-1):
//   **Rejected Response (n-1):**              (pairs only: the rejected
//   **Rejected System Prompt with Memories (n-2):**   reply, its prompt)
//   ### Metadata:                             (a ```json block)
//   <blank>
//
// Every fence is longer than the longest run of backticks in what it fences
// (at least 3), so no content can end a block early. The Metadata JSON
// starts with "example_id", which ExampleMarkdownScanner reads back to find
// the examples a Markdown file already holds.
//
// Safe to render and to count, whatever clients sent:
//  - the praise line, the only client text outside a fence, is escaped for
//    Markdown and HTML (EscapeMarkdownInline), so `<img onerror=...>` shows
//    as text in any preview;
//  - control characters are shown visibly everywhere (`\u001b`, see
//    src/util/visible_text.h), so grep never calls the file binary;
//  - a fenced line that starts with "## Example Captured", after any
//    backslashes, gets one more backslash in front (QuoteFencedLine, undone
//    by UnquoteFencedLine on import, like mboxrd's ">From "), so
//    `grep -c '^## Example Captured'` counts exactly the blocks.

#ifndef FTCAPTURE_SRC_STORAGE_MARKDOWN_FORMAT_H_
#define FTCAPTURE_SRC_STORAGE_MARKDOWN_FORMAT_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "ftcapture/v1/capture.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace ftcapture {

// Labels of the parts the original's layout did not have; bold lines, not
// headings, so its three "###" sections stay as they were.
inline constexpr char kMarkdownHistoryLabel[] =
    "**Conversation before (n-3):**";
inline constexpr char kMarkdownHistoryUser[] = "**User:**";
inline constexpr char kMarkdownHistoryAssistant[] = "**Assistant:**";
inline constexpr char kMarkdownRejectedResponse[] =
    "**Rejected Response (n-1):**";
inline constexpr char kMarkdownRejectedPrompt[] =
    "**Rejected System Prompt with Memories (n-2):**";

// One example's block, starting with its blank line.
std::string FormatExampleMarkdown(const v1::Example& example);

// The original file had no header; an empty file is a valid Markdown log.
inline std::string MarkdownFileHeader() { return std::string(); }

// `text` for the praise line: on one line, control characters visible,
// Markdown punctuation backslash-escaped and <, >, & as HTML entities.
std::string EscapeMarkdownInline(absl::string_view text);
// What a Markdown renderer shows for an escaped line: backslash escapes of
// ASCII punctuation and the entities &lt; &gt; &amp; &quot; &#39; decoded.
// Import reads the praise line with it, so ours round-trips and the
// original's reads as it rendered.
std::string UnescapeMarkdownInline(absl::string_view text);

// The fenced form of one line of content, and back (see above).
// LooksLikeCountedHeading: "## Example Captured" after any backslashes.
bool LooksLikeCountedHeading(absl::string_view line);
std::string QuoteFencedLine(absl::string_view line);
absl::string_view UnquoteFencedLine(absl::string_view line);

// The fence for `content`: backticks, one more than its longest run, min 3.
std::string MarkdownFenceFor(absl::string_view content);

// Reads a Markdown log line by line (in chunks of any size) and finds the
// examples it holds and where its last complete example block ends.
// A block is complete once its Metadata fence is closed.
class ExampleMarkdownScanner {
 public:
  void Feed(absl::string_view chunk);
  // Call once after the last Feed().
  void Finish();

  // The example_ids of the complete blocks, each with how many blocks have
  // it (more than one only where records share an id: the old 64-bit ids
  // could collide).
  const absl::flat_hash_map<std::string, int64_t>& example_ids() const {
    return ids_;
  }
  uint64_t bytes() const { return bytes_; }
  uint64_t lines() const { return lines_; }
  // Bytes up to the end of the last complete block (its trailing blank line
  // included when present); 0 when there is none.
  uint64_t complete_bytes() const { return complete_bytes_; }
  // How many complete blocks were seen (ids repeated or missing included).
  int64_t complete_blocks() const { return complete_blocks_; }
  uint64_t complete_lines() const { return complete_lines_; }
  // True when what follows complete_bytes() is the start of an example block
  // cut short (a crash mid-append), as opposed to nothing, blank lines, or
  // text someone added by hand.
  bool torn_tail() const { return torn_tail_; }
  // True when the file ends right after a block's closing fence, without the
  // blank line that separates blocks.
  bool last_block_has_blank() const { return last_block_has_blank_; }
  bool missing_final_blank() const {
    return complete_bytes_ == bytes_ && bytes_ > 0 && !last_block_has_blank_;
  }

 private:
  void ProcessLine(absl::string_view line, bool terminated);

  std::string partial_line_;
  uint64_t bytes_ = 0;
  uint64_t lines_ = 0;
  uint64_t line_start_ = 0;  // file offset of the line being processed
  absl::flat_hash_map<std::string, int64_t> ids_;

  size_t fence_length_ = 0;  // 0: outside a fence
  bool fence_is_metadata_ = false;
  bool metadata_heading_ = false;
  bool block_started_ = false;
  std::string pending_id_;
  bool expect_blank_ = false;
  bool last_block_has_blank_ = false;
  bool tail_marker_ = false;
  uint64_t complete_bytes_ = 0;
  uint64_t complete_lines_ = 0;
  int64_t complete_blocks_ = 0;
  bool torn_tail_ = false;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_STORAGE_MARKDOWN_FORMAT_H_
