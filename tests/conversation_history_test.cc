// Examples that hold the conversation before the reply, sessions that never
// rewind, and regenerations stored as preference pairs (CaptureService).

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/service/capture_service.h"
#include "src/service/example_history.h"
#include "tests/util/temp_dir.h"
#include "tests/util/turns.h"

namespace ftcapture {
namespace {

constexpr int64_t kStart = 1790000000;

// A turn at kStart + `second`, so tests control the session's order.
v1::Turn At(v1::Turn turn, int64_t second) {
  turn.mutable_time()->set_seconds(kStart + second);
  return turn;
}

v1::Turn Reply(const std::string& session, const std::string& id,
               const std::string& text, int64_t second,
               const std::string& reply_to = "") {
  v1::Turn turn = BasicTurn(session, id, v1::ROLE_ASSISTANT, text);
  turn.set_system_prompt(absl::StrCat("You are Timmy (", id, ")."));
  turn.add_memories()->set_text(absl::StrCat("memory of ", id));
  turn.set_reply_to(reply_to);
  return At(turn, second);
}

v1::Turn User(const std::string& session, const std::string& id,
              const std::string& text, int64_t second) {
  return At(UserTurn(session, id, text), second);
}

class ConversationHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen(SessionLimits limits = SessionLimits()) {
    service_.reset();
    CaptureService::Options options;
    options.data_dir = dir_.path();
    options.sync = SyncPolicy::kNone;
    options.session_limits = limits;
    options.log = [](const std::string&) {};
    auto service = CaptureService::Open(options, nullptr);
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
  }

  v1::RecordTurnResponse Record(const v1::Turn& turn) {
    auto response = service_->RecordTurn(turn);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : v1::RecordTurnResponse();
  }

  // Six exchanges; the user praises the last reply.
  std::vector<v1::Turn> SixExchangesEndingInPraise(const std::string& s) {
    std::vector<v1::Turn> turns;
    for (int i = 1; i <= 6; ++i) {
      turns.push_back(
          User(s, absl::StrCat("u", i), absl::StrCat("question ", i), i * 10));
      turns.push_back(Reply(s, absl::StrCat("a", i), absl::StrCat("answer ", i),
                            i * 10 + 1));
    }
    turns.push_back(User(s, "praise", "Good one, Timmy!", 100));
    return turns;
  }

