// Merging what several replicas (shards) hold: streams by id and capture
// time, GetStats added up, and a data dir read offline with its reviews.

#include "src/tools/shard_merge.h"

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "ftcapture/v1/storage.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/storage/example_store.h"
#include "src/storage/review_log.h"
#include "src/util/env.h"
#include "src/util/proto_time.h"
#include "tests/util/temp_dir.h"

namespace ftcapture {
namespace {

using ::testing::ElementsAre;

v1::Example MakeExample(const std::string& id, int64_t seconds,
                        v1::Label label = v1::LABEL_POSITIVE) {
  v1::Example example;
  example.set_id(id);
  *example.mutable_captured_at() =
      ToProtoTime(absl::FromUnixSeconds(1700000000 + seconds));
  example.set_session_id("s-" + id);
  example.mutable_assistant_turn()->set_text("reply of " + id);
  example.set_label(label);
  return example;
}

ExampleStream FromVector(std::vector<v1::Example> examples) {
  auto remaining = std::make_shared<std::vector<v1::Example>>(examples.rbegin(),
                                                              examples.rend());
  return [remaining](v1::Example* out) -> absl::StatusOr<bool> {
    if (remaining->empty()) return false;
    *out = remaining->back();
    remaining->pop_back();
    return true;
  };
}

std::vector<std::string> MergedIds(std::vector<ExampleStream> streams,
                                   int64_t* duplicates = nullptr) {
  std::vector<std::string> ids;
  absl::Status status = MergeExampleStreams(
      std::move(streams),
      [&ids](const v1::Example& example) {
        ids.push_back(example.id());
        return absl::OkStatus();
      },
      duplicates);
  EXPECT_TRUE(status.ok()) << status;
  return ids;
}

TEST(MergeExampleStreamsTest, InterleavesByTimeAndKeepsEachIdOnce) {
  std::vector<ExampleStream> streams;
  streams.push_back(FromVector({MakeExample("a", 1), MakeExample("c", 3)}));
  streams.push_back(FromVector(
      {MakeExample("b", 2), MakeExample("c", 3), MakeExample("d", 4)}));
  streams.push_back(FromVector({}));
  int64_t duplicates = 0;
  EXPECT_THAT(MergedIds(std::move(streams), &duplicates),
              ElementsAre("a", "b", "c", "d"));
  EXPECT_EQ(duplicates, 1);
}

TEST(MergeExampleStreamsTest, StopsAtTheFirstError) {
  std::vector<ExampleStream> streams;
  streams.push_back(FromVector({MakeExample("a", 1)}));
  streams.push_back([](v1::Example*) -> absl::StatusOr<bool> {
    return absl::UnavailableError("replica down");
  });
  absl::Status status = MergeExampleStreams(
      std::move(streams), [](const v1::Example&) { return absl::OkStatus(); });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
}

TEST(MergeStatsTest, AddsUpCountersAndKeepsTheNewestRecentExamples) {
  v1::GetStatsResponse a, b;
  a.set_examples_total(3);
  a.set_turns_seen(10);
  a.set_live_window_bytes(100);
  a.add_examples_per_day()->set_date("2026-01-01");
  a.mutable_examples_per_day(0)->set_examples(2);
  a.add_examples_per_day()->set_date("2026-01-02");
  a.mutable_examples_per_day(1)->set_examples(1);
  *a.mutable_first_example_at() = ToProtoTime(absl::FromUnixSeconds(100));
  *a.mutable_last_example_at() = ToProtoTime(absl::FromUnixSeconds(300));
  for (int i = 0; i < 3; ++i) {
    *a.add_recent_examples() = MakeExample("a" + std::to_string(i), i * 10);
  }
  b.set_examples_total(4);
  b.set_turns_seen(5);
  b.set_live_window_bytes(50);
  b.add_examples_per_day()->set_date("2026-01-02");
  b.mutable_examples_per_day(0)->set_examples(4);
  *b.mutable_first_example_at() = ToProtoTime(absl::FromUnixSeconds(50));
  *b.mutable_last_example_at() = ToProtoTime(absl::FromUnixSeconds(200));
  for (int i = 0; i < 4; ++i) {
    *b.add_recent_examples() = MakeExample("b" + std::to_string(i), i * 10 + 5);
  }

  v1::GetStatsResponse merged = MergeStats({a, b});
  EXPECT_EQ(merged.examples_total(), 7);
  EXPECT_EQ(merged.turns_seen(), 15);
  EXPECT_EQ(merged.live_window_bytes(), 150);
  ASSERT_EQ(merged.examples_per_day_size(), 2);
  EXPECT_EQ(merged.examples_per_day(0).examples(), 2);
  EXPECT_EQ(merged.examples_per_day(1).date(), "2026-01-02");
  EXPECT_EQ(merged.examples_per_day(1).examples(), 5);
  EXPECT_EQ(FromProtoTime(merged.first_example_at()),
            absl::FromUnixSeconds(50));
  EXPECT_EQ(FromProtoTime(merged.last_example_at()),
            absl::FromUnixSeconds(300));
  std::vector<std::string> recent;
  for (const v1::Example& e : merged.recent_examples())
    recent.push_back(e.id());
  EXPECT_THAT(recent, ElementsAre("b3", "b2", "a2", "b1", "a1"));
}

TEST(OpenDataDirStreamTest, ReadsOldestFirstWithReviewsAndFilters) {
  TempDir dir;
  Env* env = Env::Default();
  {
    ExampleStore::Options options;
    options.data_dir = dir.path();
    auto store = ExampleStore::Open(env, options, nullptr, nullptr);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Append(MakeExample("late", 30)).ok());
    ASSERT_TRUE((*store)->Append(MakeExample("early", 10)).ok());
    ASSERT_TRUE(
        (*store)->Append(MakeExample("negative", 20, v1::LABEL_NEGATIVE)).ok());
    auto reviews = ReviewLog::Open(env, dir.path(), nullptr);
    ASSERT_TRUE(reviews.ok()) << reviews.status();
    v1::ReviewRecord review;
    review.set_example_id("late");
    review.set_status(v1::REVIEW_STATUS_APPROVED);
    review.set_note("checked");
    ASSERT_TRUE((*reviews)->Append(review).ok());
  }
  // A record being written when the copy was taken: left out.
  {
    std::ofstream tail(JoinPath(dir.path(), kDatasetFileName),
                       std::ios::app | std::ios::binary);
    tail << "\x20\x00\x00";
  }

