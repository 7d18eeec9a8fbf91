#include "src/storage/deletion_log.h"

#include <algorithm>
#include <utility>

#include "src/storage/data_dir_files.h"
#include "src/storage/tfrecord_reader.h"
#include "src/util/env.h"

namespace ftcapture {

void Tombstones::Add(const v1::Tombstone& tombstone) {
  auto [it, added] =
      last_offset_.try_emplace(tombstone.example_id(), tombstone.offset());
  if (!added) it->second = std::max(it->second, tombstone.offset());
}

bool Tombstones::Hides(absl::string_view example_id, uint64_t offset) const {
  auto it = last_offset_.find(example_id);
  return it != last_offset_.end() && offset <= it->second;
}

bool Tombstones::Names(absl::string_view example_id) const {
  return last_offset_.contains(example_id);
}

namespace {

void AddRecord(absl::string_view data, DeletionState* state) {
  v1::DeletionRecord record;
  if (!record.ParseFromArray(data.data(), data.size())) return;
  for (const v1::Tombstone& tombstone : record.tombstones()) {
    state->tombstones.Add(tombstone);
    ++state->tombstone_count;
  }
  // Only a compaction writes totals, as the log's first record.
  state->compacted_examples += record.compacted_examples();
  state->compactions += record.compactions();
}

}  // namespace

absl::StatusOr<DeletionState> LoadDeletions(Env* env,
                                            const std::string& data_dir) {
  DeletionState state;
  const std::string path = JoinPath(data_dir, kDeletionLogFileName);
  if (!env->FileExists(path)) return state;
  absl::StatusOr<uint64_t> read = ReadTFRecordFile(
      env, path, [&state](absl::string_view data) { AddRecord(data, &state); });
  if (!read.ok()) return read.status();
  return state;
}

absl::StatusOr<std::unique_ptr<DeletionLog>> DeletionLog::Open(
    Env* env, const std::string& data_dir, DeletionState* state) {
  DeletionState loaded;
  absl::StatusOr<std::unique_ptr<SyncedRecordLog>> log = SyncedRecordLog::Open(
      env, JoinPath(data_dir, kDeletionLogFileName),
      [&loaded](absl::string_view data) { AddRecord(data, &loaded); });
  if (!log.ok()) return log.status();
  *state = std::move(loaded);
  return std::unique_ptr<DeletionLog>(new DeletionLog(*std::move(log)));
}

}  // namespace ftcapture
