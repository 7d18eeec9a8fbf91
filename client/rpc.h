#ifndef FTCAPTURE_CLIENT_RPC_H_
#define FTCAPTURE_CLIENT_RPC_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/command.h"
#include "ftcapture/v1/capture.grpc.pb.h"

namespace ftcapture {

// How long a unary call from the CLI may take.
inline constexpr absl::Duration kUnaryRpcTimeout = absl::Seconds(60);

// A stub for `connection.server`: plaintext, or TLS when a CA or client
// certificate is given; every call carries `authorization: Bearer TOKEN`
// when a token is. Responses of any size are accepted: a page of examples
// can be large. A TLS file that cannot be read makes every call fail
// with its name.
std::unique_ptr<v1::CaptureService::Stub> NewCaptureStub(
    const ServerConnection& connection);

// Fills the TLS and token parts of `connection` from the files named by
// its flags and $FTCAPTURE_TOKEN; `token_file` wins over the variable.
absl::Status LoadConnectionSecrets(const std::string& token_file,
                                   ServerConnection* connection);

// A context for one unary call, with kUnaryRpcTimeout as its deadline.
std::unique_ptr<grpc::ClientContext> NewUnaryContext();

// The RPC's failure as an absl::Status with the same code, its message
// saying which call failed against which server, e.g.
// "GetStats on 127.0.0.1:50051: UNAVAILABLE: failed to connect ...".
absl::Status RpcError(absl::string_view rpc, absl::string_view server,
                      const grpc::Status& status);

}  // namespace ftcapture

#endif  // FTCAPTURE_CLIENT_RPC_H_
