// A capture is answered from the example store's writer once the group
// commit's fsync returned, so no caller's thread waits on the disk; and the
// compaction barrier that makes that safe: a compaction waits for the
// appends in flight (their catalog offsets are moved with the rest),
// appends that arrive meanwhile wait in a queue, and closing the service
// answers every capture still pending. Fsyncs are held back through the
// fault-injection Env to see what happens while one is outstanding.

#include <errno.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "src/service/capture_service.h"
#include "src/storage/data_dir_files.h"
#include "src/util/mutex.h"
#include "tests/util/fault_injection_env.h"
#include "tests/util/service_calls.h"
#include "tests/util/temp_dir.h"
#include "tests/util/turns.h"

namespace ftcapture {
namespace {

// What a RecordTurnAsync answered, and on which thread.
struct Answer {
  absl::StatusOr<v1::RecordTurnResponse> result;
  std::thread::id thread;
};

// Collects one asynchronous answer.
class PendingAnswer {
 public:
  CaptureService::RecordTurnDone Done() {
    return [this](absl::StatusOr<v1::RecordTurnResponse> result) {
      answered_.Notify();
      // Last: Wait() may return, and the test end, as soon as it is set.
      answer_.Set(Answer{std::move(result), std::this_thread::get_id()});
    };
  }
  bool answered() const { return answered_.HasBeenNotified(); }
  Answer Wait() { return answer_.Wait(); }

 private:
  ResultSlot<Answer> answer_;
  absl::Notification answered_;
};

class AsyncCaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.data_dir = dir_.path();
    options_.compact_deleted_share = 0;  // only when a test asks
    options_.log = [](const std::string&) {};
    Open();
  }

  void Open() {
    service_.reset();
    absl::StatusOr<std::unique_ptr<CaptureService>> service =
        CaptureService::Open(options_, &env_);
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
  }

  // A user turn and the reply the praise of `session` will credit.
  void Exchange(const std::string& session) {
    RecordOrFail(*service_, UserTurn(session, "u1", "How is Rufus?"));
    RecordOrFail(*service_,
                 BasicTurn(session, "a1", v1::ROLE_ASSISTANT,
                           absl::StrCat("Rufus of ", session, " is well.")));
  }
  static v1::Turn Praise(const std::string& session) {
    return UserTurn(session, "u2", "Good one, Timmy!");
  }
  // Sends `turn` (a praise) and returns once its capture waits on the
  // dataset's fsync, held until env_.ReleaseSyncs(); the caller does not
  // wait for it.
  void StartCaptureHeldAtFsync(const v1::Turn& turn, PendingAnswer* answer) {
    env_.HoldSyncs(kDatasetFileName);
    service_->RecordTurnAsync(turn, answer->Done());
    env_.WaitForHeldSyncs(1);
  }
  // A whole capture; returns the example's id.
  std::string Capture(const std::string& session) {
    Exchange(session);
    const std::string id =
        RecordOrFail(*service_, Praise(session)).example_id();
    EXPECT_FALSE(id.empty()) << session;
    return id;
  }

  static v1::DeleteExamplesRequest EraseAndCompact(const std::string& id) {
    v1::DeleteExamplesRequest request;
    request.mutable_ids()->add_ids(id);
    request.set_compact(true);
    return request;
  }
  // Erases `id` and compacts on a thread of its own; returns once the
  // tombstone is written (the compaction comes next).
  std::thread StartErasingAndCompacting(
      const std::string& id,
      absl::StatusOr<v1::DeleteExamplesResponse>* deleted) {
    std::thread eraser([this, id, deleted] {
      *deleted = service_->DeleteExamples(EraseAndCompact(id));
    });
    while (StatsOrFail(*service_).deleted_pending_compaction() == 0) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    return eraser;
  }

  // Every stored example by id, read back by offset (ExportExamples).
  absl::flat_hash_map<std::string, v1::Example> Exported() {
    absl::flat_hash_map<std::string, v1::Example> examples;
    absl::Status status = service_->ExportExamples(
        v1::ExportExamplesRequest(), [&](const v1::Example& example) {
          examples[example.id()] = example;
          return true;
        });
    EXPECT_TRUE(status.ok()) << status;
    return examples;
  }

  // Exactly `sessions`' examples are stored, each with its own reply: a
  // catalog offset that pointed at another record would show here.
  void ExpectStored(const absl::flat_hash_map<std::string, std::string>&
                        example_id_to_session) {
    const auto examples = Exported();
    EXPECT_EQ(examples.size(), example_id_to_session.size());
    for (const auto& [id, session] : example_id_to_session) {
      auto it = examples.find(id);
      ASSERT_NE(it, examples.end()) << id;
      EXPECT_EQ(it->second.session_id(), session);
      EXPECT_EQ(it->second.assistant_turn().text(),
                absl::StrCat("Rufus of ", session, " is well."));
    }
    EXPECT_EQ(StatsOrFail(*service_).examples_total(),
              static_cast<int64_t>(example_id_to_session.size()));
  }

