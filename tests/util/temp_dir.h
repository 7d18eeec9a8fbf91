#ifndef FTCAPTURE_TESTS_UTIL_TEMP_DIR_H_
#define FTCAPTURE_TESTS_UTIL_TEMP_DIR_H_

#include <string>

namespace ftcapture {

// A fresh directory under $TEST_TMPDIR or /tmp, removed with everything in
// it when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_TESTS_UTIL_TEMP_DIR_H_
