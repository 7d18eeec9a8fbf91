#include "client/rpc.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ftcapture {

std::unique_ptr<v1::CaptureService::Stub> NewCaptureStub(
    const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  return v1::CaptureService::NewStub(grpc::CreateCustomChannel(
      address, grpc::InsecureChannelCredentials(), args));
}

std::unique_ptr<grpc::ClientContext> NewUnaryContext() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + kUnaryRpcTimeout));
  return context;
}

void SetSessionMetadata(grpc::ClientContext* context,
                        absl::string_view session_id) {
  if (session_id.empty()) return;
  context->AddMetadata(kSessionIdMetadataKey, std::string(session_id));
}

std::unique_ptr<grpc::ClientContext> NewSessionContext(
    absl::string_view session_id) {
  std::unique_ptr<grpc::ClientContext> context = NewUnaryContext();
  SetSessionMetadata(context.get(), session_id);
  return context;
}

absl::Status RpcError(absl::string_view rpc, absl::string_view server,
                      const grpc::Status& status) {
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  return absl::Status(code, absl::StrCat(rpc, " on ", server, ": ",
                                         absl::StatusCodeToString(code), ": ",
                                         status.error_message()));
}

}  // namespace ftcapture
