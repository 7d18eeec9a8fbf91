// SessionTable's byte budget (--max_window_bytes): big windows evict the
// least recently used sessions, whatever their count.

#include <string>

#include "gtest/gtest.h"
#include "src/session/session_table.h"

namespace ftcapture {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1700000000);

TurnPtr BigReply(const std::string& session, int64_t bytes) {
  v1::Turn turn;
  turn.set_session_id(session);
  turn.set_turn_id("a1");
  turn.set_role(v1::ROLE_ASSISTANT);
  turn.set_text(std::string(bytes, 'x'));
  return StoredTurn::FromTurn(turn);
}

bool Live(SessionTable& table, const std::string& id, absl::Time now) {
  return table.WithExistingSession(id, now, [](SessionWindow&) {});
}

TEST(SessionWindowBytesTest, EvictsLeastRecentlyUsedBeyondTheByteBudget) {
  // One shard, room for 10 000 sessions but only ~2.5 replies of 100 kB.
  SessionTable table(/*max_sessions=*/10000, /*max_bytes=*/250000,
                     absl::Hours(1), /*shards=*/1);
  for (const char* id : {"a", "b"}) {
    table.WithSession(id, kStart,
                      [&](SessionWindow& w) { w.Apply(BigReply(id, 100000)); });
  }
  EXPECT_EQ(table.size(), 2);
  EXPECT_GT(table.bytes(), 200000);
  // "a" used last, so "b" goes when "c" arrives.
  ASSERT_TRUE(Live(table, "a", kStart + absl::Seconds(1)));
  table.WithSession("c", kStart + absl::Seconds(2),
                    [](SessionWindow& w) { w.Apply(BigReply("c", 100000)); });
  EXPECT_EQ(table.size(), 2);
  EXPECT_EQ(table.evictions(), 1);
  EXPECT_LE(table.bytes(), 250000);
  EXPECT_TRUE(Live(table, "a", kStart + absl::Seconds(3)));
  EXPECT_FALSE(Live(table, "b", kStart + absl::Seconds(3)));
  EXPECT_TRUE(Live(table, "c", kStart + absl::Seconds(3)));
}

TEST(SessionWindowBytesTest, KeepsTheSessionJustUsedEvenWhenItAloneIsOver) {
  SessionTable table(10000, /*max_bytes=*/1000, absl::Hours(1), 1);
  table.WithSession("small", kStart, [](SessionWindow&) {});
  table.WithSession("huge", kStart,
                    [](SessionWindow& w) { w.Apply(BigReply("huge", 50000)); });
  EXPECT_EQ(table.size(), 1);
  EXPECT_TRUE(Live(table, "huge", kStart));
  EXPECT_FALSE(Live(table, "small", kStart));
}

TEST(SessionWindowBytesTest, BytesFollowWindowsThatShrinkAndLeave) {
  SessionTable table(/*max_sessions=*/1, /*max_bytes=*/int64_t{1} << 30,
                     absl::Hours(1), 1);
  table.WithSession("a", kStart,
                    [](SessionWindow& w) { w.Apply(BigReply("a", 100000)); });
  const int64_t with_a = table.bytes();
  EXPECT_GT(with_a, 100000);
  table.WithSession("b", kStart, [](SessionWindow&) {});  // evicts "a"
  EXPECT_LT(table.bytes(), 1000);
}

}  // namespace
}  // namespace ftcapture
