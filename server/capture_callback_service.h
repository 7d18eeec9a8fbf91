#ifndef FTCAPTURE_SERVER_CAPTURE_CALLBACK_SERVICE_H_
#define FTCAPTURE_SERVER_CAPTURE_CALLBACK_SERVICE_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_callback.h>

#include "ftcapture/v1/capture.grpc.pb.h"
#include "server/call_policy.h"
#include "server/rpc_answers.h"
#include "server/turn_stream.h"
#include "src/service/capture_service.h"

namespace ftcapture {

// Every method of the service on gRPC's callback API, requests and
// responses as raw bytes: the service parses each request itself, so one
// that does not parse gets INVALID_ARGUMENT naming its type (the generated
// handler would answer UNIMPLEMENTED with no message; see raw_messages.h).
namespace callback_api {
using S = v1::CaptureService;
using Base =
    S::WithRawCallbackMethod_RecordTurn<S::WithRawCallbackMethod_StreamTurns<
        S::WithRawCallbackMethod_GetStats<S::WithRawCallbackMethod_ListExamples<
            S::WithRawCallbackMethod_RecordFeedback<
                S::WithRawCallbackMethod_ReviewExample<
                    S::WithRawCallbackMethod_ExportExamples<
                        S::WithRawCallbackMethod_ImportExamples<
                            S::WithRawCallbackMethod_DeleteExamples<
                                S::Service>>>>>>>>>;
}  // namespace callback_api

// The gRPC face of CaptureService on the callback (reactor) API, the
// server's default (--grpc_api=callback; CaptureGrpcService is the
// synchronous one). It answers exactly as CaptureGrpcService does; what
// differs is who waits. Handlers run on gRPC's own threads: a turn that
// captures nothing is answered before the handler returns. A capture
// (RecordTurn, RecordFeedback) is completed by CaptureService's
// asynchronous calls; since the store's compaction (DeleteExamples) holds
// the files' layout lock across each append, those currently append and
// fsync on the calling thread (see docs/benchmarks.md). GetStats,
// ListExamples, ReviewExample, ImportExamples and DeleteExamples are
// answered inline on gRPC's thread (they read or write the disk there;
// they are rare); ExportExamples streams from a thread of its own. Holds no
// lock of its own; `service`, `policy` and `streams` must outlive it.
class CaptureCallbackService final : public callback_api::Base {
 public:
  using Bytes = grpc::ByteBuffer;
  using UnaryReactor = grpc::ServerUnaryReactor;

  CaptureCallbackService(CaptureService* service, CallPolicy* policy,
                         TurnStreams* streams);

  CaptureCallbackService(const CaptureCallbackService&) = delete;
  CaptureCallbackService& operator=(const CaptureCallbackService&) = delete;

  // Each takes a serialized request of the method's type and answers with
  // a serialized response.
  UnaryReactor* RecordTurn(grpc::CallbackServerContext* context,
                           const Bytes* request, Bytes* response) override;
  grpc::ServerBidiReactor<Bytes, Bytes>* StreamTurns(
      grpc::CallbackServerContext* context) override;
  UnaryReactor* GetStats(grpc::CallbackServerContext* context,
                         const Bytes* request, Bytes* response) override;
  UnaryReactor* ListExamples(grpc::CallbackServerContext* context,
                             const Bytes* request, Bytes* response) override;
  UnaryReactor* RecordFeedback(grpc::CallbackServerContext* context,
                               const Bytes* request, Bytes* response) override;
  UnaryReactor* ReviewExample(grpc::CallbackServerContext* context,
                              const Bytes* request, Bytes* response) override;
  // Writes serialized v1::Example messages.
  grpc::ServerWriteReactor<Bytes>* ExportExamples(
      grpc::CallbackServerContext* context, const Bytes* request) override;
  UnaryReactor* ImportExamples(grpc::CallbackServerContext* context,
                               const Bytes* request, Bytes* response) override;
  UnaryReactor* DeleteExamples(grpc::CallbackServerContext* context,
                               const Bytes* request, Bytes* response) override;

 private:
  RpcContext rpc() const { return RpcContext{service_, policy_, streams_}; }

  CaptureService* const service_;
  CallPolicy* const policy_;
  TurnStreams* const streams_;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SERVER_CAPTURE_CALLBACK_SERVICE_H_
