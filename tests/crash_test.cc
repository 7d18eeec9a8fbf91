// Kills the real server with SIGKILL while a separate driver process
// (tests/tools/crash_driver.cc) captures examples from many concurrent
// sessions, restarts it on the same data dir each time, and checks what
// users rely on: every example acknowledged with an id is in the dataset
// exactly once, both files read back cleanly, and session windows survive
// the kill.
//
// FTCAPTURE_CRASH_KILLS (default 5) sets the number of kills,
// FTCAPTURE_CRASH_THREADS (default 8) the driver's concurrent sessions and
// FTCAPTURE_CRASH_SEED the random kill moments (printed on every run).

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ftcapture/v1/capture.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "src/storage/example_store.h"
#include "src/storage/markdown_rebuild.h"
#include "src/storage/tfrecord_reader.h"
#include "src/util/env.h"
#include "src/util/mutex.h"  // FTCAPTURE_TSAN
#include "tests/util/temp_dir.h"

extern char** environ;

namespace ftcapture {
namespace {

// Sanitized processes start several times slower.
constexpr absl::Duration kStartTimeout = absl::Seconds(60);

int EnvInt(const char* name, int fallback) {
  const char* value = std::getenv(name);
  int parsed = 0;
  if (value != nullptr && absl::SimpleAtoi(value, &parsed) && parsed > 0) {
    return parsed;
  }
  return fallback;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Starts `argv` with stdout and stderr appended to `out_path` and the
// "NAME=value" entries of `env` replacing those of our environment; -1 on
// error.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& out_path,
            const std::vector<std::string>& env = {}) {
  std::vector<char*> envp;
  for (char** var = environ; *var != nullptr; ++var) {
    const absl::string_view name =
        absl::string_view(*var).substr(0, absl::string_view(*var).find('='));
    const bool replaced =
        std::any_of(env.begin(), env.end(), [&](const std::string& entry) {
          return absl::StartsWith(entry, absl::StrCat(name, "="));
        });
    if (!replaced) envp.push_back(*var);
  }
  for (const std::string& var : env) {
    envp.push_back(const_cast<char*>(var.c_str()));
  }
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const std::string& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int error =
      posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  return error == 0 ? pid : -1;
}

// Waits for `pid` up to `timeout`; its wait status, or -1 if still running.
int WaitFor(pid_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return status;
    if (done < 0 || absl::Now() > deadline) return -1;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

std::string DescribeExit(int status) {
  if (status == -1) return "still running";
  if (WIFEXITED(status)) return absl::StrCat("exit ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return absl::StrCat("signal ", WTERMSIG(status));
  return absl::StrCat("status ", status);
}

// One run of the built server on a data dir, on a fresh port.
class ServerProcess {
 public:
  ServerProcess(std::string data_dir, std::string log_dir)
      : data_dir_(std::move(data_dir)), log_dir_(std::move(log_dir)) {}
  ~ServerProcess() {
    if (pid_ > 0) Kill(SIGKILL);
  }

  // Starts it and waits for "listening on <address>".
  void Start() {
    ++runs_;
    log_path_ = absl::StrCat(log_dir_, "/server-", runs_, ".log");
    pid_ = Spawn({FTCAPTURE_SERVER_BIN, "--listen=127.0.0.1:0",
                  absl::StrCat("--data_dir=", data_dir_), "--sync=always"},
                 log_path_);
    ASSERT_GT(pid_, 0) << "cannot start " << FTCAPTURE_SERVER_BIN;
    const absl::Time deadline = absl::Now() + kStartTimeout;
    while (true) {
      const std::string log = ReadFile(log_path_);
      const size_t at = log.find(" listening on ");
      if (at != std::string::npos) {
        std::vector<std::string> words =
            absl::StrSplit(log.substr(at + 14), absl::ByAnyChar(" \n"));
        address_ = words[0];
        return;
      }
      int status = 0;
      ASSERT_EQ(waitpid(pid_, &status, WNOHANG), 0)
          << "server exited (" << DescribeExit(status) << "):\n"
          << log;
      ASSERT_LT(absl::Now(), deadline) << "server never listened:\n" << log;
      absl::SleepFor(absl::Milliseconds(10));
    }
  }

  // Sends `signal` and reaps the process; returns its wait status.
  int Kill(int signal) {
    kill(pid_, signal);
    int status = WaitFor(pid_, absl::Seconds(60));
    if (status == -1) {
      kill(pid_, SIGKILL);
      status = WaitFor(pid_, absl::Seconds(10));
    }
    pid_ = -1;
    return status;
  }

  const std::string& address() const { return address_; }
  // Every run's output, for sanitizer reports and recovery messages.
  std::string AllLogs() const {
    std::string all;
    for (int run = 1; run <= runs_; ++run) {
      absl::StrAppend(
          &all, "--- server run ", run, "\n",
          ReadFile(absl::StrCat(log_dir_, "/server-", run, ".log")));
    }
    return all;
  }

 private:
  const std::string data_dir_;
  const std::string log_dir_;
  pid_t pid_ = -1;
  int runs_ = 0;
  std::string log_path_;
  std::string address_;
};

void WriteAddressFile(const std::string& path, const std::string& address) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << address << "\n";
  }
  ASSERT_EQ(rename(tmp.c_str(), path.c_str()), 0);
}

struct Ack {
  std::string example_id;
  std::string session_id;
  std::string assistant_turn_id;
  std::string praise_turn_id;
};

// The ack log's lines; `lost` gets the "noid" lines (praise answered with
// no example).
std::vector<Ack> ReadAcks(const std::string& path,
                          std::vector<std::string>* lost) {
  std::vector<Ack> acks;
  for (absl::string_view line : absl::StrSplit(ReadFile(path), '\n')) {
    std::vector<std::string> words = absl::StrSplit(line, ' ');
    if (words.size() == 5 && words[0] == "ack") {
      acks.push_back({words[1], words[2], words[3], words[4]});
    } else if (!line.empty() && lost != nullptr) {
      lost->push_back(std::string(line));
    }
  }
  return acks;
}

// The dataset's records, failing the test on any bad byte.
std::vector<v1::Example> ReadDataset(const std::string& path) {
  std::vector<v1::Example> examples;
  Env* env = Env::Default();
  absl::StatusOr<uint64_t> size = env->GetFileSize(path);
  EXPECT_TRUE(size.ok()) << size.status();
  if (!size.ok()) return examples;
  auto file = env->NewRandomAccessFile(path);
  EXPECT_TRUE(file.ok()) << file.status();
  if (!file.ok()) return examples;
  TFRecordReader reader(file->get(), *size);
  TFRecordEntry entry;
  while (true) {
    absl::Status status = reader.Next(&entry);
    EXPECT_TRUE(status.ok()) << status;
    if (!status.ok() || entry.kind == TFRecordEntry::Kind::kEnd) break;
    EXPECT_EQ(entry.kind, TFRecordEntry::Kind::kRecord)
        << "bad bytes at offset " << entry.offset << ": " << entry.reason;
    if (entry.kind != TFRecordEntry::Kind::kRecord) continue;
    v1::Example example;
    EXPECT_TRUE(example.ParseFromString(entry.data))
        << "record at " << entry.offset << " is not an Example";
    examples.push_back(std::move(example));
  }
  return examples;
}

int CountOccurrences(const std::string& text, const std::string& needle) {
  int count = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + needle.size())) {
    ++count;
  }
  return count;
}

