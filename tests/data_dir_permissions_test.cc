// Files no one else can touch: the POSIX Env creates 0600 files in 0700
// directories whatever the umask, follows no symlink planted where it
// opens a file, and the server refuses a data dir others could write to
// or that belongs to another user.

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/util/env.h"
#include "tests/util/running_server.h"
#include "tests/util/subprocess.h"
#include "tests/util/temp_dir.h"

namespace ftcapture {
namespace {

using ::testing::HasSubstr;

mode_t ModeOf(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

// Sets the umask for one test.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : previous_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(previous_); }

 private:
  const mode_t previous_;
};

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

TEST(PrivateFilesTest, FilesAre0600AndDirectories0700WhateverTheUmask) {
  ScopedUmask open_umask(0);
  TempDir dir;
  Env* env = Env::Default();
  const std::string data = dir.File("a/data");
  ASSERT_TRUE(env->CreateDirIfMissing(data).ok());
  EXPECT_EQ(ModeOf(data), 0700u);
  EXPECT_EQ(ModeOf(dir.File("a")), 0755u);  // parents stay ordinary

  ASSERT_TRUE(env->NewWritableFile(data + "/w").ok());
  ASSERT_TRUE(env->NewAppendableFile(data + "/a").ok());
  auto lock = env->LockFile(data + "/LOCK");
  ASSERT_TRUE(lock.ok()) << lock.status();
  EXPECT_EQ(ModeOf(data + "/w"), 0600u);
  EXPECT_EQ(ModeOf(data + "/a"), 0600u);
  EXPECT_EQ(ModeOf(data + "/LOCK"), 0600u);

  // A file an older version left world-readable is tightened when opened.
  WriteFile(data + "/old", "x");
  ::chmod((data + "/old").c_str(), 0644);
  ASSERT_TRUE(env->NewAppendableFile(data + "/old").ok());
  EXPECT_EQ(ModeOf(data + "/old"), 0600u);
}

TEST(PrivateFilesTest, SymlinksInTheDataDirAreNotFollowed) {
  TempDir dir;
  Env* env = Env::Default();
  const std::string secret = dir.File("secret");
  WriteFile(secret, "private");
  ::chmod(secret.c_str(), 0600);
  const std::string data = dir.File("data");
  ASSERT_TRUE(env->CreateDirIfMissing(data).ok());
  for (const char* name : {"examples.tfrecord", "LOCK", "quarantine"}) {
    ASSERT_EQ(::symlink(secret.c_str(), (data + "/" + name).c_str()), 0);
  }

  EXPECT_FALSE(env->NewWritableFile(data + "/examples.tfrecord").ok());
  EXPECT_FALSE(env->NewAppendableFile(data + "/examples.tfrecord").ok());
  EXPECT_FALSE(env->NewSequentialFile(data + "/examples.tfrecord").ok());
  EXPECT_FALSE(env->NewRandomAccessFile(data + "/examples.tfrecord").ok());
  EXPECT_FALSE(env->NewMappedFile(data + "/examples.tfrecord").ok());
  EXPECT_FALSE(env->TruncateFile(data + "/examples.tfrecord", 0).ok());
  EXPECT_FALSE(env->LockFile(data + "/LOCK").ok());
  std::string copied;
  EXPECT_FALSE(ReadFileToString(env, data + "/quarantine", &copied).ok());

  // The target is untouched and as private as before.
  std::ifstream in(secret);
  std::string content((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "private");
  EXPECT_EQ(ModeOf(secret), 0600u);
}

TEST(PrivateFilesTest, PreparePrivateDirRefusesDirsOthersCanWrite) {
  TempDir dir;
  const std::string data = dir.File("data");
  ASSERT_EQ(::mkdir(data.c_str(), 0777), 0);
  ::chmod(data.c_str(), 0777);
  absl::Status status = PreparePrivateDir(data);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("writable by all users"));

  ::chmod(data.c_str(), 0770);
  status = PreparePrivateDir(data);
  EXPECT_THAT(status.message(), HasSubstr("writable by its group"));

  // Merely readable by others: tightened rather than refused.
  ::chmod(data.c_str(), 0755);
  EXPECT_TRUE(PreparePrivateDir(data).ok());
  EXPECT_EQ(ModeOf(data), 0700u);
}

TEST(PrivateFilesTest, PreparePrivateDirRefusesAnotherUsersDir) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  TempDir dir;
  const std::string data = dir.File("data");
  ASSERT_EQ(::mkdir(data.c_str(), 0700), 0);
  ASSERT_EQ(::chown(data.c_str(), 65534, 65534), 0);
  absl::Status status = PreparePrivateDir(data);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("owned by uid 65534"));
}

TEST(PrivateFilesTest, ServerRefusesAWorldWritableDataDirWithTheReason) {
  TempDir dir;
  const std::string data = dir.File("data");
  ASSERT_EQ(::mkdir(data.c_str(), 0777), 0);
  ::chmod(data.c_str(), 0777);
  auto result = RunProcess(
      {FTCAPTURE_SERVER_BIN, "--listen=127.0.0.1:0", "--data_dir=" + data});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 1);
  EXPECT_THAT(result->err, HasSubstr("writable by all users"));
  EXPECT_THAT(result->err, HasSubstr("chmod 700"));
}

TEST(PrivateFilesTest, ServerDataDirHoldsOnlyPrivateFiles) {
  ScopedUmask open_umask(0);  // inherited by the server
  TempDir dir;
  const std::string data = dir.File("data");
  {
    auto server =
        RunningServer::Start({"--data_dir=" + data}, dir.File("server.stderr"));
    ASSERT_TRUE(server.ok()) << server.status();
  }
  EXPECT_EQ(ModeOf(data), 0700u);
  Env* env = Env::Default();
  auto names = env->GetChildren(data);
  ASSERT_TRUE(names.ok());
  ASSERT_FALSE(names->empty());
  for (const std::string& name : *names) {
    const std::string path = data + "/" + name;
    struct stat st;
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    const mode_t expected = S_ISDIR(st.st_mode) ? 0700 : 0600;
    EXPECT_EQ(st.st_mode & 07777, expected) << name;
  }
}

TEST(PrivateFilesTest, OnlyTheOwnerCanOpenLock) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as another user";
  TempDir dir;
  const std::string data = dir.File("data");
  ASSERT_TRUE(Env::Default()->CreateDirIfMissing(data).ok());
  auto lock = Env::Default()->LockFile(data + "/LOCK");
  ASSERT_TRUE(lock.ok());
  lock->reset();
  // As "nobody", even with the data dir opened up, LOCK cannot be opened,
  // so no other user can hold the lock and keep the server from starting.
  ::chmod(data.c_str(), 0755);
  ::chmod(dir.path().c_str(), 0755);
  auto result = RunProcess({"/usr/bin/setpriv", "--reuid=65534",
                            "--regid=65534", "--clear-groups", "/usr/bin/flock",
                            "-n", data + "/LOCK", "true"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_NE(result->exit_code, 0);
  EXPECT_THAT(result->err, HasSubstr("Permission denied"));
}

}  // namespace
}  // namespace ftcapture
