// The one way tests launch the real server binary (FTCAPTURE_SERVER_BIN).

#ifndef FTCAPTURE_TESTS_UTIL_SERVER_PROCESS_H_
#define FTCAPTURE_TESTS_UTIL_SERVER_PROCESS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/util/subprocess.h"

namespace ftcapture {

// A running ftcapture-server on a fresh loopback port (--listen=127.0.0.1:0),
// started and known to listen. Its stderr goes to `stderr_path` (truncated
// at start); the destructor SIGKILLs and reaps a server still running.
class ServerProcess {
 public:
  // Runs `server_bin` (the ftcapture-server to test) with --listen, then
  // --data_dir=`data_dir`, then `extra_flags`, and waits for its "listening
  // on <address>" line; sanitized servers start several times slower than
  // the default `start_timeout` needs. The error carries the server's stderr
  // when it never listened.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const std::string& server_bin, const std::string& data_dir,
      const std::string& stderr_path,
      const std::vector<std::string>& extra_flags = {},
      absl::Duration start_timeout = absl::Seconds(60));

  // "127.0.0.1:<port>": where it listens.
  const std::string& address() const { return address_; }
  // The whole "ftcapture-server listening on ..." line.
  const std::string& listening_line() const { return listening_line_; }
  // What the server wrote to stderr so far.
  std::string Stderr() const;

  absl::Status Signal(int signal_number) {
    return process_->Signal(signal_number);
  }
  // Sends `signal_number` and waits for the server to end; its exit code,
  // or 128 + signal when a signal ended it.
  absl::StatusOr<int> Stop(int signal_number,
                           absl::Duration timeout = absl::Seconds(30));

 private:
  ServerProcess(std::unique_ptr<Subprocess> process, std::string stderr_path)
      : process_(std::move(process)), stderr_path_(std::move(stderr_path)) {}

  std::unique_ptr<Subprocess> process_;
  const std::string stderr_path_;
  std::string listening_line_;
  std::string address_;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_TESTS_UTIL_SERVER_PROCESS_H_
