#include "src/session/session_window.h"

#include <memory>
#include <string>
#include <vector>

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

TEST(SessionWindowTest, SeenIdsCatchRetriesAndCanBeForgotten) {
  SessionWindow window;
  window.Apply(MakeTurn(v1::ROLE_USER, "u1", "hi"));
  EXPECT_TRUE(window.Seen(v1::ROLE_USER, "u1"));
  EXPECT_FALSE(window.Seen(v1::ROLE_USER, "u2"));
  window.ForgetId(v1::ROLE_USER, "u1");
  EXPECT_FALSE(window.Seen(v1::ROLE_USER, "u1"));
}

// Backends that number turns per role send user "1" and assistant "1":
// the reply used to be taken for a retry of the user turn and dropped.
TEST(SessionWindowTest, TurnIdsAreUniquePerRole) {
  SessionWindow window;
  window.Apply(MakeTurn(v1::ROLE_USER, "1", "hi"));
  EXPECT_TRUE(window.Seen(v1::ROLE_USER, "1"));
  EXPECT_FALSE(window.Seen(v1::ROLE_ASSISTANT, "1"));
  window.Apply(MakeTurn(v1::ROLE_ASSISTANT, "1", "hello"));
  EXPECT_TRUE(window.Seen(v1::ROLE_ASSISTANT, "1"));
  window.ForgetId(v1::ROLE_ASSISTANT, "1");
  EXPECT_TRUE(window.Seen(v1::ROLE_USER, "1"));
  EXPECT_FALSE(window.Seen(v1::ROLE_ASSISTANT, "1"));
}

TEST(SessionWindowTest, IdsAreRememberedForTheSessionsLifeUpToTheBound) {
  SessionLimits limits;
  limits.max_seen_ids = 100;
  SessionWindow window(&limits);
  for (int i = 0; i < 100; ++i) {
    window.Apply(MakeTurn(v1::ROLE_USER, "u" + std::to_string(i), "x"));
  }
  // Far more than any window of turns: still every id.
  EXPECT_TRUE(window.Seen(v1::ROLE_USER, "u0"));
  EXPECT_TRUE(window.Seen(v1::ROLE_USER, "u99"));
  window.Apply(MakeTurn(v1::ROLE_USER, "u100", "x"));
  EXPECT_FALSE(window.Seen(v1::ROLE_USER, "u0"));  // the oldest makes room
  EXPECT_TRUE(window.Seen(v1::ROLE_USER, "u1"));
  EXPECT_TRUE(window.Seen(v1::ROLE_USER, "u100"));
  EXPECT_EQ(window.SeenIdsOldestFirst().size(), 100u);
  EXPECT_EQ(window.SeenIdsOldestFirst().front(),
            SessionWindow::SeenIdFingerprint(v1::ROLE_USER, "u1"));
}

TurnPtr TimedTurn(v1::Role role, const std::string& id, int64_t seconds,
                  const std::string& reply_to = "") {
  v1::Turn turn;
  turn.set_session_id("s");
  turn.set_turn_id(id);
  turn.set_role(role);
  turn.set_text("text of " + id);
  turn.set_reply_to(reply_to);
  turn.mutable_time()->set_seconds(seconds);
  return StoredTurn::FromTurn(turn);
}

TEST(SessionWindowTest, AnOlderTurnIsLateAndChangesNothingButItsId) {
  SessionWindow window;
  window.Apply(TimedTurn(v1::ROLE_USER, "u1", 100));
  window.Apply(TimedTurn(v1::ROLE_ASSISTANT, "a1", 110));
  EXPECT_EQ(window.Apply(TimedTurn(v1::ROLE_USER, "u0", 50)),
            ApplyResult::kLate);
  EXPECT_EQ(window.latest_user()->turn_id(), "u1");
  EXPECT_EQ(window.turns().size(), 2u);
  EXPECT_TRUE(window.Seen(v1::ROLE_USER, "u0"));
  // The same time as the latest is not late.
  EXPECT_EQ(window.Apply(TimedTurn(v1::ROLE_USER, "u2", 110)),
            ApplyResult::kApplied);
}

TEST(SessionWindowTest, HistoryIsTheTurnsBeforeTheAnsweredUserInOrder) {
  SessionWindow window;
  for (int i = 0; i < 3; ++i) {
    window.Apply(TimedTurn(v1::ROLE_USER, "u" + std::to_string(i), i * 10));
    window.Apply(
        TimedTurn(v1::ROLE_ASSISTANT, "a" + std::to_string(i), i * 10 + 5));
  }
  window.Apply(TimedTurn(v1::ROLE_USER, "praise", 40));
  TurnPtr reply = window.latest_assistant();
  TurnPtr user = window.AnsweredUserOf(*reply);
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->turn_id(), "u2");
  int64_t omitted = -1;
  std::vector<TurnPtr> history =
      window.HistoryBefore(user.get(), *reply, &omitted);
  std::vector<std::string> ids;
  for (const TurnPtr& turn : history) ids.push_back(turn->turn_id());
  EXPECT_EQ(ids, (std::vector<std::string>{"u0", "a0", "u1", "a1"}));
  EXPECT_EQ(omitted, 0);
}

