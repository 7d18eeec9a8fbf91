// The capture service's durability behaviour through the fault-injection
// Env: disk full and I/O errors answered with a clear status and no trace on
// disk, captures resuming once storage heals (also across a restart), and
// the bounds on memory: --max_sessions (LRU), --session_ttl, the turn and
// memory limits.

#include <errno.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "src/service/capture_service.h"
#include "src/session/session_table.h"
#include "src/storage/example_store.h"
#include "src/storage/tfrecord_reader.h"
#include "src/util/env.h"
#include "src/util/mutex.h"
#include "tests/util/fault_injection_env.h"
#include "tests/util/service_calls.h"
#include "tests/util/temp_dir.h"
#include "tests/util/turns.h"

namespace ftcapture {
namespace {

// A FaultInjectionEnv whose clock the test moves.
class TestEnv : public FaultInjectionEnv {
 public:
  absl::Time Now() override {
    MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration by) {
    MutexLock lock(&mu_);
    now_ += by;
  }

 private:
  Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_) = absl::FromUnixSeconds(1700000000);
};

v1::Turn Assistant(const std::string& session, const std::string& id,
                   const std::string& text) {
  v1::Turn turn = BasicTurn(session, id, v1::ROLE_ASSISTANT, text);
  turn.set_system_prompt(absl::StrCat("PROMPT for ", id));
  turn.add_memories()->set_text("Dan's cat was a Maine Coon named Rufus.");
  return turn;
}

class CaptureServiceFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    service_.reset();
    CaptureService::Options options = options_;
    options.data_dir = dir_.path();
    // The store's syncer logs from its own thread.
    options.log = [this](const std::string& line) {
      MutexLock lock(&log_mu_);
      log_.push_back(line);
    };
    absl::StatusOr<std::unique_ptr<CaptureService>> service =
        CaptureService::Open(options, &env_);
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
  }

  v1::RecordTurnResponse Record(const v1::Turn& turn) {
    return RecordOrFail(*service_, turn);
  }
  v1::GetStatsResponse Stats() { return StatsOrFail(*service_); }

  uint64_t FileSize(const char* name) {
    absl::StatusOr<uint64_t> size =
        Env::Default()->GetFileSize(JoinPath(dir_.path(), name));
    return size.ok() ? *size : 0;
  }

  // The dataset's examples; fails on any bad byte (a partial record).
  std::vector<v1::Example> DatasetOnDisk() {
    std::vector<v1::Example> examples;
    const std::string path = JoinPath(dir_.path(), kDatasetFileName);
    auto file = Env::Default()->NewRandomAccessFile(path);
    EXPECT_TRUE(file.ok()) << file.status();
    if (!file.ok()) return examples;
    TFRecordReader reader(file->get(), FileSize(kDatasetFileName));
    TFRecordEntry entry;
    while (reader.Next(&entry).ok() &&
           entry.kind != TFRecordEntry::Kind::kEnd) {
      EXPECT_EQ(entry.kind, TFRecordEntry::Kind::kRecord) << entry.reason;
      v1::Example example;
      EXPECT_TRUE(example.ParseFromString(entry.data));
      examples.push_back(example);
    }
    return examples;
  }

  // Session ids that land in the same SessionTable shard as `first` (the
  // service uses SessionTable's default shard count).
  static std::vector<std::string> SameShardIds(const std::string& first,
                                               int count) {
    SessionTable table(1, absl::Hours(1));
    std::vector<std::string> ids = {first};
    for (int i = 0; static_cast<int>(ids.size()) < count; ++i) {
      const std::string id = absl::StrCat(first, "-", i);
      if (table.ShardOf(id) == table.ShardOf(first)) ids.push_back(id);
    }
    return ids;
  }

  TempDir dir_;
  TestEnv env_;
  CaptureService::Options options_;  // sync=always by default
  // Whether some logged line contains `text`.
  bool Logged(absl::string_view text) {
    MutexLock lock(&log_mu_);
    for (const std::string& line : log_) {
      if (absl::StrContains(line, text)) return true;
    }
    return false;
  }

  // Everything logged so far, one line each.
  std::string LogText() {
    MutexLock lock(&log_mu_);
    return absl::StrJoin(log_, "\n");
  }

  // Polls `done` for up to 10 s (the background syncer runs every 5 ms).
  static bool Eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 2000; ++i) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return done();
  }

  Mutex log_mu_;
  std::vector<std::string> log_ ABSL_GUARDED_BY(log_mu_);
  std::unique_ptr<CaptureService> service_;
};