  std::vector<v1::Example> List(v1::ExampleKind kind) {
    v1::ListExamplesRequest request;
    request.set_kind(kind);
    auto response = service_->ListExamples(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return {response->examples().begin(), response->examples().end()};
  }

  std::vector<std::string> ExportedIds(
      const v1::ExportExamplesRequest& request) {
    std::vector<std::string> ids;
    absl::Status exported =
        service_->ExportExamples(request, [&](const v1::Example& e) {
          ids.push_back(e.id());
          return true;
        });
    EXPECT_TRUE(exported.ok()) << exported;
    return ids;
  }

  // Counters a resent conversation must leave alone.
  // Every figure of GetStats but the start time.
  std::string Counters() {
    auto stats = service_->GetStats();
    EXPECT_TRUE(stats.ok());
    stats->clear_started_at();
    return stats->ShortDebugString();
  }

  TempDir dir_;
  std::unique_ptr<CaptureService> service_;
};

TEST_F(ConversationHistoryTest, ExampleHoldsTheEarlierExchangesInOrder) {
  for (const v1::Turn& turn : SixExchangesEndingInPraise("s")) Record(turn);
  std::vector<v1::Example> examples = List(v1::EXAMPLE_KIND_UNSPECIFIED);
  ASSERT_EQ(examples.size(), 1u);
  const v1::Example& e = examples[0];
  EXPECT_EQ(e.user_turn().turn_id(), "u6");
  EXPECT_EQ(e.assistant_turn().turn_id(), "a6");
  ASSERT_EQ(e.history_size(), 10);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(e.history(2 * i).turn_id(), absl::StrCat("u", i + 1));
    EXPECT_EQ(e.history(2 * i).role(), v1::ROLE_USER);
    EXPECT_EQ(e.history(2 * i).text(), absl::StrCat("question ", i + 1));
    EXPECT_EQ(e.history(2 * i + 1).turn_id(), absl::StrCat("a", i + 1));
    EXPECT_EQ(e.history(2 * i + 1).text(), absl::StrCat("answer ", i + 1));
    // What was said, not the prompt that produced an earlier reply.
    EXPECT_TRUE(e.history(2 * i + 1).system_prompt().empty());
  }
  EXPECT_EQ(e.metadata().at(kHistorySourceKey), "session");
  EXPECT_EQ(e.metadata().count(kHistoryCutKey), 0u);
  // The history survives a restart of the session (journal).
  Reopen();
  Record(User("s", "u7", "question 7", 110));
  Record(Reply("s", "a7", "answer 7", 111));
  Record(User("s", "praise2", "That was excellent", 120));
  examples = List(v1::EXAMPLE_KIND_UNSPECIFIED);
  ASSERT_EQ(examples.size(), 2u);
  ASSERT_EQ(examples[1].history_size(), 13);  // u1..a6 and the praise
  EXPECT_EQ(examples[1].history(0).turn_id(), "u1");
  EXPECT_EQ(examples[1].history(12).turn_id(), "praise");
}

TEST_F(ConversationHistoryTest, HistoryOverTheLimitsIsCutOldestFirst) {
  SessionLimits limits;
  limits.history_turns = 2;
  Reopen(limits);
  for (const v1::Turn& turn : SixExchangesEndingInPraise("s")) Record(turn);
  std::vector<v1::Example> examples = List(v1::EXAMPLE_KIND_UNSPECIFIED);
  ASSERT_EQ(examples.size(), 1u);
  ASSERT_EQ(examples[0].history_size(), 4);
  EXPECT_EQ(examples[0].history(0).turn_id(), "u4");
  // The session holds 2 * 2 + 8 turns: u1 was dropped before the capture
  // (omitted), 5 more were cut to the 4 the example keeps.
  EXPECT_EQ(examples[0].metadata().at(kHistoryOmittedKey), "1");
  EXPECT_EQ(examples[0].metadata().at(kHistoryCutKey), "5");
}

TEST_F(ConversationHistoryTest, SuppliedMessagesReplaceTheSessionsHistory) {
  SessionLimits limits;
  limits.history_turns = 2;
  Reopen(limits);
  Record(User("s", "u0", "something the backend trimmed", 1));
  Record(Reply("s", "a0", "old", 2));
  Record(User("s", "u1", "How deep for tulips?", 3));
  v1::Turn reply = Reply("s", "a1", "15-20 cm.", 4);
  for (const auto& [role, text] : std::vector<std::pair<v1::Role, std::string>>{
           {v1::ROLE_USER, "m1"},
           {v1::ROLE_ASSISTANT, "m2"},
           {v1::ROLE_USER, "m3"},
           {v1::ROLE_ASSISTANT, "m4"},
           {v1::ROLE_USER, "m5"},
           {v1::ROLE_USER, "How deep for tulips?"}}) {
    v1::ConversationMessage* message = reply.add_context_messages();
    message->set_role(role);
    message->set_text(text);
  }
  Record(reply);
  Record(User("s", "p", "Good one, Timmy!", 5));
  std::vector<v1::Example> examples = List(v1::EXAMPLE_KIND_UNSPECIFIED);
  ASSERT_EQ(examples.size(), 1u);
  const v1::Example& e = examples[0];
  EXPECT_EQ(e.metadata().at(kHistorySourceKey), "supplied");
  // The repeated user message is dropped, then the oldest cut to 4.
  ASSERT_EQ(e.history_size(), 4);
  EXPECT_EQ(e.history(0).text(), "m2");
  EXPECT_EQ(e.history(3).text(), "m5");
  EXPECT_EQ(e.metadata().at(kHistoryCutKey), "1");
  EXPECT_EQ(e.assistant_turn().context_messages_size(), 0);
}

TEST_F(ConversationHistoryTest, MalformedSuppliedMessagesChangeNothing) {
  Record(User("s", "u1", "Hi?", 1));
  const std::string before = Counters();
  v1::Turn reply = Reply("s", "a1", "Hello.", 2);
  reply.add_context_messages()->set_text("no role");
  auto response = service_->RecordTurn(reply);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  reply.mutable_context_messages(0)->set_role(v1::ROLE_USER);
  reply.mutable_context_messages(0)->clear_text();
  response = service_->RecordTurn(reply);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Counters(), before);
  // Not even its id was taken: the corrected turn is recorded.
  reply.clear_context_messages();
  EXPECT_FALSE(Record(reply).duplicate());
  v1::Turn user = User("s", "u2", "x", 3);
  user.add_context_messages()->set_role(v1::ROLE_USER);
  user.mutable_context_messages(0)->set_text("y");
  EXPECT_EQ(service_->RecordTurn(user).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ConversationHistoryTest, ResendingTheConversationChangesNothing) {
  // A window of 2 * 1 + 8 turns: the first ones are dropped from it, and
  // only their remembered ids refuse them.
  SessionLimits limits;
  limits.history_turns = 1;
  Reopen(limits);
  const std::vector<v1::Turn> turns = SixExchangesEndingInPraise("s");
  for (const v1::Turn& turn : turns) Record(turn);
  const std::string before = Counters();
  for (const v1::Turn& turn : turns) {
    v1::RecordTurnResponse response = Record(turn);
    EXPECT_TRUE(response.duplicate()) << turn.turn_id();
  }
  EXPECT_EQ(Counters(), before);
  // Also across restarts (counters start again from the dataset): the
  // first replays the journal and compacts it to a snapshot, the second
  // replays that snapshot.
  Reopen(limits);
  Reopen(limits);
  const std::string restarted = Counters();
  for (const v1::Turn& turn : turns) {
    EXPECT_TRUE(Record(turn).duplicate()) << turn.turn_id();
  }
  EXPECT_EQ(Counters(), restarted);
  // The session did not move back: a praise credits the latest reply.
  Record(User("s", "again", "That was excellent", 200));
  std::vector<v1::Example> examples = List(v1::EXAMPLE_KIND_UNSPECIFIED);
  ASSERT_EQ(examples.size(), 1u);  // a6 was credited already
}

TEST_F(ConversationHistoryTest, AnOlderTurnIsLateAndCreditsNothing) {
  Record(User("s", "u1", "Q1", 10));
  Record(Reply("s", "a1", "A1", 11));
  Record(User("s", "u2", "Q2", 20));
  Record(Reply("s", "a2", "A2", 21));
  // A praise stamped before a2, arriving now: it was about a1, which the
  // session no longer has as its latest reply.
  v1::RecordTurnResponse late = Record(User("s", "p", "Good one, Timmy!", 15));
  EXPECT_TRUE(late.late());
  EXPECT_TRUE(late.example_id().empty());
  EXPECT_TRUE(List(v1::EXAMPLE_KIND_UNSPECIFIED).empty());
  EXPECT_TRUE(Record(User("s", "p", "Good one, Timmy!", 15)).duplicate());
  auto stats = service_->GetStats();
  EXPECT_EQ(stats->late_turns(), 1);
  // The latest turns are unchanged: a praise now credits a2.
  Record(User("s", "p2", "Good one, Timmy!", 30));
  std::vector<v1::Example> examples = List(v1::EXAMPLE_KIND_UNSPECIFIED);
  ASSERT_EQ(examples.size(), 1u);
  EXPECT_EQ(examples[0].assistant_turn().turn_id(), "a2");
}

TEST_F(ConversationHistoryTest, PraisedRegenerationAfterCriticismIsAPair) {
  Record(User("s", "u0", "Hi", 1));
  Record(Reply("s", "a0", "Hello!", 2));
  Record(User("s", "u1", "Why does my kettle whistle?", 10));
  Record(Reply("s", "a1", "Because it is angry.", 11));
  v1::RecordTurnResponse criticism =
      Record(User("s", "c1", "That's wrong, Timmy.", 12));
  ASSERT_EQ(criticism.verdict(), v1::VERDICT_CRITICISM);
  EXPECT_TRUE(criticism.pair_example_id().empty());
  Record(Reply("s", "a2", "Steam squeezes through the spout.", 13, "u1"));
  v1::RecordTurnResponse praise =
      Record(User("s", "p", "Good one, Timmy!", 14));
  ASSERT_FALSE(praise.example_id().empty());
  ASSERT_FALSE(praise.pair_example_id().empty());

  std::vector<v1::Example> pairs = List(v1::EXAMPLE_KIND_PAIR);
  ASSERT_EQ(pairs.size(), 1u);
  const v1::Example& pair = pairs[0];
  EXPECT_EQ(pair.id(), praise.pair_example_id());
  EXPECT_EQ(pair.user_turn().turn_id(), "u1");
  EXPECT_EQ(pair.assistant_turn().turn_id(), "a2");
  EXPECT_EQ(pair.assistant_turn().system_prompt(), "You are Timmy (a2).");
  EXPECT_EQ(pair.rejected_turn().turn_id(), "a1");
  EXPECT_EQ(pair.rejected_turn().system_prompt(), "You are Timmy (a1).");
  EXPECT_EQ(pair.rejected_turn().memories(0).text(), "memory of a1");
  ASSERT_EQ(pair.history_size(), 2);
  EXPECT_EQ(pair.history(0).turn_id(), "u0");
  // The praised regeneration's own example answers u1 too.
  std::vector<v1::Example> singles = List(v1::EXAMPLE_KIND_SINGLE);
  ASSERT_EQ(singles.size(), 2u);
  EXPECT_EQ(singles[1].user_turn().turn_id(), "u1");
  EXPECT_EQ(singles[1].history_size(), 2);
  EXPECT_EQ(service_->GetStats()->pair_examples(), 1);

  // Retried, and after a restart: no second pair.
  EXPECT_TRUE(Record(User("s", "p", "Good one, Timmy!", 14)).duplicate());
  Reopen();
  EXPECT_EQ(List(v1::EXAMPLE_KIND_PAIR).size(), 1u);
  v1::RecordFeedbackRequest pick;
  pick.set_session_id("s");
  pick.set_preferred_turn_id("a2");
  pick.set_rejected_turn_id("a1");
  auto picked = service_->RecordFeedback(pick);
  ASSERT_TRUE(picked.ok()) << picked.status();
  EXPECT_TRUE(picked->example_id().empty());
  EXPECT_NE(picked->not_captured_reason().find("already credited"),
            std::string::npos);
}

TEST_F(ConversationHistoryTest, ThumbsDownOfOneAndPraiseOfAnotherIsAPair) {
  Record(User("s", "u1", "Name a bird.", 10));
  Record(Reply("s", "a1", "A robin.", 11, "u1"));
  Record(Reply("s", "a2", "A table.", 12, "u1"));
  v1::RecordFeedbackRequest down;
  down.set_session_id("s");
  down.set_turn_id("a2");  // not the latest reply: any the session holds
  auto rated = service_->RecordFeedback(down);
  ASSERT_TRUE(rated.ok()) << rated.status();
  EXPECT_TRUE(rated->pair_example_id().empty());
  v1::RecordFeedbackRequest up;
  up.set_session_id("s");
  up.set_turn_id("a1");
  up.set_positive(true);
  rated = service_->RecordFeedback(up);
  ASSERT_TRUE(rated.ok()) << rated.status();
  ASSERT_FALSE(rated->pair_example_id().empty());
  std::vector<v1::Example> pairs = List(v1::EXAMPLE_KIND_PAIR);
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].assistant_turn().turn_id(), "a1");
  EXPECT_EQ(pairs[0].rejected_turn().turn_id(), "a2");
}

