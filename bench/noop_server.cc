// ftcapture-noop-server: the CaptureService API with handlers that do
// nothing, the physical limit ftcapture-server is measured against
// (bench/run.sh). It is built like the real server, so the ratio is honest:
// the same synchronous gRPC API, reflection and health service on, the same
// message size limit and channel arguments, and the same ready line on
// stdout, the same process tuning (server/process_tuning.h). StreamTurns
// answers every request with an empty response, as the real one answers each
// with its verdict.
//
//   ftcapture-noop-server [--listen=127.0.0.1:0]

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "ftcapture/v1/capture.grpc.pb.h"
#include "server/process_tuning.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0",
          "host:port to serve on; port 0 picks a free port");

namespace ftcapture {
namespace {

// The real server's receive limit at its default --max_turn_bytes.
constexpr int kMaxMessageBytes = 2 * (1 << 20) + (1 << 20);

class NoopCaptureService final : public v1::CaptureService::Service {
 public:
  grpc::Status RecordTurn(grpc::ServerContext*, const v1::RecordTurnRequest*,
                          v1::RecordTurnResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status StreamTurns(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<v1::RecordTurnResponse, v1::RecordTurnRequest>*
          stream) override {
    v1::RecordTurnRequest request;
    const v1::RecordTurnResponse response;
    while (stream->Read(&request)) {
      if (!stream->Write(response)) break;
    }
    return grpc::Status::OK;
  }
  grpc::Status GetStats(grpc::ServerContext*, const v1::GetStatsRequest*,
                        v1::GetStatsResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status ListExamples(grpc::ServerContext*,
                            const v1::ListExamplesRequest*,
                            v1::ListExamplesResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status RecordFeedback(grpc::ServerContext*,
                              const v1::RecordFeedbackRequest*,
                              v1::RecordFeedbackResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status ReviewExample(grpc::ServerContext*,
                             const v1::ReviewExampleRequest*,
                             v1::ReviewExampleResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status ExportExamples(grpc::ServerContext*,
                              const v1::ExportExamplesRequest*,
                              grpc::ServerWriter<v1::Example>*) override {
    return grpc::Status::OK;
  }
  grpc::Status ImportExamples(grpc::ServerContext*,
                              const v1::ImportExamplesRequest*,
                              v1::ImportExamplesResponse*) override {
    return grpc::Status::OK;
  }
};

int Run(int argc, char** argv) {
  TuneProcessForServing();
  absl::ParseCommandLine(argc, argv);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  NoopCaptureService service;
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  const std::string listen = absl::GetFlag(FLAGS_listen);
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "ftcapture-noop-server: cannot listen on '%s'\n",
                 listen.c_str());
    return 1;
  }
  const std::string host = listen.substr(0, listen.rfind(':'));
  std::printf("ftcapture-noop-server listening on %s\n",
              absl::StrCat(host, ":", port).c_str());
  std::fflush(stdout);

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) != 0) {
  }
  server->Shutdown();
  server->Wait();
  return 0;
}

}  // namespace
}  // namespace ftcapture

int main(int argc, char** argv) { return ftcapture::Run(argc, argv); }
