#ifndef FTCAPTURE_TESTS_UTIL_TEMP_DIR_H_
#define FTCAPTURE_TESTS_UTIL_TEMP_DIR_H_

#include <string>

namespace ftcapture {
namespace testing {

// A fresh directory under $TEST_TMPDIR (or /tmp), removed with everything in
// it when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string File(const std::string& name) const;

 private:
  std::string path_;
};

// The whole file, or "" when it cannot be read.
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace testing
}  // namespace ftcapture

#endif  // FTCAPTURE_TESTS_UTIL_TEMP_DIR_H_
