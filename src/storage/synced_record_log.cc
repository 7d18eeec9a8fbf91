#include "src/storage/synced_record_log.h"

#include <utility>

#include "src/storage/tfrecord_reader.h"
#include "src/storage/tfrecord_writer.h"
#include "src/util/env.h"

namespace ftcapture {

SyncedRecordLog::SyncedRecordLog(Env* env, std::string path,
                                 std::unique_ptr<WritableFile> file,
                                 uint64_t size)
    : env_(env), path_(std::move(path)), file_(std::move(file)), size_(size) {}

SyncedRecordLog::~SyncedRecordLog() = default;

absl::StatusOr<std::unique_ptr<SyncedRecordLog>> SyncedRecordLog::Open(
    Env* env, const std::string& path,
    absl::FunctionRef<void(absl::string_view data)> replay) {
  uint64_t good_size = 0;
  const bool existed = env->FileExists(path);
  if (existed) {
    absl::StatusOr<uint64_t> read = ReadTFRecordFile(env, path, replay);
    if (!read.ok()) return read.status();
    good_size = *read;
    absl::StatusOr<uint64_t> size = env->GetFileSize(path);
    if (!size.ok()) return size.status();
    if (good_size < *size) {
      absl::Status status = env->TruncateFile(path, good_size);
      if (!status.ok()) return status;
    }
  }
  absl::StatusOr<std::unique_ptr<WritableFile>> file =
      env->NewAppendableFile(path);
  if (!file.ok()) return file.status();
  if (!existed) {
    absl::Status synced = env->SyncDir(DirName(path));
    if (!synced.ok()) return synced;
  }
  return std::unique_ptr<SyncedRecordLog>(
      new SyncedRecordLog(env, path, *std::move(file), good_size));
}

absl::Status SyncedRecordLog::Append(absl::string_view data) {
  std::string framed;
  AppendTFRecord(data, &framed);
  MutexLock lock(&mu_);
  absl::Status status = file_->Append(framed);
  if (status.ok()) status = file_->Sync();
  if (status.ok()) {
    size_ += framed.size();
    return status;
  }
  env_->TruncateFile(path_, size_).IgnoreError();
  return status;
}

}  // namespace ftcapture
