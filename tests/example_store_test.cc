#include "src/storage/example_store.h"

#include <errno.h>

#include <algorithm>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/storage/example_summary.h"
#include "src/storage/markdown_format.h"
#include "src/storage/markdown_rebuild.h"
#include "src/storage/tfrecord_reader.h"
#include "src/storage/tfrecord_writer.h"
#include "src/util/atomic_file.h"
#include "src/util/env.h"
#include "tests/util/examples.h"
#include "tests/util/fault_injection_env.h"
#include "tests/util/temp_dir.h"
#include "tests/util/text_files.h"

namespace ftcapture {
namespace {

using ::testing::HasSubstr;

v1::Example MakeExample(const std::string& id, bool positive = true) {
  return TestExample(id, positive,
                     {"What is " + id + "?", "It is " + id + ". ```code```",
                      "You are Timmy."});
}

class ExampleStoreTest : public ::testing::Test {
 protected:
  struct Opened {
    std::unique_ptr<ExampleStore> store;
    std::vector<std::pair<uint64_t, std::string>> visited;  // offset, id
    RecoveryReport report;
  };

  absl::StatusOr<Opened> Open(SyncPolicy sync = SyncPolicy::kAlways,
                              bool negative_markdown = false) {
    Opened opened;
    ExampleStore::Options options;
    options.data_dir = dir_.path() + "/data";
    options.sync = sync;
    options.negative_markdown = negative_markdown;
    auto store = ExampleStore::Open(
        &env_, options,
        [&opened](uint64_t offset, const ExampleSummaryView& e) {
          opened.visited.emplace_back(offset, std::string(e.id));
        },
        &opened.report);
    if (!store.ok()) return store.status();
    opened.store = std::move(*store);
    return opened;
  }

  std::string Path(const std::string& name) const {
    return dir_.path() + "/data/" + name;
  }
  std::string Read(const std::string& name) {
    std::string data;
    EXPECT_TRUE(ReadFileToString(&env_, Path(name), &data).ok());
    return data;
  }
  void Write(const std::string& name, const std::string& data) {
    ASSERT_TRUE(WriteStringToFileAtomic(&env_, data, Path(name)).ok());
  }
  std::vector<std::string> Children() {
    auto names = env_.GetChildren(dir_.path() + "/data");
    EXPECT_TRUE(names.ok());
    return names.ok() ? *names : std::vector<std::string>();
  }
  std::string QuarantineFile(const std::string& prefix) {
    for (const std::string& name : Children()) {
      if (absl::StartsWith(name, prefix)) return name;
    }
    return "";
  }
  // Appends examples "a", "b" and "c" to a fresh store and closes it.
  void StoreABC() {
    auto opened = Open();
    ASSERT_TRUE(opened.ok());
    for (const char* id : {"a", "b", "c"}) {
      ASSERT_TRUE(opened->store->Append(MakeExample(id)).ok());
    }
  }
  static std::vector<std::string> Ids(const Opened& opened) {
    std::vector<std::string> ids;
    for (const auto& [offset, id] : opened.visited) ids.push_back(id);
    return ids;
  }

