#include "src/storage/deletion_log.h"

#include <algorithm>
#include <utility>

#include "src/storage/data_dir_files.h"
#include "src/storage/tfrecord_reader.h"
#include "src/storage/tfrecord_writer.h"
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

absl::StatusOr<DeletionState> LoadDeletions(Env* env,
                                            const std::string& data_dir) {
  DeletionState state;
  const std::string path = JoinPath(data_dir, kDeletionLogFileName);
  if (!env->FileExists(path)) return state;
  absl::StatusOr<uint64_t> read =
      ReadTFRecordFile(env, path, [&state](absl::string_view data) {
        v1::DeletionRecord record;
        if (!record.ParseFromArray(data.data(), data.size())) return;
        for (const v1::Tombstone& tombstone : record.tombstones()) {
          state.tombstones.Add(tombstone);
          ++state.tombstone_count;
        }
        // Only a compaction writes totals, as the log's first record.
        state.compacted_examples += record.compacted_examples();
        state.compactions += record.compactions();
      });
  if (!read.ok()) return read.status();
  state.good_bytes = *read;
  return state;
}

DeletionLog::DeletionLog(Env* env, std::string path,
                         std::unique_ptr<WritableFile> file, uint64_t size)
    : env_(env), path_(std::move(path)), file_(std::move(file)), size_(size) {}

DeletionLog::~DeletionLog() = default;

absl::StatusOr<std::unique_ptr<DeletionLog>> DeletionLog::Open(
    Env* env, const std::string& data_dir, DeletionState* state) {
  const std::string path = JoinPath(data_dir, kDeletionLogFileName);
  absl::StatusOr<DeletionState> loaded = LoadDeletions(env, data_dir);
  if (!loaded.ok()) return loaded.status();
  const bool existed = env->FileExists(path);
  if (existed) {
    absl::StatusOr<uint64_t> size = env->GetFileSize(path);
    if (!size.ok()) return size.status();
    if (*size > loaded->good_bytes) {
      absl::Status cut = env->TruncateFile(path, loaded->good_bytes);
      if (!cut.ok()) return cut;
    }
  }
  absl::StatusOr<std::unique_ptr<WritableFile>> file =
      env->NewAppendableFile(path);
  if (!file.ok()) return file.status();
  if (!existed) {
    // The first tombstone must not vanish with the file's directory entry.
    absl::Status synced = env->SyncDir(data_dir);
    if (!synced.ok()) return synced;
  }
  const uint64_t size = loaded->good_bytes;
  *state = *std::move(loaded);
  return std::unique_ptr<DeletionLog>(
      new DeletionLog(env, path, *std::move(file), size));
}

absl::Status DeletionLog::Append(const v1::DeletionRecord& record) {
  std::string framed;
  AppendTFRecord(record.SerializeAsString(), &framed);
  MutexLock lock(&mu_);
  absl::Status status = file_->Append(framed);
  if (status.ok()) status = file_->Sync();
  if (status.ok()) {
    size_ += framed.size();
    return status;
  }
  // Leave no partial record behind: the deletion was not acknowledged.
  env_->TruncateFile(path_, size_).IgnoreError();
  return status;
}

}  // namespace ftcapture