  v1::ExportExamplesRequest all;
  auto stream = OpenDataDirStream(env, dir.path(), all);
  ASSERT_TRUE(stream.ok()) << stream.status();
  std::vector<ExampleStream> one;
  one.push_back(*stream);
  EXPECT_THAT(MergedIds(std::move(one)),
              ElementsAre("early", "negative", "late"));

  v1::ExportExamplesRequest approved;
  approved.set_status(v1::REVIEW_STATUS_APPROVED);
  stream = OpenDataDirStream(env, dir.path(), approved);
  ASSERT_TRUE(stream.ok()) << stream.status();
  v1::Example example;
  auto more = (*stream)(&example);
  ASSERT_TRUE(more.ok() && *more);
  EXPECT_EQ(example.id(), "late");
  EXPECT_EQ(example.status(), v1::REVIEW_STATUS_APPROVED);
  EXPECT_EQ(example.review_note(), "checked");
  more = (*stream)(&example);
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);

  v1::ExportExamplesRequest positive;
  positive.set_label(v1::LABEL_POSITIVE);
  stream = OpenDataDirStream(env, dir.path(), positive);
  ASSERT_TRUE(stream.ok());
  one.clear();
  one.push_back(*stream);
  EXPECT_THAT(MergedIds(std::move(one)), ElementsAre("early", "late"));

  EXPECT_EQ(OpenDataDirStream(env, dir.File("missing"), all).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace ftcapture
