// Running the server as a service: --help, `ftcapture health`, the shutdown
// order (health NOT_SERVING first, calls still served during the drain) and
// the Prometheus metrics on --metrics_listen, all with the real binaries.

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ftcapture/v1/capture.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/storage/example_store.h"
#include "tests/util/cli.h"
#include "tests/util/running_server.h"
#include "tests/util/subprocess.h"
#include "tests/util/temp_dir.h"

namespace ftcapture {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// GET http://host:port/path with a plain socket; the body, or "" on error.
std::string HttpGet(const std::string& host_port, const std::string& path) {
  std::vector<std::string> parts = absl::StrSplit(host_port, ':');
  int port = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &port)) return "";
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, parts[0].c_str(), &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: ", host_port, "\r\n\r\n");
  if (write(fd, request.data(), request.size()) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return "";
  }
  std::string response;
  char buffer[8192];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) response.append(buffer, n);
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// The value of the sample whose name and labels are exactly `series` (as
// written by the exposition format, labels sorted by name); -1 if absent.
double Sample(const std::string& metrics, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(metrics, '\n')) {
    if (absl::ConsumePrefix(&line, series) && absl::ConsumePrefix(&line, " ")) {
      double value = 0;
      if (absl::SimpleAtod(line, &value)) return value;
    }
  }
  return -1;
}

