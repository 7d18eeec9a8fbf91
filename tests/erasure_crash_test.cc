// kill -9 during compaction (docs/durability.md "Erasure"): the real server
// captures, deletes and compacts while captures keep arriving, and is
// SIGKILLed at a random moment, over and over. After every restart each
// acknowledged example that was not deleted is there exactly once, no
// deleted one is, and no temporary or half-written file is left.
//
// FTCAPTURE_ERASURE_KILLS (default 20) rounds; FTCAPTURE_ERASURE_SEED
// (printed) the random moments.

#include <dirent.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ftcapture/v1/capture.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/util/mutex.h"
#include "tests/util/running_server.h"
#include "tests/util/temp_dir.h"
#include "tests/util/text_files.h"

namespace ftcapture {
namespace {

int EnvInt(const char* name, int fallback) {
  const char* value = std::getenv(name);
  int parsed = 0;
  return value != nullptr && absl::SimpleAtoi(value, &parsed) ? parsed
                                                              : fallback;
}

// Names a compaction or an atomic rewrite uses only while it runs.
std::vector<std::string> Leftovers(const std::string& dir) {
  std::vector<std::string> left;
  for (const std::string& sub : {dir, dir + "/sessions"}) {
    DIR* handle = opendir(sub.c_str());
    if (handle == nullptr) continue;
    while (dirent* entry = readdir(handle)) {
      const std::string name = entry->d_name;
      if (absl::EndsWith(name, ".compact") || absl::StrContains(name, ".tmp") ||
          absl::StartsWith(name, "COMPACTION")) {
        left.push_back(sub + "/" + name);
      }
    }
    closedir(handle);
  }
  return left;
}

class Client {
 public:
  explicit Client(const std::string& address)
      : stub_(v1::CaptureService::NewStub(grpc::CreateChannel(
            address, grpc::InsecureChannelCredentials()))) {}

  // One conversation ending in a praise; the example id, or "" on error.
  std::string Capture(const std::string& session) {
    const std::pair<const char*, v1::Role> turns[] = {
        {"u1", v1::ROLE_USER},
        {"a1", v1::ROLE_ASSISTANT},
        {"u2", v1::ROLE_USER}};
    std::string id;
    for (const auto& [turn_id, role] : turns) {
      v1::RecordTurnRequest request;
      v1::Turn* turn = request.mutable_turn();
      turn->set_session_id(session);
      turn->set_turn_id(turn_id);
      turn->set_role(role);
      turn->set_text(
          std::string(turn_id) == "u2"
              ? "Thanks Timmy, that was perfect!"
              : absl::StrCat("text ", turn_id, " of <", session, ">"));
      if (role == v1::ROLE_ASSISTANT) {
        turn->set_system_prompt(absl::StrCat("prompt of ", session));
      }
      v1::RecordTurnResponse response;
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
      if (!stub_->RecordTurn(&context, request, &response).ok()) return "";
      id = response.example_id();
    }
    return id;
  }

  grpc::Status Delete(const v1::DeleteExamplesRequest& request,
                      v1::DeleteExamplesResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    return stub_->DeleteExamples(&context, request, response);
  }

  // Every exported example id with how often it came.
  std::map<std::string, int> Exported(std::vector<std::string>* replies) {
    std::map<std::string, int> ids;
    grpc::ClientContext context;
    auto reader = stub_->ExportExamples(&context, v1::ExportExamplesRequest());
    v1::Example example;
    while (reader->Read(&example)) {
      ++ids[example.id()];
      replies->push_back(example.assistant_turn().text());
    }
    EXPECT_TRUE(reader->Finish().ok());
    return ids;
  }

 private:
  std::unique_ptr<v1::CaptureService::Stub> stub_;
};

class ErasureCrashTest : public ::testing::Test {
 protected:
  std::string DataDir() const { return dir_.File("data"); }

  void Start() {
    logs_.push_back(
        dir_.File(absl::StrCat("server-", logs_.size(), ".stderr")));
    auto server = RunningServer::Start(
        {"--data_dir=" + DataDir(), "--compact_deleted_share=0"}, logs_.back());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    client_ = std::make_unique<Client>(server_->address());
  }

  // What a restarted server holds against what was acknowledged.
  void Verify() {
    EXPECT_THAT(Leftovers(DataDir()), ::testing::IsEmpty());
    std::vector<std::string> replies;
    const std::map<std::string, int> exported = client_->Exported(&replies);
    MutexLock lock(&mu_);
    for (const std::string& id : alive_) {
      auto it = exported.find(id);
      EXPECT_TRUE(it != exported.end()) << "lost acknowledged example " << id;
      if (it != exported.end()) {
        EXPECT_EQ(it->second, 1) << id;
      }
    }
    for (const auto& [id, count] : exported) {
      EXPECT_FALSE(deleted_.count(id)) << "deleted example came back: " << id;
    }
    for (const std::string& reply : replies) {
      EXPECT_FALSE(deleted_replies_.count(reply)) << reply;
    }
  }

