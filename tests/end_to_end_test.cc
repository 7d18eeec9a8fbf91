// End to end: the built ftcapture-server on a free port with a temporary
// data dir, driven by the built ftcapture CLI, checked through both files it
// writes and through an independent TFRecord reader.

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <stdlib.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ftcapture/v1/capture.grpc.pb.h"
#include "ftcapture/v1/capture.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "src/storage/example_store.h"
#include "src/util/env.h"
#include "tests/util/cli.h"
#include "tests/util/json_messages.h"
#include "tests/util/raw_call.h"
#include "tests/util/running_server.h"
#include "tests/util/subprocess.h"
#include "tests/util/temp_dir.h"
#include "tests/util/text_files.h"

namespace ftcapture {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kMarkdown[] = "fine_tuning_best_case_interchanges.md";
constexpr char kDataset[] = "examples.tfrecord";
const std::string kRule(80, '=');

bool HaveProgram(const std::string& name) {
  auto result = RunProcess({"/bin/sh", "-c", "command -v " + name});
  return result.ok() && result->exit_code == 0;
}

class EndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(); }

  void StartServer(std::vector<std::string> extra_flags = {}) {
    extra_flags.insert(extra_flags.begin(), "--data_dir=" + DataDir());
    auto server = RunningServer::Start(extra_flags, dir_.File("server.stderr"));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    address_ = server_->address();
    ASSERT_THAT(address_, Not(HasSubstr(":0"))) << server_->listening_line();
    EXPECT_THAT(server_->listening_line(), HasSubstr("data_dir=" + DataDir()));
  }

  // SIGTERM; returns the exit code.
  int StopServer() {
    auto code = server_->Stop(SIGTERM);
    EXPECT_TRUE(code.ok()) << code.status();
    return code.ok() ? *code : -1;
  }

  std::string DataDir() const { return dir_.File("data"); }
  std::string Markdown() const {
    return ReadFileOrEmpty(DataDir() + "/" + kMarkdown);
  }
  std::string ServerStderr() const {
    return ReadFileOrEmpty(dir_.File("server.stderr"));
  }

  ProcessResult Cli(std::vector<std::string> args) {
    return RunCli(address_, std::move(args));
  }

  v1::RecordTurnResponse Push(std::vector<std::string> flags) {
    flags.insert(flags.begin(), "push");
    ProcessResult result = Cli(flags);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return ParseJson<v1::RecordTurnResponse>(result.out);
  }

  v1::RecordTurnResponse PushJson(const std::string& turn_json) {
    return Push({"--json=" + turn_json});
  }

  v1::GetStatsResponse Stats() {
    ProcessResult result = Cli({"stats", "--json"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return ParseJson<v1::GetStatsResponse>(result.out);
  }

  // u1, a1 (prompt + memory), u2 praise: the example; a2 (another prompt).
  std::string PushConversation(const std::string& session) {
    Push({"--session=" + session, "--turn_id=u1", "--role=user",
          "--text=What makes a kettle whistle?", "--metadata=channel=voice"});
    PushJson(absl::StrCat(
        R"({"sessionId":")", session,
        R"(","turnId":"a1","role":"ROLE_ASSISTANT",)",
        R"("text":"Steam squeezes through a small hole and vibrates.",)",
        R"("systemPrompt":"PROMPT-A1: You are Timmy, a cheerful robot.",)",
        R"("memories":[{"text":"MEMORY-1: the user collects kettles",)",
        R"("category":"hobby","importance":3}]})"));
    v1::RecordTurnResponse praise =
        Push({"--session=" + session, "--turn_id=u2", "--role=user",
              "--text=Good one, Timmy! What about the lid?"});
    EXPECT_TRUE(praise.praise());
    Push({"--session=" + session, "--turn_id=a2", "--role=assistant",
          "--text=The lid just rattles.", "--system_prompt=PROMPT-A2-LATER"});
    return praise.example_id();
  }

  TempDir dir_;
  std::unique_ptr<RunningServer> server_;
  std::string address_;
};

