#include "src/storage/tfrecord_writer.h"

#include <string>

#include "gtest/gtest.h"
#include "src/util/crc32c.h"
#include "src/util/env.h"
#include "tests/util/temp_dir.h"

namespace ftcapture {
namespace {

TEST(TFRecordWriterTest, FramesOneRecordAsTensorFlowDoes) {
  // Computed independently from the TFRecord definition.
  const std::string expected(
      "\x05\x00\x00\x00\x00\x00\x00\x00\xea\xb2\x04\x3e"
      "hello"
      "\xbb\x1f\x1c\x19",
      21);
  std::string framed;
  AppendTFRecord("hello", &framed);
  EXPECT_EQ(framed, expected);
  EXPECT_EQ(TFRecordFramedSize(5), 21u);
}

TEST(TFRecordWriterTest, LengthIsLittleEndianAndCrcsAreMasked) {
  const std::string data(300, 'x');
  std::string framed;
  AppendTFRecord(data, &framed);
  ASSERT_EQ(framed.size(), 12 + 300 + 4u);
  EXPECT_EQ(static_cast<uint8_t>(framed[0]), 300 & 0xff);
  EXPECT_EQ(static_cast<uint8_t>(framed[1]), 300 >> 8);
  for (int i = 2; i < 8; ++i) EXPECT_EQ(framed[i], '\0');
  auto fixed32 = [&](size_t at) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i)
      v = (v << 8) | static_cast<uint8_t>(framed[at + i]);
    return v;
  };
  EXPECT_EQ(fixed32(8), crc32c::Mask(crc32c::Value(framed.substr(0, 8))));
  EXPECT_EQ(framed.substr(12, 300), data);
  EXPECT_EQ(fixed32(312), crc32c::Mask(crc32c::Value(data)));
}

TEST(TFRecordWriterTest, WriterAppendsFramedRecordsToTheFile) {
  TempDir dir;
  Env* env = Env::Default();
  const std::string path = dir.File("out.tfrecord");
  {
    auto file = env->NewWritableFile(path);
    ASSERT_TRUE(file.ok()) << file.status();
    TFRecordWriter writer(file->get());
    ASSERT_TRUE(writer.AddRecord("hello").ok());
    ASSERT_TRUE(writer.AddRecord("").ok());
    ASSERT_TRUE(writer.Flush().ok());
    ASSERT_TRUE((*file)->Close().ok());
  }
  std::string contents, expected;
  ASSERT_TRUE(ReadFileToString(env, path, &contents).ok());
  AppendTFRecord("hello", &expected);
  AppendTFRecord("", &expected);
  EXPECT_EQ(contents, expected);
}

}  // namespace
}  // namespace ftcapture