  void Acknowledge(const std::string& session, const std::string& id) {
    MutexLock lock(&mu_);
    alive_.insert(id);
    session_of_[id] = session;
  }

  TempDir dir_;
  std::vector<std::string> logs_;  // one per server start
  std::unique_ptr<RunningServer> server_;
  std::unique_ptr<Client> client_;
  Mutex mu_;
  std::set<std::string> alive_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> deleted_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> deleted_replies_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> session_of_ ABSL_GUARDED_BY(mu_);
};

TEST_F(ErasureCrashTest, KillDuringCompactionLosesNothingElse) {
  const int rounds = EnvInt("FTCAPTURE_ERASURE_KILLS", 20);
  const int seed = EnvInt("FTCAPTURE_ERASURE_SEED",
                          static_cast<int>(absl::ToUnixMicros(absl::Now())));
  std::printf("FTCAPTURE_ERASURE_SEED=%d\n", seed);
  std::mt19937 random(seed);
  int session_number = 0;
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round, " seed ", seed));
    Start();
    Verify();
    for (int i = 0; i < 8; ++i) {
      const std::string session = absl::StrCat("s", session_number++);
      const std::string id = client_->Capture(session);
      ASSERT_FALSE(id.empty());
      Acknowledge(session, id);
    }
    // Delete three live examples by id.
    v1::DeleteExamplesRequest request;
    {
      MutexLock lock(&mu_);
      std::vector<std::string> live(alive_.begin(), alive_.end());
      std::shuffle(live.begin(), live.end(), random);
      for (size_t i = 0; i < 3 && i < live.size(); ++i) {
        request.mutable_ids()->add_ids(live[i]);
      }
    }
    v1::DeleteExamplesResponse response;
    ASSERT_TRUE(client_->Delete(request, &response).ok());
    {
      MutexLock lock(&mu_);
      for (const std::string& id : response.example_ids()) {
        alive_.erase(id);
        deleted_.insert(id);
        deleted_replies_.insert(
            absl::StrCat("text a1 of <", session_of_[id], ">"));
      }
    }
    // Captures keep coming while the compaction runs; the kill lands at a
    // random moment of it.
    std::atomic<bool> stop{false};
    std::thread captures([&] {
      while (!stop.load()) {
        std::string session;
        {
          MutexLock lock(&mu_);
          session = absl::StrCat("s", session_number++);
        }
        const std::string id = client_->Capture(session);
        if (id.empty()) return;  // the server is gone
        Acknowledge(session, id);
      }
    });
    std::thread compact([&] {
      v1::DeleteExamplesRequest compact_only;
      compact_only.set_compact(true);
      v1::DeleteExamplesResponse ignored;
      client_->Delete(compact_only, &ignored).ok();
    });
    absl::SleepFor(absl::Microseconds(
        std::uniform_int_distribution<int>(0, 120000)(random)));
    ASSERT_TRUE(server_->process().Signal(SIGKILL).ok());
    ASSERT_TRUE(server_->process().Wait(absl::Seconds(30)).ok());
    stop = true;
    captures.join();
    compact.join();
  }
  Start();
  Verify();
  // A last compaction leaves no deleted text in any file.
  v1::DeleteExamplesRequest compact_only;
  compact_only.set_compact(true);
  v1::DeleteExamplesResponse response;
  ASSERT_TRUE(client_->Delete(compact_only, &response).ok());
  Verify();
  const std::string dataset = ReadFileOrEmpty(DataDir() + "/examples.tfrecord");
  MutexLock lock(&mu_);
  for (const std::string& reply : deleted_replies_) {
    EXPECT_FALSE(absl::StrContains(dataset, reply)) << reply;
  }
  std::printf("%zu examples kept, %zu deleted over %d kills\n", alive_.size(),
              deleted_.size(), rounds);
  std::string log;
  for (const std::string& path : logs_) log += ReadFileOrEmpty(path);
  std::printf(
      "server log: %d compactions finished after a crash, %d rolled "
      "back\n",
      CountOccurrences(log, "interrupted compaction was finished"),
      CountOccurrences(log, "interrupted compaction was rolled back"));
}

}  // namespace
}  // namespace ftcapture
