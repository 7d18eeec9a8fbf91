#include "server/capture_grpc_service.h"

#include "server/grpc_status.h"
#include "server/rpc_answers.h"

namespace ftcapture {

CaptureGrpcService::CaptureGrpcService(CaptureService* service,
                                       CallPolicy* policy, TurnStreams* streams)
    : service_(service), policy_(policy), streams_(streams) {}

grpc::Status CaptureGrpcService::RecordTurn(
    grpc::ServerContext* context, const v1::RecordTurnRequest* request,
    v1::RecordTurnResponse* response) {
  absl::StatusOr<Caller> caller =
      policy_->Admit(*context, RequiredRole::kIngest);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  return Reply(RecordTurnForCaller(service_, policy_, *caller, request->turn()),
               response);
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>*
CaptureGrpcService::StreamTurns(grpc::CallbackServerContext* context) {
  return streams_->Open(context);
}

grpc::Status CaptureGrpcService::GetStats(grpc::ServerContext* context,
                                          const v1::GetStatsRequest* request,
                                          v1::GetStatsResponse* response) {
  return AnswerGetStats(rpc(), *context, *request, response);
}

grpc::Status CaptureGrpcService::ListExamples(
    grpc::ServerContext* context, const v1::ListExamplesRequest* request,
    v1::ListExamplesResponse* response) {
  return AnswerListExamples(rpc(), *context, *request, response);
}

grpc::Status CaptureGrpcService::RecordFeedback(
    grpc::ServerContext* context, const v1::RecordFeedbackRequest* request,
    v1::RecordFeedbackResponse* response) {
  grpc::Status admitted = AdmitFeedback(rpc(), *context, *request);
  if (!admitted.ok()) return admitted;
  return Reply(service_->RecordFeedback(*request), response);
}

grpc::Status CaptureGrpcService::ReviewExample(
    grpc::ServerContext* context, const v1::ReviewExampleRequest* request,
    v1::ReviewExampleResponse* response) {
  return AnswerReviewExample(rpc(), *context, *request, response);
}

grpc::Status CaptureGrpcService::ExportExamples(
    grpc::ServerContext* context, const v1::ExportExamplesRequest* request,
    grpc::ServerWriter<v1::Example>* writer) {
  return AnswerExportExamples(
      rpc(), *context, *request,
      [writer](const v1::Example& example) { return writer->Write(example); });
}

grpc::Status CaptureGrpcService::ImportExamples(
    grpc::ServerContext* context, const v1::ImportExamplesRequest* request,
    v1::ImportExamplesResponse* response) {
  return AnswerImportExamples(rpc(), *context, *request, response);
}

grpc::Status CaptureGrpcService::DeleteExamples(
    grpc::ServerContext* context, const v1::DeleteExamplesRequest* request,
    v1::DeleteExamplesResponse* response) {
  return AnswerDeleteExamples(rpc(), *context, *request, response);
}

}  // namespace ftcapture
