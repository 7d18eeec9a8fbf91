#include "server/capture_callback_service.h"

#include <thread>
#include <utility>

#include "server/grpc_status.h"
#include "server/rpc_answers.h"
#include "src/util/mutex.h"

namespace ftcapture {
namespace {

// Finishes `reactor` with an OK result moved into `*response`, or with the
// error.
template <typename Response>
void FinishWith(grpc::ServerUnaryReactor* reactor,
                absl::StatusOr<Response> result, Response* response) {
  grpc::Status status = Reply(std::move(result), response);
  // The answer may be written on another thread than the one gRPC sends
  // and frees it on.
  HandoffReleased(response);
  reactor->Finish(std::move(status));
}

// One ExportExamples call. The library pushes examples one at a time from a
// thread of the call's own (the export reads the dataset from disk); each
// waits there until gRPC has taken the previous one, so a slow client holds
// that thread and no more than one example in memory.
//
// Invariants: at most one write outstanding (`writing_`); Finish is called
// once, by the export thread, as its last use of the reactor; OnDone (after
// it) joins that thread and deletes the reactor.
class ExportReactor final : public grpc::ServerWriteReactor<v1::Example> {
 public:
  ExportReactor(const RpcContext& rpc, grpc::CallbackServerContext* context,
                const v1::ExportExamplesRequest& request)
      : rpc_(rpc), context_(context), request_(request) {
    exporter_ = std::thread([this] { Run(); });
    // gRPC calls OnWriteDone and OnDone on its own threads, ordered after
    // this and after StartWrite and Finish inside libgrpc, where TSan cannot
    // see (see HandoffReleased).
    HandoffReleased(this);
  }

  void OnWriteDone(bool ok) override {
    HandoffScope reaction(this);
    MutexLock lock(&mu_);
    writing_ = false;
    failed_ = failed_ || !ok;
    written_.Signal();
  }

  void OnDone() override {
    HandoffAcquired(this);
    // Finish is the export thread's last use of the reactor.
    if (exporter_.get_id() == std::this_thread::get_id()) {
      exporter_.detach();
    } else {
      exporter_.join();
    }
    delete this;
  }

 private:
  void Run() {
    grpc::Status status = AnswerExportExamples(
        rpc_, *context_, request_,
        [this](const v1::Example& example) { return Write(example); });
    HandoffReleased(this);
    Finish(std::move(status));
  }

  // Hands `example` to gRPC and waits until it is written; false when the
  // client is gone.
  bool Write(const v1::Example& example) {
    MutexLock lock(&mu_);
    current_ = example;
    writing_ = true;
    HandoffReleased(this);
    StartWrite(&current_);
    while (writing_) written_.Wait(&mu_);
    return !failed_;
  }

  const RpcContext rpc_;
  grpc::CallbackServerContext* const context_;
  const v1::ExportExamplesRequest request_;
  Mutex mu_;
  CondVar written_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
  v1::Example current_ ABSL_GUARDED_BY(mu_);
  std::thread exporter_;
};

// A unary call answered already (inline, or refused).
grpc::ServerUnaryReactor* Answered(grpc::CallbackServerContext* context,
                                   grpc::Status status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(std::move(status));
  return reactor;
}

}  // namespace

CaptureCallbackService::CaptureCallbackService(CaptureService* service,
                                               CallPolicy* policy,
                                               TurnStreams* streams)
    : service_(service), policy_(policy), streams_(streams) {
  SetMessageAllocatorFor_RecordTurn(&turn_messages_);
}

grpc::ServerUnaryReactor* CaptureCallbackService::RecordTurn(
    grpc::CallbackServerContext* context, const v1::RecordTurnRequest* request,
    v1::RecordTurnResponse* response) {
  HandoffReleased(request);  // parsed here; freed on another thread
  absl::StatusOr<Caller> caller =
      policy_->Admit(*context, RequiredRole::kIngest);
  if (!caller.ok()) return Answered(context, ToGrpcStatus(caller.status()));
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  RecordTurnForCaller(
      service_, policy_, *caller, request->turn(),
      [reactor, response](absl::StatusOr<v1::RecordTurnResponse> result) {
        FinishWith(reactor, std::move(result), response);
      });
  return reactor;
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>*
CaptureCallbackService::StreamTurns(grpc::CallbackServerContext* context) {
  return streams_->Open(context);
}

grpc::ServerUnaryReactor* CaptureCallbackService::GetStats(
    grpc::CallbackServerContext* context,
    const v1::GetStatsRequest* /*request*/, v1::GetStatsResponse* response) {
  return Answered(context, AnswerGetStats({service_, policy_, streams_},
                                          *context, response));
}

grpc::ServerUnaryReactor* CaptureCallbackService::ListExamples(
    grpc::CallbackServerContext* context,
    const v1::ListExamplesRequest* request,
    v1::ListExamplesResponse* response) {
  return Answered(context, AnswerListExamples({service_, policy_, streams_},
                                              *context, *request, response));
}

grpc::ServerUnaryReactor* CaptureCallbackService::RecordFeedback(
    grpc::CallbackServerContext* context,
    const v1::RecordFeedbackRequest* request,
    v1::RecordFeedbackResponse* response) {
  grpc::Status admitted =
      AdmitFeedback({service_, policy_, streams_}, *context, *request);
  if (!admitted.ok()) return Answered(context, std::move(admitted));
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  service_->RecordFeedbackAsync(
      *request,
      [reactor, response](absl::StatusOr<v1::RecordFeedbackResponse> result) {
        FinishWith(reactor, std::move(result), response);
      });
  return reactor;
}

grpc::ServerUnaryReactor* CaptureCallbackService::ReviewExample(
    grpc::CallbackServerContext* context,
    const v1::ReviewExampleRequest* request,
    v1::ReviewExampleResponse* response) {
  return Answered(context, AnswerReviewExample({service_, policy_, streams_},
                                               *context, *request, response));
}

grpc::ServerWriteReactor<v1::Example>* CaptureCallbackService::ExportExamples(
    grpc::CallbackServerContext* context,
    const v1::ExportExamplesRequest* request) {
  return new ExportReactor({service_, policy_, streams_}, context, *request);
}

grpc::ServerUnaryReactor* CaptureCallbackService::ImportExamples(
    grpc::CallbackServerContext* context,
    const v1::ImportExamplesRequest* request,
    v1::ImportExamplesResponse* response) {
  return Answered(context, AnswerImportExamples({service_, policy_, streams_},
                                                *context, *request, response));
}

grpc::ServerUnaryReactor* CaptureCallbackService::DeleteExamples(
    grpc::CallbackServerContext* context,
    const v1::DeleteExamplesRequest* request,
    v1::DeleteExamplesResponse* response) {
  return Answered(context, AnswerDeleteExamples({service_, policy_, streams_},
                                                *context, *request, response));
}

}  // namespace ftcapture
