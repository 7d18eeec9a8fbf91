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

}  // namespace

// StreamTurns' place in the CaptureService of capture.proto.
constexpr int kStreamTurnsMethodIndex = 1;

CaptureGrpcService::CaptureGrpcService(CaptureService* service)
    : service_(service) {
  MarkMethodStreamed(
      kStreamTurnsMethodIndex,
      new grpc::internal::BidiStreamingHandler<
          CaptureGrpcService, grpc::ByteBuffer, v1::RecordTurnResponse>(
          [](CaptureGrpcService* self, grpc::ServerContext* context,
             grpc::ServerReaderWriter<v1::RecordTurnResponse, grpc::ByteBuffer>*
                 stream) { return self->StreamTurnBytes(context, stream); },
          this));
}

grpc::Status CaptureGrpcService::RecordTurn(
    grpc::ServerContext* /*context*/, const v1::RecordTurnRequest* request,
    v1::RecordTurnResponse* response) {
  return Reply(service_->RecordTurn(request->turn()), response);
}

grpc::Status CaptureGrpcService::StreamTurnBytes(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::RecordTurnResponse, grpc::ByteBuffer>*
        stream) {
  grpc::ByteBuffer bytes;
  v1::RecordTurnRequest request;
  v1::RecordTurnResponse response;
  int64_t position = 0;
  while (stream->Read(&bytes)) {
    ++position;
    request.Clear();
    absl::StatusOr<v1::RecordTurnResponse> result;
    if (grpc::SerializationTraits<v1::RecordTurnRequest>::Deserialize(&bytes,
                                                                      &request)
            .ok()) {
      result = service_->RecordTurn(request.turn());
    } else {
      result = absl::InvalidArgumentError(absl::StrFormat(
          "request %d of this stream is not a RecordTurnRequest (it does not "
          "parse); nothing was recorded for it, the stream goes on",
          position));
    }
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
