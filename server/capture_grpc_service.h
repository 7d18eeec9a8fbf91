#ifndef FTCAPTURE_SERVER_CAPTURE_GRPC_SERVICE_H_
#define FTCAPTURE_SERVER_CAPTURE_GRPC_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include "ftcapture/v1/capture.grpc.pb.h"
#include "server/call_policy.h"
#include "server/rpc_answers.h"
#include "server/turn_stream.h"
#include "src/service/capture_service.h"

namespace ftcapture {

// The gRPC face of CaptureService on the synchronous API
// (--grpc_api=sync; see CaptureCallbackService for the default). It
// translates: requests go to the
// library as they are, absl::Status comes back as the grpc::Status with the
// same code and message. Before that, every handler asks `policy` whether
// the caller may make the call (token, role, rates, note sizes) and does
// nothing else when it may not. StreamTurns uses the callback API (see
// TurnStreams); the rest the synchronous one. It holds no lock of its own,
// so every handler runs concurrently; `service`, `policy` and `streams`
// must outlive it.
class CaptureGrpcService final
    : public v1::CaptureService::WithRawCallbackMethod_StreamTurns<
          v1::CaptureService::Service> {
 public:
  CaptureGrpcService(CaptureService* service, CallPolicy* policy,
                     TurnStreams* streams);

  CaptureGrpcService(const CaptureGrpcService&) = delete;
  CaptureGrpcService& operator=(const CaptureGrpcService&) = delete;

  grpc::Status RecordTurn(grpc::ServerContext* context,
                          const v1::RecordTurnRequest* request,
                          v1::RecordTurnResponse* response) override;
  // One response per request, in order. A turn that fails is answered in
  // place (error_code, error_message) and the stream goes on; so is a
  // request that does not even parse (INVALID_ARGUMENT naming its place in
  // the stream). Requests arrive as raw bytes for that: the generated
  // handler would end the stream at such a request, with OK.
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* StreamTurns(
      grpc::CallbackServerContext* context) override;
  // Open to every role; without the read role, recent_examples (example
  // content) is left out.
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
  // Imported examples are stored PENDING unless an admin caller sets
  // keep_review_status.
  grpc::Status ImportExamples(grpc::ServerContext* context,
                              const v1::ImportExamplesRequest* request,
                              v1::ImportExamplesResponse* response) override;
  // Erasure: admin only (the anonymous admin without --auth_tokens).
  grpc::Status DeleteExamples(grpc::ServerContext* context,
                              const v1::DeleteExamplesRequest* request,
                              v1::DeleteExamplesResponse* response) override;

 private:
  RpcContext rpc() const { return RpcContext{service_, policy_, streams_}; }

  CaptureService* const service_;
  CallPolicy* const policy_;
  TurnStreams* const streams_;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SERVER_CAPTURE_GRPC_SERVICE_H_