TEST_F(CaptureServiceFaultsTest, DiskFullIsResourceExhaustedAndChangesNothing) {
  Record(UserTurn("s1", "u1", "What did my cat look like?"));
  Record(Assistant("s1", "a1", "A fluffy Maine Coon."));
  const v1::GetStatsResponse before = Stats();
  const uint64_t dataset_before = FileSize(kDatasetFileName);
  const uint64_t markdown_before = FileSize(kMarkdownFileName);

  // 10 bytes fit, then the disk is full: a short write.
  env_.FailWrites(kDatasetFileName, ENOSPC, 10);
  absl::StatusOr<v1::RecordTurnResponse> failed =
      service_->RecordTurn(UserTurn("s1", "u2", "Good one, Timmy!"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kResourceExhausted)
      << failed.status();
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "disk full"))
      << failed.status();

  const v1::GetStatsResponse after = Stats();
  EXPECT_EQ(after.examples_total(), before.examples_total());
  EXPECT_EQ(after.turns_seen(), before.turns_seen());
  EXPECT_EQ(after.praise_seen(), before.praise_seen());
  EXPECT_EQ(after.dataset_bytes(), before.dataset_bytes());
  EXPECT_EQ(FileSize(kDatasetFileName), dataset_before);
  EXPECT_EQ(FileSize(kMarkdownFileName), markdown_before);
  EXPECT_TRUE(DatasetOnDisk().empty());

  // Space returns: the same praise, retried, is captured once.
  env_.Heal();
  const v1::RecordTurnResponse retried =
      Record(UserTurn("s1", "u2", "Good one, Timmy!"));
  ASSERT_FALSE(retried.example_id().empty()) << retried.DebugString();
  EXPECT_FALSE(retried.duplicate());
  EXPECT_EQ(Stats().examples_total(), 1);
  EXPECT_EQ(Stats().praise_seen(), 1);
  const std::vector<v1::Example> examples = DatasetOnDisk();
  ASSERT_EQ(examples.size(), 1u);
  EXPECT_EQ(examples[0].id(), retried.example_id());
  EXPECT_EQ(examples[0].assistant_turn().system_prompt(), "PROMPT for a1");
  EXPECT_EQ(examples[0].user_turn().turn_id(), "u1");
}

// A compaction that fails on a full disk changes nothing but its own
// temporary files: the deletion stands (hidden), the server keeps serving
// and capturing from the old files, and compacting later works.
TEST_F(CaptureServiceFaultsTest, CompactionOnAFullDiskKeepsServing) {
  std::vector<std::string> ids;
  for (const std::string session : {"s1", "s2", "s3"}) {
    Record(UserTurn(session, "u1", "What did my cat look like?"));
    Record(Assistant(session, "a1", "A fluffy Maine Coon."));
    ids.push_back(
        Record(UserTurn(session, "u2", "Good one, Timmy!")).example_id());
  }
  env_.FailWrites(".compact", ENOSPC, 100);
  v1::DeleteExamplesRequest request;
  request.set_session_id("s2");
  request.set_compact(true);
  absl::StatusOr<v1::DeleteExamplesResponse> failed =
      service_->DeleteExamples(request);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(failed.status().message(),
                                "1 example(s) deleted (hidden everywhere)"))
      << failed.status();
  EXPECT_EQ(Stats().examples_total(), 2);
  EXPECT_EQ(Stats().deleted_pending_compaction(), 1);
  EXPECT_EQ(DatasetOnDisk().size(), 3u);  // the old file, still whole
  // Captures go on.
  Record(UserTurn("s4", "u1", "What did my cat look like?"));
  Record(Assistant("s4", "a1", "A fluffy Maine Coon."));
  EXPECT_FALSE(
      Record(UserTurn("s4", "u2", "Good one, Timmy!")).example_id().empty());
  env_.Heal();
  v1::DeleteExamplesRequest compact;
  compact.set_compact(true);
  absl::StatusOr<v1::DeleteExamplesResponse> compacted =
      service_->DeleteExamples(compact);
  ASSERT_TRUE(compacted.ok()) << compacted.status();
  EXPECT_EQ(compacted->compacted_examples(), 1);
  EXPECT_EQ(DatasetOnDisk().size(), 3u);
  EXPECT_EQ(Stats().examples_total(), 3);
  EXPECT_EQ(Stats().deleted_examples(), 1);
  // Read back after the move: the examples are where the catalog says.
  v1::ListExamplesRequest list;
  absl::StatusOr<v1::ListExamplesResponse> listed =
      service_->ListExamples(list);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->examples_size(), 3);
  EXPECT_EQ(listed->examples(0).id(), ids[0]);
  EXPECT_EQ(listed->examples(1).id(), ids[2]);
}

