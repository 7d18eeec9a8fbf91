#include "tests/util/raw_call.h"

#include <grpcpp/generic/generic_stub.h>

#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ftcapture {

absl::StatusOr<std::string> CallUnaryRaw(
    const std::shared_ptr<grpc::Channel>& channel, absl::string_view method,
    absl::string_view request) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  grpc::CompletionQueue queue;
  grpc::Slice slice(request.data(), request.size());
  grpc::ByteBuffer request_bytes(&slice, 1);
  auto call = stub.PrepareUnaryCall(&context, std::string(method),
                                    request_bytes, &queue);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  if (!queue.Next(&tag, &ok) || !ok) return absl::UnknownError("no answer");
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        status.error_message());
  }
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return absl::UnknownError("bad response");
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return bytes;
}

}  // namespace ftcapture