  TempDir dir_;
  FaultInjectionEnv env_;
};

TEST(SyncPolicyTest, Parses) {
  EXPECT_EQ(*ParseSyncPolicy("always"), SyncPolicy::kAlways);
  EXPECT_EQ(*ParseSyncPolicy("BATCH"), SyncPolicy::kBatch);
  EXPECT_EQ(*ParseSyncPolicy("none"), SyncPolicy::kNone);
  auto bad = ParseSyncPolicy("sometimes");
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("sometimes"));
}

TEST_F(ExampleStoreTest, AppendReopenVisitAndReadAt) {
  std::vector<uint64_t> offsets;
  std::string expected_positive, expected_negative;
  {
    auto opened = Open(SyncPolicy::kAlways, /*negative_markdown=*/true);
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ(opened->report.records, 0);
    EXPECT_FALSE(opened->report.repaired());
    for (int i = 0; i < 5; ++i) {
      const v1::Example e = MakeExample(absl::StrCat("e", i), i != 2);
      auto offset = opened->store->Append(e);
      ASSERT_TRUE(offset.ok()) << offset.status();
      offsets.push_back(*offset);
      (i != 2 ? expected_positive : expected_negative) +=
          FormatExampleMarkdown(e);
    }
    for (int i = 0; i < 5; ++i) {
      auto e = opened->store->ReadAt(offsets[i]);
      ASSERT_TRUE(e.ok()) << e.status();
      EXPECT_EQ(e->id(), absl::StrCat("e", i));
    }
    EXPECT_TRUE(absl::IsNotFound(
        opened->store->ReadAt(opened->store->dataset_bytes()).status()));
    EXPECT_EQ(opened->store->dataset_bytes(),
              static_cast<int64_t>(Read(kDatasetFileName).size()));
    const std::string md = Read(kMarkdownFileName);
    EXPECT_EQ(opened->store->markdown_bytes(), static_cast<int64_t>(md.size()));
    EXPECT_EQ(opened->store->markdown_lines(),
              std::count(md.begin(), md.end(), '\n'));
  }
  EXPECT_EQ(Read(kMarkdownFileName), expected_positive);
  EXPECT_EQ(Read(kNegativeMarkdownFileName), expected_negative);
  EXPECT_EQ(CountOccurrences(Read(kMarkdownFileName), "Example Captured"), 4);

  auto reopened = Open(SyncPolicy::kAlways, true);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(reopened->report.records, 5);
  EXPECT_FALSE(reopened->report.repaired()) << reopened->report.ToString();
  ASSERT_EQ(reopened->visited.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(reopened->visited[i].first, offsets[i]);
    EXPECT_EQ(reopened->visited[i].second, absl::StrCat("e", i));
  }
  EXPECT_THAT(reopened->report.ToString(), HasSubstr("nothing to repair"));
}

TEST_F(ExampleStoreTest, NegativesStayOutOfTheMarkdownUnlessAskedFor) {
  {
    auto opened = Open();
    ASSERT_TRUE(opened.ok());
    ASSERT_TRUE(opened->store->Append(MakeExample("neg", false)).ok());
  }
  EXPECT_EQ(Read(kMarkdownFileName), "");
  EXPECT_FALSE(env_.FileExists(Path(kNegativeMarkdownFileName)));
}

TEST_F(ExampleStoreTest, RejectsAnExampleWithoutIdAndWritesNothing) {
  auto opened = Open();
  ASSERT_TRUE(opened.ok());
  auto result = opened->store->Append(MakeExample(""));
  EXPECT_TRUE(absl::IsInvalidArgument(result.status()));
  EXPECT_EQ(opened->store->dataset_bytes(), 0);
  EXPECT_EQ(Read(kDatasetFileName), "");
}

TEST_F(ExampleStoreTest, SecondOpenOfTheSameDirIsRefused) {
  auto first = Open();
  ASSERT_TRUE(first.ok());
  auto second = Open();
  EXPECT_TRUE(absl::IsFailedPrecondition(second.status())) << second.status();
  first->store.reset();
  EXPECT_TRUE(Open().ok());
}

TEST_F(ExampleStoreTest, TornTailAtEveryByteIsCutAndQuarantined) {
  std::string good;
  {
    auto opened = Open();
    ASSERT_TRUE(opened.ok());
    for (const char* id : {"a", "b"}) {
      ASSERT_TRUE(opened->store->Append(MakeExample(id)).ok());
    }
    good = Read(kDatasetFileName);
  }
  const std::string good_md = Read(kMarkdownFileName);
  std::string last;
  AppendTFRecord(MakeExample("c").SerializeAsString(), &last);
  for (size_t cut = 1; cut < last.size(); ++cut) {
    SCOPED_TRACE(absl::StrCat("torn after ", cut, " bytes"));
    Write(kDatasetFileName, good + last.substr(0, cut));
    for (const std::string& name : Children()) {
      if (absl::StrContains(name, ".torn-")) {
        ASSERT_TRUE(env_.RemoveFile(Path(name)).ok());
      }
    }
    auto opened = Open();
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ(Ids(*opened), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(opened->report.torn_tail_bytes, static_cast<int64_t>(cut));
    EXPECT_EQ(opened->report.corrupt_records, 0);
    EXPECT_EQ(Read(kDatasetFileName), good);
    const std::string quarantine =
        QuarantineFile(std::string(kDatasetFileName) + ".torn-");
    ASSERT_FALSE(quarantine.empty());
    EXPECT_EQ(Read(quarantine), last.substr(0, cut));
    EXPECT_EQ(Read(kMarkdownFileName), good_md);
  }
  // And appending after the cut works.
  auto opened = Open();
  ASSERT_TRUE(opened.ok());
  ASSERT_TRUE(opened->store->Append(MakeExample("c")).ok());
  opened->store.reset();
  auto reopened = Open();
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(Ids(*reopened), (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(ExampleStoreTest, CorruptMiddleRecordIsReportedKeptAsideAndRemoved) {
  std::vector<uint64_t> offsets;
  {
    auto opened = Open();
    ASSERT_TRUE(opened.ok());
    for (const char* id : {"a", "b", "c", "d"}) {
      auto offset = opened->store->Append(MakeExample(id));
      ASSERT_TRUE(offset.ok());
      offsets.push_back(*offset);
    }
  }
  std::string data = Read(kDatasetFileName);
  const std::string bad_bytes =
      data.substr(offsets[1], offsets[2] - offsets[1]);
  data[offsets[1] + 20] ^= 0x40;  // inside b's payload
  Write(kDatasetFileName, data);

  auto opened = Open();
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(Ids(*opened), (std::vector<std::string>{"a", "c", "d"}));
  EXPECT_EQ(opened->report.corrupt_records, 1);
  EXPECT_EQ(opened->report.corrupt_bytes,
            static_cast<int64_t>(bad_bytes.size()));
  EXPECT_THAT(opened->report.ToString(), HasSubstr("CORRUPT"));
  const std::string quarantine =
      QuarantineFile(std::string(kDatasetFileName) + ".corrupt-");
  ASSERT_FALSE(quarantine.empty());
  std::string kept = Read(quarantine);
  kept[20] ^= 0x40;
  EXPECT_EQ(kept, bad_bytes);
  // The offsets handed to the visitor are valid in the rewritten file.
  for (const auto& [offset, id] : opened->visited) {
    auto e = opened->store->ReadAt(offset);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->id(), id);
  }
  ASSERT_TRUE(opened->store->Append(MakeExample("e")).ok());
  opened->store.reset();

  auto clean = Open();
  ASSERT_TRUE(clean.ok());
  EXPECT_FALSE(clean->report.repaired()) << clean->report.ToString();
  EXPECT_EQ(Ids(*clean), (std::vector<std::string>{"a", "c", "d", "e"}));
  EXPECT_FALSE(env_.FileExists(Path(std::string(kDatasetFileName) + ".tmp")));
}

TEST_F(ExampleStoreTest, MarkdownCatchesUpWhenItLagsOrIsMissing) {
  {
    auto opened = Open();
    ASSERT_TRUE(opened.ok());
    for (const char* id : {"a", "b", "c", "d"}) {
      ASSERT_TRUE(opened->store->Append(MakeExample(id)).ok());
    }
  }
  const std::string full = Read(kMarkdownFileName);
  const std::string two_blocks = FormatExampleMarkdown(MakeExample("a")) +
                                 FormatExampleMarkdown(MakeExample("b"));
  ASSERT_TRUE(absl::StartsWith(full, two_blocks));

  Write(kMarkdownFileName, two_blocks);  // a crash before c and d's blocks
  {
    auto opened = Open();
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(opened->report.markdown_appended, 2);
    EXPECT_EQ(opened->store->markdown_bytes(),
              static_cast<int64_t>(full.size()));
    EXPECT_EQ(opened->store->markdown_lines(),
              std::count(full.begin(), full.end(), '\n'));
  }
  EXPECT_EQ(Read(kMarkdownFileName), full);

  ASSERT_TRUE(env_.RemoveFile(Path(kMarkdownFileName)).ok());
  {
    auto opened = Open();
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(opened->report.markdown_appended, 4);
  }
  EXPECT_EQ(Read(kMarkdownFileName), full);
}

TEST_F(ExampleStoreTest, TornMarkdownBlockIsCutQuarantinedAndRewritten) {
  ASSERT_NO_FATAL_FAILURE(StoreABC());
  const std::string full = Read(kMarkdownFileName);
  const size_t c_start =
      full.size() - FormatExampleMarkdown(MakeExample("c")).size();
  const std::string torn = full.substr(0, c_start + 150);
  Write(kMarkdownFileName, torn);
  {
    auto opened = Open();
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(opened->report.markdown_torn_bytes, 150);
    EXPECT_EQ(opened->report.markdown_appended, 1);
  }
  EXPECT_EQ(Read(kMarkdownFileName), full);
  const std::string quarantine =
      QuarantineFile(std::string(kMarkdownFileName) + ".torn-");
  ASSERT_FALSE(quarantine.empty());
  EXPECT_EQ(Read(quarantine), torn.substr(c_start));

  // Only the final blank line lost: a separator is added, nothing cut.
  Write(kMarkdownFileName, full.substr(0, full.size() - 1));
  {
    auto opened = Open();
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(opened->report.markdown_torn_bytes, 0);
    ASSERT_TRUE(opened->store->Append(MakeExample("d")).ok());
  }
  EXPECT_EQ(Read(kMarkdownFileName),
            full + FormatExampleMarkdown(MakeExample("d")));
}

TEST_F(ExampleStoreTest, RebuildMarkdownRegeneratesItFromTheDataset) {
  std::string expected, expected_negative;
  {
    auto opened = Open();
    ASSERT_TRUE(opened.ok());
    for (int i = 0; i < 4; ++i) {
      const v1::Example e = MakeExample(absl::StrCat("r", i), i % 2 == 0);
      ASSERT_TRUE(opened->store->Append(e).ok());
      (i % 2 == 0 ? expected : expected_negative) += FormatExampleMarkdown(e);
    }
    // Refused while a store holds the dir.
    EXPECT_TRUE(absl::IsFailedPrecondition(
        RebuildMarkdown(&env_, dir_.path() + "/data", false)));
  }
  Write(kMarkdownFileName, "garbage that is not ours\n");
  int64_t written = 0;
  ASSERT_TRUE(
      RebuildMarkdown(&env_, dir_.path() + "/data", true, &written).ok());
  EXPECT_EQ(written, 4);
  EXPECT_EQ(Read(kMarkdownFileName), expected);
  EXPECT_EQ(Read(kNegativeMarkdownFileName), expected_negative);
  EXPECT_FALSE(env_.FileExists(Path(std::string(kMarkdownFileName) + ".tmp")));
  EXPECT_TRUE(absl::IsNotFound(
      RebuildMarkdown(&env_, dir_.path() + "/nowhere", false)));
}

// The files hold exactly what the store acknowledged.
void ExpectFilesMatchStore(Env* env, ExampleStore* store,
                           const std::string& dataset_path,
                           const std::string& markdown_path) {
  std::string data, md;
  ASSERT_TRUE(ReadFileToString(env, dataset_path, &data).ok());
  ASSERT_TRUE(ReadFileToString(env, markdown_path, &md).ok());
  EXPECT_EQ(static_cast<int64_t>(data.size()), store->dataset_bytes());
  EXPECT_EQ(static_cast<int64_t>(md.size()), store->markdown_bytes());
}

TEST_F(ExampleStoreTest, InjectedFaultsLeaveNoPartialRecordAndHeal) {
  struct Fault {
    std::string name;
    std::function<void(FaultInjectionEnv*)> inject;
    absl::StatusCode code;
    std::string message;
  };
  const std::vector<Fault> faults = {
      {"ENOSPC on the dataset",
       [](FaultInjectionEnv* e) { e->FailWrites(kDatasetFileName, ENOSPC); },
       absl::StatusCode::kResourceExhausted, "disk full"},
      {"short write then ENOSPC",
       [](FaultInjectionEnv* e) {
         e->FailWrites(kDatasetFileName, ENOSPC, 30);
       },
       absl::StatusCode::kResourceExhausted, "No space left on device"},
      {"short write then EIO",
       [](FaultInjectionEnv* e) { e->FailWrites(kDatasetFileName, EIO, 7); },
       absl::StatusCode::kUnavailable, "Input/output error"},
      {"fsync fails",
       [](FaultInjectionEnv* e) { e->FailSyncs(kDatasetFileName, EIO); },
       absl::StatusCode::kUnavailable, "fsync"},
      {"Markdown disk full after the dataset was written",
       [](FaultInjectionEnv* e) {
         e->FailWrites(kMarkdownFileName, ENOSPC, 5);
       },
       absl::StatusCode::kResourceExhausted, kMarkdownFileName},
      {"short write and the rollback truncate fails too",
       [](FaultInjectionEnv* e) {
         e->FailWrites(kDatasetFileName, EIO, 40);
         e->FailTruncates(kDatasetFileName, EIO);
       },
       absl::StatusCode::kUnavailable, "write"},
  };
  std::vector<std::string> acked;
  auto opened = Open();
  ASSERT_TRUE(opened.ok());
  ExampleStore* store = opened->store.get();
  ASSERT_TRUE(store->Append(MakeExample("first")).ok());
  acked.push_back("first");
  for (const Fault& fault : faults) {
    SCOPED_TRACE(fault.name);
    const int64_t size_before = store->dataset_bytes();
    fault.inject(&env_);
    auto result = store->Append(MakeExample("never-" + fault.name));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), fault.code) << result.status();
    EXPECT_THAT(std::string(result.status().message()),
                HasSubstr(fault.message));
    EXPECT_EQ(store->dataset_bytes(), size_before);
    // When even the rollback failed, the tail is cut by the next append.
    if (fault.name.find("truncate fails") == std::string::npos) {
      ExpectFilesMatchStore(&env_, store, Path(kDatasetFileName),
                            Path(kMarkdownFileName));
    }
    env_.Heal();
    const std::string id = absl::StrCat("after-heal-", acked.size());
    ASSERT_TRUE(store->Append(MakeExample(id)).ok());
    acked.push_back(id);
    ExpectFilesMatchStore(&env_, store, Path(kDatasetFileName),
                          Path(kMarkdownFileName));
  }
  opened->store.reset();
  auto reopened = Open();
  ASSERT_TRUE(reopened.ok());
  EXPECT_FALSE(reopened->report.repaired()) << reopened->report.ToString();
  EXPECT_EQ(Ids(*reopened), acked);
  const std::string md = Read(kMarkdownFileName);
  EXPECT_EQ(CountOccurrences(md, "Example Captured"),
            static_cast<int>(acked.size()));
  EXPECT_EQ(md.find("never-"), std::string::npos);
}

TEST_F(ExampleStoreTest, ConcurrentAppendsShareFsyncsAndAllLandOnce) {
  env_.SetSyncDelay(absl::Milliseconds(2));  // a slow disk
  constexpr int kThreads = 8, kPerThread = 25;
  std::vector<std::vector<uint64_t>> offsets(kThreads);
  {
    auto opened = Open(SyncPolicy::kAlways);
    ASSERT_TRUE(opened.ok());
    const int64_t syncs_before = env_.sync_count(kDatasetFileName);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          auto offset =
              opened->store->Append(MakeExample(absl::StrCat("t", t, "-", i)));
          ASSERT_TRUE(offset.ok()) << offset.status();
          offsets[t].push_back(*offset);
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    const int64_t syncs = env_.sync_count(kDatasetFileName) - syncs_before;
    EXPECT_GE(syncs, 1);
    EXPECT_LT(syncs, kThreads * kPerThread) << "no group commit";
    for (int t = 0; t < kThreads; ++t) {
      for (int i = 0; i < kPerThread; ++i) {
        auto e = opened->store->ReadAt(offsets[t][i]);
        ASSERT_TRUE(e.ok());
        EXPECT_EQ(e->id(), absl::StrCat("t", t, "-", i));
      }
    }
  }
  auto reopened = Open();
  ASSERT_TRUE(reopened.ok());
  absl::flat_hash_map<std::string, int> seen;
  for (const std::string& id : Ids(*reopened)) seen[id]++;
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kPerThread));
  for (const auto& [id, count] : seen) EXPECT_EQ(count, 1) << id;
  EXPECT_EQ(CountOccurrences(Read(kMarkdownFileName), "Example Captured"),
            kThreads * kPerThread);
  EXPECT_EQ(reopened->report.markdown_appended, 0);
}

