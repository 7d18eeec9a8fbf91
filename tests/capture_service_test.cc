#include "src/service/capture_service.h"

#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/session/session_journal.h"
#include "src/util/env.h"
#include "src/util/mutex.h"
#include "src/util/proto_time.h"
#include "tests/util/service_calls.h"
#include "tests/util/temp_dir.h"
#include "tests/util/text_files.h"
#include "tests/util/turns.h"

namespace ftcapture {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::Turn Assistant(const std::string& session, const std::string& id,
                   const std::string& text, const std::string& prompt) {
  v1::Turn turn = BasicTurn(session, id, v1::ROLE_ASSISTANT, text);
  turn.set_system_prompt(prompt);
  v1::Memory* memory = turn.add_memories();
  memory->set_text("Dan's cat was a Maine Coon named Rufus.");
  memory->set_category("pets");
  memory->set_importance(7);
  (*turn.mutable_metadata())["model"] = "timmy-7b";
  return turn;
}

// The real Env, with a clock the test may stop at a time of its choice.
class ClockEnv : public EnvWrapper {
 public:
  ClockEnv() : EnvWrapper(Env::Default()) {}
  absl::Time Now() override {
    MutexLock lock(&mu_);
    return stopped_at_.value_or(absl::Now());
  }
  void StopAt(absl::Time now) {
    MutexLock lock(&mu_);
    stopped_at_ = now;
  }

 private:
  Mutex mu_;
  std::optional<absl::Time> stopped_at_ ABSL_GUARDED_BY(mu_);
};

class CaptureServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    service_.reset();
    CaptureService::Options options;
    options.data_dir = dir_.path();
    options.sync = SyncPolicy::kNone;
    options.max_turn_bytes = 64 * 1024;
    options.max_clock_skew = max_clock_skew_;
    options.log = [this](const std::string& line) { log_.push_back(line); };
    absl::StatusOr<std::unique_ptr<CaptureService>> service =
        CaptureService::Open(options, &clock_);
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
  }

  v1::RecordTurnResponse Record(const v1::Turn& turn) {
    return RecordOrFail(*service_, turn);
  }
  v1::GetStatsResponse Stats() { return StatsOrFail(*service_); }

  std::vector<v1::Example> AllExamples() {
    v1::ListExamplesRequest request;
    request.set_page_size(1000);
    absl::StatusOr<v1::ListExamplesResponse> response =
        service_->ListExamples(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return {response->examples().begin(), response->examples().end()};
  }

  std::string Markdown() {
    return ReadFileOrEmpty(dir_.path() +
                           "/fine_tuning_best_case_interchanges.md");
  }

  TempDir dir_;
  std::vector<std::string> log_;
  ClockEnv clock_;
  absl::Duration max_clock_skew_ = CaptureService::Options().max_clock_skew;
  std::unique_ptr<CaptureService> service_;
};

TEST_F(CaptureServiceTest, PraiseCapturesTheReplyWithItsOwnPrompt) {
  Record(UserTurn("s1", "u1", "What is this thing I'm holding?"));
  Record(Assistant("s1", "a1", "A brass whistle, obviously.", "PROMPT-1"));
  Record(UserTurn("s1", "u2", "And what did my cat look like?"));
  Record(Assistant("s1", "a2", "A fluffy Maine Coon.", "PROMPT-2"));
  v1::RecordTurnResponse praise =
      Record(UserTurn("s1", "u3", "Good one, Timmy!"));
  EXPECT_TRUE(praise.praise());
  EXPECT_EQ(praise.verdict(), v1::VERDICT_PRAISE);
  EXPECT_FALSE(praise.rule().empty());
  ASSERT_FALSE(praise.example_id().empty());
  // The next reply's prompt must not leak into the example (the original's
  // bug captured the prompt built for the praise turn).
  Record(Assistant("s1", "a3", "I know.", "PROMPT-3"));

  std::vector<v1::Example> examples = AllExamples();
  ASSERT_EQ(examples.size(), 1);
  const v1::Example& example = examples[0];
  EXPECT_EQ(example.id(), praise.example_id());
  EXPECT_EQ(example.session_id(), "s1");
  EXPECT_EQ(example.user_turn().turn_id(), "u2");
  EXPECT_EQ(example.user_turn().text(), "And what did my cat look like?");
  EXPECT_EQ(example.assistant_turn().turn_id(), "a2");
  EXPECT_EQ(example.assistant_turn().system_prompt(), "PROMPT-2");
  ASSERT_EQ(example.assistant_turn().memories_size(), 1);
  EXPECT_EQ(example.assistant_turn().memories(0).category(), "pets");
  EXPECT_EQ(example.assistant_turn().metadata().at("model"), "timmy-7b");
  EXPECT_EQ(example.praise_turn().turn_id(), "u3");
  EXPECT_EQ(example.praise_text(), "Good one, Timmy!");
  EXPECT_EQ(example.label(), v1::LABEL_POSITIVE);
  EXPECT_EQ(example.source(), v1::SOURCE_IMPLICIT);
  EXPECT_EQ(example.status(), v1::REVIEW_STATUS_PENDING);
  EXPECT_TRUE(example.has_captured_at());
  EXPECT_TRUE(example.praise_turn().has_time()) << "server time when unset";

  const std::string markdown = Markdown();
  EXPECT_EQ(CountOccurrences(markdown, "## Example Captured:"), 1);
  EXPECT_NE(markdown.find("PROMPT-2"), std::string::npos);
  EXPECT_EQ(markdown.find("PROMPT-3"), std::string::npos);
}