// What a sanitizer prints when it finds something.
void ExpectNoSanitizerReports(const std::string& logs) {
  for (const char* marker :
       {"WARNING: ThreadSanitizer", "ERROR: AddressSanitizer",
        "ERROR: LeakSanitizer", "runtime error:"}) {
    EXPECT_FALSE(absl::StrContains(logs, marker)) << marker << "\n" << logs;
  }
}

// The driver is test scaffolding whose threads only meet inside gRPC's
// client, which is not built with TSan: TSan would report gRPC's own
// hand-offs there (see cmake/tsan_prelude.h). So under TSan it runs with
// reports off; the server, the code under test, keeps them on.
std::vector<std::string> DriverEnv() {
#ifdef FTCAPTURE_TSAN
  const char* options = std::getenv("TSAN_OPTIONS");
  return {absl::StrCat("TSAN_OPTIONS=", options == nullptr ? "" : options,
                       " report_bugs=0")};
#else
  return {};
#endif
}

class CrashTest : public ::testing::Test {
 protected:
  std::string DataDir() const { return dir_.File("data"); }

  TempDir dir_;
};

TEST_F(CrashTest, EveryAcknowledgedExampleSurvivesRepeatedSigkill) {
  const int kills = EnvInt("FTCAPTURE_CRASH_KILLS", 5);
  const int threads = EnvInt("FTCAPTURE_CRASH_THREADS", 8);
  const int seed =
      EnvInt("FTCAPTURE_CRASH_SEED",
             static_cast<int>(absl::ToUnixMicros(absl::Now()) & 0x7fffffff));
  std::printf("crash test: kills=%d threads=%d seed=%d\n", kills, threads,
              seed);
  std::mt19937 random(seed);

  const std::string addr_file = dir_.File("address");
  const std::string ack_log = dir_.File("acks.log");
  const std::string stop_file = dir_.File("stop");
  ServerProcess server(DataDir(), dir_.path());
  ASSERT_NO_FATAL_FAILURE(server.Start());
  ASSERT_NO_FATAL_FAILURE(WriteAddressFile(addr_file, server.address()));

  const std::string driver_log = dir_.File("driver.log");
  const pid_t driver = Spawn(
      {FTCAPTURE_CRASH_DRIVER_BIN, absl::StrCat("--addr_file=", addr_file),
       absl::StrCat("--ack_log=", ack_log),
       absl::StrCat("--stop_file=", stop_file),
       absl::StrCat("--threads=", threads)},
      driver_log, DriverEnv());
  ASSERT_GT(driver, 0);

  // Kills at random moments, each after the run before it acknowledged
  // something, so every kill lands under load.
  auto wait_for_new_acks = [&](size_t before, size_t more) {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (ReadAcks(ack_log, nullptr).size() < before + more) {
      ASSERT_LT(absl::Now(), deadline)
          << "no progress; driver:\n"
          << ReadFile(driver_log) << server.AllLogs();
      ASSERT_EQ(waitpid(driver, nullptr, WNOHANG), 0) << "driver exited:\n"
                                                      << ReadFile(driver_log);
      absl::SleepFor(absl::Milliseconds(5));
    }
  };
  size_t acked_before_kill = 0;
  for (int kill = 0; kill < kills; ++kill) {
    ASSERT_NO_FATAL_FAILURE(wait_for_new_acks(acked_before_kill, 3));
    absl::SleepFor(absl::Microseconds(
        std::uniform_int_distribution<int>(0, 200000)(random)));
    const int status = server.Kill(SIGKILL);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << DescribeExit(status) << "\n"
        << server.AllLogs();
    acked_before_kill = ReadAcks(ack_log, nullptr).size();
    ASSERT_NO_FATAL_FAILURE(server.Start());
    ASSERT_NO_FATAL_FAILURE(WriteAddressFile(addr_file, server.address()));
  }
  // The restarted server keeps capturing, then the driver stops.
  ASSERT_NO_FATAL_FAILURE(wait_for_new_acks(acked_before_kill, 3));
  { std::ofstream touch(stop_file); }
  const int driver_status = WaitFor(driver, absl::Seconds(120));
  const std::string driver_output = ReadFile(driver_log);
  ASSERT_TRUE(WIFEXITED(driver_status) && WEXITSTATUS(driver_status) == 0)
      << "driver: " << DescribeExit(driver_status) << "\n"
      << driver_output;
  const int server_status = server.Kill(SIGTERM);
  EXPECT_TRUE(WIFEXITED(server_status) && WEXITSTATUS(server_status) == 0)
      << "server: " << DescribeExit(server_status) << "\n"
      << server.AllLogs();
  const std::string server_logs = server.AllLogs();
  ExpectNoSanitizerReports(driver_output + server_logs);
  // A kill can tear the last record, never one in the middle.
  EXPECT_FALSE(absl::StrContains(server_logs, "CORRUPT")) << server_logs;
  std::printf("%s", driver_output.c_str());
  std::printf(
      "crash test: recoveries found %d torn dataset tail(s), %d torn Markdown "
      "block(s), %d Markdown catch-up(s)\n",
      CountOccurrences(server_logs, "; torn tail of "),
      CountOccurrences(server_logs, "; half-written Markdown block"),
      CountOccurrences(server_logs, " example(s) the Markdown was missing"));

  // Every acknowledged example is in the dataset exactly once, with the
  // exchange the driver sent.
  std::vector<std::string> lost;
  const std::vector<Ack> acks = ReadAcks(ack_log, &lost);
  EXPECT_TRUE(lost.empty()) << "praise answered without an example:\n"
                            << absl::StrJoin(lost, "\n");
  const std::vector<v1::Example> examples =
      ReadDataset(JoinPath(DataDir(), kDatasetFileName));
  absl::flat_hash_map<std::string, const v1::Example*> by_id;
  for (const v1::Example& example : examples) {
    EXPECT_TRUE(by_id.emplace(example.id(), &example).second)
        << "example " << example.id() << " is in the dataset twice";
  }
  absl::flat_hash_set<std::string> acked_ids;
  for (const Ack& ack : acks) {
    EXPECT_TRUE(acked_ids.insert(ack.example_id).second)
        << "two praises acknowledged with " << ack.example_id;
    auto it = by_id.find(ack.example_id);
    if (it == by_id.end()) {
      ADD_FAILURE() << "acknowledged example " << ack.example_id << " ("
                    << ack.session_id << ") is missing from the dataset";
      continue;
    }
    const v1::Example& example = *it->second;
    EXPECT_EQ(example.session_id(), ack.session_id);
    EXPECT_EQ(example.assistant_turn().turn_id(), ack.assistant_turn_id);
    EXPECT_EQ(example.assistant_turn().system_prompt(),
              "PROMPT for " + ack.session_id);
    EXPECT_EQ(example.user_turn().turn_id(), ack.session_id + "-u");
    EXPECT_EQ(example.praise_turn().turn_id(), ack.praise_turn_id);
  }
  std::printf(
      "crash test: %d kills survived, %zu examples acknowledged, %zu found, "
      "%zu records in the dataset\n",
      kills, acks.size(),
      static_cast<size_t>(std::count_if(
          acks.begin(), acks.end(),
          [&](const Ack& ack) { return by_id.contains(ack.example_id); })),
      examples.size());

  // Both files read back: opening the dir finds nothing to repair, the
  // Markdown has one block per example and is exactly what the dataset
  // regenerates.
  RecoveryReport report;
  {
    auto store =
        ExampleStore::Open(Env::Default(), {DataDir()}, nullptr, &report);
    ASSERT_TRUE(store.ok()) << store.status();
  }
  EXPECT_FALSE(report.repaired()) << report.ToString();
  EXPECT_EQ(report.records, static_cast<int64_t>(examples.size()));
  const std::string markdown_path = JoinPath(DataDir(), kMarkdownFileName);
  const std::string markdown = ReadFile(markdown_path);
  EXPECT_EQ(CountOccurrences(markdown, "## Example Captured: "),
            static_cast<int>(examples.size()));
  int64_t rebuilt = 0;
  ASSERT_TRUE(RebuildMarkdown(Env::Default(), DataDir(), false, &rebuilt).ok());
  EXPECT_EQ(rebuilt, static_cast<int64_t>(examples.size()));
  EXPECT_TRUE(ReadFile(markdown_path) == markdown)
      << "the Markdown differs from the one the dataset regenerates";
}

