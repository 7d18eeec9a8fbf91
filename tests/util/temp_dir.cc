#include "tests/util/temp_dir.h"

#include <stdlib.h>

#include <filesystem>

#include "gtest/gtest.h"

namespace ftcapture {

TempDir::TempDir() {
  std::string base = ::testing::TempDir();
  if (base.empty() || base.back() != '/') base += '/';
  std::string pattern = base + "ftcapture-XXXXXX";
  char* made = ::mkdtemp(pattern.data());
  if (made == nullptr) {
    ADD_FAILURE() << "mkdtemp " << pattern << " failed";
  } else {
    path_ = made;
  }
}

TempDir::~TempDir() {
  std::error_code ignored;
  if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
}

}  // namespace ftcapture