TEST_F(CaptureServiceTest, PraiseBecomesTheQuestionTheNextReplyAnswers) {
  Record(UserTurn("s", "u1", "Name a tool."));
  Record(Assistant("s", "a1", "A wrench.", "P1"));
  Record(UserTurn("s", "u2", "Good one, Timmy. Now name a metal."));
  Record(Assistant("s", "a2", "Brass.", "P2"));
  v1::RecordTurnResponse second = Record(UserTurn("s", "u3", "Nice one!"));
  ASSERT_FALSE(second.example_id().empty());
  std::vector<v1::Example> examples = AllExamples();
  ASSERT_EQ(examples.size(), 2);
  EXPECT_EQ(examples[1].user_turn().text(),
            "Good one, Timmy. Now name a metal.");
  EXPECT_EQ(examples[1].assistant_turn().system_prompt(), "P2");
}

TEST_F(CaptureServiceTest, RetriedTurnIsAcknowledgedWithNoFurtherEffect) {
  Record(UserTurn("s", "u1", "Hi"));
  Record(Assistant("s", "a1", "Hello.", "P"));
  v1::RecordTurnResponse first = Record(UserTurn("s", "u2", "Good one, Timmy"));
  v1::RecordTurnResponse retry = Record(UserTurn("s", "u2", "Good one, Timmy"));
  EXPECT_TRUE(retry.duplicate());
  EXPECT_EQ(retry.example_id(), first.example_id());
  // A retried assistant turn does not replace anything either.
  EXPECT_TRUE(Record(Assistant("s", "a1", "Hello.", "P")).duplicate());
  v1::GetStatsResponse stats = Stats();
  EXPECT_EQ(stats.examples_total(), 1);
  EXPECT_EQ(stats.praise_seen(), 1);
  EXPECT_EQ(stats.turns_seen(), 3);
}

TEST_F(CaptureServiceTest, AReplyIsCreditedAtMostOnce) {
  Record(UserTurn("s", "u1", "Hi"));
  Record(Assistant("s", "a1", "Hello.", "P"));
  v1::RecordTurnResponse first = Record(UserTurn("s", "u2", "Good one, Timmy"));
  v1::RecordTurnResponse second = Record(UserTurn("s", "u3", "Well done!"));
  EXPECT_TRUE(second.praise());
  EXPECT_TRUE(second.example_id().empty());
  EXPECT_NE(second.not_captured_reason().find(first.example_id()),
            std::string::npos)
      << second.not_captured_reason();
  EXPECT_EQ(Stats().examples_total(), 1);
}

TEST_F(CaptureServiceTest, PraiseWithNothingToCreditIsCountedNotCaptured) {
  v1::RecordTurnResponse response =
      Record(UserTurn("fresh", "u1", "Nice one!"));
  EXPECT_TRUE(response.praise());
  EXPECT_TRUE(response.example_id().empty());
  EXPECT_FALSE(response.not_captured_reason().empty());
  v1::GetStatsResponse stats = Stats();
  EXPECT_EQ(stats.praise_uncredited(), 1);
  EXPECT_EQ(stats.examples_total(), 0);
  EXPECT_EQ(stats.dataset_bytes(), 0);
}

// An example teaches a reply to a user message: feedback on a reply that
// answers none is counted as uncredited and stores nothing.
class ReplyWithoutUserMessageTest : public CaptureServiceTest {
 protected:
  // Records a praise of the session's latest reply and checks that it was
  // seen, not captured, and counted as uncredited; returns the reason.
  std::string PraiseNotCaptured(const std::string& session) {
    v1::RecordTurnResponse praise =
        Record(UserTurn(session, "praise", "Good one, Timmy!"));
    EXPECT_TRUE(praise.praise());
    EXPECT_TRUE(praise.example_id().empty());
    EXPECT_THAT(praise.not_captured_reason(), HasSubstr("nothing to credit"));
    EXPECT_EQ(Stats().praise_uncredited(), 1);
    ExpectNothingStored();
    return praise.not_captured_reason();
  }

  void ExpectNothingStored() {
    EXPECT_TRUE(AllExamples().empty());
    v1::GetStatsResponse stats = Stats();
    EXPECT_EQ(stats.examples_total(), 0);
    EXPECT_EQ(stats.examples_captured_since_start(), 0);
    EXPECT_EQ(stats.dataset_bytes(), 0);
    EXPECT_EQ(stats.markdown_bytes(), 0);
  }
};

TEST_F(ReplyWithoutUserMessageTest, PraiseOfAGreetingCapturesNothing) {
  Record(Assistant("greet", "a0", "Hi, I am Timmy. Ask me anything!",
                   "You are Timmy."));
  EXPECT_THAT(PraiseNotCaptured("greet"),
              HasSubstr("reply a0 answers no user message"));
  // A resent praise (a client retry) does not capture it either.
  v1::RecordTurnResponse retry =
      Record(UserTurn("greet", "praise", "Good one, Timmy!"));
  EXPECT_TRUE(retry.duplicate());
  EXPECT_TRUE(retry.example_id().empty());
  ExpectNothingStored();
}