TEST_F(CrashTest, PraiseAfterSigkillCreditsTheReplyGivenBeforeIt) {
  ServerProcess server(DataDir(), dir_.path());
  ASSERT_NO_FATAL_FAILURE(server.Start());
  auto record = [&](const v1::Turn& turn) {
    auto stub = v1::CaptureService::NewStub(grpc::CreateChannel(
        server.address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    v1::RecordTurnRequest request;
    *request.mutable_turn() = turn;
    v1::RecordTurnResponse response;
    grpc::Status status = stub->RecordTurn(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  };
  v1::Turn user;
  user.set_session_id("s1");
  user.set_turn_id("u1");
  user.set_role(v1::ROLE_USER);
  user.set_text("What is this thing I'm holding?");
  v1::Turn reply = user;
  reply.set_turn_id("a1");
  reply.set_role(v1::ROLE_ASSISTANT);
  reply.set_text("A brass whistle, obviously.");
  reply.set_system_prompt("PROMPT-1 with the memories");
  reply.add_memories()->set_text("Dan keeps a brass whistle on his desk.");
  record(user);
  record(reply);

  const int status = server.Kill(SIGKILL);
  ASSERT_TRUE(WIFSIGNALED(status)) << DescribeExit(status);
  ASSERT_NO_FATAL_FAILURE(server.Start());

  v1::Turn praise = user;
  praise.set_turn_id("u2");
  praise.set_text("Good one, Timmy!");
  const v1::RecordTurnResponse response = record(praise);
  EXPECT_TRUE(response.praise());
  ASSERT_FALSE(response.example_id().empty()) << response.DebugString();
  EXPECT_EQ(server.Kill(SIGTERM), 0) << server.AllLogs();
  ExpectNoSanitizerReports(server.AllLogs());

  const std::vector<v1::Example> examples =
      ReadDataset(JoinPath(DataDir(), kDatasetFileName));
  ASSERT_EQ(examples.size(), 1u);
  EXPECT_EQ(examples[0].id(), response.example_id());
  EXPECT_EQ(examples[0].user_turn().text(), user.text());
  EXPECT_EQ(examples[0].assistant_turn().text(), reply.text());
  EXPECT_EQ(examples[0].assistant_turn().system_prompt(),
            reply.system_prompt());
  ASSERT_EQ(examples[0].assistant_turn().memories_size(), 1);
  EXPECT_EQ(examples[0].praise_turn().turn_id(), "u2");
}

}  // namespace
}  // namespace ftcapture
