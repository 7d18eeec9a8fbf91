// Tokens and roles: the token file's parser and store, then every role
// against every RPC of the real server, what GetStats and ImportExamples
// give each role, note sizes and per-token rates.

#include "server/access_control.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ftcapture/v1/capture.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/running_server.h"
#include "tests/util/temp_dir.h"
#include "tests/util/turns.h"

namespace ftcapture {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kIngestToken[] = "ingest-token-0123456789";
constexpr char kReadToken[] = "read-token-0123456789";
constexpr char kAdminToken[] = "admin-token-0123456789";
constexpr char kTokenFile[] =
    "# name role token\n"
    "bot ingest ingest-token-0123456789\n"
    "\n"
    "analyst read read-token-0123456789\n"
    "boss admin admin-token-0123456789\n";

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

// --- the token file ---------------------------------------------------------

TEST(TokenFileTest, ParsesNamesRolesAndTokens) {
  auto entries = ParseTokenFile(kTokenFile);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].name, "bot");
  EXPECT_EQ((*entries)[0].role, AccessRole::kIngest);
  EXPECT_EQ((*entries)[1].role, AccessRole::kRead);
  EXPECT_EQ((*entries)[2].role, AccessRole::kAdmin);
  EXPECT_EQ((*entries)[2].token, kAdminToken);
}

TEST(TokenFileTest, RejectsBadLinesWithoutEchoingTokens) {
  const std::string secret = "very-secret-token-0123456789";
  for (const std::string& text : {
           absl::StrCat("bot superuser ", secret, "\n"),
           absl::StrCat("bot ingest\n"),
           absl::StrCat("bot ingest short\n"),
           absl::StrCat("bot ingest ", secret,
                        "\nbot read other-token-0123456789\n"),
           absl::StrCat("a ingest ", secret, "\nb read ", secret, "\n"),
           std::string("# only comments\n"),
       }) {
    auto entries = ParseTokenFile(text);
    EXPECT_EQ(entries.status().code(), absl::StatusCode::kInvalidArgument)
        << text;
    EXPECT_THAT(entries.status().message(), Not(HasSubstr(secret)));
  }
}