TEST_F(ReplyWithoutUserMessageTest, ReplyToAnUnknownTurnIsKeptButNotCredited) {
  Record(UserTurn("s", "u1", "Q one"));
  v1::Turn reply = Assistant("s", "a1", "A one", "P");
  reply.set_reply_to("nope");
  // The reply itself is accepted: its question may have left the window.
  v1::RecordTurnResponse recorded = Record(reply);
  EXPECT_FALSE(recorded.duplicate());
  EXPECT_EQ(Stats().assistant_turns_seen(), 1);
  EXPECT_THAT(PraiseNotCaptured("s"), HasSubstr("reply_to"));
}

TEST_F(ReplyWithoutUserMessageTest, ReplyToAnAssistantTurnIsNotCredited) {
  Record(Assistant("s", "a0", "Hello.", "P"));
  Record(UserTurn("s", "u1", "Q one"));
  v1::Turn reply = Assistant("s", "a1", "A one", "P");
  reply.set_reply_to("a0");
  Record(reply);
  EXPECT_THAT(PraiseNotCaptured("s"),
              HasSubstr("reply a1 answers no user message"));
}

TEST_F(ReplyWithoutUserMessageTest, UserTurnArrivingAfterItsReplyIsNotUsed) {
  v1::Turn reply = Assistant("s", "a1", "A one", "P");
  reply.mutable_time()->set_seconds(1790000010);
  Record(reply);
  v1::Turn question = UserTurn("s", "u1", "Q one");
  question.mutable_time()->set_seconds(1790000005);
  EXPECT_TRUE(Record(question).late());
  v1::Turn praise = UserTurn("s", "praise", "Good one, Timmy!");
  praise.mutable_time()->set_seconds(1790000020);
  v1::RecordTurnResponse response = Record(praise);
  EXPECT_TRUE(response.praise());
  EXPECT_TRUE(response.example_id().empty());
  EXPECT_THAT(response.not_captured_reason(),
              HasSubstr("reply a1 answers no user message"));
  EXPECT_EQ(Stats().praise_uncredited(), 1);
  ExpectNothingStored();
}

TEST_F(ReplyWithoutUserMessageTest, ThumbsOnSuchAReplyIsNotFound) {
  Record(Assistant("greet", "a0", "Hi, I am Timmy.", "P"));
  v1::RecordFeedbackRequest request;
  request.set_session_id("greet");
  request.set_positive(true);
  absl::Status latest = service_->RecordFeedback(request).status();
  EXPECT_EQ(latest.code(), absl::StatusCode::kNotFound) << latest;
  EXPECT_THAT(latest.message(), HasSubstr("reply a0 answers no user message"));
  request.set_turn_id("a0");
  absl::Status named = service_->RecordFeedback(request).status();
  EXPECT_EQ(named.code(), absl::StatusCode::kNotFound) << named;
  ExpectNothingStored();
}

TEST_F(ReplyWithoutUserMessageTest, PreferenceBetweenSuchRepliesIsRefused) {
  Record(UserTurn("s", "u1", "Q one"));
  for (const char* id : {"a1", "a2"}) {
    v1::Turn reply = Assistant("s", id, absl::StrCat("answer ", id), "P");
    reply.set_reply_to("gone");  // alternatives to a question not held
    Record(reply);
  }
  v1::RecordFeedbackRequest request;
  request.set_session_id("s");
  request.set_preferred_turn_id("a2");
  request.set_rejected_turn_id("a1");
  // (The window keeps only the latest of them whole: a1 is not ratable.)
  absl::Status refused = service_->RecordFeedback(request).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  ExpectNothingStored();
}

// Windows journaled before empty texts were refused at RecordTurn.
TEST_F(ReplyWithoutUserMessageTest, JournaledEmptyTextsAreNotCredited) {
  service_.reset();
  const absl::Time now = absl::Now();
  {
    auto journal = SessionJournal::Open(
        Env::Default(), dir_.path(), /*shards=*/1, now - absl::Hours(1),
        [](absl::string_view, absl::Time,
           absl::FunctionRef<void(SessionWindow&)>) {});
    ASSERT_TRUE(journal.ok()) << journal.status();
    auto add = [&](const std::string& session, const std::string& id,
                   v1::Role role, const std::string& text) {
      v1::Turn turn = BasicTurn(session, id, role, text);
      *turn.mutable_time() = ToProtoTime(now);
      ASSERT_TRUE((*journal)->Append(0, *StoredTurn::FromTurn(turn), now).ok());
    };
    add("empty-question", "u1", v1::ROLE_USER, "");
    add("empty-question", "a1", v1::ROLE_ASSISTANT, "A one");
    add("empty-reply", "u1", v1::ROLE_USER, "Q one");
    add("empty-reply", "a1", v1::ROLE_ASSISTANT, "");
    add("empty-question-pair", "u1", v1::ROLE_USER, "");
    add("empty-question-pair", "a1", v1::ROLE_ASSISTANT, "A one");
    add("empty-question-pair", "a2", v1::ROLE_ASSISTANT, "A two");
  }
  Reopen();
  v1::RecordTurnResponse praise =
      Record(UserTurn("empty-question", "praise", "Good one, Timmy!"));
  EXPECT_TRUE(praise.example_id().empty());
  EXPECT_THAT(praise.not_captured_reason(),
              HasSubstr("reply a1 answers an empty user message (turn u1)"));
  praise = Record(UserTurn("empty-reply", "praise", "Good one, Timmy!"));
  EXPECT_TRUE(praise.example_id().empty());
  EXPECT_THAT(praise.not_captured_reason(), HasSubstr("reply a1 is empty"));
  EXPECT_EQ(Stats().praise_uncredited(), 2);
  v1::RecordFeedbackRequest preference;
  preference.set_session_id("empty-question-pair");
  preference.set_preferred_turn_id("a2");
  preference.set_rejected_turn_id("a1");
  absl::Status refused = service_->RecordFeedback(preference).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_THAT(refused.message(),
              HasSubstr("reply a2 answers an empty user message (turn u1)"));
  ExpectNothingStored();
}

