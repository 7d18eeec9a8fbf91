#include "src/util/atomic_file.h"

#include <errno.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/util/env.h"
#include "tests/util/fault_injection_env.h"
#include "tests/util/temp_dir.h"
#include "tests/util/text_files.h"

namespace ftcapture {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Children(const TempDir& dir) {
  auto children = Env::Default()->GetChildren(dir.path());
  EXPECT_TRUE(children.ok()) << children.status();
  return children.ok() ? *children : std::vector<std::string>();
}

TEST(AtomicOutputFileTest, AppearsOnlyOnCommit) {
  TempDir dir;
  const std::string path = dir.File("out.jsonl");
  auto file = AtomicOutputFile::Create(path);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE((*file)->Append("one\n").ok());
  // Bigger than the buffer, so some of it reaches the temporary file.
  const std::string big(3 << 20, 'x');
  ASSERT_TRUE((*file)->Append(big).ok());
  EXPECT_FALSE(Env::Default()->FileExists(path));
  ASSERT_TRUE((*file)->Commit().ok());
  EXPECT_EQ(ReadFileOrEmpty(path), "one\n" + big);
  EXPECT_THAT(Children(dir), UnorderedElementsAre("out.jsonl"));
  EXPECT_FALSE((*file)->Append("more").ok());
  EXPECT_FALSE((*file)->Commit().ok());
}

TEST(AtomicOutputFileTest, DroppedWithoutCommitKeepsTheOldFile) {
  TempDir dir;
  const std::string path = dir.File("out.jsonl");
  {
    std::ofstream old(path);
    old << "old\n";
  }
  {
    auto file = AtomicOutputFile::Create(path);
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE((*file)->Append("half a fi").ok());
  }
  EXPECT_EQ(ReadFileOrEmpty(path), "old\n");
  EXPECT_THAT(Children(dir), UnorderedElementsAre("out.jsonl"));
}

TEST(AtomicOutputFileTest, FailedSyncLeavesNothingBehind) {
  TempDir dir;
  FaultInjectionEnv env;
  env.FailSyncs("out.jsonl", ENOSPC);
  const std::string path = dir.File("out.jsonl");
  {
    auto file = AtomicOutputFile::Create(path, &env);
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE((*file)->Append("data\n").ok());
    absl::Status status = (*file)->Commit();
    EXPECT_TRUE(absl::IsResourceExhausted(status)) << status;
  }
  EXPECT_TRUE(Children(dir).empty());
}

TEST(AtomicOutputFileTest, UnwritableDirectoryFailsAtCreate) {
  TempDir dir;
  auto file = AtomicOutputFile::Create(dir.File("missing/out.jsonl"));
  EXPECT_FALSE(file.ok());
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("missing"));
  EXPECT_FALSE(AtomicOutputFile::Create("").ok());
}

}  // namespace
}  // namespace ftcapture
