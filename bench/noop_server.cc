// ftcapture-noop-server: the CaptureService API with handlers that do
// nothing, the physical limit ftcapture-server is measured against
// (bench/run.sh). It is built like the real server, so the ratio is honest:
// reflection and health service on, the same message size limit and channel
// arguments, the same ready line on stdout, the same process tuning
// (server/process_tuning.h). StreamTurns answers every request with an empty
// response, as the real one answers each with its verdict.
//
// --api=callback (default) serves with gRPC's callback (reactor) API,
// --api=sync with the synchronous one: run it with the API ftcapture-server
// uses, so the ratio compares like with like.
//
// --durable_dir=DIR: the fair limit for a durable capture. A RecordTurn that
// carries the ftcapture-bench-capture-bytes metadata (the load generator
// sets it on each praise ftcapture would capture, with the bytes ftcapture
// would append for it) is answered only after that many bytes were appended
// under DIR and fdatasynced, group-committed as ftcapture's store does
// (bench/durable_capture_log.h). Other turns are answered at once.
//
//   ftcapture-noop-server [--listen=127.0.0.1:0] [--api=callback|sync]
//                         [--durable_dir=DIR]

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "bench/durable_capture_log.h"
#include "ftcapture/v1/capture.grpc.pb.h"
#include "server/process_tuning.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0",
          "host:port to serve on; port 0 picks a free port");
ABSL_FLAG(std::string, api, "callback",
          "gRPC server API: callback (reactors) or sync");
ABSL_FLAG(std::string, durable_dir, "",
          "append and fdatasync what ftcapture would for each marked capture "
          "in this directory (created files: records.bin, markdown.bin, "
          "index.bin); empty: captures are answered at once");

namespace ftcapture {
namespace {

using v1::RecordTurnRequest;
using v1::RecordTurnResponse;

// The real server's receive limit at its default --max_turn_bytes.
constexpr int kMaxMessageBytes = 2 * (1 << 20) + (1 << 20);

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(status.code() == absl::StatusCode::kInvalidArgument
                          ? grpc::StatusCode::INVALID_ARGUMENT
                          : grpc::StatusCode::INTERNAL,
                      std::string(status.message()));
}

// The capture a call is marked with, if any (nullopt-like: ok() and
// `*marked` false when it carries no mark).
absl::StatusOr<bench::CaptureBytes> CaptureMark(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
    bool* marked) {
  auto it = metadata.find(bench::kCaptureBytesHeader);
  *marked = it != metadata.end();
  if (!*marked) return bench::CaptureBytes{};
  return bench::ParseCaptureBytes(
      absl::string_view(it->second.data(), it->second.size()));
}

class SyncNoopService final : public v1::CaptureService::Service {
 public:
  explicit SyncNoopService(bench::DurableCaptureLog* log) : log_(log) {}

  grpc::Status RecordTurn(grpc::ServerContext* context,
                          const RecordTurnRequest*,
                          RecordTurnResponse*) override {
    if (log_ == nullptr) return grpc::Status::OK;
    bool marked = false;
    absl::StatusOr<bench::CaptureBytes> capture =
        CaptureMark(context->client_metadata(), &marked);
    if (!capture.ok()) return ToGrpc(capture.status());
    if (!marked) return grpc::Status::OK;
    // ftcapture's sync handlers wait in its store the same way.
    absl::Notification written;
    absl::Status status;
    log_->Append(*capture, [&](absl::Status result) {
      status = result;
      written.Notify();
    });
    written.WaitForNotification();
    return ToGrpc(status);
  }
  grpc::Status StreamTurns(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<RecordTurnResponse, RecordTurnRequest>* stream)
      override {
    RecordTurnRequest request;
    const RecordTurnResponse response;
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

 private:
  bench::DurableCaptureLog* const log_;  // null unless --durable_dir
};

// StreamTurns on the callback API: an empty response per request, one
// read or write outstanding at a time, as the sync loop above.
class NoopTurnStream final
    : public grpc::ServerBidiReactor<RecordTurnRequest, RecordTurnResponse> {
 public:
  NoopTurnStream() { StartRead(&request_); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);
      return;
    }
    StartWrite(&response_);
  }
  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "write failed"));
      return;
    }
    StartRead(&request_);
  }
  void OnDone() override { delete this; }

 private:
  RecordTurnRequest request_;
  const RecordTurnResponse response_;
};