TEST_F(ExampleStoreTest, BatchAndNoneDoNotSyncOnTheAppendPath) {
  for (SyncPolicy policy : {SyncPolicy::kBatch, SyncPolicy::kNone}) {
    TempDir dir;
    ExampleStore::Options options;
    options.data_dir = dir.path();
    options.sync = policy;
    auto store = ExampleStore::Open(&env_, options, nullptr, nullptr);
    ASSERT_TRUE(store.ok());
    // An append that waited for fsync would fail with the fsync's error;
    // these must not. (With kBatch the background fsync, every 5 ms, fails
    // too and then refuses further appends, as it should: a slow machine
    // may get there before all 20 are in, so stop at that refusal.)
    env_.FailSyncs(dir.path(), EIO);
    const int64_t syncs_before = env_.sync_count(dir.path());
    int appended = 0;
    for (int i = 0; i < 20; ++i) {
      auto offset = (*store)->Append(MakeExample(absl::StrCat("b", i)));
      if (!offset.ok() && policy == SyncPolicy::kBatch &&
          absl::StrContains(offset.status().message(), "background fsync")) {
        break;
      }
      ASSERT_TRUE(offset.ok()) << offset.status();
      ++appended;
    }
    EXPECT_GT(appended, 0);
    if (policy == SyncPolicy::kNone) {
      EXPECT_EQ(appended, 20);
      EXPECT_EQ(env_.sync_count(dir.path()), syncs_before);
    }
    env_.Heal();
    store->reset();
    int records = 0;
    auto reopened = ExampleStore::Open(
        &env_, options, [&](uint64_t, const ExampleSummaryView&) { ++records; },
        nullptr);
    ASSERT_TRUE(reopened.ok());
    EXPECT_EQ(records, appended);
  }
}