TEST_F(CaptureServiceFaultsTest, DiskFullOnTheMarkdownUndoesTheDatasetToo) {
  Record(UserTurn("s1", "u1", "What did my cat look like?"));
  Record(Assistant("s1", "a1", "A fluffy Maine Coon."));
  const uint64_t dataset_before = FileSize(kDatasetFileName);
  env_.FailWrites(kMarkdownFileName, ENOSPC, 100);
  absl::StatusOr<v1::RecordTurnResponse> failed =
      service_->RecordTurn(UserTurn("s1", "u2", "Good one, Timmy!"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(FileSize(kDatasetFileName), dataset_before);
  EXPECT_EQ(Stats().examples_total(), 0);

  env_.Heal();
  EXPECT_FALSE(
      Record(UserTurn("s1", "u2", "Good one, Timmy!")).example_id().empty());
  EXPECT_EQ(DatasetOnDisk().size(), 1u);
}

TEST_F(CaptureServiceFaultsTest, IoErrorsAreUnavailable) {
  Record(UserTurn("s1", "u1", "What did my cat look like?"));
  Record(Assistant("s1", "a1", "A fluffy Maine Coon."));
  env_.FailWrites(kDatasetFileName, EIO);
  absl::StatusOr<v1::RecordTurnResponse> write_failed =
      service_->RecordTurn(UserTurn("s1", "u2", "Good one, Timmy!"));
  ASSERT_FALSE(write_failed.ok());
  EXPECT_EQ(write_failed.status().code(), absl::StatusCode::kUnavailable)
      << write_failed.status();

  // A failed fsync: the record was written but is not durable, so it must
  // not be acknowledged nor stay behind.
  env_.Heal();
  env_.FailSyncs(kDatasetFileName, EIO);
  absl::StatusOr<v1::RecordTurnResponse> sync_failed =
      service_->RecordTurn(UserTurn("s1", "u2", "Good one, Timmy!"));
  ASSERT_FALSE(sync_failed.ok());
  EXPECT_EQ(sync_failed.status().code(), absl::StatusCode::kUnavailable)
      << sync_failed.status();
  EXPECT_EQ(FileSize(kDatasetFileName), 0u);
  EXPECT_EQ(Stats().examples_total(), 0);

  env_.Heal();
  EXPECT_FALSE(
      Record(UserTurn("s1", "u2", "Good one, Timmy!")).example_id().empty());
  EXPECT_EQ(DatasetOnDisk().size(), 1u);
}

// --sync=batch acknowledges before the background fsync; when that fsync
// fails, the error is logged, the service reports it (health: NOT_SERVING)
// and refuses captures until a later fsync succeeds.
TEST_F(CaptureServiceFaultsTest,
       FailedBackgroundSyncRefusesCapturesUntilOneWorks) {
  options_.sync = SyncPolicy::kBatch;
  Open();
  Record(UserTurn("s1", "u1", "What did my cat look like?"));
  Record(Assistant("s1", "a1", "A fluffy Maine Coon."));
  env_.FailSyncs(kDatasetFileName, EIO);
  // Acknowledged before its fsync, which then fails in the background.
  EXPECT_FALSE(
      Record(UserTurn("s1", "u2", "Good one, Timmy!")).example_id().empty());
  ASSERT_TRUE(Eventually([&] { return !service_->ServingStatus().ok(); }));
  EXPECT_EQ(service_->ServingStatus().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(Logged("background fsync of"));
  EXPECT_TRUE(Logged("captures are refused"));

  Record(Assistant("s1", "a3", "Rufus liked boxes."));
  absl::StatusOr<v1::RecordTurnResponse> refused =
      service_->RecordTurn(UserTurn("s1", "u4", "Good one, Timmy!"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "fsync"))
      << refused.status();
  EXPECT_EQ(DatasetOnDisk().size(), 1u);

  env_.Heal();
  ASSERT_TRUE(Eventually([&] { return service_->ServingStatus().ok(); }));
  EXPECT_TRUE(Logged("succeeded again"));
  EXPECT_FALSE(
      Record(UserTurn("s1", "u4", "Good one, Timmy!")).example_id().empty());
  EXPECT_EQ(DatasetOnDisk().size(), 2u);
}

// The praise reached the session journal, its capture failed, and the
// server restarted before the backend retried: the journal says the praise
// was seen, yet the retry must still capture it (what a kill -9 between
// journal and fsync also leaves behind).
TEST_F(CaptureServiceFaultsTest, RetryAfterFailedCaptureAndRestartCaptures) {
  Record(UserTurn("s1", "u1", "What did my cat look like?"));
  Record(Assistant("s1", "a1", "A fluffy Maine Coon."));
  env_.FailWrites(kDatasetFileName, EIO);
  EXPECT_FALSE(
      service_->RecordTurn(UserTurn("s1", "u2", "Good one, Timmy!")).ok());
  env_.Heal();
  ASSERT_NO_FATAL_FAILURE(Open());

  const v1::RecordTurnResponse retried =
      Record(UserTurn("s1", "u2", "Good one, Timmy!"));
  ASSERT_FALSE(retried.example_id().empty()) << retried.DebugString();
  const std::vector<v1::Example> examples = DatasetOnDisk();
  ASSERT_EQ(examples.size(), 1u);
  EXPECT_EQ(examples[0].assistant_turn().turn_id(), "a1");
  EXPECT_EQ(examples[0].user_turn().turn_id(), "u1");
  EXPECT_EQ(examples[0].praise_turn().turn_id(), "u2");

  // Retried again: the same example, not a second one.
  const v1::RecordTurnResponse again =
      Record(UserTurn("s1", "u2", "Good one, Timmy!"));
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.example_id(), retried.example_id());
  EXPECT_EQ(DatasetOnDisk().size(), 1u);
}

// Issue 13: every start compacted the session journal, so a restart on a
// full disk exited 1 ("disk full: write .../shard-000.journal.tmp").
TEST_F(CaptureServiceFaultsTest, RestartOnAFullDiskServesAndCompactsLater) {
  // s2 shares s1's journal shard: a shard with no windows compacts even on a
  // full disk (its snapshot is empty), this one cannot.
  const std::string s2 = SameShardIds("s1", 2)[1];
  Record(UserTurn("s1", "u1", "What did my cat look like?"));
  Record(Assistant("s1", "a1", "A fluffy Maine Coon."));
  ASSERT_FALSE(
      Record(UserTurn("s1", "u2", "Good one, Timmy!")).example_id().empty());
  service_.reset();
  env_.FailWrites("", ENOSPC);  // every file: the disk is full
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_TRUE(Logged("compaction skipped, retried later"));

  // It serves: what it knows, turns that capture nothing, and captures
  // answered RESOURCE_EXHAUSTED while the disk is full.
  EXPECT_EQ(Stats().examples_total(), 1);
  Record(UserTurn(s2, "u1", "And my dog?"));
  Record(Assistant(s2, "a1", "A beagle."));
  absl::StatusOr<v1::RecordTurnResponse> full =
      service_->RecordTurn(UserTurn(s2, "u2", "Good one, Timmy!"));
  EXPECT_TRUE(absl::IsResourceExhausted(full.status())) << full.status();

  // Space returns: the same praise captures, and the skipped compaction of
  // its journal shard runs at the next turn once its retry delay passed.
  env_.Heal();
  const int64_t compactions_before = env_.append_count("journal.tmp");
  env_.Advance(absl::Seconds(6));
  const v1::RecordTurnResponse retried =
      Record(UserTurn(s2, "u2", "Good one, Timmy!"));
  EXPECT_FALSE(retried.example_id().empty()) << retried.DebugString();
  EXPECT_EQ(Stats().examples_total(), 2);
  EXPECT_GT(env_.append_count("journal.tmp"), compactions_before) << LogText();
  EXPECT_EQ(DatasetOnDisk().size(), 2u);
}

// Once a newer reply arrived, a retried lost praise cannot tell what it
// credited, and must not credit the newer reply.
TEST_F(CaptureServiceFaultsTest, RetriedPraiseNeverCreditsALaterReply) {
  Record(UserTurn("s1", "u1", "What did my cat look like?"));
  Record(Assistant("s1", "a1", "A fluffy Maine Coon."));
  env_.FailWrites(kDatasetFileName, EIO);
  EXPECT_FALSE(
      service_->RecordTurn(UserTurn("s1", "u2", "Good one, Timmy!")).ok());
  env_.Heal();
  ASSERT_NO_FATAL_FAILURE(Open());
  Record(Assistant("s1", "a2", "It is a brass whistle."));
  const v1::RecordTurnResponse retried =
      Record(UserTurn("s1", "u2", "Good one, Timmy!"));
  EXPECT_TRUE(retried.duplicate());
  EXPECT_TRUE(retried.example_id().empty());
  EXPECT_TRUE(DatasetOnDisk().empty());
}

TEST_F(CaptureServiceFaultsTest, MaxSessionsEvictsTheLeastRecentlyUsed) {
  // 64 shards x 2 sessions each.
  options_.max_sessions = 128;
  ASSERT_NO_FATAL_FAILURE(Open());
  const std::vector<std::string> ids = SameShardIds("session", 3);
  for (int i = 0; i < 2; ++i) {
    Record(UserTurn(ids[i], "q", "What did my cat look like?"));
    Record(Assistant(ids[i], "a", absl::StrCat("reply ", i)));
  }
  Record(UserTurn(ids[0], "u", "and another thing"));  // ids[1] is now the LRU
  Record(UserTurn(ids[2], "q", "What did my cat look like?"));  // evicts ids[1]
  Record(Assistant(ids[2], "a", "reply 2"));

  EXPECT_FALSE(
      Record(UserTurn(ids[0], "p", "Good one, Timmy!")).example_id().empty());
  EXPECT_FALSE(
      Record(UserTurn(ids[2], "p", "Good one, Timmy!")).example_id().empty());
  const v1::RecordTurnResponse evicted =
      Record(UserTurn(ids[1], "p", "Good one, Timmy!"));
  EXPECT_TRUE(evicted.praise());
  EXPECT_TRUE(evicted.example_id().empty());
  EXPECT_FALSE(evicted.not_captured_reason().empty());
  EXPECT_LE(Stats().live_sessions(), 128);
}

TEST_F(CaptureServiceFaultsTest, LiveSessionsStayBounded) {
  options_.max_sessions = 64;
  options_.sync = SyncPolicy::kNone;
  ASSERT_NO_FATAL_FAILURE(Open());
  for (int i = 0; i < 1000; ++i) {
    Record(Assistant(absl::StrCat("s", i), "a", "reply"));
  }
  EXPECT_LE(Stats().live_sessions(), 64);
  EXPECT_GT(Stats().live_sessions(), 0);
}

TEST_F(CaptureServiceFaultsTest, SessionTtlForgetsIdleSessions) {
  options_.session_ttl = absl::Minutes(10);
  ASSERT_NO_FATAL_FAILURE(Open());
  for (const char* session : {"idle", "busy"}) {
    Record(UserTurn(session, "q", "What did my cat look like?"));
    Record(Assistant(session, "a", "reply"));
  }
  env_.Advance(absl::Minutes(6));
  Record(UserTurn("busy", "u", "hmm"));  // keeps "busy" alive
  env_.Advance(absl::Minutes(6));

  const v1::RecordTurnResponse idle =
      Record(UserTurn("idle", "p", "Good one, Timmy!"));
  EXPECT_TRUE(idle.praise());
  EXPECT_TRUE(idle.example_id().empty());
  EXPECT_FALSE(
      Record(UserTurn("busy", "p", "Good one, Timmy!")).example_id().empty());
}

TEST_F(CaptureServiceFaultsTest, SessionTtlAppliesAcrossARestart) {
  options_.session_ttl = absl::Minutes(10);
  ASSERT_NO_FATAL_FAILURE(Open());
  for (const char* session : {"fresh", "stale"}) {
    Record(UserTurn(session, "q", "What did my cat look like?"));
    Record(Assistant(session, "a", "reply"));
  }
  env_.Advance(absl::Minutes(8));
  Record(Assistant("fresh", "a2", "newer reply"));
  env_.Advance(absl::Minutes(4));
  ASSERT_NO_FATAL_FAILURE(Open());  // the journal replays only live windows

  EXPECT_TRUE(
      Record(UserTurn("stale", "p", "Good one, Timmy!")).example_id().empty());
  const v1::RecordTurnResponse fresh =
      Record(UserTurn("fresh", "p", "Good one, Timmy!"));
  ASSERT_FALSE(fresh.example_id().empty()) << fresh.DebugString();
  ASSERT_EQ(DatasetOnDisk().size(), 1u);
  EXPECT_EQ(DatasetOnDisk()[0].assistant_turn().turn_id(), "a2");
}

TEST_F(CaptureServiceFaultsTest, TooManyMemoriesIsInvalidAndChangesNothing) {
  options_.max_memories_per_turn = 2;
  ASSERT_NO_FATAL_FAILURE(Open());
  Record(UserTurn("s1", "u1", "What did my cat look like?"));
  Record(Assistant("s1", "a1", "the reply that stays"));
  v1::Turn crowded = Assistant("s1", "a2", "a reply with too many memories");
  crowded.add_memories()->set_text("two");
  crowded.add_memories()->set_text("three");
  const v1::GetStatsResponse before = Stats();
  absl::StatusOr<v1::RecordTurnResponse> rejected =
      service_->RecordTurn(crowded);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(rejected.status().message(), "3 memories"))
      << rejected.status();
  EXPECT_TRUE(absl::StrContains(rejected.status().message(), "limit of 2"))
      << rejected.status();
  EXPECT_EQ(Stats().turns_seen(), before.turns_seen());

  // The window still holds the earlier reply.
  Record(UserTurn("s1", "p", "Good one, Timmy!"));
  ASSERT_EQ(DatasetOnDisk().size(), 1u);
  EXPECT_EQ(DatasetOnDisk()[0].assistant_turn().turn_id(), "a1");
}

TEST_F(CaptureServiceFaultsTest, OversizedTurnIsInvalidAndNamesTheLimit) {
  options_.max_turn_bytes = 1024;
  ASSERT_NO_FATAL_FAILURE(Open());
  absl::StatusOr<v1::RecordTurnResponse> rejected =
      service_->RecordTurn(UserTurn("s1", "u1", std::string(2000, 'x')));
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(rejected.status().message(), "1024"))
      << rejected.status();
  EXPECT_EQ(Stats().turns_seen(), 0);
}

}  // namespace
}  // namespace ftcapture