// ExportExamples on the callback API: ends the stream at once.
class NoopExportWriter final : public grpc::ServerWriteReactor<v1::Example> {
 public:
  NoopExportWriter() { Finish(grpc::Status::OK); }
  void OnDone() override { delete this; }
};

class CallbackNoopService final : public v1::CaptureService::CallbackService {
 public:
  explicit CallbackNoopService(bench::DurableCaptureLog* log) : log_(log) {}

  grpc::ServerUnaryReactor* RecordTurn(grpc::CallbackServerContext* context,
                                       const RecordTurnRequest*,
                                       RecordTurnResponse*) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (log_ == nullptr) {
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }
    bool marked = false;
    absl::StatusOr<bench::CaptureBytes> capture =
        CaptureMark(context->client_metadata(), &marked);
    if (!capture.ok() || !marked) {
      reactor->Finish(ToGrpc(capture.status()));
      return reactor;
    }
    // Finished from the log's writer once the bytes are durable: no gRPC
    // thread waits on the disk.
    log_->Append(*capture, [reactor](absl::Status status) {
      reactor->Finish(ToGrpc(status));
    });
    return reactor;
  }
  grpc::ServerBidiReactor<RecordTurnRequest, RecordTurnResponse>* StreamTurns(
      grpc::CallbackServerContext*) override {
    return new NoopTurnStream();
  }
  grpc::ServerUnaryReactor* GetStats(grpc::CallbackServerContext* context,
                                     const v1::GetStatsRequest*,
                                     v1::GetStatsResponse*) override {
    return Done(context);
  }
  grpc::ServerUnaryReactor* ListExamples(grpc::CallbackServerContext* context,
                                         const v1::ListExamplesRequest*,
                                         v1::ListExamplesResponse*) override {
    return Done(context);
  }
  grpc::ServerUnaryReactor* RecordFeedback(
      grpc::CallbackServerContext* context, const v1::RecordFeedbackRequest*,
      v1::RecordFeedbackResponse*) override {
    return Done(context);
  }
  grpc::ServerUnaryReactor* ReviewExample(grpc::CallbackServerContext* context,
                                          const v1::ReviewExampleRequest*,
                                          v1::ReviewExampleResponse*) override {
    return Done(context);
  }
  grpc::ServerWriteReactor<v1::Example>* ExportExamples(
      grpc::CallbackServerContext*, const v1::ExportExamplesRequest*) override {
    return new NoopExportWriter();
  }
  grpc::ServerUnaryReactor* ImportExamples(
      grpc::CallbackServerContext* context, const v1::ImportExamplesRequest*,
      v1::ImportExamplesResponse*) override {
    return Done(context);
  }

 private:
  static grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* context) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  bench::DurableCaptureLog* const log_;  // null unless --durable_dir
};

// The service --api asks for, or null after printing why not.
std::unique_ptr<grpc::Service> MakeService(bench::DurableCaptureLog* log) {
  const std::string api = absl::GetFlag(FLAGS_api);
  if (api == "callback") return std::make_unique<CallbackNoopService>(log);
  if (api == "sync") return std::make_unique<SyncNoopService>(log);
  std::fprintf(stderr,
               "ftcapture-noop-server: --api must be callback or sync, not "
               "'%s'\n",
               api.c_str());
  return nullptr;
}

int Run(int argc, char** argv) {
  TuneProcessForServing();
  absl::ParseCommandLine(argc, argv);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::unique_ptr<bench::DurableCaptureLog> log;
  const std::string durable_dir = absl::GetFlag(FLAGS_durable_dir);
  if (!durable_dir.empty()) {
    auto opened = bench::DurableCaptureLog::Open(durable_dir);
    if (!opened.ok()) {
      std::fprintf(stderr, "ftcapture-noop-server: %s\n",
                   opened.status().ToString().c_str());
      return 1;
    }
    log = *std::move(opened);
  }
  std::unique_ptr<grpc::Service> service = MakeService(log.get());
  if (service == nullptr) return 2;
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  const std::string listen = absl::GetFlag(FLAGS_listen);
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(service.get());
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
