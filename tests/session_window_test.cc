#include "src/session/session_window.h"

#include <memory>

#include "gtest/gtest.h"

namespace ftcapture {
namespace {

TurnPtr MakeTurn(v1::Role role, const std::string& id,
                 const std::string& text) {
  v1::Turn turn;
  turn.set_session_id("s");
  turn.set_turn_id(id);
  turn.set_role(role);
  turn.set_text(text);
  return StoredTurn::FromTurn(turn);
}

TEST(SessionWindowTest, ReplyRemembersTheUserTurnItAnswered) {
  SessionWindow window;
  window.Apply(MakeTurn(v1::ROLE_USER, "u1", "What is it?"));
  window.Apply(MakeTurn(v1::ROLE_ASSISTANT, "a1", "A whistle."));
  window.Apply(MakeTurn(v1::ROLE_USER, "u2", "Good one. And this?"));
  EXPECT_EQ(window.latest_assistant()->turn_id(), "a1");
  EXPECT_EQ(window.answered_user()->turn_id(), "u1");
  EXPECT_EQ(window.latest_user()->turn_id(), "u2");

  window.Apply(MakeTurn(v1::ROLE_ASSISTANT, "a2", "A radiator."));
  EXPECT_EQ(window.answered_user()->turn_id(), "u2");
}

TEST(SessionWindowTest, ReplyWithoutQuestionAnswersNothing) {
  SessionWindow window;
  window.Apply(MakeTurn(v1::ROLE_ASSISTANT, "a0", "Hello."));
  EXPECT_EQ(window.answered_user(), nullptr);
  EXPECT_EQ(window.latest_assistant()->turn_id(), "a0");
}

TEST(SessionWindowTest, RecentIdsCatchRetriesAndCanBeForgotten) {
  SessionWindow window;
  window.Apply(MakeTurn(v1::ROLE_USER, "u1", "hi"));
  EXPECT_TRUE(window.SeenRecently(v1::ROLE_USER, "u1"));
  EXPECT_FALSE(window.SeenRecently(v1::ROLE_USER, "u2"));
  window.ForgetId(v1::ROLE_USER, "u1");
  EXPECT_FALSE(window.SeenRecently(v1::ROLE_USER, "u1"));
}

// Backends that number turns per role send user "1" and assistant "1":
// the reply used to be taken for a retry of the user turn and dropped.
TEST(SessionWindowTest, TurnIdsAreUniquePerRole) {
  SessionWindow window;
  window.Apply(MakeTurn(v1::ROLE_USER, "1", "hi"));
  EXPECT_TRUE(window.SeenRecently(v1::ROLE_USER, "1"));
  EXPECT_FALSE(window.SeenRecently(v1::ROLE_ASSISTANT, "1"));
  window.Apply(MakeTurn(v1::ROLE_ASSISTANT, "1", "hello"));
  EXPECT_TRUE(window.SeenRecently(v1::ROLE_ASSISTANT, "1"));
  window.ForgetId(v1::ROLE_ASSISTANT, "1");
  EXPECT_TRUE(window.SeenRecently(v1::ROLE_USER, "1"));
  EXPECT_FALSE(window.SeenRecently(v1::ROLE_ASSISTANT, "1"));
}

TEST(SessionWindowTest, OnlyTheLastSixteenIdsAreKept) {
  SessionWindow window;
  for (int i = 0; i < 17; ++i) {
    window.Apply(MakeTurn(v1::ROLE_USER, "u" + std::to_string(i), "x"));
  }
  EXPECT_FALSE(window.SeenRecently(v1::ROLE_USER, "u0"));
  EXPECT_TRUE(window.SeenRecently(v1::ROLE_USER, "u1"));
  EXPECT_TRUE(window.SeenRecently(v1::ROLE_USER, "u16"));
}

TEST(SessionWindowTest, ApproximateBytesGrowsWithText) {
  SessionWindow small;
  small.Apply(MakeTurn(v1::ROLE_ASSISTANT, "a", "x"));
  SessionWindow large;
  large.Apply(MakeTurn(v1::ROLE_ASSISTANT, "a", std::string(10000, 'x')));
  EXPECT_GT(large.ApproximateBytes(), small.ApproximateBytes() + 9000);
}

}  // namespace
}  // namespace ftcapture
