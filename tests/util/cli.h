// The built `ftcapture` CLI, run against a server the way a user runs it.

#ifndef FTCAPTURE_TESTS_UTIL_CLI_H_
#define FTCAPTURE_TESTS_UTIL_CLI_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "tests/util/subprocess.h"

namespace ftcapture {

// Runs `ftcapture --server=SERVER ARGS...` with `input` on its stdin. Not
// being able to run it at all fails the test and gives an empty result
// (exit code -1); the command's own exit code is the caller's to check.
ProcessResult RunCli(const std::string& server, std::vector<std::string> args,
                     absl::string_view input = "");

}  // namespace ftcapture

#endif  // FTCAPTURE_TESTS_UTIL_CLI_H_
