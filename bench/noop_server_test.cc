// The no-op server's durable mode (bench/noop_server.cc --durable_dir): a
// RecordTurn marked with the bytes ftcapture would append for its capture
// is answered only after as many bytes were appended to the files, on both
// gRPC APIs; unmarked turns write nothing; a bad mark is refused.

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/blocking_counter.h"
#include "absl/time/time.h"
#include "bench/durable_capture_log.h"
#include "ftcapture/v1/capture.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/util/subprocess.h"
#include "tests/util/temp_dir.h"

namespace ftcapture {
namespace {

int64_t FileSize(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 ? info.st_size : -1;
}

class NoopServerDurableTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto process = Subprocess::Start(
        {FTCAPTURE_NOOP_SERVER_BIN, "--listen=127.0.0.1:0",
         "--api=" + GetParam(), "--durable_dir=" + dir_.path()},
        dir_.File("stderr"));
    ASSERT_TRUE(process.ok()) << process.status();
    process_ = *std::move(process);
    auto line = process_->WaitForLine("listening on", absl::Seconds(60));
    ASSERT_TRUE(line.ok()) << line.status();
    const std::string address = line->substr(line->rfind(' ') + 1);
    stub_ = v1::CaptureService::NewStub(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  }

  grpc::Status Record(const char* mark) {
    grpc::ClientContext context;
    if (mark != nullptr) context.AddMetadata(bench::kCaptureBytesHeader, mark);
    v1::RecordTurnRequest request;
    request.mutable_turn()->set_text("Great answer, thanks.");
    v1::RecordTurnResponse response;
    return stub_->RecordTurn(&context, request, &response);
  }

  std::vector<int64_t> Sizes() const {
    return {FileSize(dir_.File("records.bin")),
            FileSize(dir_.File("markdown.bin")),
            FileSize(dir_.File("index.bin"))};
  }

  TempDir dir_;
  std::unique_ptr<Subprocess> process_;
  std::unique_ptr<v1::CaptureService::Stub> stub_;
};

TEST_P(NoopServerDurableTest, MarkedTurnAppendsItsBytesBeforeTheAnswer) {
  EXPECT_EQ(Sizes(), (std::vector<int64_t>{0, 0, 0}));
  ASSERT_TRUE(Record("7000,9000,180").ok());
  EXPECT_EQ(Sizes(), (std::vector<int64_t>{7000, 9000, 180}));
  ASSERT_TRUE(Record("100000,1,0").ok());
  EXPECT_EQ(Sizes(), (std::vector<int64_t>{107000, 9001, 180}));
}

TEST_P(NoopServerDurableTest, UnmarkedTurnWritesNothing) {
  ASSERT_TRUE(Record(nullptr).ok());
  EXPECT_EQ(Sizes(), (std::vector<int64_t>{0, 0, 0}));
}

TEST_P(NoopServerDurableTest, BadMarkIsRefusedAndWritesNothing) {
  for (const char* mark :
       {"", "1,2", "1,2,3,4", "-1,0,0", "x,1,1", "99999999999,0,0"}) {
    EXPECT_EQ(Record(mark).error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << mark;
  }
  EXPECT_EQ(Sizes(), (std::vector<int64_t>{0, 0, 0}));
}

TEST_P(NoopServerDurableTest, ConcurrentCapturesAllLand) {
  constexpr int kCalls = 40;
  std::vector<grpc::ClientContext> contexts(kCalls);
  std::vector<v1::RecordTurnRequest> requests(kCalls);
  std::vector<v1::RecordTurnResponse> responses(kCalls);
  std::vector<grpc::Status> statuses(kCalls);
  absl::BlockingCounter done(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    contexts[i].AddMetadata(bench::kCaptureBytesHeader, "1000,2000,30");
    stub_->async()->RecordTurn(&contexts[i], &requests[i], &responses[i],
                               [&, i](grpc::Status status) {
                                 statuses[i] = status;
                                 done.DecrementCount();
                               });
  }
  done.Wait();
  for (const grpc::Status& status : statuses) EXPECT_TRUE(status.ok());
  EXPECT_EQ(Sizes(),
            (std::vector<int64_t>{kCalls * 1000, kCalls * 2000, kCalls * 30}));
}

INSTANTIATE_TEST_SUITE_P(Apis, NoopServerDurableTest,
                         ::testing::Values("callback", "sync"));

TEST(CaptureBytesMark, RoundTrips) {
  const bench::CaptureBytes bytes{6123, 7345, 190};
  auto parsed = bench::ParseCaptureBytes(bench::FormatCaptureBytes(bytes));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->record, 6123);
  EXPECT_EQ(parsed->markdown, 7345);
  EXPECT_EQ(parsed->index, 190);
}

}  // namespace
}  // namespace ftcapture