TEST_F(CaptureServiceTest, OrdinaryTurnsCaptureNothing) {
  Record(UserTurn("s", "u1", "The weather is nice."));
  Record(Assistant("s", "a1", "Sure.", "P"));
  v1::RecordTurnResponse response =
      Record(UserTurn("s", "u2", "Tell me more."));
  EXPECT_FALSE(response.praise());
  EXPECT_EQ(response.verdict(), v1::VERDICT_NONE);
  EXPECT_TRUE(response.example_id().empty());
  v1::GetStatsResponse stats = Stats();
  EXPECT_EQ(stats.turns_seen(), 3);
  EXPECT_EQ(stats.user_turns_seen(), 2);
  EXPECT_EQ(stats.assistant_turns_seen(), 1);
  EXPECT_EQ(stats.dataset_bytes(), 0);
  EXPECT_EQ(stats.markdown_bytes(), 0);
}

TEST_F(CaptureServiceTest, BadTurnsAreRejectedAndChangeNothing) {
  v1::Turn no_session = UserTurn("", "u1", "Good one, Timmy");
  EXPECT_EQ(service_->RecordTurn(no_session).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::Turn no_role = UserTurn("s", "u1", "Good one, Timmy");
  no_role.set_role(v1::ROLE_UNSPECIFIED);
  EXPECT_EQ(service_->RecordTurn(no_role).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::Turn huge = UserTurn("s", "u1", std::string(65 * 1024, 'x'));
  absl::Status too_big = service_->RecordTurn(huge).status();
  EXPECT_EQ(too_big.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(too_big.message().find("65536"), std::string::npos) << too_big;
  EXPECT_NE(too_big.message().find("max_turn_bytes"), std::string::npos);
  v1::GetStatsResponse stats = Stats();
  EXPECT_EQ(stats.turns_seen(), 0);
  EXPECT_EQ(stats.praise_seen(), 0);
  EXPECT_EQ(stats.live_sessions(), 0);
}

TEST_F(CaptureServiceTest, UnknownRoleIsNamedAsUnknownNotMissing) {
  v1::Turn turn = UserTurn("s", "u1", "Hi");
  turn.set_role(static_cast<v1::Role>(7));
  absl::Status status = service_->RecordTurn(turn).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("turn.role 7 is not a known role"));
  EXPECT_EQ(Stats().turns_seen(), 0);
}

// A reply without text after a user turn, then praise: the empty reply was
// captured and exported as {"role":"assistant","content":""}.
TEST_F(CaptureServiceTest, TurnsWithoutTextAreRejectedAndChangeNothing) {
  Record(UserTurn("s", "u1", "Tell me a joke."));
  const v1::GetStatsResponse before = Stats();
  for (const std::string& blank : {std::string(), std::string(" \t\r\n"),
                                   std::string("\xC2\xA0\xE3\x80\x80")}) {
    for (const v1::Turn& turn :
         {UserTurn("s", "u2", blank), Assistant("s", "a1", blank, "P")}) {
      absl::Status status = service_->RecordTurn(turn).status();
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument)
          << turn.role() << " '" << blank << "'";
      EXPECT_THAT(status.message(), HasSubstr("turn.text"));
    }
  }
  const v1::GetStatsResponse after = Stats();
  EXPECT_EQ(after.turns_seen(), before.turns_seen());
  EXPECT_EQ(after.live_window_bytes(), before.live_window_bytes());
  EXPECT_TRUE(
      Record(UserTurn("s", "u3", "Good one, Timmy!")).example_id().empty());
  EXPECT_EQ(Stats().examples_total(), 0);

  // Neither refused id was remembered, and the session captures as usual.
  EXPECT_FALSE(Record(Assistant("s", "a1", "Knock knock.", "P")).duplicate());
  EXPECT_FALSE(
      Record(UserTurn("s", "u4", "Good one, Timmy!")).example_id().empty());
  std::vector<v1::Example> examples = AllExamples();
  ASSERT_EQ(examples.size(), 1);
  EXPECT_EQ(examples[0].assistant_turn().text(), "Knock knock.");
}

TEST_F(CaptureServiceTest, PromptAndMemoriesOnAUserTurnAreRejected) {
  v1::Turn prompt = UserTurn("s", "u1", "Hi");
  prompt.set_system_prompt("You are Timmy.");
  absl::Status status = service_->RecordTurn(prompt).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("turn.system_prompt is only for assistant turns"));

  v1::Turn memories = UserTurn("s", "u1", "Hi");
  memories.add_memories()->set_text("Dan has a cat.");
  status = service_->RecordTurn(memories).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("turn.memories is only for assistant turns"));

  const v1::GetStatsResponse stats = Stats();
  EXPECT_EQ(stats.turns_seen(), 0);
  EXPECT_EQ(stats.live_sessions(), 0);
}

