#ifndef FTCAPTURE_TESTS_UTIL_SUBPROCESS_H_
#define FTCAPTURE_TESTS_UTIL_SUBPROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ftcapture {

// A child process (fork + execv) whose stdout is a pipe read line by line
// and whose stderr goes to a file. The destructor SIGKILLs and reaps a child
// still running, so a failing test leaves no process behind.
class Subprocess {
 public:
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(
      const std::vector<std::string>& argv, const std::string& stderr_path);
  ~Subprocess();

  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  // Reads stdout until a line containing `needle` arrives and returns it
  // (without the newline). DeadlineExceeded after `timeout`; NotFound when
  // the child closes stdout first.
  absl::StatusOr<std::string> WaitForLine(absl::string_view needle,
                                          absl::Duration timeout);

  absl::Status Signal(int signal_number);

  // Waits for the child to end; its exit code, or 128 + signal when a
  // signal ended it. DeadlineExceeded after `timeout` (the child keeps
  // running).
  absl::StatusOr<int> Wait(absl::Duration timeout);

 private:
  Subprocess(pid_t pid, int stdout_fd) : pid_(pid), stdout_fd_(stdout_fd) {}

  pid_t pid_;
  int stdout_fd_;
  bool reaped_ = false;
  std::string buffered_;  // stdout read but not yet returned
};

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when a signal ended it
  std::string out;
  std::string err;
};

// Runs `argv` to completion with `input` on its stdin and collects its
// output; kills it and returns DeadlineExceeded after `timeout`.
absl::StatusOr<ProcessResult> RunProcess(
    const std::vector<std::string>& argv, absl::string_view input = "",
    absl::Duration timeout = absl::Seconds(60));

}  // namespace ftcapture

#endif  // FTCAPTURE_TESTS_UTIL_SUBPROCESS_H_