TEST(TokenFileTest, ConstantTimeEqualsComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEquals("abcdef", "abcdef"));
  EXPECT_FALSE(ConstantTimeEquals("abcdef", "abcdeg"));
  EXPECT_FALSE(ConstantTimeEquals("abcdef", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcabc"));
  EXPECT_FALSE(ConstantTimeEquals("abcdef", ""));
}

TEST(TokenStoreTest, AuthenticatesBearerTokensAndReloads) {
  TempDir dir;
  const std::string path = dir.File("tokens");
  WriteFile(path, kTokenFile);
  auto store = TokenStore::Load(path);
  ASSERT_TRUE(store.ok()) << store.status();

  auto caller = (*store)->Authenticate(absl::StrCat("Bearer ", kReadToken));
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->name, "analyst");
  EXPECT_TRUE(caller->MayRead());
  EXPECT_FALSE(caller->IsAdmin());
  EXPECT_EQ((*store)->Authenticate("").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ((*store)->Authenticate(kReadToken).status().code(),
            absl::StatusCode::kUnauthenticated);  // no "Bearer "
  EXPECT_EQ(
      (*store)->Authenticate("Bearer nope-nope-nope-nope").status().code(),
      absl::StatusCode::kUnauthenticated);

  // A new file replaces the tokens...
  WriteFile(path, "analyst read rotated-token-0123456789\n");
  EXPECT_TRUE((*store)->ReloadIfChanged(/*force=*/true));
  EXPECT_FALSE(
      (*store)->Authenticate(absl::StrCat("Bearer ", kReadToken)).ok());
  EXPECT_TRUE((*store)->Authenticate("Bearer rotated-token-0123456789").ok());
  // ...a broken one keeps the last good ones.
  WriteFile(path, "analyst nosuchrole rotated-token-0123456789\n");
  EXPECT_FALSE((*store)->ReloadIfChanged(/*force=*/true));
  EXPECT_TRUE((*store)->Authenticate("Bearer rotated-token-0123456789").ok());
}

// --- the real server
// ----------------------------------------------------------

class AuthServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(std::vector<std::string> flags) {
    WriteFile(dir_.File("tokens"), kTokenFile);
    ::chmod(dir_.File("tokens").c_str(), 0600);
    flags.push_back("--data_dir=" + dir_.File("data"));
    flags.push_back("--auth_tokens=" + dir_.File("tokens"));
    server_.reset();
    auto server = RunningServer::Start(flags, dir_.File("server.stderr"));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(server_->address(),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::CaptureService::NewStub(channel_);
  }

  // A context carrying `token` (none when empty).
  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!token.empty()) {
      context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
    }
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(30));
    return context;
  }

  grpc::Status RecordTurn(const std::string& token, const v1::Turn& turn,
                          v1::RecordTurnResponse* response = nullptr) {
    v1::RecordTurnRequest request;
    *request.mutable_turn() = turn;
    v1::RecordTurnResponse ignored;
    return stub_->RecordTurn(As(token).get(), request,
                             response != nullptr ? response : &ignored);
  }

  // Every RPC, called with `token`; returns its status.
  std::map<std::string, std::function<grpc::Status(const std::string&)>>
  AllRpcs() {
    std::map<std::string, std::function<grpc::Status(const std::string&)>> rpcs;
    rpcs["RecordTurn"] = [this](const std::string& token) {
      return RecordTurn(token, UserTurn("s-all", "u-" + token, "hello"));
    };
    rpcs["StreamTurns"] = [this](const std::string& token) {
      auto context = As(token);
      auto stream = stub_->StreamTurns(context.get());
      v1::RecordTurnRequest request;
      *request.mutable_turn() = UserTurn("s-stream", "u-" + token, "hi");
      stream->Write(request);
      stream->WritesDone();
      v1::RecordTurnResponse response;
      while (stream->Read(&response)) {
      }
      return stream->Finish();
    };
    rpcs["RecordFeedback"] = [this](const std::string& token) {
      v1::RecordFeedbackRequest request;
      request.set_session_id("s-all");
      request.set_positive(true);
      v1::RecordFeedbackResponse response;
      return stub_->RecordFeedback(As(token).get(), request, &response);
    };
    rpcs["GetStats"] = [this](const std::string& token) {
      v1::GetStatsResponse response;
      return stub_->GetStats(As(token).get(), v1::GetStatsRequest(), &response);
    };
    rpcs["ListExamples"] = [this](const std::string& token) {
      v1::ListExamplesResponse response;
      return stub_->ListExamples(As(token).get(), v1::ListExamplesRequest(),
                                 &response);
    };
    rpcs["ExportExamples"] = [this](const std::string& token) {
      auto context = As(token);
      auto reader =
          stub_->ExportExamples(context.get(), v1::ExportExamplesRequest());
      v1::Example example;
      while (reader->Read(&example)) {
      }
      return reader->Finish();
    };
    rpcs["ReviewExample"] = [this](const std::string& token) {
      v1::ReviewExampleRequest request;
      request.set_example_id("no-such-example");
      request.set_status(v1::REVIEW_STATUS_APPROVED);
      v1::ReviewExampleResponse response;
      return stub_->ReviewExample(As(token).get(), request, &response);
    };
    rpcs["ImportExamples"] = [this](const std::string& token) {
      v1::ImportExamplesResponse response;
      return stub_->ImportExamples(As(token).get(), v1::ImportExamplesRequest(),
                                   &response);
    };
    rpcs["DeleteExamples"] = [this](const std::string& token) {
      v1::DeleteExamplesRequest request;
      request.set_session_id("s-nobody");
      v1::DeleteExamplesResponse response;
      return stub_->DeleteExamples(As(token).get(), request, &response);
    };
    return rpcs;
  }

  TempDir dir_;
  std::unique_ptr<RunningServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::CaptureService::Stub> stub_;
};

bool AccessGranted(const grpc::Status& status) {
  return status.error_code() != grpc::StatusCode::UNAUTHENTICATED &&
         status.error_code() != grpc::StatusCode::PERMISSION_DENIED;
}

