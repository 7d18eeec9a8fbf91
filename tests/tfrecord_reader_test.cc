#include "src/storage/tfrecord_reader.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/storage/tfrecord_writer.h"
#include "src/util/atomic_file.h"
#include "src/util/env.h"
#include "tests/util/temp_dir.h"

namespace ftcapture {
namespace {

using Kind = TFRecordEntry::Kind;

class TFRecordReaderTest : public ::testing::Test {
 protected:
  // Writes `contents` to a file and reads every entry back.
  std::vector<TFRecordEntry> ReadAll(const std::string& contents) {
    const std::string path = dir_.File("data.tfrecord");
    EXPECT_TRUE(WriteStringToFileAtomic(env_, contents, path).ok());
    auto file = env_->NewRandomAccessFile(path);
    EXPECT_TRUE(file.ok());
    TFRecordReader reader(file->get(), contents.size());
    std::vector<TFRecordEntry> entries;
    for (int guard = 0; guard < 100000; ++guard) {
      TFRecordEntry entry;
      absl::Status s = reader.Next(&entry);
      EXPECT_TRUE(s.ok()) << s;
      if (!s.ok() || entry.kind == Kind::kEnd) break;
      entries.push_back(std::move(entry));
    }
    return entries;
  }

  static std::vector<std::string> Payloads() {
    return {"first",
            "",
            std::string(3000, 'b'),
            "fourth record",
            std::string(70, '\0'),
            "last one"};
  }

  static std::string Frame(const std::vector<std::string>& payloads,
                           std::vector<uint64_t>* offsets = nullptr) {
    std::string out;
    for (const std::string& p : payloads) {
      if (offsets) offsets->push_back(out.size());
      AppendTFRecord(p, &out);
    }
    return out;
  }

  TempDir dir_;
  Env* env_ = Env::Default();
};

TEST_F(TFRecordReaderTest, RoundTripsRecordsWithTheirOffsets) {
  std::vector<std::string> payloads = Payloads();
  payloads.push_back(std::string(3 << 20, 'L'));  // larger than read-ahead
  payloads.push_back("after the large one");
  std::vector<uint64_t> offsets;
  const std::string file = Frame(payloads, &offsets);
  const auto entries = ReadAll(file);
  ASSERT_EQ(entries.size(), payloads.size());
  for (size_t i = 0; i < payloads.size(); ++i) {
    EXPECT_EQ(entries[i].kind, Kind::kRecord);
    EXPECT_EQ(entries[i].offset, offsets[i]);
    EXPECT_EQ(entries[i].length, TFRecordFramedSize(payloads[i].size()));
    EXPECT_EQ(entries[i].data, payloads[i]);
  }
}

TEST_F(TFRecordReaderTest, EmptyFileHasNoEntries) {
  EXPECT_TRUE(ReadAll("").empty());
}

TEST_F(TFRecordReaderTest, TornTailAtEveryByteOfTheLastRecord) {
  const std::vector<std::string> payloads = Payloads();
  std::vector<uint64_t> offsets;
  const std::string full = Frame(payloads, &offsets);
  const uint64_t last = offsets.back();
  for (uint64_t cut = last; cut < full.size(); ++cut) {
    SCOPED_TRACE(absl::StrCat("file cut at ", cut));
    const auto entries = ReadAll(full.substr(0, cut));
    const size_t good = payloads.size() - 1;
    ASSERT_EQ(entries.size(), cut == last ? good : good + 1);
    for (size_t i = 0; i < good; ++i) {
      EXPECT_EQ(entries[i].kind, Kind::kRecord);
      EXPECT_EQ(entries[i].data, payloads[i]);
    }
    if (cut > last) {
      EXPECT_EQ(entries.back().kind, Kind::kTornTail);
      EXPECT_EQ(entries.back().offset, last);
      EXPECT_EQ(entries.back().length, cut - last);
      EXPECT_FALSE(entries.back().reason.empty());
    }
  }
}

TEST_F(TFRecordReaderTest,
       CorruptMiddleRecordAtEveryByteIsSkippedAndTheRestRead) {
  const std::vector<std::string> payloads = Payloads();
  std::vector<uint64_t> offsets;
  const std::string full = Frame(payloads, &offsets);
  const size_t bad = 3;  // "fourth record"
  const uint64_t begin = offsets[bad], end = offsets[bad + 1];
  for (uint64_t pos = begin; pos < end; ++pos) {
    SCOPED_TRACE(absl::StrCat("byte flipped at ", pos));
    std::string damaged = full;
    damaged[pos] ^= 0x5a;
    const auto entries = ReadAll(damaged);
    ASSERT_EQ(entries.size(), payloads.size());
    for (size_t i = 0; i < payloads.size(); ++i) {
      if (i == bad) {
        EXPECT_EQ(entries[i].kind, Kind::kCorrupt);
        EXPECT_EQ(entries[i].offset, begin);
        EXPECT_EQ(entries[i].length, end - begin);
        EXPECT_FALSE(entries[i].reason.empty());
      } else {
        EXPECT_EQ(entries[i].kind, Kind::kRecord);
        EXPECT_EQ(entries[i].data, payloads[i]);
        EXPECT_EQ(entries[i].offset, offsets[i]);
      }
    }
  }
}

TEST_F(TFRecordReaderTest, GarbageBetweenRecordsIsOneCorruptStretch) {
  const std::string a = Frame({"alpha"}), b = Frame({"beta"});
  const std::string garbage = "this is not a record at all, just junk bytes";
  const auto entries = ReadAll(a + garbage + b);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].data, "alpha");
  EXPECT_EQ(entries[1].kind, Kind::kCorrupt);
  EXPECT_EQ(entries[1].offset, a.size());
  EXPECT_EQ(entries[1].length, garbage.size());
  EXPECT_EQ(entries[2].kind, Kind::kRecord);
  EXPECT_EQ(entries[2].data, "beta");
}

