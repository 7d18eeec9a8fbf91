#include "server/capture_grpc_service.h"

#include <string>
#include <utility>

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

}  // namespace

CaptureGrpcService::CaptureGrpcService(CaptureService* service)
    : service_(service) {}

grpc::Status CaptureGrpcService::RecordTurn(
    grpc::ServerContext* /*context*/, const v1::RecordTurnRequest* request,
    v1::RecordTurnResponse* response) {
  return Reply(service_->RecordTurn(request->turn()), response);
}

grpc::Status CaptureGrpcService::StreamTurns(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::RecordTurnResponse, v1::RecordTurnRequest>*
        stream) {
  v1::RecordTurnRequest request;
  v1::RecordTurnResponse response;
  while (stream->Read(&request)) {
    absl::StatusOr<v1::RecordTurnResponse> result =
        service_->RecordTurn(request.turn());
    if (result.ok()) {
      response = std::move(*result);
    } else {
      response.Clear();
      response.set_error_code(result.status().raw_code());
      response.set_error_message(std::string(result.status().message()));
    }
    if (!stream->Write(response)) break;  // the client went away
  }
  if (context->IsCancelled()) {
    return grpc::Status(grpc::StatusCode::CANCELLED, "stream cancelled");
  }
  return grpc::Status::OK;
}

grpc::Status CaptureGrpcService::GetStats(
    grpc::ServerContext* /*context*/, const v1::GetStatsRequest* /*request*/,
    v1::GetStatsResponse* response) {
  return Reply(service_->GetStats(), response);
}

grpc::Status CaptureGrpcService::ListExamples(
    grpc::ServerContext* /*context*/, const v1::ListExamplesRequest* request,
    v1::ListExamplesResponse* response) {
  return Reply(service_->ListExamples(*request), response);
}

grpc::Status CaptureGrpcService::RecordFeedback(
    grpc::ServerContext* /*context*/, const v1::RecordFeedbackRequest* request,
    v1::RecordFeedbackResponse* response) {
  return Reply(service_->RecordFeedback(*request), response);
}

grpc::Status CaptureGrpcService::ReviewExample(
    grpc::ServerContext* /*context*/, const v1::ReviewExampleRequest* request,
    v1::ReviewExampleResponse* response) {
  return Reply(service_->ReviewExample(*request), response);
}

grpc::Status CaptureGrpcService::ExportExamples(
    grpc::ServerContext* context, const v1::ExportExamplesRequest* request,
    grpc::ServerWriter<v1::Example>* writer) {
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
    grpc::ServerContext* /*context*/, const v1::ImportExamplesRequest* request,
    v1::ImportExamplesResponse* response) {
  return Reply(service_->ImportExamples(*request), response);
}

}  // namespace ftcapture
