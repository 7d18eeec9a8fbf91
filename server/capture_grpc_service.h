#ifndef FTCAPTURE_SERVER_CAPTURE_GRPC_SERVICE_H_
#define FTCAPTURE_SERVER_CAPTURE_GRPC_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include "ftcapture/v1/capture.grpc.pb.h"
#include "src/service/capture_service.h"

namespace ftcapture {

// The gRPC face of CaptureService (synchronous API). It only translates:
// requests go to the library as they are, absl::Status comes back as the
// grpc::Status with the same code and message. It holds no state and no
// lock of its own, so every handler runs concurrently; `service` must
// outlive it.
class CaptureGrpcService final : public v1::CaptureService::Service {
 public:
  explicit CaptureGrpcService(CaptureService* service);

  CaptureGrpcService(const CaptureGrpcService&) = delete;
  CaptureGrpcService& operator=(const CaptureGrpcService&) = delete;

  grpc::Status RecordTurn(grpc::ServerContext* context,
                          const v1::RecordTurnRequest* request,
                          v1::RecordTurnResponse* response) override;
  // One response per request, in order. A turn that fails is answered in
  // place (error_code, error_message) and the stream goes on.
  grpc::Status StreamTurns(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::RecordTurnResponse, v1::RecordTurnRequest>*
          stream) override;
  grpc::Status GetStats(grpc::ServerContext* context,
                        const v1::GetStatsRequest* request,
                        v1::GetStatsResponse* response) override;
  grpc::Status ListExamples(grpc::ServerContext* context,
                            const v1::ListExamplesRequest* request,
                            v1::ListExamplesResponse* response) override;
  grpc::Status RecordFeedback(grpc::ServerContext* context,
                              const v1::RecordFeedbackRequest* request,
                              v1::RecordFeedbackResponse* response) override;
  grpc::Status ReviewExample(grpc::ServerContext* context,
                             const v1::ReviewExampleRequest* request,
                             v1::ReviewExampleResponse* response) override;
  // Streams until done or until the client cancels.
  grpc::Status ExportExamples(grpc::ServerContext* context,
                              const v1::ExportExamplesRequest* request,
                              grpc::ServerWriter<v1::Example>* writer) override;
  grpc::Status ImportExamples(grpc::ServerContext* context,
                              const v1::ImportExamplesRequest* request,
                              v1::ImportExamplesResponse* response) override;

 private:
  CaptureService* const service_;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SERVER_CAPTURE_GRPC_SERVICE_H_