TEST_F(EndToEndTest, FourTurnConversationCapturesOneExampleInBothFiles) {
  const std::string id = PushConversation("kitchen");
  ASSERT_THAT(id, Not(IsEmpty()));

  const std::string md = Markdown();
  EXPECT_EQ(CountOccurrences(md, "Example Captured"), 1) << md;
  // The header block: 80 '=', the capture line, the praise, 80 '='.
  std::vector<std::string> lines = absl::StrSplit(md, '\n');
  size_t header = 0;
  while (header < lines.size() &&
         !absl::StartsWith(lines[header], "## Example Captured: ")) {
    ++header;
  }
  ASSERT_LT(header + 2, lines.size()) << md;
  ASSERT_GE(header, 1u);
  EXPECT_EQ(lines[header - 1], kRule);
  EXPECT_EQ(lines[header + 1],
            "**Praise:** Good one, Timmy! What about the lid?");
  EXPECT_EQ(lines[header + 2], kRule);

  // The sections, in order, with the praised reply's own prompt as n-2.
  const size_t user = md.find("### User Message (n-3):");
  const size_t prompt = md.find("### System Prompt with Memories (n-2):");
  const size_t reply = md.find("### Assistant Response (n-1):");
  const size_t metadata = md.find("### Metadata:");
  ASSERT_NE(user, std::string::npos) << md;
  ASSERT_NE(prompt, std::string::npos) << md;
  ASSERT_NE(reply, std::string::npos) << md;
  ASSERT_NE(metadata, std::string::npos) << md;
  EXPECT_LT(user, prompt);
  EXPECT_LT(prompt, reply);
  EXPECT_LT(reply, metadata);
  const std::string user_section = md.substr(user, prompt - user);
  const std::string prompt_section = md.substr(prompt, reply - prompt);
  const std::string reply_section = md.substr(reply, metadata - reply);
  EXPECT_THAT(user_section, HasSubstr("What makes a kettle whistle?"));
  EXPECT_THAT(prompt_section, HasSubstr("PROMPT-A1: You are Timmy"));
  EXPECT_THAT(prompt_section, HasSubstr("MEMORY-1: the user collects kettles"));
  EXPECT_THAT(reply_section, HasSubstr("Steam squeezes through"));
  EXPECT_THAT(md, Not(HasSubstr("PROMPT-A2-LATER")));
  EXPECT_THAT(md.substr(metadata), HasSubstr("```json"));
  EXPECT_THAT(md.substr(metadata), HasSubstr("kitchen"));

  // list shows it too.
  ProcessResult list = Cli({"list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  v1::Example listed = ParseJson<v1::Example>(list.out);
  EXPECT_EQ(listed.id(), id);
  EXPECT_EQ(listed.assistant_turn().system_prompt(),
            "PROMPT-A1: You are Timmy, a cheerful robot.");
  ProcessResult table = Cli({"list"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr(id));

  v1::GetStatsResponse stats = Stats();
  EXPECT_EQ(stats.examples_total(), 1);
  EXPECT_EQ(stats.turns_seen(), 4);
  EXPECT_EQ(stats.markdown_bytes(), static_cast<int64_t>(md.size()));
  ProcessResult text = Cli({"stats"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("examples"));
}

TEST_F(EndToEndTest, RetriedPraiseCapturesNothingNew) {
  const std::string id = PushConversation("s1");
  ASSERT_THAT(id, Not(IsEmpty()));
  // The retry is acknowledged with the first answer and writes nothing.
  const std::string md_before = Markdown();
  v1::RecordTurnResponse retry =
      Push({"--session=s1", "--turn_id=u2", "--role=user",
            "--text=Good one, Timmy! What about the lid?"});
  EXPECT_TRUE(retry.duplicate());
  EXPECT_EQ(retry.example_id(), id);
  EXPECT_EQ(Markdown(), md_before);
  EXPECT_EQ(CountOccurrences(Markdown(), "Example Captured"), 1);
  EXPECT_EQ(Stats().examples_total(), 1);
}

TEST_F(EndToEndTest, PraiseWithNoReplyIsCountedNotCaptured) {
  v1::RecordTurnResponse praise =
      Push({"--session=fresh", "--turn_id=u1", "--role=user",
            "--text=Good one, Timmy!"});
  EXPECT_TRUE(praise.praise());
  EXPECT_THAT(praise.example_id(), IsEmpty());
  EXPECT_THAT(praise.not_captured_reason(), Not(IsEmpty()));
  v1::GetStatsResponse stats = Stats();
  EXPECT_EQ(stats.praise_uncredited(), 1);
  EXPECT_EQ(stats.examples_total(), 0);
  EXPECT_EQ(CountOccurrences(Markdown(), "Example Captured"), 0);
}

TEST_F(EndToEndTest, ReplyWithBackticksSurvivesInALongerFence) {
  const std::string reply =
      "Here is code:\n```python\nprint('hi')\n```\nand a quad ```` fence.";
  Push({"--session=code", "--turn_id=u1", "--role=user",
        "--text=Show me a fence"});
  Push({"--session=code", "--turn_id=a1", "--role=assistant", "--text=" + reply,
        "--system_prompt=You write Markdown."});
  v1::RecordTurnResponse praise = Push(
      {"--session=code", "--turn_id=u2", "--role=user", "--text=Nice one!"});
  ASSERT_THAT(praise.example_id(), Not(IsEmpty()));

  const std::string md = Markdown();
  const size_t at = md.find(reply);
  ASSERT_NE(at, std::string::npos) << md;
  // The line before the reply opens a fence of more than 4 backticks, and
  // the same run closes it right after.
  const size_t open_end = md.rfind('\n', at - 1);
  const size_t open_start = md.rfind('\n', open_end - 1) + 1;
  const std::string open = md.substr(open_start, open_end - open_start);
  ASSERT_GE(open.size(), 5u) << open;
  EXPECT_EQ(open.find_first_not_of('`'), std::string::npos) << open;
  const size_t after = at + reply.size();
  EXPECT_EQ(md.substr(after, open.size() + 2), "\n" + open + "\n") << md;
  // Nothing was broken: the next sections still follow.
  EXPECT_NE(md.find("### Metadata:", after), std::string::npos);
}

TEST_F(EndToEndTest, ReplayStreamsAJsonlFileOfTurns) {
  const int kSessions = 7;
  std::string jsonl;
  for (int i = 0; i < kSessions; ++i) {
    const std::string s = absl::StrCat("r", i);
    absl::StrAppend(&jsonl, R"({"sessionId":")", s,
                    R"(","turnId":"u1","role":"ROLE_USER","text":"Hi?"})",
                    "\n");
    absl::StrAppend(
        &jsonl, R"({"sessionId":")", s,
        R"(","turnId":"a1","role":"ROLE_ASSISTANT","text":"Hello!",)",
        R"("systemPrompt":"P)", i, R"("})", "\n\n");
    absl::StrAppend(
        &jsonl, R"({"sessionId":")", s,
        R"(","turnId":"u2","role":"ROLE_USER","text":"Well done!"})", "\n");
  }
  const std::string path = dir_.File("turns.jsonl");
  std::ofstream(path) << jsonl;

  ProcessResult replay = Cli({"replay", path});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_THAT(replay.out, HasSubstr(absl::StrCat(kSessions, " examples")));
  EXPECT_THAT(replay.err, HasSubstr(absl::StrCat("replay: ", 3 * kSessions, "/",
                                                 3 * kSessions, " turns, ",
                                                 kSessions, " examples")));
  EXPECT_EQ(Stats().examples_total(), kSessions);
  EXPECT_EQ(CountOccurrences(Markdown(), "Example Captured"), kSessions);

  // Replaying the same file again (a retry after a failed run) captures
  // nothing: the duplicates carry their example_id but are not counted as
  // captured.
  ProcessResult again = Cli({"replay", path});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out,
              HasSubstr(absl::StrCat(": 0 examples captured, 0 praise seen, ",
                                     3 * kSessions, " duplicates")));
  EXPECT_THAT(again.err,
              HasSubstr(absl::StrCat("replay: ", 3 * kSessions, "/",
                                     3 * kSessions, " turns, 0 examples")));
  EXPECT_EQ(Stats().examples_total(), kSessions);

  // A bad line is named and nothing is sent.
  std::ofstream(path) << jsonl << "{\"sessionId\": \"x\", \"role\": 7x}\n";
  ProcessResult bad = Cli({"replay", path});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr(absl::StrCat(":", 4 * kSessions + 1, ":")));
  EXPECT_EQ(Stats().turns_seen(), 3 * kSessions);
}

