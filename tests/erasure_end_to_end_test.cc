// Erasure end to end (docs/privacy.md): the real server and the real CLI.
// `ftcapture delete` by id, session and metadata removes examples from
// list, export (online and offline), stats, the status page and review at
// once, and across a restart; after compaction no byte of their texts is
// left in any file of the data dir; bad selectors change nothing.

#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "ftcapture/v1/capture.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/util/cli.h"
#include "tests/util/json_messages.h"
#include "tests/util/running_server.h"
#include "tests/util/subprocess.h"
#include "tests/util/temp_dir.h"
#include "tests/util/text_files.h"

namespace ftcapture {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

// The texts of one conversation that ends in a captured example, each
// unique to it, so a grep finds exactly where they went.
struct Conversation {
  std::string session;
  std::string user_id;
  std::string example_id;
  std::vector<std::string> Secrets() const {
    return {UserText(), Reply(), Prompt(), Memory(), MetadataValue()};
  }
  std::string UserText() const {
    return "how do I fold " + session + " cranes";
  }
  std::string Reply() const { return "fold the " + session + " paper twice"; }
  std::string Prompt() const { return "you help " + session + " with origami"; }
  std::string Memory() const { return "likes " + session + " herons"; }
  std::string MetadataValue() const { return "uid-" + user_id + "-" + session; }
};

class ErasureEndToEndTest : public ::testing::Test {
 protected:
  void StartServer() {
    auto server = RunningServer::Start(
        {"--data_dir=" + DataDir(), "--compact_deleted_share=0"},
        dir_.File("server.stderr"));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = v1::CaptureService::NewStub(grpc::CreateChannel(
        server_->address(), grpc::InsecureChannelCredentials()));
  }

  void StopServer() {
    auto code = server_->Stop(SIGTERM);
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 0);
  }

  std::string DataDir() const { return dir_.File("data"); }