TEST(SessionWindowTest, OldTurnsAreDroppedAndCountedButNotTheCreditedOnes) {
  SessionLimits limits;
  limits.history_turns = 1;  // window: 2 * 1 + 8 = 10 turns
  limits.history_bytes = 1 << 20;
  SessionWindow window(&limits);
  for (int i = 0; i < 10; ++i) {
    window.Apply(TimedTurn(v1::ROLE_USER, "u" + std::to_string(i), i * 10));
    window.Apply(
        TimedTurn(v1::ROLE_ASSISTANT, "a" + std::to_string(i), i * 10 + 5));
  }
  EXPECT_EQ(window.turns().size(), 10u);
  EXPECT_EQ(window.dropped_turns(), 10);
  EXPECT_EQ(window.turns().front()->turn_id(), "u5");

  // A tiny byte limit drops the history but never the credited exchange.
  limits.history_bytes = 1;
  window.Apply(TimedTurn(v1::ROLE_USER, "praise", 200));
  ASSERT_NE(window.answered_user(), nullptr);
  EXPECT_EQ(window.answered_user()->turn_id(), "u9");
  EXPECT_EQ(window.turns().size(), 3u);
  EXPECT_EQ(window.dropped_turns(), 18);
}

TEST(SessionWindowTest, OlderRepliesAreKeptWithoutTheirPrompts) {
  SessionWindow window;
  auto with_prompt = [](TurnPtr stored) {
    v1::Turn turn = stored->ToProto();
    turn.set_system_prompt(std::string(4000, 'p'));
    turn.add_memories()->set_text("m");
    return StoredTurn::FromTurn(turn);
  };
  window.Apply(TimedTurn(v1::ROLE_USER, "u1", 10));
  window.Apply(with_prompt(TimedTurn(v1::ROLE_ASSISTANT, "a1", 11)));
  window.Apply(TimedTurn(v1::ROLE_USER, "u2", 12));
  ASSERT_NE(window.FindReply("a1"), nullptr);
  EXPECT_EQ(window.FindReply("a1")->ToProto().memories_size(), 1);
  const int64_t before = window.ApproximateBytes();
  window.Apply(with_prompt(TimedTurn(v1::ROLE_ASSISTANT, "a2", 13)));
  // a1 is history now: its text stays, its prompt goes.
  EXPECT_EQ(window.FindReply("a1"), nullptr);
  const v1::Turn a1 = window.turns()[1]->ToProto();
  EXPECT_EQ(a1.turn_id(), "a1");
  EXPECT_EQ(a1.text(), "text of a1");
  EXPECT_TRUE(a1.system_prompt().empty());
  EXPECT_EQ(a1.memories_size(), 0);
  EXPECT_EQ(a1.time().seconds(), 11);
  EXPECT_EQ(window.FindReply("a2")->ToProto().system_prompt().size(), 4000u);
  EXPECT_LT(window.ApproximateBytes(), before + 4500);
}

TEST(SessionWindowTest, RegenerationsAnswerTheUserTurnTheyName) {
  SessionWindow window;
  window.Apply(TimedTurn(v1::ROLE_USER, "u1", 10));
  window.Apply(TimedTurn(v1::ROLE_ASSISTANT, "a1", 11));
  window.Apply(TimedTurn(v1::ROLE_USER, "wrong", 12));
  window.Apply(TimedTurn(v1::ROLE_ASSISTANT, "a2", 13, /*reply_to=*/"u1"));
  EXPECT_EQ(window.answered_user()->turn_id(), "u1");
  TurnPtr a2 = window.FindReply("a2");
  ASSERT_NE(a2, nullptr);
  std::vector<TurnPtr> alternatives = window.AlternativesTo(*a2);
  ASSERT_EQ(alternatives.size(), 1u);
  EXPECT_EQ(alternatives[0]->turn_id(), "a1");
  EXPECT_EQ(window.FindReply("u1"), nullptr);  // a user turn is no reply
  // A reply to the criticism is no alternative of a1.
  window.Apply(TimedTurn(v1::ROLE_ASSISTANT, "a3", 14));
  EXPECT_EQ(window.answered_user()->turn_id(), "wrong");
  EXPECT_TRUE(window.AlternativesTo(*window.FindReply("a3")).empty());
}

// Crediting such a reply is refused by CaptureService (an example needs
// the user message); the window only says there is none.
TEST(SessionWindowTest, ReplyToATurnThatIsNoHeldUserTurnAnswersNothing) {
  SessionWindow window;
  window.Apply(TimedTurn(v1::ROLE_ASSISTANT, "a0", 10));
  window.Apply(TimedTurn(v1::ROLE_USER, "u1", 11));
  window.Apply(TimedTurn(v1::ROLE_ASSISTANT, "a1", 12, /*reply_to=*/"a0"));
  EXPECT_EQ(window.answered_user(), nullptr);
  window.Apply(TimedTurn(v1::ROLE_ASSISTANT, "a2", 13, /*reply_to=*/"nope"));
  EXPECT_EQ(window.answered_user(), nullptr);
  EXPECT_EQ(window.turns().size(), 4u) << "the replies are still held";
}

TEST(SessionWindowTest, LateUserTurnIsNotTheQuestionOfAnEarlierReply) {
  SessionWindow window;
  window.Apply(TimedTurn(v1::ROLE_ASSISTANT, "a1", 10));
  EXPECT_EQ(window.Apply(TimedTurn(v1::ROLE_USER, "u1", 5)),
            ApplyResult::kLate);
  EXPECT_EQ(window.answered_user(), nullptr);
  EXPECT_EQ(window.latest_user(), nullptr);
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
