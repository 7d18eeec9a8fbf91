#include "server/rpc_answers.h"

#include <utility>

namespace ftcapture {
namespace {

// Imported examples wait for a review here whatever the source said.
void MakePending(v1::ImportExamplesRequest& request) {
  for (v1::Example& example : *request.mutable_examples()) {
    example.set_status(v1::REVIEW_STATUS_PENDING);
    example.clear_review_note();
    example.clear_reviewed_at();
  }
}

// Admits a caller with role `need` whose request carries `note`.
grpc::Status AdmitWithNote(const RpcContext& rpc,
                           const grpc::ServerContextBase& context,
                           RequiredRole need, absl::string_view note) {
  absl::StatusOr<Caller> caller = rpc.policy->Admit(context, need);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  return ToGrpcStatus(rpc.policy->CheckNote("note", note));
}

}  // namespace

grpc::Status AnswerGetStats(const RpcContext& rpc,
                            const grpc::ServerContextBase& context,
                            const v1::GetStatsRequest& /*request*/,
                            v1::GetStatsResponse* response) {
  absl::StatusOr<Caller> caller =
      rpc.policy->Admit(context, RequiredRole::kAnyRole);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  grpc::Status status = Reply(rpc.service->GetStats(), response);
  if (!caller->MayRead()) response->clear_recent_examples();
  response->set_open_turn_streams(rpc.streams->open_streams());
  return status;
}

grpc::Status AnswerListExamples(const RpcContext& rpc,
                                const grpc::ServerContextBase& context,
                                const v1::ListExamplesRequest& request,
                                v1::ListExamplesResponse* response) {
  absl::StatusOr<Caller> caller =
      rpc.policy->Admit(context, RequiredRole::kRead);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  return Reply(rpc.service->ListExamples(request), response);
}

grpc::Status AdmitFeedback(const RpcContext& rpc,
                           const grpc::ServerContextBase& context,
                           const v1::RecordFeedbackRequest& request) {
  return AdmitWithNote(rpc, context, RequiredRole::kIngest, request.note());
}

grpc::Status AnswerReviewExample(const RpcContext& rpc,
                                 const grpc::ServerContextBase& context,
                                 const v1::ReviewExampleRequest& request,
                                 v1::ReviewExampleResponse* response) {
  grpc::Status admitted =
      AdmitWithNote(rpc, context, RequiredRole::kAdmin, request.note());
  if (!admitted.ok()) return admitted;
  return Reply(rpc.service->ReviewExample(request), response);
}

grpc::Status AnswerExportExamples(
    const RpcContext& rpc, const grpc::ServerContextBase& context,
    const v1::ExportExamplesRequest& request,
    const std::function<bool(const v1::Example&)>& write) {
  absl::StatusOr<Caller> caller =
      rpc.policy->Admit(context, RequiredRole::kRead);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  bool cancelled = false;
  absl::Status status = rpc.service->ExportExamples(
      request, [&context, &write, &cancelled](const v1::Example& example) {
        cancelled = context.IsCancelled() || !write(example);
        return !cancelled;
      });
  if (!status.ok()) return ToGrpcStatus(status);
  if (cancelled || context.IsCancelled()) {
    return grpc::Status(grpc::StatusCode::CANCELLED, "export cancelled");
  }
  return grpc::Status::OK;
}

grpc::Status AnswerImportExamples(const RpcContext& rpc,
                                  const grpc::ServerContextBase& context,
                                  const v1::ImportExamplesRequest& request,
                                  v1::ImportExamplesResponse* response) {
  absl::StatusOr<Caller> caller =
      rpc.policy->Admit(context, RequiredRole::kAdmin);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (request.keep_review_status() && caller->IsAdmin()) {
    return Reply(rpc.service->ImportExamples(request), response);
  }
  v1::ImportExamplesRequest pending = request;
  MakePending(pending);
  return Reply(rpc.service->ImportExamples(pending), response);
}

grpc::Status AnswerDeleteExamples(const RpcContext& rpc,
                                  const grpc::ServerContextBase& context,
                                  const v1::DeleteExamplesRequest& request,
                                  v1::DeleteExamplesResponse* response) {
  absl::StatusOr<Caller> caller =
      rpc.policy->Admit(context, RequiredRole::kAdmin);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  return Reply(rpc.service->DeleteExamples(request), response);
}

}  // namespace ftcapture
