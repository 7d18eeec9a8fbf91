// A test fixture: the real CaptureService in a fresh directory, served in
// process by one of its gRPC faces over TCP on 127.0.0.1, with a stub.
//
// TCP rather than an in-process channel: the in-process transport completes
// a send only when the peer reads it, so a client that pipelines a stream
// before reading would stall, unlike on a wire.

#ifndef FTCAPTURE_TESTS_UTIL_SERVED_CAPTURE_SERVICE_H_
#define FTCAPTURE_TESTS_UTIL_SERVED_CAPTURE_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "ftcapture/v1/capture.grpc.pb.h"
#include "gtest/gtest.h"
#include "server/call_policy.h"
#include "server/turn_stream.h"
#include "src/service/capture_service.h"
#include "tests/util/temp_dir.h"

namespace ftcapture {

// `Face` is CaptureGrpcService (the synchronous API) or
// CaptureCallbackService: constructed from the service, the call policy
// and the stream registry.
template <typename Face>
class ServedCaptureServiceTest : public ::testing::Test {
 protected:
  // Changes the options the service is opened with (data_dir is set).
  virtual void AdjustOptions(CaptureService::Options* /*options*/) {}

  void SetUp() override {
    CaptureService::Options options;
    options.data_dir = dir_.path();
    options.log = [](const std::string&) {};
    AdjustOptions(&options);
    auto service = CaptureService::Open(options, /*env=*/nullptr);
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
    policy_ = std::make_unique<CallPolicy>(/*tokens=*/nullptr, CallLimits());
    streams_ = std::make_unique<TurnStreams>(service_.get(), policy_.get(),
                                             TurnStreamLimits());
    face_ =
        std::make_unique<Face>(service_.get(), policy_.get(), streams_.get());
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(face_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::CaptureService::NewStub(channel_);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  grpc::Status Record(const v1::Turn& turn, v1::RecordTurnResponse* response) {
    grpc::ClientContext context;
    v1::RecordTurnRequest request;
    *request.mutable_turn() = turn;
    return stub_->RecordTurn(&context, request, response);
  }

  v1::RecordTurnResponse RecordOk(const v1::Turn& turn) {
    v1::RecordTurnResponse response;
    grpc::Status status = Record(turn, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  TempDir dir_;
  std::unique_ptr<CaptureService> service_;
  std::unique_ptr<CallPolicy> policy_;
  std::unique_ptr<TurnStreams> streams_;
  std::unique_ptr<Face> face_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::CaptureService::Stub> stub_;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_TESTS_UTIL_SERVED_CAPTURE_SERVICE_H_
