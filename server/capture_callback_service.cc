#include "server/capture_callback_service.h"

#include <thread>
#include <utility>

#include "server/grpc_status.h"
#include "server/raw_messages.h"
#include "server/reused_messages.h"
#include "server/rpc_answers.h"
#include "src/util/mutex.h"

namespace ftcapture {
namespace {

using Bytes = grpc::ByteBuffer;

// Finishes `reactor` with an OK result serialized into `*response`, or
// with the error.
template <typename Response>
void FinishWith(grpc::ServerUnaryReactor* reactor,
                absl::StatusOr<Response> result, Bytes* response) {
  grpc::Status status = result.ok() ? SerializeMessage(*result, response)
                                    : ToGrpcStatus(result.status());
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
class ExportReactor final : public grpc::ServerWriteReactor<Bytes> {
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
  // client is gone (or, beyond 2 GB, it does not serialize).
  bool Write(const v1::Example& example) {
    MutexLock lock(&mu_);
    if (!SerializeMessage(example, &current_).ok()) return false;
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
  Bytes current_ ABSL_GUARDED_BY(mu_);
  std::thread exporter_;
};

// A unary call answered already (inline, or refused).
grpc::ServerUnaryReactor* Answered(grpc::CallbackServerContext* context,
                                   grpc::Status status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(std::move(status));
  return reactor;
}

// A unary call answered inline by `answer`, from the request parsed out of
// `request`.
template <typename Request, typename Response>
grpc::ServerUnaryReactor* AnswerInline(RpcAnswer<Request, Response> answer,
                                       const RpcContext& rpc,
                                       grpc::CallbackServerContext* context,
                                       const Bytes& request, Bytes* response) {
  Request parsed;
  grpc::Status status = ParseRequest(request, &parsed);
  if (!status.ok()) return Answered(context, std::move(status));
  Response answer_message;
  status = answer(rpc, *context, parsed, &answer_message);
  if (status.ok()) status = SerializeMessage(answer_message, response);
  return Answered(context, std::move(status));
}

// An ExportExamples call refused before it starts (its request does not
// parse).
class RefusedExport final : public grpc::ServerWriteReactor<Bytes> {
 public:
  explicit RefusedExport(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

CaptureCallbackService::CaptureCallbackService(CaptureService* service,
                                               CallPolicy* policy,
                                               TurnStreams* streams)
    : service_(service), policy_(policy), streams_(streams) {}

grpc::ServerUnaryReactor* CaptureCallbackService::RecordTurn(
    grpc::CallbackServerContext* context, const Bytes* request,
    Bytes* response) {
  absl::StatusOr<Caller> caller =
      policy_->Admit(*context, RequiredRole::kIngest);
  if (!caller.ok()) return Answered(context, ToGrpcStatus(caller.status()));
  // Parsed onto a reused arena; the library needs the turn only during the
  // call.
  auto* turn_request = ReusedMessage<v1::RecordTurnRequest>::Take();
  if (grpc::Status parsed = ParseRequest(*request, turn_request->message());
      !parsed.ok()) {
    turn_request->Release();
    return Answered(context, std::move(parsed));
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  RecordTurnForCaller(
      service_, policy_, *caller, turn_request->message()->turn(),
      [reactor, response](absl::StatusOr<v1::RecordTurnResponse> result) {
        FinishWith(reactor, std::move(result), response);
      });
  turn_request->Release();
  return reactor;
}

grpc::ServerBidiReactor<Bytes, Bytes>* CaptureCallbackService::StreamTurns(
    grpc::CallbackServerContext* context) {
  return streams_->Open(context);
}

grpc::ServerUnaryReactor* CaptureCallbackService::GetStats(
    grpc::CallbackServerContext* context, const Bytes* request,
    Bytes* response) {
  return AnswerInline(AnswerGetStats, rpc(), context, *request, response);
}

grpc::ServerUnaryReactor* CaptureCallbackService::ListExamples(
    grpc::CallbackServerContext* context, const Bytes* request,
    Bytes* response) {
  return AnswerInline(AnswerListExamples, rpc(), context, *request, response);
}

grpc::ServerUnaryReactor* CaptureCallbackService::RecordFeedback(
    grpc::CallbackServerContext* context, const Bytes* request,
    Bytes* response) {
  v1::RecordFeedbackRequest feedback;
  grpc::Status admitted = ParseRequest(*request, &feedback);
  if (admitted.ok()) admitted = AdmitFeedback(rpc(), *context, feedback);
  if (!admitted.ok()) return Answered(context, std::move(admitted));
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  service_->RecordFeedbackAsync(
      feedback,
      [reactor, response](absl::StatusOr<v1::RecordFeedbackResponse> result) {
        FinishWith(reactor, std::move(result), response);
      });
  return reactor;
}

grpc::ServerUnaryReactor* CaptureCallbackService::ReviewExample(
    grpc::CallbackServerContext* context, const Bytes* request,
    Bytes* response) {
  return AnswerInline(AnswerReviewExample, rpc(), context, *request, response);
}

grpc::ServerWriteReactor<Bytes>* CaptureCallbackService::ExportExamples(
    grpc::CallbackServerContext* context, const Bytes* request) {
  v1::ExportExamplesRequest export_request;
  grpc::Status parsed = ParseRequest(*request, &export_request);
  if (!parsed.ok()) return new RefusedExport(std::move(parsed));
  return new ExportReactor(rpc(), context, export_request);
}

grpc::ServerUnaryReactor* CaptureCallbackService::ImportExamples(
    grpc::CallbackServerContext* context, const Bytes* request,
    Bytes* response) {
  return AnswerInline(AnswerImportExamples, rpc(), context, *request, response);
}

grpc::ServerUnaryReactor* CaptureCallbackService::DeleteExamples(
    grpc::CallbackServerContext* context, const Bytes* request,
    Bytes* response) {
  return AnswerInline(AnswerDeleteExamples, rpc(), context, *request, response);
}

}  // namespace ftcapture
