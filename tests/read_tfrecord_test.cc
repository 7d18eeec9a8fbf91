// Runs the independent Python TFRecord reader (tests/tools/read_tfrecord.py)
// on a dataset written by ExampleStore, and decodes its output with our
// proto (and with `protoc --decode` when protoc is installed): any TFRecord
// reader reads our file.

#include <stdlib.h>
#include <sys/wait.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/storage/example_store.h"
#include "src/util/atomic_file.h"
#include "src/util/env.h"
#include "tests/util/temp_dir.h"

namespace ftcapture {
namespace {

bool OnPath(const std::string& program) {
  return std::system(("command -v " + program + " >/dev/null 2>&1").c_str()) ==
         0;
}

// Runs `command` through the shell; returns its exit status.
int RunShell(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const std::string kTool =
    std::string(FTCAPTURE_SOURCE_DIR) + "/tests/tools/read_tfrecord.py";

class ReadTFRecordToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!OnPath("python3")) GTEST_SKIP() << "python3 is not on PATH";
    ExampleStore::Options options;
    options.data_dir = dir_.path() + "/data";
    auto store = ExampleStore::Open(Env::Default(), options, nullptr, nullptr);
    ASSERT_TRUE(store.ok()) << store.status();
    for (int i = 0; i < 3; ++i) {
      v1::Example e;
      e.set_id(absl::StrCat("py-", i));
      e.set_session_id("s1");
      e.mutable_assistant_turn()->set_text(
          absl::StrCat("reply ", i, " with ``` and ```` inside"));
      e.set_praise_text("Good one, Timmy!");
      examples_.push_back(e);
      ASSERT_TRUE((*store)->Append(e).ok());
    }
    dataset_ = options.data_dir + "/" + kDatasetFileName;
  }

  TempDir dir_;
  std::vector<v1::Example> examples_;
  std::string dataset_;
};

TEST_F(ReadTFRecordToolTest, ReadsEveryRecordWeWrote) {
  const std::string out = dir_.path() + "/records";
  ASSERT_EQ(
      RunShell(absl::StrCat("python3 ", kTool, " ", dataset_, " --out-dir ",
                            out, " > ", dir_.path(), "/listing.txt")),
      0);
  for (size_t i = 0; i < examples_.size(); ++i) {
    std::string raw;
    ASSERT_TRUE(ReadFileToString(Env::Default(),
                                 absl::StrCat(out, "/record-0000", i, ".bin"),
                                 &raw)
                    .ok());
    v1::Example parsed;
    ASSERT_TRUE(parsed.ParseFromString(raw));
    EXPECT_EQ(parsed.SerializeAsString(), examples_[i].SerializeAsString());
  }
  EXPECT_FALSE(Env::Default()->FileExists(out + "/record-00003.bin"));

  if (!OnPath("protoc")) return;
  const std::string decoded = dir_.path() + "/decoded.txt";
  ASSERT_EQ(RunShell(absl::StrCat("protoc --decode=ftcapture.v1.Example -I",
                                  FTCAPTURE_SOURCE_DIR, "/proto ",
                                  "ftcapture/v1/capture.proto < ", out,
                                  "/record-00001.bin > ", decoded)),
            0);
  std::string text;
  ASSERT_TRUE(ReadFileToString(Env::Default(), decoded, &text).ok());
  EXPECT_NE(text.find("id: \"py-1\""), std::string::npos) << text;
  EXPECT_NE(text.find("``` and ````"), std::string::npos) << text;
}

TEST_F(ReadTFRecordToolTest, RejectsADamagedFile) {
  std::string data;
  ASSERT_TRUE(ReadFileToString(Env::Default(), dataset_, &data).ok());
  data[data.size() / 2] ^= 0x01;
  const std::string damaged = dir_.path() + "/damaged.tfrecord";
  ASSERT_TRUE(WriteStringToFileAtomic(Env::Default(), data, damaged).ok());
  EXPECT_EQ(RunShell(absl::StrCat("python3 ", kTool, " ", damaged,
                                  " > /dev/null 2>&1")),
            1);
}

}  // namespace
}  // namespace ftcapture