// One turn dated 9999 made every later turn of its session late, so the
// session never captured again.
TEST_F(CaptureServiceTest, TurnFromTheFutureIsRejectedAndTheSessionGoesOn) {
  const absl::Time now = absl::FromUnixSeconds(1790000000);
  clock_.StopAt(now);
  v1::Turn future = UserTurn("s", "u0", "Hi");
  *future.mutable_time() = ToProtoTime(absl::FromCivil(
      absl::CivilSecond(9999, 1, 1, 0, 0, 0), absl::UTCTimeZone()));
  absl::Status status = service_->RecordTurn(future).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("turn.time 9999-01-01T00:00:00"));
  EXPECT_THAT(status.message(), HasSubstr("ahead of the server's clock"));
  EXPECT_THAT(status.message(), HasSubstr("at most 10m"));
  EXPECT_EQ(Stats().turns_seen(), 0);
  EXPECT_EQ(Stats().live_sessions(), 0);

  Record(UserTurn("s", "u1", "Tell me a joke."));
  EXPECT_FALSE(Record(Assistant("s", "a1", "Knock knock.", "P")).late());
  v1::RecordTurnResponse praise =
      Record(UserTurn("s", "u2", "Good one, Timmy!"));
  EXPECT_FALSE(praise.late());
  EXPECT_FALSE(praise.example_id().empty());

  // A backend's clock a few minutes ahead is fine, up to the limit.
  v1::Turn skewed = UserTurn("t", "u1", "Hi");
  *skewed.mutable_time() = ToProtoTime(now + absl::Minutes(10));
  EXPECT_TRUE(service_->RecordTurn(skewed).ok());
  *skewed.mutable_time() =
      ToProtoTime(now + absl::Minutes(10) + absl::Seconds(1));
  skewed.set_turn_id("u2");
  EXPECT_EQ(service_->RecordTurn(skewed).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CaptureServiceTest, ClockSkewLimitIsAnOption) {
  clock_.StopAt(absl::FromUnixSeconds(1790000000));
  v1::Turn turn = UserTurn("s", "u1", "Hi");
  *turn.mutable_time() =
      ToProtoTime(absl::FromUnixSeconds(1790000000) + absl::Minutes(2));
  max_clock_skew_ = absl::Minutes(1);
  Reopen();
  absl::Status status = service_->RecordTurn(turn).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("at most 1m"));
  max_clock_skew_ = absl::InfiniteDuration();
  Reopen();
  turn.mutable_time()->set_seconds(253402300799);  // 9999-12-31T23:59:59Z
  EXPECT_TRUE(service_->RecordTurn(turn).ok());
}

TEST_F(CaptureServiceTest, CriticismIsANegativeExampleKeptOutOfTheMarkdown) {
  Record(UserTurn("s", "u1", "Who made you?"));
  Record(Assistant("s", "a1", "The Queen of England.", "P"));
  v1::RecordTurnResponse response =
      Record(UserTurn("s", "u2", "That was a hallucination."));
  EXPECT_EQ(response.verdict(), v1::VERDICT_CRITICISM);
  EXPECT_FALSE(response.praise());
  ASSERT_FALSE(response.example_id().empty());
  std::vector<v1::Example> examples = AllExamples();
  ASSERT_EQ(examples.size(), 1);
  EXPECT_EQ(examples[0].label(), v1::LABEL_NEGATIVE);
  EXPECT_EQ(Markdown().find("Queen of England"), std::string::npos);
  EXPECT_EQ(Stats().negative_examples(), 1);
}

