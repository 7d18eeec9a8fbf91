// Compaction of a data dir (src/storage/compaction.h) at the library level:
// what it keeps and removes, and the crash switch interrupted after each of
// its steps, with recovery finishing or rolling it back.

#include "src/storage/compaction.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/storage/data_dir_files.h"
#include "src/storage/deletion_log.h"
#include "src/storage/example_store.h"
#include "src/storage/markdown_format.h"
#include "src/storage/markdown_rebuild.h"
#include "src/storage/review_log.h"
#include "src/util/env.h"
#include "tests/util/examples.h"
#include "tests/util/temp_dir.h"
#include "tests/util/text_files.h"

namespace ftcapture {
namespace {

using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

// Every text secret, so a grep after an erasure finds where each went.
v1::Example MakeExample(const std::string& id, bool positive = true) {
  v1::Example e =
      TestExample(id, positive,
                  {"secret question of " + id, "secret reply of " + id,
                   "secret prompt of " + id});
  e.mutable_assistant_turn()->add_memories()->set_text("secret memory of " +
                                                       id);
  (*e.mutable_metadata())["user_id"] = "secret-user-" + id;
  return e;
}

class CompactionTest : public ::testing::Test {
 protected:
  std::string DataDir() const { return dir_.path() + "/data" + suffix_; }
  std::string Path(const std::string& name) const {
    return DataDir() + "/" + name;
  }

  absl::StatusOr<std::unique_ptr<ExampleStore>> Open(
      std::vector<std::pair<uint64_t, std::string>>* visited,
      RecoveryReport* report = nullptr) {
    ExampleStore::Options options;
    options.data_dir = DataDir();
    options.negative_markdown = true;
    return ExampleStore::Open(
        env_, options,
        [visited](uint64_t offset, const ExampleSummaryView& e) {
          if (visited != nullptr) visited->emplace_back(offset, e.id);
        },
        report);
  }

  // Writes `count` examples (every third negative), reviews two of them,
  // and tombstones those whose number is in `deleted`.
  void Fill(int count, const std::vector<int>& deleted) {
    auto store = Open(nullptr);
    ASSERT_TRUE(store.ok()) << store.status();
    std::vector<uint64_t> offsets;
    for (int i = 0; i < count; ++i) {
      auto offset = (*store)->Append(MakeExample(Id(i), i % 3 != 2));
      ASSERT_TRUE(offset.ok()) << offset.status();
      offsets.push_back(*offset);
    }
    std::vector<v1::Tombstone> tombstones;
    for (int i : deleted) {
      v1::Tombstone& t = tombstones.emplace_back();
      t.set_example_id(Id(i));
      t.set_offset(offsets[i]);
    }
    ASSERT_TRUE((*store)->Delete(tombstones).ok());
    auto reviews = ReviewLog::Open(env_, DataDir(), nullptr);
    ASSERT_TRUE(reviews.ok());
    for (int i : {0, 1}) {
      v1::ReviewRecord review;
      review.set_example_id(Id(i));
      review.set_status(v1::REVIEW_STATUS_APPROVED);
      review.set_note("secret review note of " + Id(i));
      ASSERT_TRUE((*reviews)->Append(review).ok());
    }
  }

  static std::string Id(int i) { return absl::StrCat("ex", i); }

  // The ids a fresh open visits, in file order.
  std::vector<std::string> VisibleIds(RecoveryReport* report = nullptr) {
    std::vector<std::pair<uint64_t, std::string>> visited;
    auto store = Open(&visited, report);
    EXPECT_TRUE(store.ok()) << store.status();
    std::vector<std::string> ids;
    for (const auto& [offset, id] : visited) ids.push_back(id);
    return ids;
  }

  // Files of the data dir whose bytes contain `needle`.
  std::vector<std::string> FilesContaining(const std::string& needle) {
    std::vector<std::string> found;
    auto names = env_->GetChildren(DataDir());
    EXPECT_TRUE(names.ok());
    for (const std::string& name : *names) {
      if (absl::StrContains(ReadFileOrEmpty(Path(name)), needle)) {
        found.push_back(name);
      }
    }
    return found;
  }

  std::vector<std::string> LeftoverFiles() {
    std::vector<std::string> left;
    auto names = env_->GetChildren(DataDir());
    EXPECT_TRUE(names.ok());
    for (const std::string& name : *names) {
      if (absl::EndsWith(name, kCompactionSuffix) ||
          absl::StartsWith(name, kCompactionManifestFileName) ||
          absl::EndsWith(name, ".tmp")) {
        left.push_back(name);
      }
    }
    return left;
  }