TEST_F(TFRecordReaderTest, ZeroFilledTailIsATornTail) {
  const std::string good = Frame({"one", "two"});
  const auto entries = ReadAll(good + std::string(40, '\0'));
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[2].kind, Kind::kTornTail);
  EXPECT_EQ(entries[2].offset, good.size());
  EXPECT_EQ(entries[2].length, 40u);
}

TEST_F(TFRecordReaderTest, ReadAtVerifiesTheRecord) {
  std::vector<uint64_t> offsets;
  std::string full = Frame({"zero", "one", "two"}, &offsets);
  const std::string path = dir_.File("at.tfrecord");
  ASSERT_TRUE(WriteStringToFileAtomic(env_, full, path).ok());
  auto file = env_->NewRandomAccessFile(path);
  ASSERT_TRUE(file.ok());
  auto one = ReadTFRecordAt(**file, offsets[1]);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(*one, "one");
  EXPECT_TRUE(
      absl::IsDataLoss(ReadTFRecordAt(**file, offsets[1] + 1).status()));
  EXPECT_TRUE(absl::IsDataLoss(ReadTFRecordAt(**file, full.size()).status()));

  full[offsets[2] + 13] ^= 1;
  ASSERT_TRUE(WriteStringToFileAtomic(env_, full, path).ok());
  file = env_->NewRandomAccessFile(path);
  ASSERT_TRUE(file.ok());
  EXPECT_TRUE(absl::IsDataLoss(ReadTFRecordAt(**file, offsets[2]).status()));
}

TEST_F(TFRecordReaderTest, StartsAtAGivenOffset) {
  std::vector<uint64_t> offsets;
  const std::string full = Frame({"a", "b", "c"}, &offsets);
  const std::string path = dir_.File("start.tfrecord");
  ASSERT_TRUE(WriteStringToFileAtomic(env_, full, path).ok());
  auto file = env_->NewRandomAccessFile(path);
  ASSERT_TRUE(file.ok());
  TFRecordReader reader(file->get(), full.size(), offsets[2]);
  TFRecordEntry entry;
  ASSERT_TRUE(reader.Next(&entry).ok());
  EXPECT_EQ(entry.data, "c");
  ASSERT_TRUE(reader.Next(&entry).ok());
  EXPECT_EQ(entry.kind, Kind::kEnd);
}

TEST_F(TFRecordReaderTest, ReadFileSkipsCorruptionAndStopsAtATornTail) {
  std::vector<uint64_t> offsets;
  std::string contents = Frame(Payloads(), &offsets);
  contents[offsets[1] + 3] ^= 0x40;  // the empty record's length CRC
  const uint64_t clean_size = contents.size();
  contents += Frame({"torn away"}).substr(0, 9);
  const std::string path = dir_.File("data.tfrecord");
  ASSERT_TRUE(WriteStringToFileAtomic(env_, contents, path).ok());

  std::vector<std::string> read;
  absl::StatusOr<uint64_t> good_size = ReadTFRecordFile(
      env_, path, [&](absl::string_view data) { read.emplace_back(data); });
  ASSERT_TRUE(good_size.ok()) << good_size.status();
  EXPECT_EQ(*good_size, clean_size);
  std::vector<std::string> expected = Payloads();
  expected.erase(expected.begin() + 1);
  EXPECT_EQ(read, expected);

  EXPECT_EQ(
      ReadTFRecordFile(env_, dir_.File("missing"), [](absl::string_view) {})
          .status()
          .code(),
      absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace ftcapture