TEST_F(CaptureServiceTest,
       WeakCriticismIsALowConfidenceNegativeLeftOutOfExports) {
  Record(UserTurn("s", "u1", "When did we get the cats?"));
  Record(Assistant("s", "a1", "In 2021, I believe.", "P"));
  v1::RecordTurnResponse weak =
      Record(UserTurn("s", "u2", "Wrong year, it was 2019."));
  EXPECT_EQ(weak.verdict(), v1::VERDICT_CRITICISM);
  EXPECT_EQ(weak.confidence(), v1::CONFIDENCE_LOW);
  ASSERT_FALSE(weak.example_id().empty());
  Record(UserTurn("t", "u1", "Tell me a joke."));
  Record(Assistant("t", "a1", "Why did the robot cross the road?", "P"));
  v1::RecordTurnResponse strong =
      Record(UserTurn("t", "u2", "That was way too long."));
  EXPECT_EQ(strong.confidence(), v1::CONFIDENCE_HIGH);

  std::vector<v1::Example> examples = AllExamples();
  ASSERT_EQ(examples.size(), 2);
  EXPECT_EQ(examples[0].label(), v1::LABEL_NEGATIVE);
  EXPECT_EQ(examples[0].confidence(), v1::CONFIDENCE_LOW);
  EXPECT_EQ(examples[0].status(), v1::REVIEW_STATUS_PENDING);
  EXPECT_EQ(examples[1].confidence(), v1::CONFIDENCE_HIGH);

  auto exported = [&](v1::Confidence min_confidence) {
    v1::ExportExamplesRequest request;
    request.set_min_confidence(min_confidence);
    std::vector<std::string> ids;
    EXPECT_TRUE(service_
                    ->ExportExamples(request,
                                     [&](const v1::Example& example) {
                                       ids.push_back(example.id());
                                       return true;
                                     })
                    .ok());
    return ids;
  };
  EXPECT_THAT(exported(v1::CONFIDENCE_UNSPECIFIED),
              ElementsAre(strong.example_id()));
  EXPECT_THAT(exported(v1::CONFIDENCE_HIGH), ElementsAre(strong.example_id()));
  EXPECT_THAT(exported(v1::CONFIDENCE_LOW),
              ElementsAre(weak.example_id(), strong.example_id()));

  // A reviewer who approves the weak one vouches for it.
  v1::ReviewExampleRequest review;
  review.set_example_id(weak.example_id());
  review.set_status(v1::REVIEW_STATUS_APPROVED);
  ASSERT_TRUE(service_->ReviewExample(review).ok());
  EXPECT_THAT(exported(v1::CONFIDENCE_HIGH),
              ElementsAre(weak.example_id(), strong.example_id()));
}

TEST_F(CaptureServiceTest, MixedMessageIsPraiseWithTheCriticismInMetadata) {
  Record(UserTurn("s", "u1", "How do magnets work?"));
  Record(Assistant("s", "a1", "Spinning electrons line up.", "P"));
  v1::Turn praise = UserTurn("s", "u2", "Lovely answer, but far too long.");
  (*praise.mutable_metadata())["channel"] = "voice";
  v1::RecordTurnResponse response = Record(praise);
  EXPECT_EQ(response.verdict(), v1::VERDICT_PRAISE);
  EXPECT_FALSE(response.mixed_criticism_rule().empty());
  std::vector<v1::Example> examples = AllExamples();
  ASSERT_EQ(examples.size(), 1);
  EXPECT_EQ(examples[0].label(), v1::LABEL_POSITIVE);
  const auto& metadata = examples[0].metadata();
  EXPECT_EQ(metadata.at("channel"), "voice");
  EXPECT_EQ(metadata.at("ftcapture.criticism_rule"),
            response.mixed_criticism_rule());
  EXPECT_THAT(metadata.at("ftcapture.criticism_evidence"),
              HasSubstr("too long"));
  EXPECT_EQ(metadata.at("ftcapture.criticism_confidence"), "strong");
}