TEST_F(EndToEndTest, BadTurnIsRejectedWithInvalidArgument) {
  // Through --json: without it the CLI itself refuses a turn with no
  // --session (a usage error).
  ProcessResult result =
      Cli({"push",
           R"(--json={"turnId":"u1","role":"ROLE_USER","text":"no session"})"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(result.err, HasSubstr("session_id"));
  ProcessResult unknown = Cli({"frobnicate"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_THAT(unknown.err, HasSubstr("unknown command"));
}

TEST_F(EndToEndTest, SigtermStopsCleanlyAndARestartKeepsTheExamples) {
  const std::string id = PushConversation("s1");
  ASSERT_THAT(id, Not(IsEmpty()));
  EXPECT_EQ(StopServer(), 0) << ServerStderr();

  StartServer();
  EXPECT_EQ(Stats().examples_total(), 1);
  // The retried praise after a restart still captures nothing new.
  v1::RecordTurnResponse retry =
      Push({"--session=s1", "--turn_id=u2", "--role=user",
            "--text=Good one, Timmy! What about the lid?"});
  EXPECT_TRUE(retry.example_id().empty() || retry.example_id() == id)
      << retry.example_id();
  EXPECT_EQ(Stats().examples_total(), 1);
  EXPECT_EQ(StopServer(), 0) << ServerStderr();
  EXPECT_EQ(CountOccurrences(Markdown(), "Example Captured"), 1);
}

TEST_F(EndToEndTest, DatasetReadsBackWithAnIndependentReader) {
  if (!HaveProgram("python3")) GTEST_SKIP() << "python3 is not on PATH";
  const std::string id = PushConversation("kitchen");
  ASSERT_THAT(id, Not(IsEmpty()));
  Push({"--session=other", "--turn_id=u1", "--role=user", "--text=Hi"});
  Push({"--session=other", "--turn_id=a1", "--role=assistant",
        "--text=Reply with ``` and ```` inside", "--system_prompt=P-OTHER"});
  ASSERT_THAT(Push({"--session=other", "--turn_id=u2", "--role=user",
                    "--text=That was awesome"})
                  .example_id(),
              Not(IsEmpty()));
  ASSERT_EQ(StopServer(), 0) << ServerStderr();

  const std::string records = dir_.File("records");
  auto read = RunProcess(
      {"/usr/bin/env", "python3",
       std::string(FTCAPTURE_SOURCE_DIR) + "/tests/tools/read_tfrecord.py",
       DataDir() + "/" + kDataset, "--out-dir", records});
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->exit_code, 0) << read->err;
  EXPECT_EQ(CountOccurrences(read->out, "\n"), 2) << read->out;

  // Each record is a whole ftcapture.v1.Example.
  v1::Example first;
  ASSERT_TRUE(
      first.ParseFromString(ReadFileOrEmpty(records + "/record-00000.bin")));
  EXPECT_EQ(first.id(), id);
  EXPECT_EQ(first.assistant_turn().system_prompt(),
            "PROMPT-A1: You are Timmy, a cheerful robot.");
  v1::Example second;
  ASSERT_TRUE(
      second.ParseFromString(ReadFileOrEmpty(records + "/record-00001.bin")));
  EXPECT_EQ(second.assistant_turn().text(), "Reply with ``` and ```` inside");

  if (!HaveProgram("protoc")) return;
  auto decoded =
      RunProcess({"/usr/bin/env", "protoc", "--decode=ftcapture.v1.Example",
                  std::string("-I") + FTCAPTURE_SOURCE_DIR + "/proto",
                  "ftcapture/v1/capture.proto"},
                 ReadFileOrEmpty(records + "/record-00000.bin"));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->exit_code, 0) << decoded->err;
  EXPECT_THAT(decoded->out, HasSubstr(absl::StrCat("id: \"", id, "\"")));
  EXPECT_THAT(decoded->out, HasSubstr("PROMPT-A1: You are Timmy"));
  EXPECT_THAT(decoded->out, HasSubstr("MEMORY-1: the user collects kettles"));
}

// A health check by raw bytes: this build has no health protos.
absl::StatusOr<std::string> CallRaw(const std::string& address,
                                    absl::string_view method,
                                    absl::string_view request) {
  return CallUnaryRaw(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()), method,
      request);
}

TEST_F(EndToEndTest, StandardHealthServiceSaysServing) {
  // HealthCheckRequest{service: ""} is empty; HealthCheckResponse{status:
  // SERVING} is field 1 = 1.
  auto response = CallRaw(address_, "/grpc.health.v1.Health/Check", "");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(*response, std::string("\x08\x01", 2));

  // The service by name too (grpc_health_probe -service=..., Kubernetes
  // gRPC probes with a service): field 1, "ftcapture.v1.CaptureService".
  const std::string name = "ftcapture.v1.CaptureService";
  auto by_name = CallRaw(
      address_, "/grpc.health.v1.Health/Check",
      absl::StrCat(std::string(1, '\x0a'),
                   std::string(1, static_cast<char>(name.size())), name));
  ASSERT_TRUE(by_name.ok()) << by_name.status();
  EXPECT_EQ(*by_name, std::string("\x08\x01", 2));
}

TEST_F(EndToEndTest, StartupErrorsExitOneWithAMessage) {
  const std::string not_a_dir = dir_.File("plain_file");
  std::ofstream(not_a_dir) << "x";
  auto bad_dir = RunProcess({FTCAPTURE_SERVER_BIN, "--listen=127.0.0.1:0",
                             "--data_dir=" + not_a_dir + "/data"},
                            "", absl::Seconds(20));
  ASSERT_TRUE(bad_dir.ok());
  EXPECT_EQ(bad_dir->exit_code, 1);
  EXPECT_THAT(bad_dir->err, HasSubstr("data"));

  auto bad_rules =
      RunProcess({FTCAPTURE_SERVER_BIN, "--listen=127.0.0.1:0",
                  "--data_dir=" + dir_.File("d2"),
                  "--praise_rules=" + dir_.File("no_such_rules.txt")},
                 "", absl::Seconds(20));
  ASSERT_TRUE(bad_rules.ok());
  EXPECT_EQ(bad_rules->exit_code, 1);
  EXPECT_THAT(bad_rules->err, HasSubstr("no_such_rules.txt"));

  auto bad_sync = RunProcess({FTCAPTURE_SERVER_BIN, "--sync=sometimes",
                              "--data_dir=" + dir_.File("d3")},
                             "", absl::Seconds(20));
  ASSERT_TRUE(bad_sync.ok());
  EXPECT_EQ(bad_sync->exit_code, 1);
  EXPECT_THAT(bad_sync->err, HasSubstr("--sync"));

  auto no_skew = RunProcess({FTCAPTURE_SERVER_BIN, "--max_clock_skew=0",
                             "--data_dir=" + dir_.File("d5")},
                            "", absl::Seconds(20));
  ASSERT_TRUE(no_skew.ok());
  EXPECT_EQ(no_skew->exit_code, 1);
  EXPECT_THAT(no_skew->err, HasSubstr("--max_clock_skew must be positive"));

  // The fixture's server holds its port; a second one must not share it.
  auto busy = RunProcess({FTCAPTURE_SERVER_BIN, "--listen=" + address_,
                          "--data_dir=" + dir_.File("d4")},
                         "", absl::Seconds(20));
  ASSERT_TRUE(busy.ok());
  EXPECT_EQ(busy->exit_code, 1);
  EXPECT_THAT(busy->err, HasSubstr("cannot listen"));
}

// Issue 13: an unparseable request in StreamTurns ended the stream with OK
// after 2 of 5 responses; the rest vanished.
TEST_F(EndToEndTest, StreamTurnsAnswersAnUnparseableRequestInPlace) {
  auto stub = v1::CaptureService::NewStub(
      grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  auto stream = stub->StreamTurns(&context);
  std::vector<v1::RecordTurnRequest> requests(5);
  const char* const texts[] = {"How deep?", "15 cm.", "", "Good one, Timmy!",
                               "Thanks"};
  const char* const ids[] = {"u1", "a1", "u9", "u2", "u3"};
  for (int i = 0; i < 5; ++i) {
    v1::Turn* turn = requests[i].mutable_turn();
    turn->set_session_id("stream-1");
    turn->set_turn_id(ids[i]);
    turn->set_role(i == 1 ? v1::ROLE_ASSISTANT : v1::ROLE_USER);
    turn->set_text(texts[i]);
  }
  // Protobuf serializes a proto3 string that is not UTF-8 (with a logged
  // error) but will not parse it: the server gets bytes it cannot read.
  requests[2].mutable_turn()->set_text("\xff\xfe not UTF-8");
  for (const auto& request : requests) ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->WritesDone());
  std::vector<v1::RecordTurnResponse> responses;
  v1::RecordTurnResponse response;
  while (stream->Read(&response)) responses.push_back(response);
  grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(responses.size(), 5u);
  EXPECT_EQ(responses[2].error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(responses[2].error_message(), HasSubstr("request 3"));
  EXPECT_EQ(responses[3].error_code(), 0);
  EXPECT_FALSE(responses[3].example_id().empty());
  EXPECT_EQ(responses[4].error_code(), 0);
}

// Issue 13: a record stored before times and control characters were
// checked (year 10000, an escape sequence in its session id) made `list
// --json` print truncated lines and exit 0, `stats --json` print nothing
// and exit 0, `export --format=full-jsonl` fail, and `list` send the escape
// sequence to the terminal.
TEST_F(EndToEndTest, OldHostileRecordPrintsSafelyEverywhere) {
  ASSERT_EQ(StopServer(), 0);
  {
    ExampleStore::Options options;
    options.data_dir = DataDir();
    auto store = ExampleStore::Open(Env::Default(), options, nullptr, nullptr);
    ASSERT_TRUE(store.ok()) << store.status();
    v1::Example example;
    example.set_id("ex-0123456789abcdef");
    example.set_session_id("evil\x1b]0;owned\x07");
    example.mutable_captured_at()->set_seconds(253402300800);
    example.mutable_assistant_turn()->set_text("reply");
    example.set_praise_text("praise \x1b[2J");
    example.set_label(v1::LABEL_POSITIVE);
    ASSERT_TRUE((*store)->Append(example).ok());
  }
  StartServer();

  ProcessResult list = Cli({"list", "--json"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  auto shown = ParseJson<v1::Example>(
      std::string(absl::StripTrailingAsciiWhitespace(list.out)));
  EXPECT_EQ(shown.id(), "ex-0123456789abcdef");
  EXPECT_EQ(shown.captured_at().seconds(), 253402300799);
  EXPECT_EQ(shown.session_id(), "evil\x1b]0;owned\x07");  // same meaning
  EXPECT_THAT(list.err, HasSubstr("warning: example ex-0123456789abcdef"));
  EXPECT_THAT(list.err, HasSubstr("captured_at"));

  ProcessResult table = Cli({"list"});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_EQ(table.out.find('\x1b'), std::string::npos);
  EXPECT_EQ(table.out.find('\x07'), std::string::npos);
  EXPECT_THAT(table.out, HasSubstr("evil\\u001b]0;owned\\u0007"));
  EXPECT_THAT(table.out, HasSubstr("praise \\u001b[2J"));

  ProcessResult stats = Cli({"stats", "--json"});
  EXPECT_EQ(stats.exit_code, 0) << stats.err;
  auto parsed = ParseJson<v1::GetStatsResponse>(stats.out);
  EXPECT_EQ(parsed.examples_total(), 1);
  ProcessResult text = Cli({"stats"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out.find('\x1b'), std::string::npos);

  ProcessResult exported = Cli({"export", "--format=full-jsonl", "--out=-"});
  EXPECT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_THAT(exported.out, HasSubstr("9999-12-31T23:59:59"));
  EXPECT_THAT(exported.err, HasSubstr("warning: example ex-0123456789abcdef"));
}

// `list`, `stats` and `export` exit non-zero when they cannot finish.
TEST_F(EndToEndTest, ReadingCommandsFailLoudlyWhenTheServerIsGone) {
  ASSERT_EQ(StopServer(), 0);
  for (std::vector<std::string> args :
       {std::vector<std::string>{"list", "--json"},
        std::vector<std::string>{"stats", "--json"},
        std::vector<std::string>{"export", "--format=full-jsonl", "--out=-"}}) {
    ProcessResult result = Cli(args);
    EXPECT_EQ(result.exit_code, 1) << args[0] << ": " << result.out;
    EXPECT_THAT(result.err, HasSubstr("UNAVAILABLE")) << args[0];
  }
}

}  // namespace
}  // namespace ftcapture
