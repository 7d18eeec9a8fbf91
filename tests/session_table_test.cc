#include "src/session/session_table.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/util/turns.h"

namespace ftcapture {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1700000000);

TEST(SessionTableTest, KeepsAWindowPerSession) {
  SessionTable table(100, absl::Hours(1));
  table.WithSession(
      "a", kStart, [](SessionWindow& w) { w.Apply(StoredUserTurn("a", "1")); });
  table.WithSession(
      "b", kStart, [](SessionWindow& w) { w.Apply(StoredUserTurn("b", "2")); });
  std::string seen;
  table.WithSession("a", kStart, [&](SessionWindow& w) {
    seen = w.latest_user()->turn_id();
  });
  EXPECT_EQ(seen, "1");
  EXPECT_EQ(table.size(), 2);
}

TEST(SessionTableTest, ExistingOnlyNeverCreates) {
  SessionTable table(100, absl::Hours(1));
  EXPECT_FALSE(table.WithExistingSession("nope", kStart, [](SessionWindow&) {
    ADD_FAILURE() << "called for a missing session";
  }));
  EXPECT_EQ(table.size(), 0);
}

TEST(SessionTableTest, EvictsLeastRecentlyUsedWithinAShard) {
  SessionTable table(/*max_sessions=*/2, absl::Hours(1), /*shards=*/1);
  for (const char* id : {"a", "b"}) {
    table.WithSession(id, kStart, [&](SessionWindow& w) {
      w.Apply(StoredUserTurn(id, "t"));
    });
  }
  // Touch "a" so "b" is the least recently used, then add "c".
  table.WithSession("a", kStart + absl::Seconds(1), [](SessionWindow&) {});
  table.WithSession("c", kStart + absl::Seconds(2), [](SessionWindow&) {});
  EXPECT_EQ(table.size(), 2);
  EXPECT_EQ(table.evictions(), 1);
  EXPECT_TRUE(table.WithExistingSession("a", kStart + absl::Seconds(3),
                                        [](SessionWindow&) {}));
  EXPECT_FALSE(table.WithExistingSession("b", kStart + absl::Seconds(3),
                                         [](SessionWindow&) {}));
}

TEST(SessionTableTest, ExpiredSessionsComeBackEmpty) {
  SessionTable table(100, absl::Minutes(10));
  table.WithSession(
      "a", kStart, [](SessionWindow& w) { w.Apply(StoredUserTurn("a", "1")); });
  EXPECT_FALSE(table.WithExistingSession("a", kStart + absl::Minutes(11),
                                         [](SessionWindow&) {}));
  bool had_user = true;
  table.WithSession("a", kStart + absl::Minutes(11), [&](SessionWindow& w) {
    had_user = w.latest_user() != nullptr;
  });
  EXPECT_FALSE(had_user);
}

TEST(SessionTableTest, ForEachVisitsEverySessionOldestFirstPerShard) {
  SessionTable table(100, absl::Hours(1), /*shards=*/1);
  for (int i = 0; i < 5; ++i) {
    table.WithSession(std::to_string(i), kStart + absl::Seconds(i),
                      [](SessionWindow&) {});
  }
  std::vector<std::string> order;
  table.ForEach([&](absl::string_view id, absl::Time, const SessionWindow&) {
    order.emplace_back(id);
  });
  EXPECT_EQ(order, (std::vector<std::string>{"0", "1", "2", "3", "4"}));
}

TEST(SessionTableTest, ConcurrentSessionsDoNotLoseTurns) {
  SessionTable table(10000, absl::Hours(1));
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&table, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string session = "s" + std::to_string(i % 50);
        table.WithSession(session, kStart, [&](SessionWindow& w) {
          w.Apply(StoredUserTurn(session,
                                 std::to_string(t) + "-" + std::to_string(i)));
        });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(table.size(), 50);
  int seen = 0;
  table.ForEach([&](absl::string_view, absl::Time, const SessionWindow& w) {
    seen += w.Seen(v1::ROLE_USER, w.latest_user()->turn_id());
  });
  EXPECT_EQ(seen, 50);
}

}  // namespace
}  // namespace ftcapture
