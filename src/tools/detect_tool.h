#ifndef FTCAPTURE_SRC_TOOLS_DETECT_TOOL_H_
#define FTCAPTURE_SRC_TOOLS_DETECT_TOOL_H_

#include <istream>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "src/detect/praise_detector.h"

namespace ftcapture {

// The offline `ftcapture detect` command, without flags or I/O setup so the
// CLI and the tests share it.

// The second column of a `detect` line: the rule that fired, or for a vetoed
// message "vetoed:<guard>:<rule>", or "-" when no rule matched.
std::string VerdictExplanation(const Verdict& verdict);

// Reads messages from `in`, one per line (a trailing '\r' is dropped), and
// writes one line per message to `out`:
//   praise|criticism|none <TAB> rule-or-veto <TAB> message
// Returns the process exit code: 0, or 1 when `out` failed.
int RunDetect(const PraiseDetector& detector, std::istream& in,
              std::ostream& out);

// Scores a labeled TSV read from `tsv`: lines `label<TAB>source<TAB>message`,
// blank lines and lines starting with '#' skipped. Label 1 = praise, 0 =
// neither, -1 = criticism (an extension: files with only 0/1 work as is).
// Writes the number of examples, praise precision, recall and F1, the same
// for criticism when the file labels any, and then every miss with its line
// number and the rule or veto that decided it. A malformed line yields
// InvalidArgument naming it, and nothing is written.
absl::Status RunDetectEval(const PraiseDetector& detector, std::istream& tsv,
                           std::ostream& out);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_TOOLS_DETECT_TOOL_H_
