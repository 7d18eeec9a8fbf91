#include "server/grpc_status.h"

#include <string>

namespace ftcapture {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  int code = status.raw_code();
  // gRPC defines codes 0..16; anything else would be a bug upstream.
  if (code < 0 || code > grpc::StatusCode::UNAUTHENTICATED) {
    code = grpc::StatusCode::UNKNOWN;
  }
  return grpc::Status(static_cast<grpc::StatusCode>(code),
                      std::string(status.message()));
}

}  // namespace ftcapture
