// Small text helpers the tests share: a whole file, and counting needles.

#ifndef FTCAPTURE_TESTS_UTIL_TEXT_FILES_H_
#define FTCAPTURE_TESTS_UTIL_TEXT_FILES_H_

#include <string>

#include "absl/strings/string_view.h"

namespace ftcapture {

// The whole file, or "" when it cannot be read (tests assert on the text).
std::string ReadFileOrEmpty(const std::string& path);

// Non-overlapping occurrences of `needle` in `text`.
int CountOccurrences(absl::string_view text, absl::string_view needle);

}  // namespace ftcapture

#endif  // FTCAPTURE_TESTS_UTIL_TEXT_FILES_H_
