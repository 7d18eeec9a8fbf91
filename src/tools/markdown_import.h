#ifndef FTCAPTURE_SRC_TOOLS_MARKDOWN_IMPORT_H_
#define FTCAPTURE_SRC_TOOLS_MARKDOWN_IMPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ftcapture/v1/capture.pb.h"
#include "src/storage/example_id.h"

namespace ftcapture {

// Reads a `fine_tuning_best_case_interchanges.md` in the original's layout
// (and the layout our own writer appends), one example per block:
//
//   ================================================================================
//   ## Example Captured: 2025-11-20T00:00:20.192958
//   **Praise:** amazing dude
//   ================================================================================
//
//   ### User Message (n-3):
//   ```
//   <text>
//   ```
//   ### System Prompt with Memories (n-2):   (same, a fenced block)
//   ### Assistant Response (n-1):            (same)
//   ### Metadata:
//   ```json
//   {"source": "payloads.txt", "conversation_number": 105}
//   ```
//
// Rules:
// - Fences follow CommonMark: a fence opens with N >= 3 backticks at the
//   start of a line (an info string such as `json` may follow) and closes
//   only at a line of >= N backticks, indented at most 3 spaces, followed by
//   nothing but spaces or tabs. Everything else in between, headings and
//   shorter fences included, is content.
// - A block's text is exactly the lines between its fence lines joined with
//   "\n" (the writer's "```\n" + text + "\n```"); nothing is trimmed, but
//   a line our writer quoted ("\## Example Captured", see
//   src/storage/markdown_format.h) loses the one backslash it added.
//   Control characters our writer showed as "\u001b" stay that text (the
//   dataset, not the Markdown, keeps the exact bytes).
// - The header time is RFC 3339, or naive ISO 8601 as the original wrote it
//   (taken as UTC). The praise runs from after "**Praise:** " up to the
//   closing "====" line (a multi-line praise keeps its newlines), read as a
//   Markdown renderer shows it (backslash escapes and &lt; &gt; &amp;
//   &quot; &#39; decoded: our writer escapes the line); a "**Criticism:**"
//   header marks a negative example.
// - Metadata: a JSON object whose top-level members become Example.metadata
//   (strings as their text, other values as compact JSON text); a
//   "session_id" string also fills Example.session_id. An empty block means
//   no metadata.
// - Any other "### <title>:" section with a fenced block is kept in metadata
//   under "<title>", so nothing a newer writer adds is lost.
// - Bold label lines our writer adds (src/storage/markdown_format.h) are
//   read back: "**Conversation before (n-3):** ..." (informational), then
//   "**User:**" / "**Assistant:**" each with a fenced block become
//   Example.history in order; "**Rejected Response (n-1):**" and
//   "**Rejected System Prompt with Memories (n-2):**" a pair's
//   rejected_turn. Any other bold label line is an error.
// - User Message and Assistant Response are required and must not be empty
//   (an example teaches a reply to a user message); the prompt and the
//   metadata may be missing or empty.
//
// Each example comes back with source SOURCE_IMPORTED, rule "imported",
// status PENDING, label POSITIVE (NEGATIVE for "**Criticism:**"),
// captured_at from the header, user_turn / assistant_turn (with its
// system_prompt) / praise_turn filled with their roles, praise_text, and the
// id ImportedExampleId(). Malformed input (including invalid UTF-8) is
// InvalidArgument naming the line; nothing is returned then.
absl::StatusOr<std::vector<v1::Example>> ParseLegacyMarkdown(
    absl::string_view text);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_TOOLS_MARKDOWN_IMPORT_H_
