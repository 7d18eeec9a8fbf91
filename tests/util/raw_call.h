// One unary call with the request as raw bytes, through a generic stub: for
// requests a typed stub cannot send (bytes that do not parse) and services
// whose protos this build lacks (health, reflection).

#ifndef FTCAPTURE_TESTS_UTIL_RAW_CALL_H_
#define FTCAPTURE_TESTS_UTIL_RAW_CALL_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ftcapture {

// Calls `method` ("/package.Service/Method") on `channel` with `request` as
// it is; the response's bytes, or the call's status with its gRPC code and
// message (30 s deadline).
absl::StatusOr<std::string> CallUnaryRaw(
    const std::shared_ptr<grpc::Channel>& channel, absl::string_view method,
    absl::string_view request);

}  // namespace ftcapture

#endif  // FTCAPTURE_TESTS_UTIL_RAW_CALL_H_