// The index entries (record entries and state markers) of examples.index.
std::vector<v1::ExampleIndexEntry> IndexEntries(const std::string& bytes,
                                                uint64_t* clean = nullptr) {
  std::vector<v1::ExampleIndexEntry> entries;
  const uint64_t n =
      ScanTFRecords(bytes, [&](uint64_t, absl::string_view data) {
        entries.emplace_back().ParseFromArray(data.data(),
                                              static_cast<int>(data.size()));
      });
  if (clean != nullptr) *clean = n;
  return entries;
}

std::string FrameIndex(const std::vector<v1::ExampleIndexEntry>& entries) {
  std::string bytes;
  for (const v1::ExampleIndexEntry& entry : entries) {
    AppendTFRecord(entry.SerializeAsString(), &bytes);
  }
  return bytes;
}

TEST_F(ExampleStoreTest, IndexHoldsEveryRecordAndTheMarkdownState) {
  ASSERT_NO_FATAL_FAILURE(StoreABC());
  std::vector<v1::ExampleIndexEntry> records;
  for (const v1::ExampleIndexEntry& entry :
       IndexEntries(Read(kIndexFileName))) {
    if (entry.length() > 0) records.push_back(entry);
  }
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].summary().id(), "b");
  EXPECT_EQ(records[1].summary().session_id(), "session-b");
  EXPECT_EQ(records[1].summary().assistant_turn_id(), "a-b");
  EXPECT_EQ(records[1].offset(), records[0].offset() + records[0].length());
  const v1::ExampleIndexEntry last = IndexEntries(Read(kIndexFileName)).back();
  EXPECT_EQ(last.length(), 0u);
  ASSERT_EQ(last.markdown_size(), 2);
  EXPECT_EQ(last.markdown(0).bytes(), Read(kMarkdownFileName).size());
  EXPECT_FALSE(last.markdown(1).enabled());
}

