#include "src/util/env.h"

#include <string>

#include "gtest/gtest.h"
#include "src/util/atomic_file.h"
#include "tests/util/temp_dir.h"

namespace ftcapture {
namespace {

std::string Bytes(size_t n, char seed) {
  std::string data(n, '\0');
  for (size_t i = 0; i < n; ++i) data[i] = static_cast<char>(seed + i * 7);
  return data;
}

TEST(EnvTest, MappedFileReadsViewsAndNothingPastTheEnd) {
  TempDir dir;
  const std::string path = dir.File("data");
  const std::string data = Bytes(300000, 'a');
  ASSERT_TRUE(WriteStringToFileAtomic(Env::Default(), data, path).ok());
  auto file = Env::Default()->NewMappedFile(path);
  ASSERT_TRUE(file.ok()) << file.status();
  std::string scratch(10, '\0');
  absl::string_view got;
  ASSERT_TRUE((*file)->Read(299995, 10, &got, scratch.data()).ok());
  EXPECT_EQ(got, data.substr(299995));
  // Far along, then back near the start: released pages come back.
  ASSERT_TRUE((*file)->Read(250000, 4, &got, scratch.data()).ok());
  ASSERT_TRUE((*file)->Read(5, 4, &got, scratch.data()).ok());
  EXPECT_EQ(got, data.substr(5, 4));
  ASSERT_TRUE((*file)->Read(300000, 4, &got, scratch.data()).ok());
  EXPECT_TRUE(got.empty());
}

}  // namespace
}  // namespace ftcapture
