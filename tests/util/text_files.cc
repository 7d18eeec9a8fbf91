#include "tests/util/text_files.h"

#include <dirent.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"

namespace ftcapture {

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {

void AddFilesUnder(const std::string& dir, std::vector<std::string>* files) {
  DIR* handle = opendir(dir.c_str());
  if (handle == nullptr) return;
  while (dirent* entry = readdir(handle)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    const std::string path = dir + "/" + name;
    struct stat info;
    if (lstat(path.c_str(), &info) != 0) continue;
    if (S_ISDIR(info.st_mode)) {
      AddFilesUnder(path, files);
    } else if (S_ISREG(info.st_mode)) {
      files->push_back(path);
    }
  }
  closedir(handle);
}

}  // namespace

std::vector<std::string> FilesUnder(const std::string& dir) {
  std::vector<std::string> files;
  AddFilesUnder(dir, &files);
  return files;
}

std::vector<std::string> FilesContaining(const std::string& dir,
                                         absl::string_view needle) {
  std::vector<std::string> found;
  for (const std::string& file : FilesUnder(dir)) {
    if (absl::StrContains(ReadFileOrEmpty(file), needle)) {
      found.push_back(file);
    }
  }
  return found;
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
