#ifndef FTCAPTURE_CLIENT_COMMAND_H_
#define FTCAPTURE_CLIENT_COMMAND_H_

#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "client/flag_set.h"

namespace ftcapture {

// How to reach the server: the global flags.
struct ServerConnection {
  std::string server;           // --server, host:port
  std::string tls_ca;           // --tls_ca: PEM CA; set (or tls_cert): TLS
  std::string tls_cert;         // --tls_cert: client certificate (mTLS)
  std::string tls_key;          // --tls_key: its private key
  std::string tls_server_name;  // --tls_server_name: name to verify
  std::string token;            // from --token_file or $FTCAPTURE_TOKEN
  // The contents of the TLS files, read by LoadConnectionSecrets().
  std::string tls_ca_pem, tls_cert_pem, tls_key_pem;
};

// What a command runs with: the global flags, its positional arguments and
// where to write.
struct CommandContext {
  std::string server;             // --server, host:port
  ServerConnection connection;    // server plus TLS and token
  std::vector<std::string> args;  // positional arguments after the command
  std::istream* in = nullptr;     // input (stdin)
  std::ostream* out = nullptr;    // results (stdout)
  std::ostream* err = nullptr;    // progress and diagnostics (stderr)
  bool err_is_tty = false;        // progress may be redrawn in place
};

// One `ftcapture <name>` subcommand. DefineFlags() binds the command's flags
// to its members before the command line is parsed; Run() is then called
// once. A non-OK status is printed by main and exits non-zero.
class Command {
 public:
  virtual ~Command() = default;

  virtual const char* name() const = 0;
  // What follows the name in usage, e.g. "FILE" or "[--json]".
  virtual const char* synopsis() const = 0;
  // One line for the command list.
  virtual const char* summary() const = 0;
  virtual void DefineFlags(FlagSet* /*flags*/) {}
  virtual absl::Status Run(const CommandContext& context) = 0;
};

// A mistake in how a command was called (its arguments, a missing or
// conflicting flag) rather than a failure of the command: main prints it
// with a pointer to the command's help and exits 2, as for a bad flag.
inline constexpr absl::string_view kUsageErrorPayload = "ftcapture/usage";
inline absl::Status UsageError(absl::string_view message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kUsageErrorPayload, absl::Cord("1"));
  return status;
}
inline bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsageErrorPayload).has_value();
}

}  // namespace ftcapture

#endif  // FTCAPTURE_CLIENT_COMMAND_H_
