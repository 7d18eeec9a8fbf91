// The gRPC layer over the real CaptureService, in process: requests reach
// the library unchanged and its statuses come back with the same code.

#include "server/capture_grpc_service.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/service/capture_service.h"
#include "tests/util/served_capture_service.h"
#include "tests/util/turns.h"

namespace ftcapture {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr int64_t kMaxTurnBytes = 4096;

v1::Turn AssistantTurn(const std::string& session, const std::string& id,
                       const std::string& text, const std::string& prompt) {
  v1::Turn turn = BasicTurn(session, id, v1::ROLE_ASSISTANT, text);
  turn.set_system_prompt(prompt);
  return turn;
}

class CaptureGrpcServiceTest
    : public ServedCaptureServiceTest<CaptureGrpcService> {
 protected:
  void AdjustOptions(CaptureService::Options* options) override {
    options->max_turn_bytes = kMaxTurnBytes;
  }

  // user question, assistant reply with `prompt`, user praise.
  std::string CaptureOne(const std::string& session,
                         const std::string& prompt) {
    RecordOk(UserTurn(session, "u1", "What is a kettle whistle made of?"));
    RecordOk(AssistantTurn(session, "a1", "Usually brass or steel.", prompt));
    return RecordOk(UserTurn(session, "u2", "Good one, Timmy!")).example_id();
  }

  v1::GetStatsResponse Stats() {
    grpc::ClientContext context;
    v1::GetStatsResponse stats;
    grpc::Status status =
        stub_->GetStats(&context, v1::GetStatsRequest(), &stats);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return stats;
  }
};

TEST_F(CaptureGrpcServiceTest, PraiseCapturesTheReplyWithItsOwnPrompt) {
  RecordOk(UserTurn("s1", "u1", "What is a kettle whistle made of?"));
  v1::Turn reply =
      AssistantTurn("s1", "a1", "Usually brass.", "PROMPT-1 You are Timmy.");
  v1::Memory* memory = reply.add_memories();
  memory->set_text("The user restores old kettles.");
  memory->set_category("hobby");
  memory->set_importance(7);
  RecordOk(reply);
  v1::RecordTurnResponse praised =
      RecordOk(UserTurn("s1", "u2", "Good one, Timmy! Now the spout?"));
  EXPECT_TRUE(praised.praise());
  EXPECT_THAT(praised.rule(), Not(IsEmpty()));
  ASSERT_THAT(praised.example_id(), Not(IsEmpty()));

  // A later reply and its praise must not leak into the first example.
  RecordOk(AssistantTurn("s1", "a2", "Spouts are pressed.", "PROMPT-2"));
  v1::RecordTurnResponse second = RecordOk(UserTurn("s1", "u3", "Nice one!"));
  ASSERT_THAT(second.example_id(), Not(IsEmpty()));
  EXPECT_NE(second.example_id(), praised.example_id());

  grpc::ClientContext context;
  v1::ListExamplesResponse page;
  ASSERT_TRUE(
      stub_->ListExamples(&context, v1::ListExamplesRequest(), &page).ok());
  ASSERT_EQ(page.examples_size(), 2);
  for (const v1::Example& example : page.examples()) {
    if (example.id() == praised.example_id()) {
      EXPECT_EQ(example.session_id(), "s1");
      EXPECT_EQ(example.user_turn().text(),
                "What is a kettle whistle made of?");
      EXPECT_EQ(example.assistant_turn().text(), "Usually brass.");
      EXPECT_EQ(example.assistant_turn().system_prompt(),
                "PROMPT-1 You are Timmy.");
      ASSERT_EQ(example.assistant_turn().memories_size(), 1);
      EXPECT_EQ(example.assistant_turn().memories(0).text(),
                "The user restores old kettles.");
      EXPECT_EQ(example.praise_text(), "Good one, Timmy! Now the spout?");
    } else {
      EXPECT_EQ(example.id(), second.example_id());
      // The praise became the session's latest user turn.
      EXPECT_EQ(example.user_turn().text(), "Good one, Timmy! Now the spout?");
      EXPECT_EQ(example.assistant_turn().system_prompt(), "PROMPT-2");
    }
  }
}

TEST_F(CaptureGrpcServiceTest, RetriedPraiseCapturesNothingNew) {
  const std::string id = CaptureOne("s1", "P");
  ASSERT_THAT(id, Not(IsEmpty()));
  // A backend retry of the same turn is acknowledged with the same answer.
  v1::RecordTurnResponse retry =
      RecordOk(UserTurn("s1", "u2", "Good one, Timmy!"));
  EXPECT_TRUE(retry.duplicate());
  EXPECT_EQ(retry.example_id(), id);
  EXPECT_EQ(Stats().examples_total(), 1);
}

TEST_F(CaptureGrpcServiceTest, PraisingTheSameReplyTwiceCapturesOnce) {
  ASSERT_THAT(CaptureOne("s1", "P"), Not(IsEmpty()));
  v1::RecordTurnResponse again = RecordOk(UserTurn("s1", "u3", "Well done!"));
  EXPECT_TRUE(again.praise());
  EXPECT_FALSE(again.duplicate());
  EXPECT_THAT(again.example_id(), IsEmpty());
  EXPECT_THAT(again.not_captured_reason(), Not(IsEmpty()));
  EXPECT_EQ(Stats().examples_total(), 1);
}

TEST_F(CaptureGrpcServiceTest, MissingSessionIdIsInvalidArgument) {
  v1::RecordTurnResponse response;
  grpc::Status status = Record(UserTurn("", "u1", "hello"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("session_id"));
}

TEST_F(CaptureGrpcServiceTest, MissingRoleIsInvalidArgument) {
  v1::Turn turn = UserTurn("s1", "u1", "hello");
  turn.set_role(v1::ROLE_UNSPECIFIED);
  v1::RecordTurnResponse response;
  grpc::Status status = Record(turn, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("role"));
}

TEST_F(CaptureGrpcServiceTest, OversizedTurnIsInvalidArgumentNamingTheLimit) {
  v1::RecordTurnResponse response;
  grpc::Status status = Record(
      UserTurn("s1", "u1", std::string(kMaxTurnBytes + 1, 'x')), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr(absl::StrCat(kMaxTurnBytes)));
  EXPECT_EQ(Stats().turns_seen(), 0);
}

// An empty reply was captured as training data, and one turn dated 9999
// made every later turn of its session late.
TEST_F(CaptureGrpcServiceTest, EmptyTextAndFutureTimeAreInvalidArgument) {
  v1::RecordTurnResponse response;
  grpc::Status status =
      Record(AssistantTurn("s1", "a1", /*text=*/"", "P"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("turn.text"));

  v1::Turn future = UserTurn("s1", "u1", "hello");
  future.mutable_time()->set_seconds(253370764800);  // 9999-01-01T00:00:00Z
  status = Record(future, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("turn.time"));
  EXPECT_THAT(status.error_message(), HasSubstr("--max_clock_skew"));
  EXPECT_EQ(Stats().turns_seen(), 0);
}

TEST_F(CaptureGrpcServiceTest, StreamTurnsAnswersInOrderAndErrorsInPlace) {
  std::vector<v1::Turn> turns = {
      UserTurn("s1", "u1", "What is a kettle whistle made of?"),
      UserTurn("", "bad", "no session"),
      AssistantTurn("s1", "a1", "Brass.", "P1"),
      UserTurn("s1", "u2", "Good one, Timmy!"),
      UserTurn("s1", "u3", "And the lid?"),
  };
  grpc::ClientContext context;
  auto stream = stub_->StreamTurns(&context);
  for (const v1::Turn& turn : turns) {
    v1::RecordTurnRequest request;
    *request.mutable_turn() = turn;
    ASSERT_TRUE(stream->Write(request));
  }
  ASSERT_TRUE(stream->WritesDone());
  std::vector<v1::RecordTurnResponse> responses;
  v1::RecordTurnResponse response;
  while (stream->Read(&response)) responses.push_back(response);
  EXPECT_TRUE(stream->Finish().ok());

  ASSERT_EQ(responses.size(), turns.size());
  EXPECT_EQ(responses[0].error_code(), 0);
  EXPECT_EQ(responses[1].error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(responses[1].error_message(), HasSubstr("session_id"));
  EXPECT_EQ(responses[2].error_code(), 0);
  EXPECT_TRUE(responses[3].praise());
  EXPECT_THAT(responses[3].example_id(), Not(IsEmpty()));
  EXPECT_FALSE(responses[4].praise());
  EXPECT_THAT(responses[4].example_id(), IsEmpty());
  EXPECT_EQ(Stats().examples_total(), 1);
}

TEST_F(CaptureGrpcServiceTest, ListExamplesPagesThroughEverything) {
  std::set<std::string> captured;
  for (int i = 0; i < 5; ++i) {
    std::string id = CaptureOne(absl::StrCat("s", i), absl::StrCat("P", i));
    ASSERT_THAT(id, Not(IsEmpty()));
    captured.insert(id);
  }
  std::set<std::string> listed;
  std::vector<int> page_sizes;
  v1::ListExamplesRequest request;
  request.set_page_size(2);
  do {
    grpc::ClientContext context;
    v1::ListExamplesResponse page;
    grpc::Status status = stub_->ListExamples(&context, request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(page.total_size(), 5);
    page_sizes.push_back(page.examples_size());
    for (const v1::Example& example : page.examples()) {
      EXPECT_TRUE(listed.insert(example.id()).second) << example.id();
    }
    request.set_page_token(page.next_page_token());
    ASSERT_LE(page_sizes.size(), 5u) << "paging does not end";
  } while (!request.page_token().empty());
  EXPECT_EQ(page_sizes, (std::vector<int>{2, 2, 1}));
  EXPECT_EQ(listed, captured);
}

TEST_F(CaptureGrpcServiceTest, GetStatsCountsTurnsPraiseAndExamples) {
  ASSERT_THAT(CaptureOne("s1", "P"), Not(IsEmpty()));
  // Praise in a session with no reply: answered and counted, not captured.
  v1::RecordTurnResponse lonely =
      RecordOk(UserTurn("s2", "u1", "Good one, Timmy!"));
  EXPECT_TRUE(lonely.praise());
  EXPECT_THAT(lonely.example_id(), IsEmpty());
  EXPECT_THAT(lonely.not_captured_reason(), Not(IsEmpty()));

  v1::GetStatsResponse stats = Stats();
  EXPECT_EQ(stats.turns_seen(), 4);
  EXPECT_EQ(stats.praise_seen(), 2);
  EXPECT_EQ(stats.praise_uncredited(), 1);
  EXPECT_EQ(stats.examples_total(), 1);
  EXPECT_GT(stats.dataset_bytes(), 0);
  EXPECT_GT(stats.markdown_bytes(), 0);
  ASSERT_EQ(stats.examples_per_day_size(), 1);
  EXPECT_EQ(stats.examples_per_day(0).examples(), 1);
}

TEST_F(CaptureGrpcServiceTest, ExportStreamsEveryExampleAndStopsOnCancel) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(CaptureOne(absl::StrCat("s", i), "P"), Not(IsEmpty()));
  }
  {
    grpc::ClientContext context;
    auto reader = stub_->ExportExamples(&context, v1::ExportExamplesRequest());
    int count = 0;
    v1::Example example;
    while (reader->Read(&example)) ++count;
    EXPECT_TRUE(reader->Finish().ok());
    EXPECT_EQ(count, 3);
  }
  {
    grpc::ClientContext context;
    auto reader = stub_->ExportExamples(&context, v1::ExportExamplesRequest());
    v1::Example example;
    ASSERT_TRUE(reader->Read(&example));
    context.TryCancel();
    while (reader->Read(&example)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
}

TEST_F(CaptureGrpcServiceTest, LibraryErrorsKeepTheirCode) {
  grpc::ClientContext context;
  v1::ReviewExampleRequest request;
  request.set_example_id("no-such-example");
  request.set_status(v1::REVIEW_STATUS_APPROVED);
  v1::ReviewExampleResponse response;
  grpc::Status status = stub_->ReviewExample(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
}

}  // namespace
}  // namespace ftcapture
