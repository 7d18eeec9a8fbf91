#ifndef FTCAPTURE_SRC_DETECT_SENTENCE_SPLITTER_H_
#define FTCAPTURE_SRC_DETECT_SENTENCE_SPLITTER_H_

#include <vector>

#include "absl/strings/string_view.h"

namespace ftcapture {

// Splits `text` into sentences with RE2 (linear time). A sentence ends after
// a run of . ! ? or an ellipsis (plus closing quotes or brackets) that is
// followed by whitespace or the end of the text, or at a line break.
// Terminators stay with their sentence, so "Was it good?" keeps its '?'.
// The results view `text`; they are trimmed and never empty, and they appear
// in order without overlapping.
std::vector<absl::string_view> SplitSentences(absl::string_view text);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_DETECT_SENTENCE_SPLITTER_H_