TEST_F(ExampleStoreTest, IndexServesSummariesOnlyWhileItMatchesTheRecord) {
  ASSERT_NO_FATAL_FAILURE(StoreABC());
  // An index entry whose record is unchanged is taken as it is: the cache
  // is what a restart reads instead of the record.
  std::vector<v1::ExampleIndexEntry> entries =
      IndexEntries(Read(kIndexFileName));
  auto b = std::find_if(entries.begin(), entries.end(),
                        [](const auto& e) { return e.summary().id() == "b"; });
  ASSERT_NE(b, entries.end());
  b->mutable_summary()->set_id("cached-b");
  Write(kIndexFileName, FrameIndex(entries));
  {
    auto opened = Open();
    ASSERT_TRUE(opened.ok());
    EXPECT_THAT(Ids(*opened), ::testing::ElementsAre("a", "cached-b", "c"));
  }
  // One that does not match its record (another CRC) is not, nor is any
  // entry after it; the index is rewritten from the records.
  b->mutable_summary()->set_id("b");
  b->set_masked_crc(b->masked_crc() ^ 1);
  const size_t c_index = (b - entries.begin()) + 2;  // after b's marker
  ASSERT_LT(c_index, entries.size());
  entries[c_index].mutable_summary()->set_id("cached-c");
  Write(kIndexFileName, FrameIndex(entries));
  {
    auto opened = Open();
    ASSERT_TRUE(opened.ok());
    EXPECT_THAT(Ids(*opened), ::testing::ElementsAre("a", "b", "c"));
    EXPECT_FALSE(opened->report.repaired());
  }
  {
    auto opened = Open();
    ASSERT_TRUE(opened.ok());
    EXPECT_THAT(Ids(*opened), ::testing::ElementsAre("a", "b", "c"));
  }
  int records = 0;
  for (const auto& entry : IndexEntries(Read(kIndexFileName))) {
    records += entry.length() > 0;
  }
  EXPECT_EQ(records, 3);
}

