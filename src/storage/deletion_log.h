#ifndef FTCAPTURE_SRC_STORAGE_DELETION_LOG_H_
#define FTCAPTURE_SRC_STORAGE_DELETION_LOG_H_

// deletions.tfrecord: the tombstones of erased examples (docs/privacy.md,
// docs/durability.md "Erasure"). A tombstone hides a record from every
// reader until a compaction rewrites the files without it; the compaction
// then replaces the log by one record with the running totals.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ftcapture/v1/storage.pb.h"
#include "src/storage/synced_record_log.h"

namespace ftcapture {

class Env;

// The tombstones read from the log: which records are hidden.
class Tombstones {
 public:
  void Add(const v1::Tombstone& tombstone);
  // True when the record with `example_id` at `offset` is deleted.
  bool Hides(absl::string_view example_id, uint64_t offset) const;
  // True when some tombstone names `example_id` (at any offset).
  bool Names(absl::string_view example_id) const;
  bool empty() const { return last_offset_.empty(); }

 private:
  // Per deleted id, the highest offset a tombstone names.
  absl::flat_hash_map<std::string, uint64_t> last_offset_;
};

// Everything the log holds.
struct DeletionState {
  Tombstones tombstones;
  int64_t tombstone_count = 0;  // tombstones written since the last compaction
  int64_t compacted_examples = 0;  // removed by compactions so far
  int64_t compactions = 0;
};

// Reads data_dir's log; a missing log is empty, a torn tail is left out.
absl::StatusOr<DeletionState> LoadDeletions(Env* env,
                                            const std::string& data_dir);

// Appends tombstones durably: each Append is fsync'd before it returns
// (a SyncedRecordLog). Thread-safe.
class DeletionLog {
 public:
  // Cuts a torn tail (a deletion that was never acknowledged) and fills
  // `*state` with what the log holds.
  static absl::StatusOr<std::unique_ptr<DeletionLog>> Open(
      Env* env, const std::string& data_dir, DeletionState* state);

  // On error nothing of the record remains and nothing was deleted.
  absl::Status Append(const v1::DeletionRecord& record) {
    return log_->Append(record.SerializeAsString());
  }

 private:
  explicit DeletionLog(std::unique_ptr<SyncedRecordLog> log)
      : log_(std::move(log)) {}

  std::unique_ptr<SyncedRecordLog> log_;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_STORAGE_DELETION_LOG_H_
