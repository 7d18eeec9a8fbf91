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
  EXPECT_TRUE(window.SeenRecently("u1"));
  EXPECT_FALSE(window.SeenRecently("u2"));
  window.ForgetId("u1");
  EXPECT_FALSE(window.SeenRecently("u1"));
}

TEST(SessionWindowTest, OnlyTheLastSixteenIdsAreKept) {
  SessionWindow window;
  for (int i = 0; i < 17; ++i) {
    window.Apply(MakeTurn(v1::ROLE_USER, "u" + std::to_string(i), "x"));
  }
  EXPECT_FALSE(window.SeenRecently("u0"));
  EXPECT_TRUE(window.SeenRecently("u1"));
  EXPECT_TRUE(window.SeenRecently("u16"));
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