TEST_F(ExampleStoreTest, IndexWithoutKeysIsRewrittenWithThem) {
  ASSERT_NO_FATAL_FAILURE(StoreABC());
  // Every record entry carries the keys the service maps it by.
  std::vector<v1::ExampleIndexEntry> entries =
      IndexEntries(Read(kIndexFileName));
  for (const auto& entry : entries) {
    if (entry.length() == 0) continue;
    EXPECT_EQ(entry.summary().keys_version(), kExampleKeysVersion);
    const ExampleKeys want =
        KeysOf(SummaryOf(MakeExample(entry.summary().id())));
    ExampleSummaryView view = ViewOf(entry.summary());
    ASSERT_TRUE(HasCurrentKeys(view));
    EXPECT_EQ(KeysOf(view).id, want.id);
    EXPECT_EQ(KeysOf(view).credit, want.credit);
  }
  // An index from before the keys (or with another version of them) from
  // b on: a and its marker are kept, b and c are served from the index and
  // written again with their keys.
  int record = 0;
  for (auto& entry : entries) {
    if (entry.length() == 0 || record++ == 0) continue;
    entry.mutable_summary()->clear_keys();
    entry.mutable_summary()->clear_keys_version();
    entry.mutable_summary()->set_id(entry.summary().id() == "b" ? "cached-b"
                                                                : "cached-c");
  }
  Write(kIndexFileName, FrameIndex(entries));
  {
    auto opened = Open();
    ASSERT_TRUE(opened.ok());
    EXPECT_THAT(Ids(*opened),
                ::testing::ElementsAre("a", "cached-b", "cached-c"));
    EXPECT_FALSE(opened->report.repaired());
  }
  std::vector<std::string> ids;
  for (const auto& entry : IndexEntries(Read(kIndexFileName))) {
    if (entry.length() == 0) continue;
    ids.push_back(entry.summary().id());
    EXPECT_TRUE(HasCurrentKeys(ViewOf(entry.summary())))
        << entry.summary().id();
  }
  EXPECT_THAT(ids, ::testing::ElementsAre("a", "cached-b", "cached-c"));
  // The Markdown was not read again (its state was still valid), and the
  // next start takes everything from the index as it is.
  auto opened = Open();
  ASSERT_TRUE(opened.ok());
  EXPECT_THAT(Ids(*opened),
              ::testing::ElementsAre("a", "cached-b", "cached-c"));
}

