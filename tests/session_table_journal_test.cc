#include <string>

#include "gtest/gtest.h"
#include "src/session/session_journal.h"
#include "src/session/session_table.h"
#include "src/storage/data_dir_files.h"
#include "src/util/env.h"
#include "src/util/proto_time.h"
#include "tests/util/temp_dir.h"
#include "tests/util/text_files.h"
#include "tests/util/turns.h"

namespace ftcapture {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1700000000);

// Opens `table`'s journal under `dir` (nothing expired); how many turns it
// replayed.
int64_t OpenJournalOrFail(SessionTable& table, const std::string& dir) {
  int64_t replayed = -1;
  EXPECT_TRUE(
      table.OpenJournal(Env::Default(), dir, kStart - absl::Hours(1), &replayed)
          .ok());
  return replayed;
}

std::string LatestUser(SessionTable& table, const std::string& session) {
  std::string id;
  table.WithExistingSession(session, kStart, [&](SessionWindow& window) {
    if (window.latest_user() != nullptr) id = window.latest_user()->turn_id();
  });
  return id;
}

// The table journals what ApplyTurn applies, and only that: a restart (a
// new table over the same dir) sees the applied turns again.
TEST(SessionTableJournalTest, AppliedTurnsSurviveARestart) {
  TempDir dir;
  {
    SessionTable table(100, absl::Hours(1));
    const int64_t replayed = OpenJournalOrFail(table, dir.path());
    EXPECT_EQ(replayed, 0);
    for (int i = 0; i < 50; ++i) {
      // Enough turns that the shard's journal is compacted on the way.
      ASSERT_TRUE(table
                      .ApplyTurn("s", kStart,
                                 StoredUserTurn("s", std::to_string(i)),
                                 [](const SessionWindow&) { return true; })
                      .ok());
    }
    // Inspected but not applied: neither in the window nor in the journal.
    ASSERT_TRUE(table
                    .ApplyTurn("t", kStart, StoredUserTurn("t", "skipped"),
                               [](const SessionWindow&) { return false; })
                    .ok());
    EXPECT_EQ(LatestUser(table, "t"), "");
  }
  SessionTable table(100, absl::Hours(1));
  const int64_t replayed = OpenJournalOrFail(table, dir.path());
  EXPECT_GT(replayed, 0);
  EXPECT_EQ(LatestUser(table, "s"), "49");
  EXPECT_EQ(LatestUser(table, "t"), "");
}

// A session expires whole: one still live comes back with its older turns
// (the user turn its latest reply answers), an idle one not at all.
TEST(SessionTableJournalTest, LiveSessionReplaysWholeIdleOneNotAtAll) {
  TempDir dir;
  const absl::Duration ttl = absl::Minutes(30);
  {
    auto journal =
        SessionJournal::Open(Env::Default(), dir.path(), 1, kStart - ttl,
                             [](absl::string_view, absl::Time,
                                absl::FunctionRef<void(SessionWindow&)>) {});
    ASSERT_TRUE(journal.ok()) << journal.status();
    auto add = [&](const std::string& session, const std::string& id,
                   v1::Role role, absl::Duration ago) {
      v1::Turn turn = BasicTurn(session, id, role, "text of " + id);
      *turn.mutable_time() = ToProtoTime(kStart - ago);
      ASSERT_TRUE((*journal)
                      ->Append(0, *StoredTurn::FromTurn(turn), kStart - ago)
                      .ok());
    };
    add("live", "u1", v1::ROLE_USER, absl::Minutes(40));
    add("live", "a1", v1::ROLE_ASSISTANT, absl::Minutes(40));
    add("live", "a2", v1::ROLE_ASSISTANT, absl::Minutes(15));
    add("idle", "u1", v1::ROLE_USER, absl::Minutes(40));
  }
  SessionTable table(100, ttl, /*shards=*/1);
  int64_t replayed = -1;
  ASSERT_TRUE(
      table.OpenJournal(Env::Default(), dir.path(), kStart - ttl, &replayed)
          .ok());
  EXPECT_EQ(replayed, 3);
  std::string answered;
  table.WithExistingSession("live", kStart, [&](SessionWindow& window) {
    EXPECT_EQ(window.latest_assistant()->turn_id(), "a2");
    if (window.answered_user() != nullptr) {
      answered = window.answered_user()->turn_id();
    }
  });
  EXPECT_EQ(answered, "u1");
  EXPECT_EQ(LatestUser(table, "idle"), "");
}

