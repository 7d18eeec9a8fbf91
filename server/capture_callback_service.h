#ifndef FTCAPTURE_SERVER_CAPTURE_CALLBACK_SERVICE_H_
#define FTCAPTURE_SERVER_CAPTURE_CALLBACK_SERVICE_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_callback.h>

#include "ftcapture/v1/capture.grpc.pb.h"
#include "server/call_policy.h"
#include "server/reused_messages.h"
#include "server/turn_stream.h"
#include "src/service/capture_service.h"

namespace ftcapture {

// Every method of the service on gRPC's callback API.
namespace callback_api {
using S = v1::CaptureService;
using Base = S::WithCallbackMethod_RecordTurn<
    S::WithRawCallbackMethod_StreamTurns<S::WithCallbackMethod_GetStats<
        S::WithCallbackMethod_ListExamples<S::WithCallbackMethod_RecordFeedback<
            S::WithCallbackMethod_ReviewExample<
                S::WithCallbackMethod_ExportExamples<
                    S::WithCallbackMethod_ImportExamples<
                        S::WithCallbackMethod_DeleteExamples<
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
  CaptureCallbackService(CaptureService* service, CallPolicy* policy,
                         TurnStreams* streams);

  CaptureCallbackService(const CaptureCallbackService&) = delete;
  CaptureCallbackService& operator=(const CaptureCallbackService&) = delete;

  grpc::ServerUnaryReactor* RecordTurn(
      grpc::CallbackServerContext* context,
      const v1::RecordTurnRequest* request,
      v1::RecordTurnResponse* response) override;
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* StreamTurns(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* GetStats(grpc::CallbackServerContext* context,
                                     const v1::GetStatsRequest* request,
                                     v1::GetStatsResponse* response) override;
  grpc::ServerUnaryReactor* ListExamples(
      grpc::CallbackServerContext* context,
      const v1::ListExamplesRequest* request,
      v1::ListExamplesResponse* response) override;
  grpc::ServerUnaryReactor* RecordFeedback(
      grpc::CallbackServerContext* context,
      const v1::RecordFeedbackRequest* request,
      v1::RecordFeedbackResponse* response) override;
  grpc::ServerUnaryReactor* ReviewExample(
      grpc::CallbackServerContext* context,
      const v1::ReviewExampleRequest* request,
      v1::ReviewExampleResponse* response) override;
  grpc::ServerWriteReactor<v1::Example>* ExportExamples(
      grpc::CallbackServerContext* context,
      const v1::ExportExamplesRequest* request) override;
  grpc::ServerUnaryReactor* ImportExamples(
      grpc::CallbackServerContext* context,
      const v1::ImportExamplesRequest* request,
      v1::ImportExamplesResponse* response) override;
  grpc::ServerUnaryReactor* DeleteExamples(
      grpc::CallbackServerContext* context,
      const v1::DeleteExamplesRequest* request,
      v1::DeleteExamplesResponse* response) override;

 private:
  // RecordTurn's request and response, reused (set in the constructor).
  ReusedMessages<v1::RecordTurnRequest, v1::RecordTurnResponse> turn_messages_;
  CaptureService* const service_;
  CallPolicy* const policy_;
  TurnStreams* const streams_;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SERVER_CAPTURE_CALLBACK_SERVICE_H_
