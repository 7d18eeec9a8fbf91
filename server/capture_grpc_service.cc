#include "server/capture_grpc_service.h"

#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "server/grpc_status.h"

namespace ftcapture {
namespace {

// Moves an OK result into the response, or returns the error as gRPC sees it.
template <typename Response>
grpc::Status Reply(absl::StatusOr<Response> result, Response* response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

// Imported examples wait for a review here whatever the source said.
void MakePending(v1::ImportExamplesRequest& request) {
  for (v1::Example& example : *request.mutable_examples()) {
    example.set_status(v1::REVIEW_STATUS_PENDING);
    example.clear_review_note();
    example.clear_reviewed_at();
  }
}

}  // namespace

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

grpc::Status CaptureGrpcService::GetStats(
    grpc::ServerContext* context, const v1::GetStatsRequest* /*request*/,
    v1::GetStatsResponse* response) {
  absl::StatusOr<Caller> caller =
      policy_->Admit(*context, RequiredRole::kAnyRole);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  grpc::Status status = Reply(service_->GetStats(), response);
  if (!caller->MayRead()) response->clear_recent_examples();
  response->set_open_turn_streams(streams_->open_streams());
  return status;
}

grpc::Status CaptureGrpcService::ListExamples(
    grpc::ServerContext* context, const v1::ListExamplesRequest* request,
    v1::ListExamplesResponse* response) {
  absl::StatusOr<Caller> caller = policy_->Admit(*context, RequiredRole::kRead);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  return Reply(service_->ListExamples(*request), response);
}

grpc::Status CaptureGrpcService::RecordFeedback(
    grpc::ServerContext* context, const v1::RecordFeedbackRequest* request,
    v1::RecordFeedbackResponse* response) {
  absl::StatusOr<Caller> caller =
      policy_->Admit(*context, RequiredRole::kIngest);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (absl::Status s = policy_->CheckNote("note", request->note()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  return Reply(service_->RecordFeedback(*request), response);
}

grpc::Status CaptureGrpcService::ReviewExample(
    grpc::ServerContext* context, const v1::ReviewExampleRequest* request,
    v1::ReviewExampleResponse* response) {
  absl::StatusOr<Caller> caller =
      policy_->Admit(*context, RequiredRole::kAdmin);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (absl::Status s = policy_->CheckNote("note", request->note()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  return Reply(service_->ReviewExample(*request), response);
}

grpc::Status CaptureGrpcService::ExportExamples(
    grpc::ServerContext* context, const v1::ExportExamplesRequest* request,
    grpc::ServerWriter<v1::Example>* writer) {
  absl::StatusOr<Caller> caller = policy_->Admit(*context, RequiredRole::kRead);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  absl::Status status = service_->ExportExamples(
      *request, [context, writer](const v1::Example& example) {
        return !context->IsCancelled() && writer->Write(example);
      });
  if (!status.ok()) return ToGrpcStatus(status);
  if (context->IsCancelled()) {
    return grpc::Status(grpc::StatusCode::CANCELLED, "export cancelled");
  }
  return grpc::Status::OK;
}

grpc::Status CaptureGrpcService::ImportExamples(
    grpc::ServerContext* context, const v1::ImportExamplesRequest* request,
    v1::ImportExamplesResponse* response) {
  absl::StatusOr<Caller> caller =
      policy_->Admit(*context, RequiredRole::kAdmin);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (request->keep_review_status() && caller->IsAdmin()) {
    return Reply(service_->ImportExamples(*request), response);
  }
  v1::ImportExamplesRequest pending = *request;
  MakePending(pending);
  return Reply(service_->ImportExamples(pending), response);
}

grpc::Status CaptureGrpcService::DeleteExamples(
    grpc::ServerContext* context, const v1::DeleteExamplesRequest* request,
    v1::DeleteExamplesResponse* response) {
  absl::StatusOr<Caller> caller =
      policy_->Admit(*context, RequiredRole::kAdmin);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  return Reply(service_->DeleteExamples(*request), response);
}

}  // namespace ftcapture