class ServerOpsTest : public ::testing::Test {
 protected:
  // Starts the server with `flags`; fills address_ and metrics_address_.
  void Start(std::vector<std::string> flags) {
    std::vector<std::string> argv = {FTCAPTURE_SERVER_BIN,
                                     "--listen=127.0.0.1:0",
                                     "--data_dir=" + dir_.File("data")};
    argv.insert(argv.end(), flags.begin(), flags.end());
    auto server = Subprocess::Start(argv, dir_.File("server.stderr"));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    for (const std::string& flag : flags) {
      if (!absl::StartsWith(flag, "--metrics_listen=")) continue;
      // "ftcapture-server metrics on http://127.0.0.1:41234/metrics"
      auto line = server_->WaitForLine("metrics on", absl::Seconds(60));
      ASSERT_TRUE(line.ok()) << line.status();
      const std::string url = line->substr(line->find("http://") + 7);
      metrics_address_ = std::string(url.substr(0, url.find('/')));
    }
    auto line = server_->WaitForLine("listening on", absl::Seconds(60));
    ASSERT_TRUE(line.ok()) << line.status();
    std::vector<std::string> words = absl::StrSplit(*line, ' ');
    ASSERT_GE(words.size(), 4u);
    address_ = words[3];
    stub_ = v1::CaptureService::NewStub(
        grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  }

  ProcessResult Cli(std::vector<std::string> args) {
    return RunCli(address_, std::move(args));
  }

  grpc::Status Record(const std::string& session, const std::string& turn_id,
                      v1::Role role, const std::string& text,
                      v1::RecordTurnResponse* response = nullptr) {
    v1::RecordTurnRequest request;
    request.mutable_turn()->set_session_id(session);
    request.mutable_turn()->set_turn_id(turn_id);
    request.mutable_turn()->set_role(role);
    request.mutable_turn()->set_text(text);
    if (role == v1::ROLE_ASSISTANT) {
      request.mutable_turn()->set_system_prompt("You are Timmy.");
    }
    v1::RecordTurnResponse ignored;
    grpc::ClientContext context;
    return stub_->RecordTurn(&context, request,
                             response != nullptr ? response : &ignored);
  }

  TempDir dir_;
  std::unique_ptr<Subprocess> server_;
  std::string address_;
  std::string metrics_address_;
  std::unique_ptr<v1::CaptureService::Stub> stub_;
};

TEST(ServerHelpTest, HelpListsTheServerFlagsAndExitsZero) {
  auto result = RunProcess({FTCAPTURE_SERVER_BIN, "--help"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0) << result->err;
  for (const char* flag :
       {"--listen", "--data_dir", "--metrics_listen", "--shutdown_grace",
        "--shutdown_drain", "--sync", "--persona"}) {
    EXPECT_THAT(result->out, HasSubstr(flag));
  }
  EXPECT_THAT(result->out, Not(HasSubstr("No flags matched")));
}

TEST_F(ServerOpsTest, HealthIsServingUntilTermThenNotServingDuringTheDrain) {
  Start({"--shutdown_drain=3s"});
  ProcessResult healthy = Cli({"health"});
  EXPECT_EQ(healthy.exit_code, 0) << healthy.err;
  EXPECT_EQ(healthy.out, "SERVING\n");

  ASSERT_TRUE(server_->Signal(SIGTERM).ok());
  // NOT_SERVING comes first; the server still answers calls meanwhile.
  const absl::Time deadline = absl::Now() + absl::Seconds(2);
  ProcessResult draining;
  do {
    draining = Cli({"health"});
  } while (draining.out != "NOT_SERVING\n" && absl::Now() < deadline);
  EXPECT_EQ(draining.out, "NOT_SERVING\n") << draining.err;
  EXPECT_EQ(draining.exit_code, 1);
  EXPECT_THAT(draining.err, HasSubstr("NOT_SERVING"));
  EXPECT_TRUE(Record("s", "u1", v1::ROLE_USER, "still there?").ok());

  auto code = server_->Wait(absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
  ProcessResult gone = Cli({"health", "--timeout=1"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_THAT(gone.err, HasSubstr("UNAVAILABLE"));
}

TEST_F(ServerOpsTest, MetricsCountCallsCapturesAndFsyncs) {
  Start({"--metrics_listen=127.0.0.1:0"});
  ASSERT_FALSE(metrics_address_.empty());
  ASSERT_TRUE(Record("s1", "u1", v1::ROLE_USER, "How deep?").ok());
  ASSERT_TRUE(Record("s1", "a1", v1::ROLE_ASSISTANT, "15 cm.").ok());
  v1::RecordTurnResponse praise;
  ASSERT_TRUE(
      Record("s1", "u2", v1::ROLE_USER, "Good one, Timmy!", &praise).ok());
  ASSERT_FALSE(praise.example_id().empty());
  ASSERT_TRUE(Record("s1", "u2", v1::ROLE_USER, "Good one, Timmy!").ok());
  ASSERT_TRUE(Record("s2", "u1", v1::ROLE_USER, "That was wrong").ok());
  EXPECT_EQ(Record("", "x", v1::ROLE_USER, "no session").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  const std::string metrics = HttpGet(metrics_address_, "/metrics");
  ASSERT_FALSE(metrics.empty()) << metrics_address_;
  const std::string method =
      R"(grpc_method="RecordTurn",grpc_service="ftcapture.v1.CaptureService")";
  EXPECT_EQ(Sample(metrics,
                   absl::StrCat(R"(grpc_server_handled_total{grpc_code="OK",)",
                                method, "}")),
            5);
  EXPECT_EQ(
      Sample(metrics,
             absl::StrCat(
                 R"(grpc_server_handled_total{grpc_code="INVALID_ARGUMENT",)",
                 method, "}")),
      1);
  EXPECT_EQ(Sample(metrics, absl::StrCat("grpc_server_handling_seconds_count{",
                                         method, "}")),
            6);
  // The retried praise is a duplicate, not another turn.
  EXPECT_EQ(Sample(metrics, R"(ftcapture_turns_total{role="user"})"), 3);
  EXPECT_EQ(Sample(metrics, R"(ftcapture_turns_total{role="assistant"})"), 1);
  EXPECT_EQ(Sample(metrics, "ftcapture_praise_total"), 1);
  EXPECT_EQ(Sample(metrics, "ftcapture_duplicate_turns_total"), 1);
  EXPECT_EQ(Sample(metrics, "ftcapture_examples_captured_total"), 1);
  EXPECT_EQ(Sample(metrics, R"(ftcapture_dataset_examples{label="positive"})"),
            1);
  EXPECT_EQ(Sample(metrics, "ftcapture_live_sessions"), 2);
  EXPECT_GT(Sample(metrics, "ftcapture_session_window_bytes"), 0);
  EXPECT_GE(Sample(metrics, "ftcapture_dataset_fsync_seconds_count"), 1);
  EXPECT_GE(
      Sample(metrics, R"(ftcapture_dataset_fsync_seconds_bucket{le="+Inf"})"),
      1);
  std::ifstream dataset(dir_.File("data/") + kDatasetFileName,
                        std::ios::binary | std::ios::ate);
  EXPECT_EQ(Sample(metrics, "ftcapture_dataset_bytes"),
            static_cast<double>(dataset.tellg()));
  EXPECT_GT(Sample(metrics, "ftcapture_markdown_bytes"), 0);
  EXPECT_EQ(Sample(metrics, "ftcapture_recovery_records"), 0);

  // Recovery at the next start is reported too.
  ASSERT_TRUE(server_->Signal(SIGTERM).ok());
  ASSERT_TRUE(server_->Wait(absl::Seconds(30)).ok());
  Start({"--metrics_listen=127.0.0.1:0"});
  const std::string after = HttpGet(metrics_address_, "/metrics");
  EXPECT_EQ(Sample(after, "ftcapture_recovery_records"), 1);
  EXPECT_EQ(Sample(after, "ftcapture_recovery_repaired"), 0);
  EXPECT_EQ(Sample(after, "ftcapture_examples_captured_total"), 0);
}

TEST_F(ServerOpsTest, MetricsAddressInUseIsAStartupError) {
  Start({"--metrics_listen=127.0.0.1:0"});
  auto second = RunProcess({FTCAPTURE_SERVER_BIN, "--listen=127.0.0.1:0",
                            "--data_dir=" + dir_.File("other"),
                            "--metrics_listen=" + metrics_address_});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->exit_code, 1);
  EXPECT_THAT(second->err, HasSubstr("cannot serve metrics on"));
}

// Runs the server with `flags` (and a fresh data dir) expecting it not to
// start; what it says on stderr, or a test failure.
std::string StartupError(const TempDir& dir, std::vector<std::string> flags) {
  std::vector<std::string> argv = {FTCAPTURE_SERVER_BIN,
                                   "--data_dir=" + dir.File("data")};
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto result = RunProcess(argv, "", absl::Seconds(20));
  EXPECT_TRUE(result.ok()) << result.status();
  if (!result.ok()) return "";
  EXPECT_EQ(result->exit_code, 1) << result->err;
  EXPECT_THAT(result->out, Not(HasSubstr("listening on")));
  return result->err;
}

// gRPC took port 99999 as 99999 - 65536 and served there.
TEST(ServerStartupTest, PortAbove65535IsRefused) {
  TempDir dir;
  EXPECT_THAT(StartupError(dir, {"--listen=127.0.0.1:99999"}),
              HasSubstr("--listen='127.0.0.1:99999' is not a valid address "
                        "(the port is not a number of 0-65535)"));
  EXPECT_THAT(StartupError(dir, {"--listen=127.0.0.1:0",
                                 "--metrics_listen=127.0.0.1:70000"}),
              HasSubstr("--metrics_listen='127.0.0.1:70000' is not a valid "
                        "address"));
}

// 'nonsense' was refused as a non-loopback address without --auth_tokens.
TEST(ServerStartupTest, ListenWithoutPortIsNotAValidAddress) {
  TempDir dir;
  const std::string error = StartupError(dir, {"--listen=nonsense"});
  EXPECT_THAT(error, HasSubstr("--listen='nonsense' is not a valid address"));
  EXPECT_THAT(error, HasSubstr("HOST:PORT"));
  EXPECT_THAT(error, Not(HasSubstr("refusing")));
  EXPECT_THAT(StartupError(dir, {"--listen=::1:50051"}),
              HasSubstr("an IPv6 host goes in brackets"));
  EXPECT_THAT(StartupError(dir, {"--listen=unix:"}),
              HasSubstr("no socket path"));
}

TEST(ServerStartupTest, IpV6AndUnixSocketAddressesServe) {
  TempDir dir;
  // --shutdown_grace=1s: the stop would otherwise wait out the default 5 s.
  const std::string socket = "unix:" + dir.File("ftcapture.sock");
  for (const std::string& listen : {std::string("[::1]:0"), socket}) {
    SCOPED_TRACE(listen);
    auto server = RunningServer::Start(
        {"--listen=" + listen, "--data_dir=" + dir.File("data"),
         "--shutdown_grace=1s"},
        dir.File("server.stderr"));
    ASSERT_TRUE(server.ok()) << server.status();
    if (listen == socket) {
      // The ready line names the socket (it said "unix:1").
      EXPECT_THAT((*server)->listening_line(),
                  HasSubstr("listening on " + socket + " "));
    }
    auto stub = v1::CaptureService::NewStub(grpc::CreateChannel(
        (*server)->address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    v1::GetStatsResponse stats;
    EXPECT_TRUE(stub->GetStats(&context, v1::GetStatsRequest(), &stats).ok());
    auto stopped = (*server)->Stop(SIGTERM);
    ASSERT_TRUE(stopped.ok()) << stopped.status();
    EXPECT_EQ(*stopped, 0);
  }
}

// The message blamed the data dir, which was fine.
TEST(ServerStartupTest, MissingRuleFilesAreBlamedAlone) {
  TempDir dir;
  const std::string rules = dir.File("no_such_rules.txt");
  const std::string error =
      StartupError(dir, {"--listen=127.0.0.1:0", "--praise_rules=" + rules});
  EXPECT_THAT(error, HasSubstr("--praise_rules: cannot open rule file '" +
                               rules + "'"));
  EXPECT_THAT(error, Not(HasSubstr("data dir")));

  const std::string redaction =
      StartupError(dir, {"--listen=127.0.0.1:0", "--redact_rules=" + rules});
  EXPECT_THAT(redaction, HasSubstr("--redact_rules: "));
  EXPECT_THAT(redaction, HasSubstr(rules));
  EXPECT_THAT(redaction, Not(HasSubstr("data dir")));
}

}  // namespace
}  // namespace ftcapture
