#ifndef FTCAPTURE_SRC_STORAGE_REVIEW_LOG_H_
#define FTCAPTURE_SRC_STORAGE_REVIEW_LOG_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ftcapture/v1/storage.pb.h"
#include "src/storage/data_dir_files.h"
#include "src/storage/synced_record_log.h"

namespace ftcapture {

class Env;

// The review decisions, kept apart from the dataset so the dataset stays
// append-only with each example in it exactly once. Records are TFRecord
// framed ReviewRecords; the last one for an example wins. Each Append is
// fsync'd before it returns: reviews are rare and made by people.
class ReviewLog {
 public:
  using Replay = std::function<void(const v1::ReviewRecord&)>;

  // Replays the log in order; a torn tail left by a crash is cut off.
  static absl::StatusOr<std::unique_ptr<ReviewLog>> Open(
      Env* env, const std::string& data_dir, const Replay& replay);
  ~ReviewLog();

  absl::Status Append(const v1::ReviewRecord& record);

 private:
  explicit ReviewLog(std::unique_ptr<SyncedRecordLog> log)
      : log_(std::move(log)) {}

  std::unique_ptr<SyncedRecordLog> log_;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_STORAGE_REVIEW_LOG_H_