TEST_F(ConversationHistoryTest, ExplicitPreferenceStoresAPairOnce) {
  Record(User("s", "u1", "Name a bird.", 10));
  Record(Reply("s", "a1", "A robin.", 11));
  Record(Reply("s", "a2", "A table.", 12, "u1"));
  v1::RecordFeedbackRequest pick;
  pick.set_session_id("s");
  pick.set_preferred_turn_id("a1");
  pick.set_rejected_turn_id("a2");
  pick.set_note("robins are birds");
  auto picked = service_->RecordFeedback(pick);
  ASSERT_TRUE(picked.ok()) << picked.status();
  ASSERT_FALSE(picked->example_id().empty());
  std::vector<v1::Example> pairs = List(v1::EXAMPLE_KIND_PAIR);
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].source(), v1::SOURCE_EXPLICIT);
  EXPECT_EQ(pairs[0].praise_text(), "robins are birds");
  EXPECT_EQ(pairs[0].user_turn().turn_id(), "u1");
  picked = service_->RecordFeedback(pick);
  ASSERT_TRUE(picked.ok());
  EXPECT_TRUE(picked->example_id().empty());

  // Not alternatives, unknown, older than the latest exchange, or half a
  // request: refused, nothing stored.
  Record(User("s", "u2", "Another?", 13));
  Record(User("s", "u3", "And a fish?", 14));
  Record(Reply("s", "b3", "A trout.", 15, "u3"));
  Record(Reply("s", "b2", "A wren.", 16, "u2"));
  pick.set_preferred_turn_id("b2");
  pick.set_rejected_turn_id("b3");
  EXPECT_EQ(service_->RecordFeedback(pick).status().code(),
            absl::StatusCode::kFailedPrecondition);
  pick.set_preferred_turn_id("a1");  // history now: kept without its prompt
  pick.set_rejected_turn_id("a2");
  EXPECT_EQ(service_->RecordFeedback(pick).status().code(),
            absl::StatusCode::kFailedPrecondition);
  pick.set_rejected_turn_id("nope");
  EXPECT_EQ(service_->RecordFeedback(pick).status().code(),
            absl::StatusCode::kFailedPrecondition);
  pick.clear_rejected_turn_id();
  EXPECT_EQ(service_->RecordFeedback(pick).status().code(),
            absl::StatusCode::kInvalidArgument);
  pick.set_rejected_turn_id("a1");
  EXPECT_EQ(service_->RecordFeedback(pick).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(List(v1::EXAMPLE_KIND_PAIR).size(), 1u);
  EXPECT_EQ(List(v1::EXAMPLE_KIND_UNSPECIFIED).size(), 1u);
  EXPECT_EQ(List(v1::EXAMPLE_KIND_PAIR)[0].user_turn().turn_id(), "u1");
}

TEST_F(ConversationHistoryTest, PairsAreReviewedAndExportedByKind) {
  Record(User("s", "u1", "Name a bird.", 10));
  Record(Reply("s", "a1", "A robin.", 11, "u1"));
  Record(Reply("s", "a2", "A table.", 12, "u1"));
  v1::RecordFeedbackRequest pick;
  pick.set_session_id("s");
  pick.set_preferred_turn_id("a1");
  pick.set_rejected_turn_id("a2");
  auto picked = service_->RecordFeedback(pick);
  ASSERT_TRUE(picked.ok());
  v1::ReviewExampleRequest review;
  review.set_example_id(picked->example_id());
  review.set_status(v1::REVIEW_STATUS_APPROVED);
  ASSERT_TRUE(service_->ReviewExample(review).ok());
  v1::ExportExamplesRequest request;
  request.set_kind(v1::EXAMPLE_KIND_PAIR);
  request.set_status(v1::REVIEW_STATUS_APPROVED);
  EXPECT_EQ(ExportedIds(request),
            std::vector<std::string>{picked->example_id()});
  request.set_kind(v1::EXAMPLE_KIND_SINGLE);
  EXPECT_TRUE(ExportedIds(request).empty());
}

}  // namespace
}  // namespace ftcapture
