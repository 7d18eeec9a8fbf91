#ifndef FTCAPTURE_SRC_TOOLS_REDACT_TOOL_H_
#define FTCAPTURE_SRC_TOOLS_REDACT_TOOL_H_

#include <istream>
#include <ostream>
#include <string>

#include "src/privacy/redactor.h"

namespace ftcapture {

// The offline `ftcapture redact` command: previews redaction rules.

// "email:2,card:1", or "-" when nothing fired.
std::string RedactionSummary(const RedactionCounts& counts);

// Reads texts from `in`, one per line (a trailing '\r' is dropped), and
// writes one line per text to `out`:
//   rules-that-fired <TAB> redacted text
// Returns the process exit code: 0, or 1 when `out` failed.
int RunRedact(const Redactor& redactor, std::istream& in, std::ostream& out);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_TOOLS_REDACT_TOOL_H_
