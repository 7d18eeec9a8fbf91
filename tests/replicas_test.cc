// Three real replicas behind Debian's nginx with the project's own config
// (docker/nginx/), no container engine: 200 concurrent sessions with praise
// go through nginx while one replica is SIGKILLed and restarted, then every
// acknowledged example must be in exactly one shard, every example's
// prompt (n-2) must be its own reply's, and the CLI's merged export must
// equal the union of the shards.

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/rpc.h"
#include "ftcapture/v1/capture.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "src/storage/example_store.h"
#include "src/storage/tfrecord_reader.h"
#include "src/util/env.h"
#include "src/util/mutex.h"
#include "tests/util/subprocess.h"
#include "tests/util/temp_dir.h"

namespace ftcapture {
namespace {

constexpr int kReplicas = 3;
constexpr int kSessions = 200;
constexpr int kRoundsPerSession = 3;
// The replica killed, and after how many acknowledged examples.
constexpr int kVictim = 1;
constexpr int kKillAfterAcks = kSessions * kRoundsPerSession / 3;
// How long one call is retried (through nginx, across the restart).
constexpr absl::Duration kCallDeadline = absl::Seconds(30);

std::string FindNginx() {
  for (const char* path : {"/usr/sbin/nginx", "/usr/bin/nginx"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "";
}

// A port that was free a moment ago (nginx cannot be told to pick one).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

// Every prompt names its reply, so any example can be checked on its own.
std::string PromptFor(const std::string& session, const std::string& reply) {
  return absl::StrCat("You are Timmy. prompt-of ", session, "/", reply);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

struct Acked {
  std::string session;
  std::string reply_turn_id;
};

class ReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    nginx_ = FindNginx();
    if (nginx_.empty()) {
      GTEST_SKIP() << "nginx is not installed: the three-replica test needs "
                      "Debian's nginx (apt-get install nginx; ./test.sh "
                      "installs it)";
    }
    for (int i = 0; i < kReplicas; ++i) StartReplica(i, 0);
    StartNginx();
  }

  void TearDown() override {
    channel_.reset();
    if (nginx_process_ != nullptr) {
      nginx_process_->Signal(SIGTERM).IgnoreError();
      nginx_process_->Wait(absl::Seconds(10)).IgnoreError();
    }
  }

  std::string DataDir(int i) const { return dir_.File(absl::StrCat("r", i)); }
  std::string Address(int i) const {
    return absl::StrCat("127.0.0.1:", ports_[i]);
  }

  // Starts replica `i` on `port` (0: any) and waits until it serves.
  void StartReplica(int i, int port) {
    auto server = Subprocess::Start(
        {FTCAPTURE_SERVER_BIN, absl::StrCat("--listen=127.0.0.1:", port),
         "--data_dir=" + DataDir(i), "--sync=always"},
        dir_.File(absl::StrCat("r", i, ".", ++starts_, ".stderr")));
    ASSERT_TRUE(server.ok()) << server.status();
    auto line = (*server)->WaitForLine("listening on", absl::Seconds(60));
    ASSERT_TRUE(line.ok()) << line.status();
    std::vector<std::string> words = absl::StrSplit(*line, ' ');
    ASSERT_GE(words.size(), 4u) << *line;
    std::vector<std::string> host_port = absl::StrSplit(words[3], ':');
    ASSERT_EQ(host_port.size(), 2u) << *line;
    ports_[i] = std::stoi(host_port[1]);
    replicas_[i] = *std::move(server);
  }

  // docker/nginx/render-config.sh with this test's addresses, then nginx in
  // the foreground.
  void StartNginx() {
    nginx_port_ = FreePort();
    ASSERT_GT(nginx_port_, 0);
    std::vector<std::string> upstreams;
    for (int i = 0; i < kReplicas; ++i) upstreams.push_back(Address(i));
    const std::string conf = dir_.File("nginx.conf");
    auto rendered = RunProcess(
        {"/usr/bin/env", "FTCAPTURE_UPSTREAMS=" + absl::StrJoin(upstreams, ","),
         absl::StrCat("NGINX_LISTEN=127.0.0.1:", nginx_port_),
         "NGINX_RUN_DIR=" + dir_.File("nginx"), "NGINX_FAIL_TIMEOUT=1s",
         "/bin/sh", FTCAPTURE_SOURCE_DIR "/docker/nginx/render-config.sh",
         conf});
    ASSERT_TRUE(rendered.ok()) << rendered.status();
    ASSERT_EQ(rendered->exit_code, 0) << rendered->err;
    auto nginx = Subprocess::Start(
        {nginx_, "-c", conf, "-e", "stderr", "-g", "daemon off;"},
        dir_.File("nginx.stderr"));
    ASSERT_TRUE(nginx.ok()) << nginx.status();
    nginx_process_ = *std::move(nginx);
    // Up once a call goes through nginx to a replica. A connection made
    // while nginx starts can hang until gRPC's connect timeout, so each try
    // gets a channel of its own (and its own connection).
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (true) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      auto channel =
          grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", nginx_port_),
                                    grpc::InsecureChannelCredentials(), args);
      grpc::ClientContext context;
      context.set_deadline(
          absl::ToChronoTime(absl::Now() + absl::Milliseconds(500)));
      v1::GetStatsResponse stats;
      if (v1::CaptureService::NewStub(channel)
              ->GetStats(&context, v1::GetStatsRequest(), &stats)
              .ok()) {
        channel_ = channel;
        break;
      }
      ASSERT_LT(absl::Now(), deadline) << "nginx did not come up:\n"
                                       << ReadFile(dir_.File("nginx.stderr"));
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  // One RecordTurn through nginx with the session's x-session-id, retried
  // with the same ids while the replica is unreachable (as a backend would).
  v1::RecordTurnResponse Send(v1::CaptureService::Stub& stub,
                              const v1::Turn& turn) {
    v1::RecordTurnRequest request;
    *request.mutable_turn() = turn;
    const absl::Time deadline = absl::Now() + kCallDeadline;
    while (true) {
      grpc::ClientContext context;
      SetSessionMetadata(&context, turn.session_id());
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
      v1::RecordTurnResponse response;
      grpc::Status status = stub.RecordTurn(&context, request, &response);
      if (status.ok()) return response;
      const bool transient =
          status.error_code() == grpc::StatusCode::UNAVAILABLE ||
          status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
          status.error_code() == grpc::StatusCode::INTERNAL ||
          status.error_code() == grpc::StatusCode::UNKNOWN;
      if (!transient || absl::Now() > deadline) {
        ADD_FAILURE() << "RecordTurn " << turn.session_id() << "/"
                      << turn.turn_id() << ": " << status.error_code() << " "
                      << status.error_message();
        return response;
      }
      retries_.fetch_add(1);
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  void RunSession(int index) {
    auto stub = v1::CaptureService::NewStub(channel_);
    const std::string session = absl::StrCat("session-", index);
    for (int round = 0; round < kRoundsPerSession; ++round) {
      v1::Turn question;
      question.set_session_id(session);
      question.set_turn_id(absl::StrCat("q", round));
      question.set_role(v1::ROLE_USER);
      question.set_text(absl::StrCat("Question ", round, " of ", session, "?"));
      Send(*stub, question);

      v1::Turn reply;
      reply.set_session_id(session);
      reply.set_turn_id(absl::StrCat("a", round));
      reply.set_role(v1::ROLE_ASSISTANT);
      reply.set_text(absl::StrCat("Answer ", round, " for ", session, "."));
      reply.set_system_prompt(PromptFor(session, reply.turn_id()));
      Send(*stub, reply);

      v1::Turn praise;
      praise.set_session_id(session);
      praise.set_turn_id(absl::StrCat("p", round));
      praise.set_role(v1::ROLE_USER);
      praise.set_text("Good one, Timmy!");
      v1::RecordTurnResponse response = Send(*stub, praise);
      praises_.fetch_add(1);
      if (response.example_id().empty()) {
        not_captured_.fetch_add(1);
        continue;
      }
      MutexLock lock(&acked_mu_);
      acked_[response.example_id()] = {session, reply.turn_id()};
      if (static_cast<int>(acked_.size()) >= kKillAfterAcks) {
        kill_cv_.SignalAll();
      }
    }
  }

  // Waits for enough acks, SIGKILLs the victim and starts it again on the
  // same port and data dir.
  void KillAndRestartVictim() {
    {
      MutexLock lock(&acked_mu_);
      const absl::Time deadline = absl::Now() + absl::Seconds(60);
      while (static_cast<int>(acked_.size()) < kKillAfterAcks &&
             absl::Now() < deadline) {
        kill_cv_.WaitWithTimeout(&acked_mu_, deadline - absl::Now());
      }
      acks_at_kill_ = static_cast<int>(acked_.size());
    }
    ASSERT_TRUE(replicas_[kVictim]->Signal(SIGKILL).ok());
    auto code = replicas_[kVictim]->Wait(absl::Seconds(10));
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 128 + SIGKILL);
    absl::SleepFor(absl::Milliseconds(300));
    StartReplica(kVictim, ports_[kVictim]);
  }

  // Every example of one shard, read from its dataset file.
  std::vector<v1::Example> ReadShard(int i) {
    std::vector<v1::Example> examples;
    auto read = ReadTFRecordFile(
        Env::Default(), JoinPath(DataDir(i), kDatasetFileName),
        [&](absl::string_view data) {
          v1::Example example;
          EXPECT_TRUE(example.ParseFromString(std::string(data)));
          examples.push_back(std::move(example));
        });
    EXPECT_TRUE(read.ok()) << read.status();
    return examples;
  }

  TempDir dir_;
  std::string nginx_;
  int starts_ = 0;
  int ports_[kReplicas] = {};
  std::unique_ptr<Subprocess> replicas_[kReplicas];
  int nginx_port_ = 0;
  std::unique_ptr<Subprocess> nginx_process_;
  std::shared_ptr<grpc::Channel> channel_;

  std::atomic<int64_t> retries_{0};
  std::atomic<int64_t> praises_{0};
  std::atomic<int64_t> not_captured_{0};
  Mutex acked_mu_;
  CondVar kill_cv_;
  std::map<std::string, Acked> acked_ ABSL_GUARDED_BY(acked_mu_);
  int acks_at_kill_ = 0;
};

TEST_F(ReplicasTest, SessionsStayOnOneReplicaThroughAKillAndExportsMerge) {
  const absl::Time start = absl::Now();
  std::vector<std::thread> sessions;
  for (int i = 0; i < kSessions; ++i) {
    sessions.emplace_back([this, i] { RunSession(i); });
  }
  KillAndRestartVictim();
  for (std::thread& t : sessions) t.join();
  const absl::Duration drive_time = absl::Now() - start;
  if (HasFatalFailure()) return;

  // The merged export of the CLI, across the three replicas directly.
  std::vector<std::string> addresses;
  for (int i = 0; i < kReplicas; ++i) addresses.push_back(Address(i));
  const std::string export_path = dir_.File("merged.jsonl");
  auto exported = RunProcess(
      {FTCAPTURE_CLIENT_BIN, "--server=" + absl::StrJoin(addresses, ","),
       "export", "--format=full-jsonl", "--out=" + export_path});
  ASSERT_TRUE(exported.ok()) << exported.status();
  ASSERT_EQ(exported->exit_code, 0) << exported->err;
  std::multiset<std::string> merged_ids;
  for (absl::string_view line :
       absl::StrSplit(ReadFile(export_path), '\n', absl::SkipEmpty())) {
    v1::Example example;
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(std::string(line), &example)
            .ok());
    merged_ids.insert(example.id());
  }

  for (int i = 0; i < kReplicas; ++i) {
    ASSERT_TRUE(replicas_[i]->Signal(SIGTERM).ok());
    auto code = replicas_[i]->Wait(absl::Seconds(30));
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 0) << "replica " << i;
  }

  // The same from the data dirs, offline.
  std::vector<std::string> dirs;
  for (int i = 0; i < kReplicas; ++i) dirs.push_back(DataDir(i));
  auto offline = RunProcess({FTCAPTURE_CLIENT_BIN, "export",
                             "--data_dir=" + absl::StrJoin(dirs, ","),
                             "--format=full-jsonl", "--out=-"});
  ASSERT_TRUE(offline.ok()) << offline.status();
  ASSERT_EQ(offline->exit_code, 0) << offline->err;
  EXPECT_EQ(offline->out, ReadFile(export_path));

  // Shards: no example twice, each prompt its own reply's.
  std::map<std::string, v1::Example> union_of_shards;
  std::map<std::string, int> shard_of;
  std::vector<size_t> shard_sizes;
  for (int i = 0; i < kReplicas; ++i) {
    std::vector<v1::Example> shard = ReadShard(i);
    shard_sizes.push_back(shard.size());
    for (const v1::Example& example : shard) {
      EXPECT_EQ(
          example.assistant_turn().system_prompt(),
          PromptFor(example.session_id(), example.assistant_turn().turn_id()))
          << example.id() << " on replica " << i;
      // n-3, when the replica had it, is a question of the same session.
      if (example.has_user_turn()) {
        EXPECT_EQ(example.user_turn().session_id(), example.session_id())
            << example.id();
      }
      EXPECT_TRUE(shard_of.emplace(example.id(), i).second)
          << example.id() << " is on replicas " << shard_of[example.id()]
          << " and " << i;
      union_of_shards[example.id()] = example;
    }
  }

  MutexLock lock(&acked_mu_);
  EXPECT_GE(acked_.size(), static_cast<size_t>(kKillAfterAcks));
  for (const auto& [id, acked] : acked_) {
    auto it = union_of_shards.find(id);
    ASSERT_NE(it, union_of_shards.end()) << "acknowledged " << id << " lost";
    EXPECT_EQ(it->second.session_id(), acked.session) << id;
    EXPECT_EQ(it->second.assistant_turn().turn_id(), acked.reply_turn_id) << id;
  }
  std::set<std::string> union_ids;
  for (const auto& [id, example] : union_of_shards) union_ids.insert(id);
  EXPECT_EQ(std::set<std::string>(merged_ids.begin(), merged_ids.end()),
            union_ids);
  EXPECT_EQ(merged_ids.size(), union_ids.size()) << "an id exported twice";

  // The figures, for docs and the issue.
  std::printf(
      "replicas_test: %d sessions x %d rounds through nginx in %s: %lld "
      "praises, %zu acknowledged, %lld not credited, %lld retried calls; "
      "replica %d SIGKILLed after %d acks and restarted; shards %zu/%zu/%zu "
      "examples, merged export %zu\n",
      kSessions, kRoundsPerSession, absl::FormatDuration(drive_time).c_str(),
      static_cast<long long>(praises_.load()), acked_.size(),
      static_cast<long long>(not_captured_.load()),
      static_cast<long long>(retries_.load()), kVictim, acks_at_kill_,
      shard_sizes[0], shard_sizes[1], shard_sizes[2], merged_ids.size());
}

}  // namespace
}  // namespace ftcapture