TEST_F(AuthServerTest, EachRoleAgainstEachRpc) {
  const std::map<std::string, std::vector<std::string>> allowed = {
      {kIngestToken,
       {"RecordTurn", "StreamTurns", "RecordFeedback", "GetStats"}},
      {kReadToken, {"GetStats", "ListExamples", "ExportExamples"}},
      {kAdminToken,
       {"RecordTurn", "StreamTurns", "RecordFeedback", "GetStats",
        "ListExamples", "ExportExamples", "ReviewExample", "ImportExamples",
        "DeleteExamples"}},
  };
  for (const auto& [name, call] : AllRpcs()) {
    for (const auto& [token, rpcs] : allowed) {
      const grpc::Status status = call(token);
      if (std::find(rpcs.begin(), rpcs.end(), name) != rpcs.end()) {
        EXPECT_TRUE(AccessGranted(status))
            << name << " as " << token << ": " << status.error_message();
      } else {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << name << " as " << token << ": " << status.error_message();
      }
    }
    const grpc::Status anonymous = call("");
    EXPECT_EQ(anonymous.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << name;
    const grpc::Status unknown = call("unknown-token-0123456789");
    EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNAUTHENTICATED) << name;
  }
  // Tokens never reach the log.
  const std::string log = server_->Stderr();
  for (const char* token : {kIngestToken, kReadToken, kAdminToken}) {
    EXPECT_THAT(log, Not(HasSubstr(token)));
  }
}

TEST_F(AuthServerTest, HealthNeedsNoToken) {
  grpc::GenericStub generic(channel_);
  grpc::ClientContext context;
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);  // an empty HealthCheckRequest
  grpc::ByteBuffer response;
  grpc::Status status;
  bool done = false;
  std::mutex mu;
  std::condition_variable cv;
  generic.UnaryCall(&context, "/grpc.health.v1.Health/Check",
                    grpc::StubOptions(), &request, &response,
                    [&](grpc::Status s) {
                      std::lock_guard<std::mutex> lock(mu);
                      status = s;
                      done = true;
                      cv.notify_one();
                    });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(AuthServerTest, StatsShowExampleContentOnlyToReaders) {
  ASSERT_TRUE(
      RecordTurn(kIngestToken, UserTurn("s1", "u1", "What is tea?")).ok());
  v1::Turn reply = BasicTurn("s1", "a1", v1::ROLE_ASSISTANT, "Dried leaves.");
  ASSERT_TRUE(RecordTurn(kIngestToken, reply).ok());
  v1::RecordTurnResponse praised;
  ASSERT_TRUE(RecordTurn(kIngestToken,
                         UserTurn("s1", "u2", "Great answer, Timmy!"), &praised)
                  .ok());
  ASSERT_FALSE(praised.example_id().empty());

  v1::GetStatsResponse ingest_stats;
  ASSERT_TRUE(stub_
                  ->GetStats(As(kIngestToken).get(), v1::GetStatsRequest(),
                             &ingest_stats)
                  .ok());
  EXPECT_EQ(ingest_stats.examples_total(), 1);
  EXPECT_EQ(ingest_stats.recent_examples_size(), 0);

  v1::GetStatsResponse read_stats;
  ASSERT_TRUE(
      stub_->GetStats(As(kReadToken).get(), v1::GetStatsRequest(), &read_stats)
          .ok());
  ASSERT_EQ(read_stats.recent_examples_size(), 1);
  EXPECT_EQ(read_stats.recent_examples(0).assistant_turn().text(),
            "Dried leaves.");
}