TEST_F(CaptureServiceTest, ExplicitFeedbackCreditsTheLatestReply) {
  Record(UserTurn("s", "u1", "Tell me a joke."));
  Record(Assistant("s", "a1", "Your soldering.", "P"));
  v1::RecordFeedbackRequest request;
  request.set_session_id("s");
  request.set_positive(true);
  request.set_note("thumbs up from the web UI");
  absl::StatusOr<v1::RecordFeedbackResponse> response =
      service_->RecordFeedback(request);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_FALSE(response->example_id().empty());
  std::vector<v1::Example> examples = AllExamples();
  ASSERT_EQ(examples.size(), 1);
  EXPECT_EQ(examples[0].source(), v1::SOURCE_EXPLICIT);
  EXPECT_EQ(examples[0].assistant_turn().turn_id(), "a1");
  EXPECT_EQ(examples[0].user_turn().turn_id(), "u1");

  // Rating it again, or rating a turn that is not the latest reply.
  absl::StatusOr<v1::RecordFeedbackResponse> again =
      service_->RecordFeedback(request);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->example_id().empty());
  request.set_turn_id("a0");
  EXPECT_EQ(service_->RecordFeedback(request).status().code(),
            absl::StatusCode::kFailedPrecondition);
  request.set_session_id("unknown");
  request.clear_turn_id();
  EXPECT_EQ(service_->RecordFeedback(request).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(CaptureServiceTest, RestartRestoresExamplesDedupAndSessions) {
  Record(UserTurn("s", "u1", "Hi"));
  Record(Assistant("s", "a1", "Hello.", "P1"));
  ASSERT_FALSE(
      Record(UserTurn("s", "u2", "Good one, Timmy")).example_id().empty());
  Record(UserTurn("t", "v1", "What's my iguana called?"));
  Record(Assistant("t", "b1", "Ziggy.", "PT"));
  Reopen();

  v1::GetStatsResponse stats = Stats();
  EXPECT_EQ(stats.examples_total(), 1);
  // The reply praised before the restart is not credited again...
  v1::RecordTurnResponse again = Record(UserTurn("s", "u3", "Nice one!"));
  EXPECT_TRUE(again.example_id().empty());
  // ...a retry from before the restart is still a retry...
  EXPECT_TRUE(Record(UserTurn("s", "u2", "Good one, Timmy")).duplicate());
  // ...and a reply given before the restart can be praised after it.
  v1::RecordTurnResponse praise =
      Record(UserTurn("t", "v2", "Good one, Timmy!"));
  ASSERT_FALSE(praise.example_id().empty());
  std::vector<v1::Example> examples = AllExamples();
  ASSERT_EQ(examples.size(), 2);
  EXPECT_EQ(examples[1].assistant_turn().system_prompt(), "PT");
  EXPECT_EQ(examples[1].user_turn().text(), "What's my iguana called?");
}

TEST_F(CaptureServiceTest, ListExamplesPagesAndFilters) {
  for (int i = 0; i < 7; ++i) {
    const std::string s = absl::StrCat("s", i);
    Record(UserTurn(s, "u1", "Hi"));
    Record(Assistant(s, "a1", "Hello.", "P"));
    Record(
        UserTurn(s, "u2", i % 2 == 0 ? "Good one, Timmy" : "Terrible answer."));
  }
  v1::ListExamplesRequest request;
  request.set_page_size(3);
  std::vector<std::string> ids;
  for (int page = 0; page < 10; ++page) {
    absl::StatusOr<v1::ListExamplesResponse> response =
        service_->ListExamples(request);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->total_size(), 7);
    for (const v1::Example& example : response->examples()) {
      ids.push_back(example.id());
    }
    if (response->next_page_token().empty()) break;
    request.set_page_token(response->next_page_token());
  }
  EXPECT_EQ(ids.size(), 7);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 7);

  v1::ListExamplesRequest positives;
  positives.set_label(v1::LABEL_POSITIVE);
  EXPECT_EQ(service_->ListExamples(positives)->examples_size(), 4);

  v1::ListExamplesRequest bad;
  bad.set_page_token("not-a-token");
  EXPECT_EQ(service_->ListExamples(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Unknown filter values answered OK with nothing, as if no example matched.
TEST_F(CaptureServiceTest, UnknownFilterValuesAreRejectedNamingThem) {
  Record(UserTurn("s", "u1", "Hi"));
  Record(Assistant("s", "a1", "Hello.", "P"));
  Record(UserTurn("s", "u2", "Good one, Timmy"));
  ASSERT_EQ(AllExamples().size(), 1);

  v1::ListExamplesRequest status;
  status.set_status(static_cast<v1::ReviewStatus>(7));
  v1::ListExamplesRequest label;
  label.set_label(static_cast<v1::Label>(7));
  v1::ListExamplesRequest kind;
  kind.set_kind(static_cast<v1::ExampleKind>(5));
  for (const auto& [request, named] :
       {std::pair{status, "status 7"}, std::pair{label, "label 7"},
        std::pair{kind, "kind 5"}}) {
    absl::Status listed = service_->ListExamples(request).status();
    EXPECT_EQ(listed.code(), absl::StatusCode::kInvalidArgument) << named;
    EXPECT_THAT(listed.message(), HasSubstr(named));
  }

  v1::ExportExamplesRequest export_status;
  export_status.set_status(static_cast<v1::ReviewStatus>(7));
  v1::ExportExamplesRequest export_label;
  export_label.set_label(static_cast<v1::Label>(9));
  v1::ExportExamplesRequest export_confidence;
  export_confidence.set_min_confidence(static_cast<v1::Confidence>(3));
  for (const auto& [request, named] :
       {std::pair{export_status, "status 7"},
        std::pair{export_label, "label 9"},
        std::pair{export_confidence, "min_confidence 3"}}) {
    int emitted = 0;
    absl::Status exported =
        service_->ExportExamples(request, [&emitted](const v1::Example&) {
          ++emitted;
          return true;
        });
    EXPECT_EQ(exported.code(), absl::StatusCode::kInvalidArgument) << named;
    EXPECT_THAT(exported.message(), HasSubstr(named));
    EXPECT_EQ(emitted, 0);
  }
}

TEST_F(CaptureServiceTest, ReviewsPersistAcrossRestarts) {
  Record(UserTurn("s", "u1", "Hi"));
  Record(Assistant("s", "a1", "Hello.", "P"));
  const std::string id =
      Record(UserTurn("s", "u2", "Good one, Timmy")).example_id();
  v1::ReviewExampleRequest review;
  review.set_example_id(id);
  review.set_status(v1::REVIEW_STATUS_APPROVED);
  review.set_note("keeps the voice");
  absl::StatusOr<v1::ReviewExampleResponse> reviewed =
      service_->ReviewExample(review);
  ASSERT_TRUE(reviewed.ok()) << reviewed.status();
  EXPECT_EQ(reviewed->example().status(), v1::REVIEW_STATUS_APPROVED);
  Reopen();
  v1::ListExamplesRequest approved;
  approved.set_status(v1::REVIEW_STATUS_APPROVED);
  absl::StatusOr<v1::ListExamplesResponse> listed =
      service_->ListExamples(approved);
  ASSERT_EQ(listed->examples_size(), 1);
  EXPECT_EQ(listed->examples(0).review_note(), "keeps the voice");
  EXPECT_EQ(Stats().approved_examples(), 1);

  review.set_example_id("ex-missing");
  EXPECT_EQ(service_->ReviewExample(review).status().code(),
            absl::StatusCode::kNotFound);
  review.set_example_id(id);
  review.set_status(v1::REVIEW_STATUS_UNSPECIFIED);
  EXPECT_EQ(service_->ReviewExample(review).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CaptureServiceTest, ReviewWithoutAnExampleIdIsInvalidNotNotFound) {
  v1::ReviewExampleRequest review;
  review.set_status(v1::REVIEW_STATUS_APPROVED);
  absl::Status status = service_->ReviewExample(review).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "example_id is required");
}

TEST_F(CaptureServiceTest, ImportIsIdempotent) {
  v1::ImportExamplesRequest request;
  v1::Example* example = request.add_examples();
  example->mutable_user_turn()->set_text("Say the word.");
  example->mutable_assistant_turn()->set_text("Jack-o-leoh!");
  example->mutable_assistant_turn()->set_system_prompt("You are Timmy.");
  example->set_praise_text("amazing dude");
  absl::StatusOr<v1::ImportExamplesResponse> first =
      service_->ImportExamples(request);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->imported(), 1);
  absl::StatusOr<v1::ImportExamplesResponse> second =
      service_->ImportExamples(request);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->imported(), 0);
  EXPECT_EQ(second->already_present(), 1);
  std::vector<v1::Example> examples = AllExamples();
  ASSERT_EQ(examples.size(), 1);
  EXPECT_EQ(examples[0].source(), v1::SOURCE_IMPORTED);

  v1::ImportExamplesRequest bad;
  bad.add_examples()->set_praise_text("no reply");
  EXPECT_EQ(service_->ImportExamples(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CaptureServiceTest, ImportOfAnExampleWithoutTextStoresNothing) {
  v1::ImportExamplesRequest request;
  v1::Example* good = request.add_examples();
  good->mutable_user_turn()->set_text("Say the word.");
  good->mutable_assistant_turn()->set_text("Jack-o-leoh!");
  request.add_examples()->mutable_assistant_turn()->set_text("x");
  absl::Status refused = service_->ImportExamples(request).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.message(), HasSubstr("examples[1]: user_turn.text"));

  v1::ImportExamplesRequest empty_rejected;
  *empty_rejected.add_examples() = *good;
  empty_rejected.mutable_examples(0)->mutable_rejected_turn()->set_turn_id("r");
  refused = service_->ImportExamples(empty_rejected).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.message(), HasSubstr("examples[0]: rejected_turn.text"));

  // Whitespace is no text either, as at RecordTurn.
  v1::ImportExamplesRequest blank;
  *blank.add_examples() = *good;
  blank.mutable_examples(0)->mutable_user_turn()->set_text(" \n\xC2\xA0");
  refused = service_->ImportExamples(blank).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.message(), HasSubstr("examples[0]: user_turn.text"));
  blank.mutable_examples(0)->mutable_user_turn()->set_text("Say it.");
  blank.mutable_examples(0)->mutable_assistant_turn()->set_text("\t");
  refused = service_->ImportExamples(blank).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.message(), HasSubstr("examples[0]: assistant_turn.text"));

  EXPECT_TRUE(AllExamples().empty());
  EXPECT_EQ(Stats().examples_total(), 0);
  EXPECT_EQ(Stats().dataset_bytes(), 0);
}