  TempDir dir_;
  FaultInjectionEnv env_;
  CaptureService::Options options_;
  std::unique_ptr<CaptureService> service_;
};

TEST_F(AsyncCaptureTest,
       TurnThatCapturesNothingIsAnsweredBeforeTheCallReturns) {
  env_.HoldSyncs(kDatasetFileName);
  PendingAnswer answer;
  service_->RecordTurnAsync(UserTurn("s1", "u1", "How is Rufus?"),
                            answer.Done());
  ASSERT_TRUE(answer.answered());
  EXPECT_EQ(answer.Wait().thread, std::this_thread::get_id());
  env_.ReleaseSyncs();
}

TEST_F(AsyncCaptureTest, CaptureIsAnsweredOnlyAfterItsFsyncReturns) {
  Exchange("s1");
  PendingAnswer answer;
  StartCaptureHeldAtFsync(Praise("s1"), &answer);
  EXPECT_FALSE(answer.answered());
  // Not in the catalog before it is durable.
  EXPECT_EQ(StatsOrFail(*service_).examples_total(), 0);

  env_.ReleaseSyncs();
  const Answer answered = answer.Wait();
  ASSERT_TRUE(answered.result.ok()) << answered.result.status();
  EXPECT_FALSE(answered.result->example_id().empty());
  // From the store's writer thread.
  EXPECT_NE(answered.thread, std::this_thread::get_id());
  ExpectStored({{answered.result->example_id(), "s1"}});
}

TEST_F(AsyncCaptureTest, FsyncFailureFailsTheCaptureWithoutACatalogEntry) {
  Exchange("s1");
  env_.FailSyncs(kDatasetFileName, EIO);
  PendingAnswer answer;
  service_->RecordTurnAsync(Praise("s1"), answer.Done());
  const Answer failed = answer.Wait();
  ASSERT_FALSE(failed.result.ok());
  EXPECT_EQ(failed.result.status().code(), absl::StatusCode::kUnavailable)
      << failed.result.status();
  ExpectStored({});
  v1::ListExamplesRequest list;
  absl::StatusOr<v1::ListExamplesResponse> listed =
      service_->ListExamples(list);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->examples_size(), 0);

  // The reply was not left credited: the retry captures it.
  env_.Heal();
  const std::string id = RecordOrFail(*service_, Praise("s1")).example_id();
  ASSERT_FALSE(id.empty());
  ExpectStored({{id, "s1"}});
}

TEST_F(AsyncCaptureTest,
       CompactionWaitsForAppendsInFlightAndMovesTheirOffsets) {
  absl::flat_hash_map<std::string, std::string> stored;
  const std::string erased = Capture("s0");
  for (const char* session : {"s1", "s2", "s3"}) {
    stored[Capture(session)] = session;
  }
  Exchange("s4");
  Exchange("s5");

  PendingAnswer in_flight;
  StartCaptureHeldAtFsync(Praise("s4"), &in_flight);
  // Erasing s0's example (the first record) moves every later one.
  absl::StatusOr<v1::DeleteExamplesResponse> deleted;
  std::thread eraser = StartErasingAndCompacting(erased, &deleted);
  // Arrives while the compaction waits for the append in flight, or while
  // it runs: queued until it has finished.
  PendingAnswer queued;
  service_->RecordTurnAsync(Praise("s5"), queued.Done());
  EXPECT_EQ(StatsOrFail(*service_).compactions(), 0);

  env_.ReleaseSyncs();
  eraser.join();
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_TRUE(deleted->compacted());
  EXPECT_EQ(deleted->compacted_examples(), 1);
  for (PendingAnswer* answer : {&in_flight, &queued}) {
    const Answer answered = answer->Wait();
    ASSERT_TRUE(answered.result.ok()) << answered.result.status();
    ASSERT_FALSE(answered.result->example_id().empty());
    stored[answered.result->example_id()] = answer == &in_flight ? "s4" : "s5";
  }
  EXPECT_EQ(StatsOrFail(*service_).compactions(), 1);
  ExpectStored(stored);
  Open();  // what a restart reads back
  ExpectStored(stored);
}

// A session's erasure that meets a capture of the session still being
// written (its fsync outstanding, so not yet in the catalog) waits for it and
// erases it too, instead of leaving an example of an erased session behind.
TEST_F(AsyncCaptureTest, ErasingASessionAlsoErasesItsCaptureInFlight) {
  const std::string kept = Capture("other");
  Exchange("s1");
  PendingAnswer in_flight;
  StartCaptureHeldAtFsync(Praise("s1"), &in_flight);

  absl::StatusOr<v1::DeleteExamplesResponse> deleted;
  absl::Notification returned;
  std::thread eraser([&] {
    v1::DeleteExamplesRequest request;
    request.set_session_id("s1");
    deleted = service_->DeleteExamples(request);
    returned.Notify();
  });
  // It waits for the capture, which waits for its fsync.
  EXPECT_FALSE(returned.WaitForNotificationWithTimeout(absl::Milliseconds(50)));
  env_.ReleaseSyncs();
  eraser.join();

  // The capture was acknowledged (it was stored before the erasure chose)...
  const Answer answered = in_flight.Wait();
  ASSERT_TRUE(answered.result.ok()) << answered.result.status();
  ASSERT_FALSE(answered.result->example_id().empty());
  // ...and the erasure took it.
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(deleted->deleted(), 1);
  ASSERT_EQ(deleted->example_ids_size(), 1);
  EXPECT_EQ(deleted->example_ids(0), answered.result->example_id());
  EXPECT_EQ(deleted->sessions_dropped(), 1);
  ExpectStored({{kept, "other"}});
  Open();  // what a restart reads back
  ExpectStored({{kept, "other"}});
}

