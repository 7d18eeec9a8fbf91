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
using CaptureCallbackBase = v1::CaptureService::WithCallbackMethod_RecordTurn<
    v1::CaptureService::WithRawCallbackMethod_StreamTurns<
        v1::CaptureService::WithCallbackMethod_GetStats<
            v1::CaptureService::WithCallbackMethod_ListExamples<
                v1::CaptureService::WithCallbackMethod_RecordFeedback<
                    v1::CaptureService::WithCallbackMethod_ReviewExample<
                        v1::CaptureService::WithCallbackMethod_ExportExamples<
                            v1::CaptureService::
                                WithCallbackMethod_ImportExamples<
                                    v1::CaptureService::Service>>>>>>>>;

// The gRPC face of CaptureService on the callback (reactor) API, the
// server's default (--grpc_api=callback; CaptureGrpcService is the
// synchronous one). It answers exactly as CaptureGrpcService does; what
// differs is who waits. Handlers run on gRPC's own threads: a turn that
// captures nothing is answered before the handler returns, and one that
// captures (RecordTurn, RecordFeedback) is answered from the example
// store's writer thread once its fsync returned, so no thread waits for
// the disk on their behalf. GetStats, ListExamples, ReviewExample and
// ImportExamples are answered inline on gRPC's thread (they read or write
// the disk there; they are rare); ExportExamples streams from a thread of
// its own. Holds no lock of its own; `service`, `policy` and `streams` must
// outlive it.
class CaptureCallbackService final : public CaptureCallbackBase {
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

 private:
  // RecordTurn's request and response, reused (set in the constructor).
  ReusedMessages<v1::RecordTurnRequest, v1::RecordTurnResponse> turn_messages_;
  CaptureService* const service_;
  CallPolicy* const policy_;
  TurnStreams* const streams_;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SERVER_CAPTURE_CALLBACK_SERVICE_H_
