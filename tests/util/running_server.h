// The built ftcapture-server on a free loopback port, for tests that talk
// to it over gRPC with their own credentials.

#ifndef FTCAPTURE_TESTS_UTIL_RUNNING_SERVER_H_
#define FTCAPTURE_TESTS_UTIL_RUNNING_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/util/subprocess.h"

namespace ftcapture {

class RunningServer {
 public:
  // Runs FTCAPTURE_SERVER_BIN --listen=127.0.0.1:0 plus `flags`, its stderr
  // in `stderr_path`, and waits until it serves. On failure the status
  // carries the server's stderr.
  static absl::StatusOr<std::unique_ptr<RunningServer>> Start(
      const std::vector<std::string>& flags, const std::string& stderr_path);

  // host:port it listens on.
  const std::string& address() const { return address_; }
  std::string port() const { return address_.substr(address_.rfind(':') + 1); }
  Subprocess& process() { return *process_; }
  std::string Stderr() const;

 private:
  RunningServer(std::unique_ptr<Subprocess> process, std::string address,
                std::string stderr_path)
      : process_(std::move(process)),
        address_(std::move(address)),
        stderr_path_(std::move(stderr_path)) {}

  std::unique_ptr<Subprocess> process_;
  std::string address_;
  std::string stderr_path_;
};

// The whole of a (small) file, or "" when it cannot be read.
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace ftcapture

#endif  // FTCAPTURE_TESTS_UTIL_RUNNING_SERVER_H_
