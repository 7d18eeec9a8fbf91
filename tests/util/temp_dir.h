// A fresh directory under the test temp dir, removed when destroyed.

#ifndef FTCAPTURE_TESTS_UTIL_TEMP_DIR_H_
#define FTCAPTURE_TESTS_UTIL_TEMP_DIR_H_

#include <string>

namespace ftcapture {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_TESTS_UTIL_TEMP_DIR_H_
