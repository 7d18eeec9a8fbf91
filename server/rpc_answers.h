#ifndef FTCAPTURE_SERVER_RPC_ANSWERS_H_
#define FTCAPTURE_SERVER_RPC_ANSWERS_H_

#include <grpcpp/grpcpp.h>

#include <functional>

#include "ftcapture/v1/capture.pb.h"
#include "server/call_policy.h"
#include "server/grpc_status.h"
#include "server/turn_stream.h"
#include "src/service/capture_service.h"

namespace ftcapture {

// What the RPC handlers answer with.
struct RpcContext {
  CaptureService* service;
  CallPolicy* policy;
  TurnStreams* streams;
};

// The answers of the RPCs that answer inline, shared by the synchronous
// (CaptureGrpcService) and callback (CaptureCallbackService) faces: each
// asks the policy whether the caller may make the call first and does
// nothing else when it may not; then the library's absl::Status comes back
// as the grpc::Status with the same code and message.

// The form they share: OK with `*response` set, or the error.
template <typename Request, typename Response>
using RpcAnswer = grpc::Status (*)(const RpcContext& rpc,
                                   const grpc::ServerContextBase& context,
                                   const Request& request, Response* response);

// Open to every role; without the read role, recent_examples (example
// content) is left out.
grpc::Status AnswerGetStats(const RpcContext& rpc,
                            const grpc::ServerContextBase& context,
                            const v1::GetStatsRequest& request,
                            v1::GetStatsResponse* response);
grpc::Status AnswerListExamples(const RpcContext& rpc,
                                const grpc::ServerContextBase& context,
                                const v1::ListExamplesRequest& request,
                                v1::ListExamplesResponse* response);
grpc::Status AnswerReviewExample(const RpcContext& rpc,
                                 const grpc::ServerContextBase& context,
                                 const v1::ReviewExampleRequest& request,
                                 v1::ReviewExampleResponse* response);
// Imported examples are stored PENDING unless an admin caller sets
// keep_review_status.
grpc::Status AnswerImportExamples(const RpcContext& rpc,
                                  const grpc::ServerContextBase& context,
                                  const v1::ImportExamplesRequest& request,
                                  v1::ImportExamplesResponse* response);
// Admin only.
grpc::Status AnswerDeleteExamples(const RpcContext& rpc,
                                  const grpc::ServerContextBase& context,
                                  const v1::DeleteExamplesRequest& request,
                                  v1::DeleteExamplesResponse* response);
// Calls `write` for each exported example until it returns false (the
// client went away: CANCELLED).
grpc::Status AnswerExportExamples(
    const RpcContext& rpc, const grpc::ServerContextBase& context,
    const v1::ExportExamplesRequest& request,
    const std::function<bool(const v1::Example&)>& write);
// RecordFeedback's admission and note check: OK when the service may take
// the request.
grpc::Status AdmitFeedback(const RpcContext& rpc,
                           const grpc::ServerContextBase& context,
                           const v1::RecordFeedbackRequest& request);

// Moves an OK result into `*response`, or returns the error as gRPC sees it.
template <typename Response>
grpc::Status Reply(absl::StatusOr<Response> result, Response* response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace ftcapture

#endif  // FTCAPTURE_SERVER_RPC_ANSWERS_H_
