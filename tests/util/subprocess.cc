#include "tests/util/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ftcapture {
namespace {

absl::Status ErrnoError(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

int MillisLeft(absl::Time deadline) {
  int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
  return ms < 0 ? 0 : static_cast<int>(std::min<int64_t>(ms, 1000));
}

// Forks and execs `argv` with the given descriptors as stdin/out/err
// (-1: /dev/null). Only async-signal-safe calls after fork().
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, int in_fd,
                            int out_fd, int err_fd) {
  std::vector<char*> args;
  for (const std::string& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) return ErrnoError("open /dev/null");
  pid_t pid = fork();
  if (pid < 0) {
    close(null_fd);
    return ErrnoError("fork");
  }
  if (pid == 0) {
    dup2(in_fd >= 0 ? in_fd : null_fd, STDIN_FILENO);
    dup2(out_fd >= 0 ? out_fd : null_fd, STDOUT_FILENO);
    dup2(err_fd >= 0 ? err_fd : null_fd, STDERR_FILENO);
    // The test binary may block signals; the child starts clean.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(null_fd);
  return pid;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(
    const std::vector<std::string>& argv, const std::string& stderr_path) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return ErrnoError("pipe");
  int err_fd =
      open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (err_fd < 0) {
    close(out[0]);
    close(out[1]);
    return ErrnoError(absl::StrCat("open ", stderr_path));
  }
  absl::StatusOr<pid_t> pid = Spawn(argv, -1, out[1], err_fd);
  close(out[1]);
  close(err_fd);
  if (!pid.ok()) {
    close(out[0]);
    return pid.status();
  }
  return std::unique_ptr<Subprocess>(new Subprocess(*pid, out[0]));
}

Subprocess::~Subprocess() {
  if (!reaped_) {
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
  close(stdout_fd_);
}

absl::StatusOr<std::string> Subprocess::WaitForLine(absl::string_view needle,
                                                    absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    size_t newline;
    while ((newline = buffered_.find('\n')) != std::string::npos) {
      std::string line = buffered_.substr(0, newline);
      buffered_.erase(0, newline + 1);
      if (absl::StrContains(line, needle)) return line;
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("no line with '", needle, "' on stdout"));
    }
    pollfd fd{stdout_fd_, POLLIN, 0};
    int ready = poll(&fd, 1, MillisLeft(deadline));
    if (ready < 0 && errno != EINTR) return ErrnoError("poll");
    if (ready <= 0) continue;
    char chunk[4096];
    ssize_t n = read(stdout_fd_, chunk, sizeof(chunk));
    if (n < 0 && errno != EINTR) return ErrnoError("read");
    if (n == 0) {
      return absl::NotFoundError(
          absl::StrCat("stdout closed before a line with '", needle, "'"));
    }
    if (n > 0) buffered_.append(chunk, static_cast<size_t>(n));
  }
}

absl::Status Subprocess::Signal(int signal_number) {
  if (reaped_) return absl::FailedPreconditionError("process already ended");
  if (kill(pid_, signal_number) != 0) return ErrnoError("kill");
  return absl::OkStatus();
}

absl::StatusOr<int> Subprocess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status;
    pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      reaped_ = true;
      return ExitCodeOf(status);
    }
    if (done < 0 && errno != EINTR) return ErrnoError("waitpid");
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError("process still running");
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

absl::StatusOr<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                         absl::string_view input,
                                         absl::Duration timeout) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0) return ErrnoError("pipe");
  if (pipe2(out, O_CLOEXEC) != 0) return ErrnoError("pipe");
  if (pipe2(err, O_CLOEXEC) != 0) return ErrnoError("pipe");
  absl::StatusOr<pid_t> pid = Spawn(argv, in[0], out[1], err[1]);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (!pid.ok()) {
    close(in[1]);
    close(out[0]);
    close(err[0]);
    return pid.status();
  }
  // Writing to a child that exited must not kill the test with SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  fcntl(in[1], F_SETFL, O_NONBLOCK);

  ProcessResult result;
  size_t written = 0;
  int in_fd = in[1];
  if (input.empty()) {
    close(in_fd);
    in_fd = -1;
  }
  int out_fd = out[0], err_fd = err[0];
  const absl::Time deadline = absl::Now() + timeout;
  bool timed_out = false;
  while (out_fd >= 0 || err_fd >= 0) {
    if (absl::Now() >= deadline) {
      timed_out = true;
      break;
    }
    pollfd fds[3] = {
        {out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}, {in_fd, POLLOUT, 0}};
    int ready = poll(fds, 3, MillisLeft(deadline));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      int* fd = i == 0 ? &out_fd : &err_fd;
      if (*fd < 0 || fds[i].revents == 0) continue;
      char chunk[4096];
      ssize_t n = read(*fd, chunk, sizeof(chunk));
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(chunk, n);
      } else if (n == 0 || errno != EINTR) {
        close(*fd);
        *fd = -1;
      }
    }
    if (in_fd >= 0 && fds[2].revents != 0) {
      ssize_t n = write(in_fd, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
          written == input.size()) {
        close(in_fd);
        in_fd = -1;
      }
    }
  }
  for (int fd : {in_fd, out_fd, err_fd}) {
    if (fd >= 0) close(fd);
  }
  if (timed_out) kill(*pid, SIGKILL);
  int status;
  while (waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat(argv[0], " did not finish within ",
                     absl::FormatDuration(timeout), "; stderr: ", result.err));
  }
  result.exit_code = ExitCodeOf(status);
  return result;
}

}  // namespace ftcapture