TEST_F(AuthServerTest, ImportsArePendingUnlessAnAdminKeepsTheirStatus) {
  auto import = [&](const std::string& text, bool keep) {
    v1::ImportExamplesRequest request;
    v1::Example* example = request.add_examples();
    example->mutable_user_turn()->set_text("Is it approved?");
    example->mutable_assistant_turn()->set_text(text);
    example->set_status(v1::REVIEW_STATUS_APPROVED);
    request.set_keep_review_status(keep);
    v1::ImportExamplesResponse response;
    grpc::Status status =
        stub_->ImportExamples(As(kAdminToken).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.example_ids_size() == 1 ? response.example_ids(0) : "";
  };
  const std::string as_given = import("approved upstream", false);
  const std::string kept = import("approved and kept", true);

  v1::ListExamplesResponse list;
  ASSERT_TRUE(
      stub_
          ->ListExamples(As(kReadToken).get(), v1::ListExamplesRequest(), &list)
          .ok());
  std::map<std::string, v1::ReviewStatus> status_of;
  for (const v1::Example& example : list.examples()) {
    status_of[example.id()] = example.status();
  }
  EXPECT_EQ(status_of[as_given], v1::REVIEW_STATUS_PENDING);
  EXPECT_EQ(status_of[kept], v1::REVIEW_STATUS_APPROVED);
}

TEST_F(AuthServerTest, LongNotesAreRefused) {
  v1::ReviewExampleRequest review;
  review.set_example_id("any");
  review.set_status(v1::REVIEW_STATUS_APPROVED);
  review.set_note(std::string(4097, 'n'));
  v1::ReviewExampleResponse reviewed;
  grpc::Status status =
      stub_->ReviewExample(As(kAdminToken).get(), review, &reviewed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("--max_note_bytes"));

  v1::RecordFeedbackRequest feedback;
  feedback.set_session_id("s");
  feedback.set_note(std::string(5000, 'n'));
  v1::RecordFeedbackResponse recorded;
  status = stub_->RecordFeedback(As(kIngestToken).get(), feedback, &recorded);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AuthServerTest, TurnRateIsPerToken) {
  // 0.001 turns/s: a burst of 2, then nothing for the rest of the test.
  Start({"--max_turn_rate=0.001"});
  EXPECT_TRUE(RecordTurn(kIngestToken, UserTurn("s1", "u1", "one")).ok());
  EXPECT_TRUE(RecordTurn(kIngestToken, UserTurn("s1", "u2", "two")).ok());
  grpc::Status third = RecordTurn(kIngestToken, UserTurn("s1", "u3", "three"));
  EXPECT_EQ(third.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(third.error_message(), HasSubstr("--max_turn_rate"));
  // Another caller is not held back by the first one.
  EXPECT_TRUE(RecordTurn(kAdminToken, UserTurn("s2", "u1", "mine")).ok());
}

TEST_F(AuthServerTest, NewSessionRateIsPerTokenAndSparesLiveSessions) {
  Start({"--max_new_session_rate=0.001"});  // a burst of 2 new sessions
  EXPECT_TRUE(RecordTurn(kIngestToken, UserTurn("s1", "u1", "a")).ok());
  EXPECT_TRUE(RecordTurn(kIngestToken, UserTurn("s2", "u1", "b")).ok());
  grpc::Status third = RecordTurn(kIngestToken, UserTurn("s3", "u1", "c"));
  EXPECT_EQ(third.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(third.error_message(), HasSubstr("--max_new_session_rate"));
  // Turns of sessions already open go on.
  EXPECT_TRUE(RecordTurn(kIngestToken, UserTurn("s1", "u2", "more")).ok());
  EXPECT_TRUE(RecordTurn(kAdminToken, UserTurn("s9", "u1", "other")).ok());
}

TEST_F(AuthServerTest, TokenFileReloadsWhenItChanges) {
  WriteFile(dir_.File("tokens"), "bot ingest fresh-ingest-token-0123456789\n");
  // The server polls the file every second; SIGHUP makes it re-read now.
  ASSERT_TRUE(server_->process().Signal(SIGHUP).ok());
  grpc::Status status;
  for (int attempt = 0; attempt < 300; ++attempt) {
    status = RecordTurn("fresh-ingest-token-0123456789",
                        UserTurn("s1", "u1", "hello"));
    if (status.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(RecordTurn(kIngestToken, UserTurn("s1", "u2", "old")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

// --- safe defaults
// --------------------------------------------------------------

TEST(ExposureTest, NonLoopbackWithoutTokensNeedsInsecure) {
  TempDir dir;
  auto refused = RunProcess({FTCAPTURE_SERVER_BIN, "--listen=0.0.0.0:0",
                             "--data_dir=" + dir.File("data")});
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->exit_code, 1);
  EXPECT_THAT(refused->err, HasSubstr("without --auth_tokens"));

  auto server = RunningServer::Start(
      {"--listen=0.0.0.0:0", "--insecure", "--data_dir=" + dir.File("data")},
      dir.File("server.stderr"));
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_THAT((*server)->Stderr(), HasSubstr("WARNING: --insecure"));
}

}  // namespace
}  // namespace ftcapture
