#ifndef FTCAPTURE_SRC_STORAGE_SYNCED_RECORD_LOG_H_
#define FTCAPTURE_SRC_STORAGE_SYNCED_RECORD_LOG_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "src/util/mutex.h"

namespace ftcapture {

class Env;
class WritableFile;

// A small append-only log of TFRecord-framed records whose every Append is
// fsync'd before it returns, for records people wait on and that must
// never be lost once acknowledged (reviews, deletions). Invariant: the file
// holds exactly `size_` bytes of complete records; a failed append is cut
// back off. Thread-safe.
class SyncedRecordLog {
 public:
  // Replays the records of the file at `path` (missing: empty) in order,
  // cuts a torn tail left by a crash (a record that was never
  // acknowledged), and opens it for appending; creating the file fsyncs
  // its directory, so the first record cannot vanish with the entry.
  static absl::StatusOr<std::unique_ptr<SyncedRecordLog>> Open(
      Env* env, const std::string& path,
      absl::FunctionRef<void(absl::string_view data)> replay);
  ~SyncedRecordLog();

  // Frames and appends `data`, then fsyncs. On error nothing of it remains.
  absl::Status Append(absl::string_view data);

 private:
  SyncedRecordLog(Env* env, std::string path,
                  std::unique_ptr<WritableFile> file, uint64_t size);

  Env* const env_;
  const std::string path_;
  Mutex mu_;
  std::unique_ptr<WritableFile> file_ ABSL_GUARDED_BY(mu_);
  uint64_t size_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_STORAGE_SYNCED_RECORD_LOG_H_