TEST_F(CaptureServiceTest, ExportFiltersByLabelAndTime) {
  for (int i = 0; i < 4; ++i) {
    const std::string s = absl::StrCat("s", i);
    Record(UserTurn(s, "u1", "Hi"));
    Record(Assistant(s, "a1", "Hello.", "P"));
    Record(UserTurn(s, "u2", i < 3 ? "Good one, Timmy" : "Terrible answer."));
  }
  v1::ExportExamplesRequest request;
  request.set_label(v1::LABEL_POSITIVE);
  int emitted = 0;
  ASSERT_TRUE(service_
                  ->ExportExamples(request,
                                   [&](const v1::Example& example) {
                                     EXPECT_EQ(example.label(),
                                               v1::LABEL_POSITIVE);
                                     ++emitted;
                                     return true;
                                   })
                  .ok());
  EXPECT_EQ(emitted, 3);
  request.mutable_since()->set_seconds(absl::ToUnixSeconds(absl::Now()) + 3600);
  emitted = 0;
  ASSERT_TRUE(service_
                  ->ExportExamples(request,
                                   [&](const v1::Example&) {
                                     ++emitted;
                                     return true;
                                   })
                  .ok());
  EXPECT_EQ(emitted, 0);
}

TEST_F(CaptureServiceTest, ConcurrentSessionsCaptureEachPraiseOnce) {
  constexpr int kThreads = 8;
  constexpr int kSessionsPerThread = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kSessionsPerThread; ++i) {
        const std::string s = absl::StrCat("t", t, "-s", i);
        ASSERT_TRUE(service_->RecordTurn(UserTurn(s, "u1", "Hi")).ok());
        ASSERT_TRUE(
            service_->RecordTurn(Assistant(s, "a1", "Hello.", "P")).ok());
        ASSERT_TRUE(service_->RecordTurn(UserTurn(s, "u2", "Good one!")).ok());
        ASSERT_TRUE(service_->RecordTurn(UserTurn(s, "u2", "Good one!")).ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(Stats().examples_total(), kThreads * kSessionsPerThread);
  Reopen();
  EXPECT_EQ(Stats().examples_total(), kThreads * kSessionsPerThread);
}

}  // namespace
}  // namespace ftcapture
