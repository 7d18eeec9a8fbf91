// Requests that do not parse, sent as raw bytes to every method of the
// callback service, in process: each gets INVALID_ARGUMENT naming the
// request's type and changes nothing. (gRPC's generated callback handler
// answered UNIMPLEMENTED with an empty message.)

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/capture_callback_service.h"
#include "src/service/capture_service.h"
#include "tests/util/raw_call.h"
#include "tests/util/served_capture_service.h"
#include "tests/util/turns.h"

namespace ftcapture {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Each method that takes a request, and the request's type.
struct Method {
  const char* name;
  const char* request_type;
};
constexpr Method kMethods[] = {
    {"RecordTurn", "RecordTurnRequest"},
    {"RecordFeedback", "RecordFeedbackRequest"},
    {"GetStats", "GetStatsRequest"},
    {"ListExamples", "ListExamplesRequest"},
    {"ReviewExample", "ReviewExampleRequest"},
    {"ImportExamples", "ImportExamplesRequest"},
    {"DeleteExamples", "DeleteExamplesRequest"},
    {"ExportExamples", "ExportExamplesRequest"},
};

// A varint tag cut short: no message parses from it.
const std::string kNotAMessage = "\xff\xff";

class RawRequestTest : public ServedCaptureServiceTest<CaptureCallbackService> {
 protected:
  // Calls `method` of the service with `request` as it is; its status.
  absl::Status CallRaw(const std::string& method, const std::string& request) {
    return CallUnaryRaw(channel_,
                        absl::StrCat("/ftcapture.v1.CaptureService/", method),
                        request)
        .status();
  }

  // A praised reply, captured: something for the bad requests to leave be.
  std::string CaptureOne() {
    v1::RecordTurnResponse response;
    EXPECT_TRUE(
        Record(UserTurn("s1", "u1", "What is a kettle made of?"), &response)
            .ok());
    v1::Turn reply =
        BasicTurn("s1", "a1", v1::ROLE_ASSISTANT, "Usually steel.");
    reply.set_system_prompt("You are Timmy.");
    EXPECT_TRUE(Record(reply, &response).ok());
    EXPECT_TRUE(
        Record(UserTurn("s1", "u2", "Good one, Timmy!"), &response).ok());
    return response.example_id();
  }

  // What the store holds, as the library counts it.
  std::string StoredState() {
    absl::StatusOr<v1::GetStatsResponse> stats = service_->GetStats();
    EXPECT_TRUE(stats.ok()) << stats.status();
    if (!stats.ok()) return "";
    return absl::StrCat("examples=", stats->examples_total(),
                        " turns=", stats->turns_seen(),
                        " dataset_bytes=", stats->dataset_bytes(),
                        " markdown_bytes=", stats->markdown_bytes(),
                        " pending=", stats->pending_examples());
  }
};

TEST_F(RawRequestTest, UnparseableRequestIsInvalidArgumentNamingItsType) {
  ASSERT_THAT(CaptureOne(), Not(::testing::IsEmpty()));
  const std::string before = StoredState();
  for (const Method& method : kMethods) {
    SCOPED_TRACE(method.name);
    absl::Status status = CallRaw(method.name, kNotAMessage);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(),
                HasSubstr(absl::StrCat("not a valid ", method.request_type)));
  }
  EXPECT_EQ(StoredState(), before);
}

TEST_F(RawRequestTest, TurnTextThatIsNotUtf8IsInvalidArgument) {
  ASSERT_THAT(CaptureOne(), Not(::testing::IsEmpty()));
  const std::string before = StoredState();
  // A praise whose text is not UTF-8: proto3 refuses to parse it.
  v1::RecordTurnRequest request;
  *request.mutable_turn() = UserTurn("s1", "u3", "Nice one, Timmy!");
  request.mutable_turn()->set_text("caf\xc3\x28");
  std::string bytes;
  ASSERT_TRUE(request.SerializePartialToString(&bytes));

  absl::Status status = CallRaw("RecordTurn", bytes);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("not a valid RecordTurnRequest"));
  EXPECT_EQ(StoredState(), before);
}

TEST_F(RawRequestTest, ValidRequestsAreAnsweredAsBefore) {
  const std::string id = CaptureOne();
  ASSERT_THAT(id, Not(::testing::IsEmpty()));

  grpc::ClientContext list_context;
  v1::ListExamplesResponse page;
  ASSERT_TRUE(
      stub_->ListExamples(&list_context, v1::ListExamplesRequest(), &page)
          .ok());
  ASSERT_EQ(page.examples_size(), 1);
  EXPECT_EQ(page.examples(0).id(), id);
  EXPECT_EQ(page.examples(0).assistant_turn().text(), "Usually steel.");

  grpc::ClientContext export_context;
  auto reader =
      stub_->ExportExamples(&export_context, v1::ExportExamplesRequest());
  std::vector<std::string> exported;
  v1::Example example;
  while (reader->Read(&example)) exported.push_back(example.id());
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_THAT(exported, ::testing::ElementsAre(id));

  grpc::ClientContext stats_context;
  v1::GetStatsResponse stats;
  ASSERT_TRUE(
      stub_->GetStats(&stats_context, v1::GetStatsRequest(), &stats).ok());
  EXPECT_EQ(stats.examples_total(), 1);

  // A library error keeps its code and message through the raw path.
  v1::RecordTurnResponse response;
  grpc::Status no_session = Record(UserTurn("", "u9", "hi"), &response);
  EXPECT_EQ(no_session.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(no_session.error_message(), HasSubstr("session_id"));
}

}  // namespace
}  // namespace ftcapture
