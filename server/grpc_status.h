#ifndef FTCAPTURE_SERVER_GRPC_STATUS_H_
#define FTCAPTURE_SERVER_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace ftcapture {

// absl and gRPC share the canonical status codes, number for number; the
// code and message pass through unchanged.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace ftcapture

#endif  // FTCAPTURE_SERVER_GRPC_STATUS_H_