TEST_F(ExampleStoreTest, CrashBeforeTheIndexWasWrittenIsCaughtUp) {
  std::string index_after_b;
  {
    auto opened = Open();
    ASSERT_TRUE(opened.ok());
    ASSERT_TRUE(opened->store->Append(MakeExample("a")).ok());
    ASSERT_TRUE(opened->store->Append(MakeExample("b")).ok());
    index_after_b = Read(kIndexFileName);
    ASSERT_TRUE(opened->store->Append(MakeExample("c")).ok());
  }
  const std::string full = Read(kMarkdownFileName);

  // c reached the dataset and the Markdown, not the index.
  Write(kIndexFileName, index_after_b);
  {
    auto opened = Open();
    ASSERT_TRUE(opened.ok());
    EXPECT_THAT(Ids(*opened), ::testing::ElementsAre("a", "b", "c"));
    EXPECT_EQ(opened->report.markdown_appended, 0);
    EXPECT_EQ(opened->store->markdown_lines(),
              std::count(full.begin(), full.end(), '\n'));
  }
  EXPECT_EQ(Read(kMarkdownFileName), full);

  // c reached only the dataset: its block is written now.
  Write(kIndexFileName, index_after_b);
  Write(kMarkdownFileName,
        full.substr(
            0, full.size() - FormatExampleMarkdown(MakeExample("c")).size()));
  {
    auto opened = Open();
    ASSERT_TRUE(opened.ok());
    EXPECT_THAT(Ids(*opened), ::testing::ElementsAre("a", "b", "c"));
    EXPECT_EQ(opened->report.markdown_appended, 1);
    EXPECT_EQ(opened->store->markdown_bytes(),
              static_cast<int64_t>(full.size()));
  }
  EXPECT_EQ(Read(kMarkdownFileName), full);
}

TEST_F(ExampleStoreTest, TornIndexIsCutAndCompleted) {
  ASSERT_NO_FATAL_FAILURE(StoreABC());
  const std::string index = Read(kIndexFileName);
  for (size_t cut : {size_t{1}, size_t{30}, index.size() / 2}) {
    Write(kIndexFileName, index.substr(0, index.size() - cut));
    auto opened = Open();
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_THAT(Ids(*opened), ::testing::ElementsAre("a", "b", "c"));
    EXPECT_EQ(opened->report.markdown_appended, 0);
    EXPECT_FALSE(opened->report.repaired());
    opened->store.reset();
    uint64_t clean = 0;
    const std::string rebuilt = Read(kIndexFileName);
    int records = 0;
    for (const auto& entry : IndexEntries(rebuilt, &clean)) {
      records += entry.length() > 0;
    }
    EXPECT_EQ(clean, rebuilt.size());
    EXPECT_EQ(records, 3);
  }
}

