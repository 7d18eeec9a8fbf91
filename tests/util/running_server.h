// The built ftcapture-server on a free loopback port: the one way tests
// launch the real server (end-to-end, CLI, crash, TLS, access control...).

#ifndef FTCAPTURE_TESTS_UTIL_RUNNING_SERVER_H_
#define FTCAPTURE_TESTS_UTIL_RUNNING_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/util/subprocess.h"
#include "tests/util/text_files.h"  // ReadFileOrEmpty, for callers

namespace ftcapture {

class RunningServer {
 public:
  // Runs FTCAPTURE_SERVER_BIN --listen=127.0.0.1:0 plus `flags`, its stderr
  // in `stderr_path`, and waits until it serves. On failure the status
  // carries the server's stderr. Sanitized servers start several times
  // slower than a plain build.
  static absl::StatusOr<std::unique_ptr<RunningServer>> Start(
      const std::vector<std::string>& flags, const std::string& stderr_path,
      absl::Duration start_timeout = absl::Seconds(60));

  // host:port it listens on.
  const std::string& address() const { return address_; }
  // The whole "ftcapture-server listening on ... data_dir=..." line.
  const std::string& listening_line() const { return listening_line_; }
  std::string port() const { return address_.substr(address_.rfind(':') + 1); }
  Subprocess& process() { return *process_; }
  std::string Stderr() const;

  // Sends `signal_number` and waits for the server to end; its exit code,
  // or 128 + signal when a signal ended it.
  absl::StatusOr<int> Stop(int signal_number,
                           absl::Duration timeout = absl::Seconds(30));

 private:
  RunningServer(std::unique_ptr<Subprocess> process, std::string line,
                std::string address, std::string stderr_path)
      : process_(std::move(process)),
        listening_line_(std::move(line)),
        address_(std::move(address)),
        stderr_path_(std::move(stderr_path)) {}

  std::unique_ptr<Subprocess> process_;
  std::string listening_line_;
  std::string address_;
  std::string stderr_path_;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_TESTS_UTIL_RUNNING_SERVER_H_
