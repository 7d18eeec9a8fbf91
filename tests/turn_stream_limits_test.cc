// StreamTurns against the real server: thousands of idle streams leave the
// other RPCs working, the number of open streams is capped, and a stream
// that sends nothing is ended with a clear status.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdlib>
#include <memory>
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

using AsyncTurnStream = grpc::ClientAsyncReaderWriter<v1::RecordTurnRequest,
                                                      v1::RecordTurnResponse>;

// A numeric field of /proc/PID/status, e.g. "Threads:"; -1 when missing.
int ProcStatusField(pid_t pid, const std::string& field) {
  const std::string status =
      ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/status"));
  const size_t at = status.find(field);
  if (at == std::string::npos) return -1;
  return std::atoi(status.c_str() + at + field.size());
}

std::chrono::system_clock::time_point SecondsFromNow(int seconds) {
  return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
}

class TurnStreamLimitsTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> flags) {
    flags.push_back("--data_dir=" + dir_.File("data"));
    auto server = RunningServer::Start(flags, dir_.File("server.stderr"));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  // A channel of its own (its own TCP connection).
  std::unique_ptr<v1::CaptureService::Stub> NewStub(int index) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("ftcapture.test_channel", index);
    return v1::CaptureService::NewStub(grpc::CreateCustomChannel(
        server_->address(), grpc::InsecureChannelCredentials(), args));
  }

  grpc::Status RecordTurn(v1::CaptureService::Stub& stub,
                          const v1::Turn& turn) {
    grpc::ClientContext context;
    context.set_deadline(SecondsFromNow(30));
    v1::RecordTurnRequest request;
    *request.mutable_turn() = turn;
    v1::RecordTurnResponse response;
    return stub.RecordTurn(&context, request, &response);
  }

  int ServerThreads() const {
    return ProcStatusField(server_->process().pid(), "Threads:");
  }

  // StreamTurns calls the server has open, from its GetStats.
  int OpenStreamsOnServer() {
    auto stub = NewStub(99);
    grpc::ClientContext context;
    context.set_deadline(SecondsFromNow(30));
    v1::GetStatsResponse stats;
    if (!stub->GetStats(&context, v1::GetStatsRequest(), &stats).ok()) {
      return -1;
    }
    return static_cast<int>(stats.open_turn_streams());
  }

  // Waits (up to a minute) until the server has `count` streams open;
  // returns the last count seen.
  int WaitForOpenStreams(int count) {
    int open = OpenStreamsOnServer();
    for (int attempt = 0; attempt < 600 && open != count; ++attempt) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      open = OpenStreamsOnServer();
    }
    return open;
  }

  TempDir dir_;
  std::unique_ptr<RunningServer> server_;
};

// Streams opened with the async API and left idle; Close() cancels them
// and waits for every outstanding operation.
class IdleStreams {
 public:
  ~IdleStreams() { Close(); }

  // Opens `count` streams on `stub`; returns how many started.
  int Open(v1::CaptureService::Stub& stub, int count) {
    for (int i = 0; i < count; ++i) {
      auto stream = std::make_unique<Stream>();
      stream->call = stub.PrepareAsyncStreamTurns(&stream->context, &queue_);
      stream->call->StartCall(stream.get());
      streams_.push_back(std::move(stream));
    }
    int started = 0;
    for (int i = 0; i < count; ++i) {
      void* tag = nullptr;
      bool ok = false;
      if (queue_.AsyncNext(&tag, &ok, SecondsFromNow(60)) !=
          grpc::CompletionQueue::NextStatus::GOT_EVENT) {
        break;
      }
      if (ok) ++started;
    }
    return started;
  }

  size_t size() const { return streams_.size(); }

  void Close() {
    if (closed_) return;
    closed_ = true;
    for (auto& stream : streams_) {
      stream->context.TryCancel();
      stream->call->Finish(&stream->status, &stream->status);
    }
    for (size_t i = 0; i < streams_.size(); ++i) {
      void* tag = nullptr;
      bool ok = false;
      if (queue_.AsyncNext(&tag, &ok, SecondsFromNow(60)) !=
          grpc::CompletionQueue::NextStatus::GOT_EVENT) {
        break;
      }
    }
    queue_.Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (queue_.Next(&tag, &ok)) {
    }
  }

 private:
  struct Stream {
    grpc::ClientContext context;
    std::unique_ptr<AsyncTurnStream> call;
    grpc::Status status;
  };
  grpc::CompletionQueue queue_;
  std::vector<std::unique_ptr<Stream>> streams_;
  bool closed_ = false;
};

TEST_F(TurnStreamLimitsTest, TwoThousandIdleStreamsLeaveRecordTurnWorking) {
  Start({});
  constexpr int kChannels = 4;
  constexpr int kStreamsPerChannel = 500;
  std::vector<std::unique_ptr<v1::CaptureService::Stub>> stubs;
  IdleStreams idle;
  for (int c = 0; c < kChannels; ++c) {
    stubs.push_back(NewStub(c));
    ASSERT_EQ(idle.Open(*stubs.back(), kStreamsPerChannel), kStreamsPerChannel);
  }
  // With one thread per stream (the synchronous API) the server would now
  // run over 2000 threads.
  ASSERT_EQ(WaitForOpenStreams(2000), 2000);
  EXPECT_LT(ServerThreads(), 200);

  // Unary calls and a fresh stream are served while all of them wait.
  auto stub = NewStub(kChannels);
  for (int i = 0; i < 20; ++i) {
    grpc::Status status =
        RecordTurn(*stub, UserTurn("busy", absl::StrCat("u", i), "hello"));
    ASSERT_TRUE(status.ok()) << i << ": " << status.error_message();
  }
  grpc::ClientContext context;
  context.set_deadline(SecondsFromNow(30));
  auto stream = stub->StreamTurns(&context);
  v1::RecordTurnRequest request;
  *request.mutable_turn() = UserTurn("streamed", "u1", "hi there");
  ASSERT_TRUE(stream->Write(request));
  v1::RecordTurnResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.error_code(), 0) << response.error_message();
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  idle.Close();
}

TEST_F(TurnStreamLimitsTest, StreamsBeyondTheLimitAreRefused) {
  Start({"--max_streams=3"});
  auto stub = NewStub(0);
  IdleStreams idle;
  ASSERT_EQ(idle.Open(*stub, 3), 3);
  ASSERT_EQ(WaitForOpenStreams(3), 3);

  grpc::ClientContext context;
  context.set_deadline(SecondsFromNow(30));
  auto stream = stub->StreamTurns(&context);
  v1::RecordTurnResponse response;
  EXPECT_FALSE(stream->Read(&response));
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("--max_streams"));

  // Unary turns are not streams and still go through.
  EXPECT_TRUE(RecordTurn(*stub, UserTurn("s", "u1", "hello")).ok());
}

TEST_F(TurnStreamLimitsTest, AnIdleStreamIsEndedWithAClearStatus) {
  Start({"--stream_idle_timeout=1s"});
  auto stub = NewStub(0);
  grpc::ClientContext context;
  context.set_deadline(SecondsFromNow(60));
  auto stream = stub->StreamTurns(&context);
  v1::RecordTurnRequest request;
  *request.mutable_turn() = UserTurn("s", "u1", "one turn, then silence");
  ASSERT_TRUE(stream->Write(request));
  v1::RecordTurnResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.error_code(), 0);

  // The server ends it; the client only waits.
  EXPECT_FALSE(stream->Read(&response));
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_THAT(status.error_message(), HasSubstr("--stream_idle_timeout"));
}

}  // namespace
}  // namespace ftcapture
