#include "src/session/session_journal.h"

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "src/util/env.h"
#include "src/util/proto_time.h"
#include "tests/util/fault_injection_env.h"
#include "tests/util/temp_dir.h"
#include "tests/util/turns.h"

namespace ftcapture {
namespace {

constexpr int kShards = 4;
const absl::Time kNow = absl::FromUnixSeconds(1790000000);

// One replayed entry: a turn, or (state) a window's seen ids.
struct Replayed {
  std::string session_id;
  v1::Turn turn;
  absl::Time received_at;
  bool state = false;
  std::vector<uint64_t> seen_ids;
  int64_t dropped_turns = 0;
};

v1::Turn Reply(const std::string& session, const std::string& id) {
  v1::Turn turn = BasicTurn(session, id, v1::ROLE_ASSISTANT,
                            "Steam squeezes through the small hole.");
  turn.set_system_prompt("You are Timmy.\nKeep it short.");
  v1::Memory* memory = turn.add_memories();
  memory->set_text("The kettle is brass.");
  memory->set_importance(3);
  (*turn.mutable_metadata())["channel"] = "voice";
  return turn;
}

absl::StatusOr<std::unique_ptr<SessionJournal>> OpenJournal(
    Env* env, const std::string& dir, std::vector<Replayed>* replayed,
    absl::Time expire_before = absl::InfinitePast()) {
  return SessionJournal::Open(
      env, dir, kShards, expire_before,
      [replayed](absl::string_view session_id, absl::Time received_at,
                 absl::FunctionRef<void(SessionWindow&)> apply) {
        // What the entry does to a fresh window tells which kind it is.
        SessionWindow scratch;
        apply(scratch);
        Replayed entry;
        entry.session_id = std::string(session_id);
        entry.received_at = received_at;
        const std::vector<TurnPtr> turns = scratch.turns();
        if (turns.empty()) {
          entry.state = true;
          entry.seen_ids = scratch.SeenIdsOldestFirst();
          entry.dropped_turns = scratch.dropped_turns();
        } else {
          entry.turn = turns[0]->ToProto();
        }
        replayed->push_back(std::move(entry));
      });
}

std::string ShardFile(const TempDir& dir, int shard) {
  return dir.File("sessions/shard-00" + std::to_string(shard) + ".journal");
}

TEST(SessionJournalTest, ReplaysAppendedTurnsInOrderWithTheirTimes) {
  TempDir dir;
  std::vector<Replayed> replayed;
  {
    auto journal = OpenJournal(Env::Default(), dir.path(), &replayed);
    ASSERT_TRUE(journal.ok()) << journal.status();
    EXPECT_TRUE(replayed.empty());
    const v1::Turn user = UserTurn("s1", "u1", "Why does my kettle whistle?");
    ASSERT_TRUE((*journal)
                    ->Append(1, *StoredTurn::FromTurn(user, kNow, ""), kNow)
                    .ok());
    ASSERT_TRUE((*journal)
                    ->Append(1,
                             *StoredTurn::FromTurn(Reply("s1", "a1"),
                                                   kNow + absl::Seconds(2), ""),
                             kNow + absl::Seconds(2))
                    .ok());
  }
  auto journal = OpenJournal(Env::Default(), dir.path(), &replayed);
  ASSERT_TRUE(journal.ok()) << journal.status();
  ASSERT_EQ(replayed.size(), 2u);
  EXPECT_EQ(replayed[0].session_id, "s1");
  EXPECT_EQ(replayed[0].turn.turn_id(), "u1");
  EXPECT_EQ(replayed[0].received_at, kNow);
  EXPECT_EQ(replayed[1].turn.turn_id(), "a1");
  EXPECT_EQ(replayed[1].received_at, kNow + absl::Seconds(2));
  // The whole turn survives: prompt, memories, metadata, and the server time
  // the stored turn was given.
  v1::Turn expected = Reply("s1", "a1");
  *expected.mutable_time() = ToProtoTime(kNow + absl::Seconds(2));
  EXPECT_EQ(replayed[1].turn.SerializeAsString(), expected.SerializeAsString());
}

TEST(SessionJournalTest, ExpiredEntriesAreNotReplayed) {
  TempDir dir;
  std::vector<Replayed> replayed;
  {
    auto journal = OpenJournal(Env::Default(), dir.path(), &replayed);
    ASSERT_TRUE(journal.ok());
    ASSERT_TRUE((*journal)
                    ->Append(0, *StoredTurn::FromTurn(Reply("old", "a1")),
                             kNow - absl::Hours(30))
                    .ok());
    ASSERT_TRUE((*journal)
                    ->Append(0, *StoredTurn::FromTurn(Reply("new", "a1")), kNow)
                    .ok());
  }
  auto journal = OpenJournal(Env::Default(), dir.path(), &replayed,
                             kNow - absl::Hours(24));
  ASSERT_TRUE(journal.ok());
  ASSERT_EQ(replayed.size(), 1u);
  EXPECT_EQ(replayed[0].session_id, "new");
}

TEST(SessionJournalTest, TornTailIsDroppedAndTheRestReplayed) {
  TempDir dir;
  std::vector<Replayed> replayed;
  uint64_t whole = 0;
  {
    auto journal = OpenJournal(Env::Default(), dir.path(), &replayed);
    ASSERT_TRUE(journal.ok());
    ASSERT_TRUE((*journal)
                    ->Append(2, *StoredTurn::FromTurn(Reply("s", "a1")), kNow)
                    .ok());
    whole = *Env::Default()->GetFileSize(ShardFile(dir, 2));
    ASSERT_TRUE((*journal)
                    ->Append(2, *StoredTurn::FromTurn(Reply("s", "a2")), kNow)
                    .ok());
  }
  // A kill in the middle of the second entry.
  ASSERT_TRUE(Env::Default()->TruncateFile(ShardFile(dir, 2), whole + 7).ok());
  auto journal = OpenJournal(Env::Default(), dir.path(), &replayed);
  ASSERT_TRUE(journal.ok()) << journal.status();
  ASSERT_EQ(replayed.size(), 1u);
  EXPECT_EQ(replayed[0].turn.turn_id(), "a1");
}

TEST(SessionJournalTest, SnapshotRebuildsTheWindowAfterCompaction) {
  TempDir dir;
  std::vector<Replayed> replayed;
  SessionWindow window;
  {
    auto journal = OpenJournal(Env::Default(), dir.path(), &replayed);
    ASSERT_TRUE(journal.ok());
    v1::Turn user = UserTurn("s", "u1", "Question?");
    for (const TurnPtr& turn :
         {StoredTurn::FromTurn(user), StoredTurn::FromTurn(Reply("s", "a1"))}) {
      window.Apply(turn);
      ASSERT_TRUE((*journal)->Append(3, *turn, kNow).ok());
    }
    user.set_turn_id("u2");
    user.set_text("Good one. Next?");
    window.Apply(StoredTurn::FromTurn(user));
    std::string snapshot;
    SessionJournal::SnapshotWindow("s", window, kNow, &snapshot);
    ASSERT_TRUE((*journal)->CompactShard(3, snapshot).ok());
    EXPECT_EQ(*Env::Default()->GetFileSize(ShardFile(dir, 3)), snapshot.size());
  }
  auto journal = OpenJournal(Env::Default(), dir.path(), &replayed);
  ASSERT_TRUE(journal.ok());
  SessionWindow rebuilt;
  for (Replayed& entry : replayed) {
    if (entry.state) {
      rebuilt.RestoreSeenIds(entry.seen_ids, entry.dropped_turns);
    } else {
      rebuilt.Apply(StoredTurn::FromTurn(entry.turn));
    }
  }
  ASSERT_NE(rebuilt.answered_user(), nullptr);
  EXPECT_EQ(rebuilt.answered_user()->turn_id(), "u1");
  EXPECT_EQ(rebuilt.latest_assistant()->turn_id(), "a1");
  EXPECT_EQ(rebuilt.latest_user()->turn_id(), "u2");
  EXPECT_EQ(rebuilt.latest_assistant()->bytes(),
            window.latest_assistant()->bytes());
}

TEST(SessionJournalTest, FailedAppendLeavesNoPartialEntry) {
  TempDir dir;
  FaultInjectionEnv env;
  std::vector<Replayed> replayed;
  {
    auto journal = OpenJournal(&env, dir.path(), &replayed);
    ASSERT_TRUE(journal.ok());
    ASSERT_TRUE((*journal)
                    ->Append(0, *StoredTurn::FromTurn(Reply("s", "a1")), kNow)
                    .ok());
    env.FailWrites("shard-000", ENOSPC, /*budget=*/10);
    absl::Status failed =
        (*journal)->Append(0, *StoredTurn::FromTurn(Reply("s", "a2")), kNow);
    EXPECT_EQ(failed.code(), absl::StatusCode::kResourceExhausted) << failed;
    env.Heal();
    ASSERT_TRUE((*journal)
                    ->Append(0, *StoredTurn::FromTurn(Reply("s", "a3")), kNow)
                    .ok());
  }
  auto journal = OpenJournal(Env::Default(), dir.path(), &replayed);
  ASSERT_TRUE(journal.ok());
  ASSERT_EQ(replayed.size(), 2u);
  EXPECT_EQ(replayed[0].turn.turn_id(), "a1");
  EXPECT_EQ(replayed[1].turn.turn_id(), "a3");
}

}  // namespace
}  // namespace ftcapture
