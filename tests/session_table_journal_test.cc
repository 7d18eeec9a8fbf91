#include <string>

#include "gtest/gtest.h"
#include "src/session/session_table.h"
#include "src/util/env.h"
#include "tests/util/temp_dir.h"
#include "tests/util/turns.h"

namespace ftcapture {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1700000000);

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
    int64_t replayed = -1;
    ASSERT_TRUE(table
                    .OpenJournal(Env::Default(), dir.path(),
                                 kStart - absl::Hours(1), &replayed)
                    .ok());
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
  int64_t replayed = 0;
  ASSERT_TRUE(table
                  .OpenJournal(Env::Default(), dir.path(),
                               kStart - absl::Hours(1), &replayed)
                  .ok());
  EXPECT_GT(replayed, 0);
  EXPECT_EQ(LatestUser(table, "s"), "49");
  EXPECT_EQ(LatestUser(table, "t"), "");
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