  void Record(const v1::Turn& turn, v1::RecordTurnResponse* response) {
    v1::RecordTurnRequest request;
    *request.mutable_turn() = turn;
    grpc::ClientContext context;
    grpc::Status status = stub_->RecordTurn(&context, request, response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // User turn, reply with prompt and memory, praise with user_id metadata.
  Conversation Capture(const std::string& session, const std::string& user_id) {
    Conversation c{session, user_id, ""};
    v1::RecordTurnResponse response;
    v1::Turn turn;
    turn.set_session_id(session);
    turn.set_turn_id("u1");
    turn.set_role(v1::ROLE_USER);
    turn.set_text(c.UserText());
    (*turn.mutable_metadata())["user_id"] = user_id;
    (*turn.mutable_metadata())["profile"] = c.MetadataValue();
    Record(turn, &response);
    turn.Clear();
    turn.set_session_id(session);
    turn.set_turn_id("a1");
    turn.set_role(v1::ROLE_ASSISTANT);
    turn.set_text(c.Reply());
    turn.set_system_prompt(c.Prompt());
    turn.add_memories()->set_text(c.Memory());
    Record(turn, &response);
    turn.Clear();
    turn.set_session_id(session);
    turn.set_turn_id("u2");
    turn.set_role(v1::ROLE_USER);
    turn.set_text("Thanks Timmy, that was perfect!");
    (*turn.mutable_metadata())["user_id"] = user_id;
    Record(turn, &response);
    EXPECT_FALSE(response.example_id().empty()) << response.DebugString();
    c.example_id = response.example_id();
    return c;
  }

  ProcessResult Cli(std::vector<std::string> args) {
    return RunCli(server_->address(), std::move(args));
  }

  v1::GetStatsResponse Stats() {
    ProcessResult stats = Cli({"stats", "--json"});
    EXPECT_EQ(stats.exit_code, 0) << stats.err;
    return ParseJson<v1::GetStatsResponse>(stats.out);
  }

  // The example ids `args` (an export command line) prints, one per line.
  std::vector<std::string> ExportedIds(std::vector<std::string> args) {
    args.insert(args.begin(), {"export", "--format=full-jsonl", "--out=-"});
    ProcessResult exported = Cli(args);
    EXPECT_EQ(exported.exit_code, 0) << exported.err;
    std::vector<std::string> ids;
    for (absl::string_view line : absl::StrSplit(exported.out, '\n')) {
      if (line.empty()) continue;
      v1::Example example;
      EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(std::string(line),
                                                              &example)
                      .ok());
      ids.push_back(example.id());
    }
    return ids;
  }

  std::vector<std::string> ListedIds() {
    v1::ListExamplesRequest request;
    request.set_page_size(1000);
    v1::ListExamplesResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(stub_->ListExamples(&context, request, &response).ok());
    std::vector<std::string> ids;
    for (const v1::Example& example : response.examples()) {
      ids.push_back(example.id());
    }
    EXPECT_EQ(response.total_size(), static_cast<int64_t>(ids.size()));
    return ids;
  }

  // Files of the data dir whose bytes contain `needle`.
  std::vector<std::string> FilesContaining(const std::string& needle) {
    EXPECT_FALSE(FilesUnder(DataDir()).empty());
    return ftcapture::FilesContaining(DataDir(), needle);
  }

  void ExpectOnly(const std::vector<Conversation>& kept) {
    std::vector<std::string> ids;
    for (const Conversation& c : kept) ids.push_back(c.example_id);
    EXPECT_THAT(ListedIds(), UnorderedElementsAreArray(ids));
    EXPECT_THAT(ExportedIds({}), UnorderedElementsAreArray(ids));
    EXPECT_THAT(ExportedIds({"--data_dir=" + DataDir()}),
                UnorderedElementsAreArray(ids));
    EXPECT_EQ(Stats().examples_total(), static_cast<int64_t>(ids.size()));
  }

  TempDir dir_;
  std::unique_ptr<RunningServer> server_;
  std::unique_ptr<v1::CaptureService::Stub> stub_;
};

TEST_F(ErasureEndToEndTest,
       DeleteByIdSessionAndWhereHidesAtOnceAndAfterRestart) {
  StartServer();
  const Conversation a = Capture("sa", "42");
  const Conversation b = Capture("sb", "42");
  const Conversation c = Capture("sc", "7");
  const Conversation d = Capture("sd", "7");
  const Conversation e = Capture("se", "9");
  ExpectOnly({a, b, c, d, e});

  ProcessResult deleted = Cli({"delete", "--id=" + a.example_id});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_THAT(deleted.out, HasSubstr("deleted 1 example(s): " + a.example_id));
  ExpectOnly({b, c, d, e});

  deleted = Cli({"delete", "--session=sc"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_THAT(deleted.out, HasSubstr("deleted 1 example(s): " + c.example_id));
  EXPECT_THAT(deleted.out, HasSubstr("dropped 1 live session(s)"));
  ExpectOnly({b, d, e});

  deleted = Cli({"delete", "--where=user_id=42"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_THAT(deleted.out, HasSubstr("deleted 1 example(s): " + b.example_id));
  ExpectOnly({d, e});

  // Review of a deleted example: NOT_FOUND.
  v1::ReviewExampleRequest review;
  review.set_example_id(a.example_id);
  review.set_status(v1::REVIEW_STATUS_APPROVED);
  v1::ReviewExampleResponse reviewed;
  grpc::ClientContext context;
  EXPECT_EQ(stub_->ReviewExample(&context, review, &reviewed).error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::GetStatsResponse stats = Stats();
  EXPECT_EQ(stats.deleted_examples(), 3);
  EXPECT_EQ(stats.deleted_pending_compaction(), 3);
  ProcessResult status = Cli({"status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("| Deleted (erased on request) | 3 (3 "));
  EXPECT_THAT(status.out, Not(HasSubstr(a.Reply())));
  // Not compacted yet: the bytes are still in the dataset.
  EXPECT_THAT(FilesContaining(a.Reply()), Not(IsEmpty()));

  StopServer();
  StartServer();
  ExpectOnly({d, e});
  stats = Stats();
  EXPECT_EQ(stats.deleted_examples(), 3);
  EXPECT_EQ(stats.deleted_pending_compaction(), 3);
  // The deleted sessions did not come back from the journal: a praise now
  // credits nothing there.
  v1::Turn praise;
  praise.set_session_id("sa");
  praise.set_turn_id("u3");
  praise.set_role(v1::ROLE_USER);
  praise.set_text("Thanks Timmy, that was perfect!");
  v1::RecordTurnResponse response;
  Record(praise, &response);
  EXPECT_TRUE(response.example_id().empty()) << response.DebugString();
}

TEST_F(ErasureEndToEndTest, AfterCompactionNoByteOfTheDeletedTextsIsLeft) {
  StartServer();
  std::vector<Conversation> gone, kept;
  for (int i = 0; i < 4; ++i) {
    gone.push_back(Capture(absl::StrCat("gone", i), "42"));
    kept.push_back(Capture(absl::StrCat("kept", i), "7"));
  }
  // A review note of a deleted example must go too.
  v1::ReviewExampleRequest review;
  review.set_example_id(gone[0].example_id);
  review.set_status(v1::REVIEW_STATUS_APPROVED);
  review.set_note("reviewed-note-of-gone0");
  v1::ReviewExampleResponse reviewed;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->ReviewExample(&context, review, &reviewed).ok());

  ProcessResult deleted = Cli({"delete", "--where=user_id=42", "--compact"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_THAT(deleted.out, HasSubstr("deleted 4 example(s)"));
  EXPECT_THAT(deleted.out, HasSubstr("4 deleted example(s) removed"));
  ExpectOnly(kept);

  auto expect_no_trace = [&] {
    for (const Conversation& c : gone) {
      for (const std::string& secret : c.Secrets()) {
        EXPECT_THAT(FilesContaining(secret), IsEmpty()) << secret;
      }
    }
    EXPECT_THAT(FilesContaining("reviewed-note-of-gone0"), IsEmpty());
    for (const Conversation& c : kept) {
      for (const std::string& secret : c.Secrets()) {
        EXPECT_THAT(FilesContaining(secret), Not(IsEmpty())) << secret;
      }
    }
    // One Markdown block per kept example.
    EXPECT_EQ(CountOccurrences(
                  ReadFileOrEmpty(DataDir() +
                                  "/fine_tuning_best_case_interchanges.md"),
                  "## Example Captured"),
              static_cast<int>(kept.size()));
  };
  expect_no_trace();
  v1::GetStatsResponse stats = Stats();
  EXPECT_EQ(stats.deleted_examples(), 4);
  EXPECT_EQ(stats.deleted_pending_compaction(), 0);
  EXPECT_EQ(stats.compactions(), 1);

  // Captures go on after the compaction, into the rewritten files.
  kept.push_back(Capture("after", "7"));
  ExpectOnly(kept);
  StopServer();
  expect_no_trace();
  StartServer();
  ExpectOnly(kept);
  EXPECT_EQ(Stats().deleted_examples(), 4);
}

TEST_F(ErasureEndToEndTest, PairsHoldingADeletedReplyGoToo) {
  StartServer();
  // Two alternative replies to one user turn; a thumbs-down on one and a
  // thumbs-up on the other store both singles and a pair.
  v1::RecordTurnResponse response;
  v1::Turn turn;
  turn.set_session_id("sp");
  turn.set_turn_id("u1");
  turn.set_role(v1::ROLE_USER);
  turn.set_text("which crane fold is easiest?");
  Record(turn, &response);
  for (const char* reply : {"a1", "a2"}) {
    turn.Clear();
    turn.set_session_id("sp");
    turn.set_turn_id(reply);
    turn.set_role(v1::ROLE_ASSISTANT);
    turn.set_reply_to("u1");
    turn.set_text(absl::StrCat("reply ", reply));
    Record(turn, &response);
  }
  std::vector<std::string> ids;
  for (const auto& [reply, positive] :
       std::vector<std::pair<std::string, bool>>{{"a1", false}, {"a2", true}}) {
    v1::RecordFeedbackRequest feedback;
    feedback.set_session_id("sp");
    feedback.set_turn_id(reply);
    feedback.set_positive(positive);
    v1::RecordFeedbackResponse answer;
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->RecordFeedback(&context, feedback, &answer).ok());
    ids.push_back(answer.example_id());
    if (!answer.pair_example_id().empty()) {
      ids.push_back(answer.pair_example_id());
    }
  }
  ASSERT_EQ(ids.size(), 3u) << "expected two singles and a pair";
  const Conversation other = Capture("other", "1");
  // Deleting the single of a1 takes the pair (which holds a1) with it.
  ProcessResult deleted = Cli({"delete", "--id=" + ids[0]});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_THAT(deleted.out, HasSubstr("deleted 2 example(s)"));
  EXPECT_THAT(deleted.out, HasSubstr(ids[2]));
  EXPECT_THAT(ListedIds(),
              UnorderedElementsAreArray({ids[1], other.example_id}));
}

TEST_F(ErasureEndToEndTest, BadSelectorsChangeNothing) {
  StartServer();
  const Conversation a = Capture("sa", "42");
  auto call = [&](const v1::DeleteExamplesRequest& request) {
    v1::DeleteExamplesResponse response;
    grpc::ClientContext context;
    return stub_->DeleteExamples(&context, request, &response).error_code();
  };
  v1::DeleteExamplesRequest request;
  EXPECT_EQ(call(request), grpc::StatusCode::INVALID_ARGUMENT);  // none
  request.mutable_ids();
  EXPECT_EQ(call(request), grpc::StatusCode::INVALID_ARGUMENT);  // empty list
  request.mutable_ids()->add_ids("");
  EXPECT_EQ(call(request), grpc::StatusCode::INVALID_ARGUMENT);  // empty id
  request.set_session_id("");
  EXPECT_EQ(call(request), grpc::StatusCode::INVALID_ARGUMENT);
  request.mutable_where()->set_key("user_id");
  EXPECT_EQ(call(request), grpc::StatusCode::INVALID_ARGUMENT);  // no value
  request.mutable_where()->set_key("");
  request.mutable_where()->set_value("42");
  EXPECT_EQ(call(request), grpc::StatusCode::INVALID_ARGUMENT);  // no key
  request.mutable_where()->set_key(std::string(300, 'k'));
  EXPECT_EQ(call(request), grpc::StatusCode::INVALID_ARGUMENT);  // too long
  // One unknown id among known ones: NOT_FOUND, and nothing deleted.
  request.mutable_ids()->add_ids(a.example_id);
  request.mutable_ids()->add_ids("no-such-example");
  EXPECT_EQ(call(request), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(ListedIds(), UnorderedElementsAreArray({a.example_id}));
  EXPECT_EQ(Stats().deleted_examples(), 0);

  // The CLI refuses before calling.
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"delete"},
           {"delete", "--where=user_id"},
           {"delete", "--id=x", "--session=s"},
           {"delete", "--id=a,,b"}}) {
    ProcessResult result = Cli(args);
    EXPECT_NE(result.exit_code, 0) << absl::StrJoin(args, " ");
  }
  EXPECT_THAT(ListedIds(), UnorderedElementsAreArray({a.example_id}));
  // A metadata value nobody has: OK, nothing deleted.
  ProcessResult none = Cli({"delete", "--where=user_id=nobody"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_THAT(none.out, HasSubstr("deleted 0 example(s)"));
  EXPECT_THAT(ListedIds(), UnorderedElementsAreArray({a.example_id}));
}

TEST_F(ErasureEndToEndTest, DeleteByIdAcrossReplicas) {
  // Two servers, each with its own data dir; an id lives on one of them.
  StartServer();
  const Conversation a = Capture("sa", "42");
  std::unique_ptr<RunningServer> first = std::move(server_);
  auto second_server = RunningServer::Start(
      {"--data_dir=" + dir_.File("data2"), "--compact_deleted_share=0"},
      dir_.File("server2.stderr"));
  ASSERT_TRUE(second_server.ok()) << second_server.status();
  server_ = *std::move(second_server);
  stub_ = v1::CaptureService::NewStub(grpc::CreateChannel(
      server_->address(), grpc::InsecureChannelCredentials()));
  const Conversation b = Capture("sb", "42");
  auto result =
      RunProcess({FTCAPTURE_CLIENT_BIN,
                  "--server=" + first->address() + "," + server_->address(),
                  "delete", "--id=" + a.example_id + "," + b.example_id},
                 "");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->exit_code, 0) << result->err;
  EXPECT_THAT(result->out, HasSubstr("deleted 2 example(s)"));
  result =
      RunProcess({FTCAPTURE_CLIENT_BIN,
                  "--server=" + first->address() + "," + server_->address(),
                  "stats", "--json"},
                 "");
  ASSERT_TRUE(result.ok());
  v1::GetStatsResponse merged;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(result->out, &merged).ok());
  EXPECT_EQ(merged.examples_total(), 0);
  EXPECT_EQ(merged.deleted_examples(), 2);
}

}  // namespace
}  // namespace ftcapture