// The praise of a regeneration after a criticised reply stores a
// preference pair from its example's completion, on the store's writer. A
// compaction waiting for that example meanwhile must neither run before
// it nor make the pair's append wait (the writer would never return).
TEST_F(AsyncCaptureTest, PairAppendedFromACompletionWaitsForTheCompaction) {
  const std::string erased = Capture("s0");
  RecordOrFail(*service_, UserTurn("p", "u1", "Why does my kettle whistle?"));
  RecordOrFail(*service_, BasicTurn("p", "a1", v1::ROLE_ASSISTANT,
                                    "Because it is angry."));
  const std::string criticised =
      RecordOrFail(*service_, UserTurn("p", "c1", "That's wrong, Timmy."))
          .example_id();
  ASSERT_FALSE(criticised.empty());
  v1::Turn regenerated = BasicTurn("p", "a2", v1::ROLE_ASSISTANT,
                                   "Steam squeezes through the spout.");
  regenerated.set_reply_to("u1");
  RecordOrFail(*service_, regenerated);

  PendingAnswer praise;
  StartCaptureHeldAtFsync(UserTurn("p", "p1", "Good one, Timmy!"), &praise);
  absl::StatusOr<v1::DeleteExamplesResponse> deleted;
  std::thread eraser = StartErasingAndCompacting(erased, &deleted);
  env_.ReleaseSyncs();
  eraser.join();
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_TRUE(deleted->compacted());
  const Answer answered = praise.Wait();
  ASSERT_TRUE(answered.result.ok()) << answered.result.status();
  ASSERT_FALSE(answered.result->example_id().empty());
  ASSERT_FALSE(answered.result->pair_example_id().empty());

  const auto examples = Exported();
  ASSERT_EQ(examples.size(), 3u);
  EXPECT_EQ(examples.at(criticised).assistant_turn().turn_id(), "a1");
  EXPECT_EQ(
      examples.at(answered.result->example_id()).assistant_turn().turn_id(),
      "a2");
  const v1::Example& pair = examples.at(answered.result->pair_example_id());
  EXPECT_EQ(pair.assistant_turn().turn_id(), "a2");
  EXPECT_EQ(pair.rejected_turn().turn_id(), "a1");
}

TEST_F(AsyncCaptureTest, CapturesDuringRepeatedCompactionsAreAllKept) {
  env_.SetSyncDelay(absl::Milliseconds(1));  // keeps appends in flight
  std::vector<std::string> victims;
  for (int i = 0; i < 6; ++i) victims.push_back(Capture(absl::StrCat("v", i)));
  constexpr int kThreads = 3;
  constexpr int kCapturesPerThread = 12;
  std::vector<std::vector<std::pair<std::string, std::string>>> captured(
      kThreads);
  std::vector<std::thread> capturers;
  for (int t = 0; t < kThreads; ++t) {
    capturers.emplace_back([&, t] {
      for (int i = 0; i < kCapturesPerThread; ++i) {
        const std::string session = absl::StrCat("t", t, "-", i);
        captured[t].emplace_back(Capture(session), session);
      }
    });
  }
  for (const std::string& victim : victims) {
    absl::StatusOr<v1::DeleteExamplesResponse> deleted =
        service_->DeleteExamples(EraseAndCompact(victim));
    ASSERT_TRUE(deleted.ok()) << deleted.status();
    EXPECT_TRUE(deleted->compacted());
  }
  for (std::thread& capturer : capturers) capturer.join();

  absl::flat_hash_map<std::string, std::string> stored;
  for (const auto& thread : captured) {
    for (const auto& [id, session] : thread) stored[id] = session;
  }
  ASSERT_EQ(stored.size(), size_t{kThreads * kCapturesPerThread});
  ExpectStored(stored);
  Open();
  ExpectStored(stored);
}

TEST_F(AsyncCaptureTest, ClosingTheServiceAnswersCapturesInFlight) {
  Exchange("s1");
  PendingAnswer answer;
  StartCaptureHeldAtFsync(Praise("s1"), &answer);
  std::thread closer([&] { service_.reset(); });
  env_.ReleaseSyncs();
  closer.join();
  const Answer answered = answer.Wait();
  ASSERT_TRUE(answered.result.ok()) << answered.result.status();
  // Acknowledged, so kept.
  Open();
  ExpectStored({{answered.result->example_id(), "s1"}});
}

}  // namespace
}  // namespace ftcapture