// Erasure: the session leaves the window and the journal's bytes at once;
// the other sessions of the shard stay.
TEST(SessionTableJournalTest, ErasedSessionLeavesTheWindowAndTheJournal) {
  TempDir dir;
  const std::string journal =
      dir.path() + "/sessions/" + SessionJournalFileName(0);
  {
    SessionTable table(100, absl::Hours(1), /*shards=*/1);
    EXPECT_EQ(OpenJournalOrFail(table, dir.path()), 0);
    for (const std::string session : {"gone", "kept"}) {
      TurnPtr turn = StoredTurn::FromTurn(
          UserTurn(session, "1", "secret words of " + session));
      ASSERT_TRUE(table
                      .ApplyTurn(session, kStart, turn,
                                 [](const SessionWindow&) { return true; })
                      .ok());
    }
    EXPECT_NE(ReadFileOrEmpty(journal).find("secret words of gone"),
              std::string::npos);
    bool existed = false;
    ASSERT_TRUE(table.EraseSession("gone", kStart, &existed).ok());
    EXPECT_TRUE(existed);
    EXPECT_EQ(LatestUser(table, "gone"), "");
    EXPECT_EQ(LatestUser(table, "kept"), "1");
    EXPECT_EQ(ReadFileOrEmpty(journal).find("secret words of gone"),
              std::string::npos);
    EXPECT_NE(ReadFileOrEmpty(journal).find("secret words of kept"),
              std::string::npos);
  }
  SessionTable table(100, absl::Hours(1), /*shards=*/1);
  // "kept": its turn and its seen-ids entry; nothing of "gone".
  EXPECT_EQ(OpenJournalOrFail(table, dir.path()), 2);
  EXPECT_EQ(LatestUser(table, "gone"), "");
  EXPECT_EQ(LatestUser(table, "kept"), "1");
}

// When the rewrite could not run, the erasure marker alone keeps replay from
// rebuilding the session; turns journaled after it (a new conversation under
// the same id) come back.
TEST(SessionTableJournalTest, ErasureMarkerHidesEarlierTurnsOnReplay) {
  TempDir dir;
  {
    auto journal = SessionJournal::Open(
        Env::Default(), dir.path(), 1, kStart - absl::Hours(1),
        [](absl::string_view, absl::Time,
           absl::FunctionRef<void(SessionWindow&)>) {});
    ASSERT_TRUE(journal.ok());
    ASSERT_TRUE(
        (*journal)->Append(0, *StoredUserTurn("gone", "1"), kStart).ok());
    ASSERT_TRUE(
        (*journal)->Append(0, *StoredUserTurn("kept", "1"), kStart).ok());
    ASSERT_TRUE((*journal)->AppendErasure(0, "gone", kStart).ok());
    ASSERT_TRUE(
        (*journal)->Append(0, *StoredUserTurn("again", "1"), kStart).ok());
    ASSERT_TRUE((*journal)->AppendErasure(0, "again", kStart).ok());
    ASSERT_TRUE(
        (*journal)->Append(0, *StoredUserTurn("again", "2"), kStart).ok());
  }
  SessionTable table(100, absl::Hours(1), /*shards=*/1);
  const int64_t replayed = OpenJournalOrFail(table, dir.path());
  EXPECT_EQ(replayed, 2);
  EXPECT_EQ(LatestUser(table, "gone"), "");
  EXPECT_EQ(LatestUser(table, "kept"), "1");
  EXPECT_EQ(LatestUser(table, "again"), "2");
}

TEST(SessionTableJournalTest, WithoutAJournalApplyTurnOnlyUpdatesWindows) {
  SessionTable table(100, absl::Hours(1));
  ASSERT_TRUE(table
                  .ApplyTurn("s", kStart, StoredUserTurn("s", "1"),
                             [](const SessionWindow& window) {
                               return !window.Seen(v1::ROLE_USER, "1");
                             })
                  .ok());
  EXPECT_EQ(LatestUser(table, "s"), "1");
}

}  // namespace
}  // namespace ftcapture
