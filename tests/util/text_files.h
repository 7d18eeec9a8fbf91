// Small text helpers the tests share: a whole file, counting needles, and
// grepping a tree.

#ifndef FTCAPTURE_TESTS_UTIL_TEXT_FILES_H_
#define FTCAPTURE_TESTS_UTIL_TEXT_FILES_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ftcapture {

// The whole file, or "" when it cannot be read (tests assert on the text).
std::string ReadFileOrEmpty(const std::string& path);

// Every regular file under `dir`, recursively (symlinks not followed).
std::vector<std::string> FilesUnder(const std::string& dir);

// The files under `dir` whose bytes contain `needle` (a privacy test's
// grep of a data dir).
std::vector<std::string> FilesContaining(const std::string& dir,
                                         absl::string_view needle);

// Non-overlapping occurrences of `needle` in `text`.
int CountOccurrences(absl::string_view text, absl::string_view needle);

}  // namespace ftcapture

#endif  // FTCAPTURE_TESTS_UTIL_TEXT_FILES_H_