  TempDir dir_;
  std::string suffix_;  // a fresh data dir per round of a test
  Env* env_ = Env::Default();
};

TEST_F(CompactionTest, RemovesTombstonedExamplesFromEveryFile) {
  Fill(9, {1, 2, 5});
  const std::vector<std::string> kept = {"ex0", "ex3", "ex4",
                                         "ex6", "ex7", "ex8"};
  EXPECT_THAT(VisibleIds(), ElementsAreArray(kept));
  EXPECT_THAT(FilesContaining("secret reply of ex5"),
              ::testing::Not(IsEmpty()));

  CompactionOptions options;
  options.negative_markdown = true;
  auto result = CompactDataDir(env_, DataDir(), options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->removed, 3);
  EXPECT_EQ(result->kept, 6);
  EXPECT_LT(result->bytes_after, result->bytes_before);
  ASSERT_EQ(result->moved.size(), 6u);

  for (int i : {1, 2, 5}) {
    for (const char* what :
         {"secret question of ", "secret reply of ", "secret prompt of ",
          "secret memory of ", "secret-user-", "secret review note of "}) {
      EXPECT_THAT(FilesContaining(absl::StrCat(what, Id(i), "\n")), IsEmpty());
      EXPECT_THAT(FilesContaining(absl::StrCat(what, Id(i), "\"")), IsEmpty());
    }
    EXPECT_THAT(FilesContaining(absl::StrCat("secret reply of ", Id(i))),
                IsEmpty());
  }
  // The review of a kept example stays, that of a deleted one goes.
  EXPECT_THAT(FilesContaining("secret review note of ex0"),
              ElementsAreArray({std::string(kReviewLogFileName)}));
  EXPECT_THAT(FilesContaining("secret review note of ex1"), IsEmpty());
  EXPECT_THAT(LeftoverFiles(), IsEmpty());

  RecoveryReport report;
  EXPECT_THAT(VisibleIds(&report), ElementsAreArray(kept));
  EXPECT_FALSE(report.repaired()) << report.ToString();
  EXPECT_EQ(report.deleted_records, 0);
  // The Markdown is what a rebuild from the new dataset makes.
  const std::string markdown = ReadFileOrEmpty(Path(kMarkdownFileName));
  const std::string negative = ReadFileOrEmpty(Path(kNegativeMarkdownFileName));
  ASSERT_TRUE(RebuildMarkdown(env_, DataDir(), true).ok());
  EXPECT_EQ(markdown, ReadFileOrEmpty(Path(kMarkdownFileName)));
  EXPECT_EQ(negative, ReadFileOrEmpty(Path(kNegativeMarkdownFileName)));
  // The totals stay; the tombstones are gone, so compacting again is a no-op.
  auto deletions = LoadDeletions(env_, DataDir());
  ASSERT_TRUE(deletions.ok());
  EXPECT_EQ(deletions->compacted_examples, 3);
  EXPECT_EQ(deletions->compactions, 1);
  EXPECT_TRUE(deletions->tombstones.empty());
  auto again = CompactDataDir(env_, DataDir(), options);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->ran());
}

TEST_F(CompactionTest, ExampleCapturedAgainAfterItsDeletionStays) {
  Fill(3, {1});
  {
    auto store = Open(nullptr);
    ASSERT_TRUE(store.ok());
    // Same id, stored after the tombstone: not hidden by it.
    ASSERT_TRUE((*store)->Append(MakeExample("ex1")).ok());
  }
  EXPECT_THAT(VisibleIds(), ElementsAreArray({"ex0", "ex2", "ex1"}));
  auto result = CompactDataDir(env_, DataDir(), CompactionOptions());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->removed, 1);
  EXPECT_THAT(VisibleIds(), ElementsAreArray({"ex0", "ex2", "ex1"}));
}

TEST_F(CompactionTest, RefusesWhileTheDirIsInUse) {
  Fill(3, {1});
  auto store = Open(nullptr);
  ASSERT_TRUE(store.ok());
  auto result = CompactDataDir(env_, DataDir(), CompactionOptions());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
}

// A crash after each step of the switch: the next open finishes or rolls
// back, the deleted examples never come back, the others are all there once,
// no temporary file is left, and the files agree with each other.
TEST_F(CompactionTest, CrashAfterEveryStepOfTheSwitch) {
  const std::vector<std::string> kept = {"ex0", "ex2", "ex3",
                                         "ex5", "ex6", "ex7"};
  suffix_ = "-steps";
  Fill(8, {1, 4});
  const int steps = CompactionSwitchSteps(env_, DataDir(), true);
  ASSERT_EQ(steps, 3 + 6);
  for (int step = 1; step <= steps; ++step) {
    SCOPED_TRACE(absl::StrCat("crash after step ", step));
    suffix_ = absl::StrCat("-", step);
    Fill(8, {1, 4});
    CompactionOptions options;
    options.negative_markdown = true;
    options.crash_after_step = step;
    auto crashed = CompactDataDir(env_, DataDir(), options);
    if (step < steps) {
      ASSERT_EQ(crashed.status().code(), absl::StatusCode::kAborted)
          << crashed.status();
    } else {
      ASSERT_TRUE(crashed.ok()) << crashed.status();  // past the last step
    }
    RecoveryReport report;
    EXPECT_THAT(VisibleIds(&report), ElementsAreArray(kept));
    EXPECT_FALSE(report.repaired()) << report.ToString();
    EXPECT_THAT(LeftoverFiles(), IsEmpty());
    // Committed (the manifest was written): the bytes are gone; else they
    // wait, hidden, for the next compaction.
    const bool committed = step >= 2;
    EXPECT_EQ(FilesContaining("secret reply of ex4").empty(), committed);
    EXPECT_EQ(report.deleted_records, committed ? 0 : 2);
    options.crash_after_step = 0;
    auto finish = CompactDataDir(env_, DataDir(), options);
    ASSERT_TRUE(finish.ok()) << finish.status();
    EXPECT_EQ(finish->removed, committed ? 0 : 2);
    EXPECT_THAT(FilesContaining("secret reply of ex4"), IsEmpty());
    EXPECT_THAT(VisibleIds(), ElementsAreArray(kept));
  }
}

}  // namespace
}  // namespace ftcapture
