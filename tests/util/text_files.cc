#include "tests/util/text_files.h"

#include <fstream>
#include <sstream>

namespace ftcapture {

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int CountOccurrences(absl::string_view text, absl::string_view needle) {
  int count = 0;
  for (size_t pos = text.find(needle); pos != absl::string_view::npos;
       pos = text.find(needle, pos + needle.size())) {
    ++count;
  }
  return count;
}

}  // namespace ftcapture
