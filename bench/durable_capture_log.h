#ifndef FTCAPTURE_BENCH_DURABLE_CAPTURE_LOG_H_
#define FTCAPTURE_BENCH_DURABLE_CAPTURE_LOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "src/util/mutex.h"

namespace ftcapture {
namespace bench {

// What ftcapture appends for one capture (docs/benchmarks.md): the framed
// record in examples.tfrecord, the Markdown block and the index entries.
struct CaptureBytes {
  int64_t record = 0;
  int64_t markdown = 0;
  int64_t index = 0;
};

// The gRPC metadata key the load generator sends with a praise it expects
// ftcapture to capture, and the no-op server's durable mode reads:
// "RECORD,MARKDOWN,INDEX" in decimal bytes.
inline constexpr char kCaptureBytesHeader[] = "ftcapture-bench-capture-bytes";

std::string FormatCaptureBytes(const CaptureBytes& bytes);
// InvalidArgument unless `text` is three non-negative decimals, each at
// most 16 MiB, separated by commas.
absl::StatusOr<CaptureBytes> ParseCaptureBytes(absl::string_view text);

// The durable no-op server's disk work: for each capture it appends as many
// bytes as ftcapture's example store does, with the store's system calls
// (the batch's records in one write(2) to one file, fdatasync, then one
// write each to a "Markdown" and an "index" file), and reports back once
// that is done.
//
// Group commit, as ftcapture's store: one writer thread takes every capture
// queued while it was busy and makes them durable with one fdatasync. A
// real durable server shares fsyncs between concurrent captures; a limit
// that fsynced each alone would be a slower, unfair limit. The writer is a
// thread of its own, so a gRPC callback thread never waits on the disk.
//
// Invariant: `done` runs exactly once per Append(), on the writer thread,
// after the capture's record bytes were fdatasynced (or with the error).
class DurableCaptureLog {
 public:
  using Done = std::function<void(absl::Status)>;

  // Creates (truncates) records.bin, markdown.bin and index.bin in `dir`.
  static absl::StatusOr<std::unique_ptr<DurableCaptureLog>> Open(
      const std::string& dir);
  // Finishes what is queued, then stops the writer.
  ~DurableCaptureLog();

  DurableCaptureLog(const DurableCaptureLog&) = delete;
  DurableCaptureLog& operator=(const DurableCaptureLog&) = delete;

  void Append(const CaptureBytes& bytes, Done done);

 private:
  struct Pending {
    CaptureBytes bytes;
    Done done;
  };
  explicit DurableCaptureLog(const int fds[3]);
  void WriterLoop();
  // Appends `count` filler bytes to `fd`.
  absl::Status WriteFiller(int fd, int64_t count);
  absl::Status WriteBatch(const std::vector<Pending>& batch);

  const int record_fd_;
  const int markdown_fd_;
  const int index_fd_;
  const std::string filler_;
  Mutex mu_;
  CondVar queued_;  // signalled when queue_ grows or stopping_ is set
  std::vector<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread writer_;
};

}  // namespace bench
}  // namespace ftcapture

#endif  // FTCAPTURE_BENCH_DURABLE_CAPTURE_LOG_H_