TEST_F(ExampleStoreTest, RebuildMarkdownDropsTheIndex) {
  {
    auto opened = Open();
    ASSERT_TRUE(opened.ok());
    ASSERT_TRUE(opened->store->Append(MakeExample("a")).ok());
  }
  ASSERT_TRUE(env_.FileExists(Path(kIndexFileName)));
  ASSERT_TRUE(RebuildMarkdown(&env_, dir_.path() + "/data", false).ok());
  EXPECT_FALSE(env_.FileExists(Path(kIndexFileName)));
  auto opened = Open();
  ASSERT_TRUE(opened.ok());
  EXPECT_THAT(Ids(*opened), ::testing::ElementsAre("a"));
  EXPECT_TRUE(env_.FileExists(Path(kIndexFileName)));
}

TEST_F(ExampleStoreTest, ReportToStringSaysWhatWasFound) {
  RecoveryReport report;
  report.records = 7;
  report.torn_tail_bytes = 12;
  report.corrupt_records = 1;
  report.corrupt_bytes = 99;
  report.problems.push_back("detail line");
  report.quarantine_files.push_back("/x/examples.tfrecord.torn-1");
  const std::string text = report.ToString();
  EXPECT_THAT(text, HasSubstr("7 good records"));
  EXPECT_THAT(text, HasSubstr("CORRUPT: 1"));
  EXPECT_THAT(text, HasSubstr("torn tail of 12 bytes"));
  EXPECT_THAT(text, HasSubstr("detail line"));
  EXPECT_THAT(text, HasSubstr("examples.tfrecord.torn-1"));
}

// Issue 13: two records sharing an id (the old 64-bit ids could collide)
// got one Markdown block between them once the Markdown and the index were
// deleted: recovery rebuilt 15 blocks for 16 examples without a word.
TEST_F(ExampleStoreTest, RecoveryWritesABlockForEveryRecordEvenWithSharedIds) {
  {
    auto opened = Open();
    ASSERT_TRUE(opened.ok());
    v1::Example twin = MakeExample("ex-shared");
    ASSERT_TRUE(opened->store->Append(twin).ok());
    twin.set_session_id("another session");
    ASSERT_TRUE(opened->store->Append(twin).ok());
    ASSERT_TRUE(opened->store->Append(MakeExample("ex-other")).ok());
  }
  ASSERT_TRUE(env_.RemoveFile(Path(kMarkdownFileName)).ok());
  ASSERT_TRUE(env_.RemoveFile(Path(kIndexFileName)).ok());
  auto reopened = Open();
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(reopened->report.markdown_appended, 3);
  EXPECT_EQ(CountOccurrences(Read(kMarkdownFileName), "\n## Example Captured"),
            3);
}

// A Markdown whose blocks do not match the dataset (edited by hand, or
// written by an older version) is reported loudly, not passed over.
TEST_F(ExampleStoreTest, RecoveryReportsAMarkdownThatDisagreesWithTheDataset) {
  {
    auto opened = Open();
    ASSERT_TRUE(opened.ok());
    ASSERT_TRUE(opened->store->Append(MakeExample("ex-1")).ok());
    ASSERT_TRUE(opened->store->Append(MakeExample("ex-2")).ok());
  }
  // A block for an example the dataset does not hold.
  Write(kMarkdownFileName,
        Read(kMarkdownFileName) + FormatExampleMarkdown(MakeExample("ex-9")));
  ASSERT_TRUE(env_.RemoveFile(Path(kIndexFileName)).ok());
  auto reopened = Open();
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  const std::string report = reopened->report.ToString();
  EXPECT_THAT(report, HasSubstr("MARKDOWN MISMATCH"));
  EXPECT_THAT(report, HasSubstr("3 example blocks for 2 positive examples"));
}

// rebuild-markdown checks what it wrote against the dataset, and says so
// when records could not be read instead of rebuilding without them quietly.
TEST_F(ExampleStoreTest, RebuildMarkdownReportsUnreadableRecords) {
  {
    auto opened = Open();
    ASSERT_TRUE(opened.ok());
    ASSERT_TRUE(opened->store->Append(MakeExample("ex-1")).ok());
    ASSERT_TRUE(opened->store->Append(MakeExample("ex-2")).ok());
    ASSERT_TRUE(opened->store->Append(MakeExample("ex-3")).ok());
  }
  std::string dataset = Read(kDatasetFileName);
  dataset[dataset.size() / 2] ^= 0x55;  // the middle record goes bad
  Write(kDatasetFileName, dataset);
  int64_t written = 0;
  absl::Status status =
      RebuildMarkdown(&env_, dir_.path() + "/data", false, &written);
  EXPECT_TRUE(absl::IsDataLoss(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("could not be read"));
  EXPECT_EQ(written, 2);
  EXPECT_EQ(CountOccurrences(Read(kMarkdownFileName), "\n## Example Captured"),
            2);
}

}  // namespace
}  // namespace ftcapture
