#include "bench/durable_capture_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ftcapture {
namespace bench {
namespace {

constexpr int64_t kMaxPartBytes = int64_t{16} << 20;
constexpr size_t kFillerBytes = 64 << 10;

absl::Status ErrnoStatus(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

}  // namespace

std::string FormatCaptureBytes(const CaptureBytes& bytes) {
  return absl::StrCat(bytes.record, ",", bytes.markdown, ",", bytes.index);
}

absl::StatusOr<CaptureBytes> ParseCaptureBytes(absl::string_view text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, ',');
  int64_t values[3] = {0, 0, 0};
  bool ok = parts.size() == 3;
  for (size_t i = 0; ok && i < 3; ++i) {
    ok = absl::SimpleAtoi(parts[i], &values[i]) && values[i] >= 0 &&
         values[i] <= kMaxPartBytes;
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        kCaptureBytesHeader, " must be RECORD,MARKDOWN,INDEX in bytes, not '",
        text, "'"));
  }
  return CaptureBytes{values[0], values[1], values[2]};
}

absl::StatusOr<std::unique_ptr<DurableCaptureLog>> DurableCaptureLog::Open(
    const std::string& dir) {
  int fds[3] = {-1, -1, -1};
  const char* names[3] = {"records.bin", "markdown.bin", "index.bin"};
  for (int i = 0; i < 3; ++i) {
    const std::string path = absl::StrCat(dir, "/", names[i]);
    fds[i] = open(path.c_str(),
                  O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fds[i] < 0) {
      absl::Status status = ErrnoStatus(path);
      for (int j = 0; j < i; ++j) close(fds[j]);
      return status;
    }
  }
  return std::unique_ptr<DurableCaptureLog>(new DurableCaptureLog(fds));
}

DurableCaptureLog::DurableCaptureLog(const int fds[3])
    : record_fd_(fds[0]),
      markdown_fd_(fds[1]),
      index_fd_(fds[2]),
      filler_(kFillerBytes, 'x'),
      writer_([this] { WriterLoop(); }) {}

DurableCaptureLog::~DurableCaptureLog() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    queued_.Signal();
  }
  writer_.join();
  close(record_fd_);
  close(markdown_fd_);
  close(index_fd_);
}

void DurableCaptureLog::Append(const CaptureBytes& bytes, Done done) {
  MutexLock lock(&mu_);
  queue_.push_back(Pending{bytes, std::move(done)});
  queued_.Signal();
}

void DurableCaptureLog::WriterLoop() {
  std::vector<Pending> batch;
  while (true) {
    {
      MutexLock lock(&mu_);
      while (!stopping_ && queue_.empty()) queued_.Wait(&mu_);
      if (queue_.empty()) return;  // stopping, nothing left
      batch.swap(queue_);
    }
    const absl::Status status = WriteBatch(batch);
    for (Pending& pending : batch) pending.done(status);
    batch.clear();
  }
}

absl::Status DurableCaptureLog::WriteFiller(int fd, int64_t count) {
  while (count > 0) {
    const size_t chunk =
        static_cast<size_t>(std::min<int64_t>(count, filler_.size()));
    const ssize_t written = write(fd, filler_.data(), chunk);
    if (written < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write");
    }
    count -= written;
  }
  return absl::OkStatus();
}

absl::Status DurableCaptureLog::WriteBatch(const std::vector<Pending>& batch) {
  CaptureBytes total;
  for (const Pending& pending : batch) {
    total.record += pending.bytes.record;
    total.markdown += pending.bytes.markdown;
    total.index += pending.bytes.index;
  }
  // As ExampleStore::WriteBatch: the records are durable before the
  // Markdown and the index are written (neither is synced there).
  absl::Status status = WriteFiller(record_fd_, total.record);
  if (status.ok() && fdatasync(record_fd_) != 0) {
    status = ErrnoStatus("fdatasync");
  }
  if (status.ok()) status = WriteFiller(markdown_fd_, total.markdown);
  if (status.ok()) status = WriteFiller(index_fd_, total.index);
  return status;
}

}  // namespace bench
}  // namespace ftcapture
