#ifndef FTCAPTURE_SERVER_SERVER_SECURITY_H_
#define FTCAPTURE_SERVER_SERVER_SECURITY_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ftcapture {

struct TlsFiles {
  std::string cert;       // PEM certificate chain; empty: plaintext
  std::string key;        // PEM private key
  std::string client_ca;  // PEM CA bundle; set: clients need a certificate
  absl::Duration reload_interval = absl::Seconds(10);
};

// Plaintext credentials when `files.cert` is empty, else TLS (mTLS with a
// client CA) whose certificates gRPC's file watcher re-reads every
// reload_interval, so a renewed certificate is served without a restart.
// Fails (naming the file) when a file cannot be read or is not PEM, rather
// than starting a server whose every handshake would fail.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files);

// Whether `listen` (host:port or unix:PATH) only accepts connections from
// this machine: 127.0.0.0/8, ::1, localhost or a Unix socket.
bool IsLoopbackAddress(absl::string_view listen);

// Which addresses a flag may name.
enum class AddressKinds { kHostPort, kHostPortOrUnix };

// OK when `address` is HOST:PORT with a port of 0..65535 (0 picks a free
// port), an IPv6 host in brackets ([::1]:PORT), or with kHostPortOrUnix
// unix:PATH or unix-abstract:NAME; else INVALID_ARGUMENT naming `flag` and
// the forms. Checked before listening because gRPC takes a port above
// 65535 modulo 65536 and the host is resolved only then.
absl::Status CheckListenAddress(absl::string_view flag,
                                absl::string_view address, AddressKinds kinds);

}  // namespace ftcapture

#endif  // FTCAPTURE_SERVER_SERVER_SECURITY_H_
