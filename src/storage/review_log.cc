#include "src/storage/review_log.h"

#include <utility>

#include "src/util/env.h"

namespace ftcapture {

ReviewLog::~ReviewLog() = default;

absl::StatusOr<std::unique_ptr<ReviewLog>> ReviewLog::Open(
    Env* env, const std::string& data_dir, const Replay& replay) {
  absl::StatusOr<std::unique_ptr<SyncedRecordLog>> log = SyncedRecordLog::Open(
      env, JoinPath(data_dir, kReviewLogFileName),
      [&replay](absl::string_view data) {
        v1::ReviewRecord record;
        if (record.ParseFromArray(data.data(), data.size()) && replay) {
          replay(record);
        }
      });
  if (!log.ok()) return log.status();
  return std::unique_ptr<ReviewLog>(new ReviewLog(*std::move(log)));
}

absl::Status ReviewLog::Append(const v1::ReviewRecord& record) {
  return log_->Append(record.SerializeAsString());
}

}  // namespace ftcapture
