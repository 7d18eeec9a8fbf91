#include "src/storage/review_log.h"

#include <utility>

#include "src/storage/tfrecord_reader.h"
#include "src/storage/tfrecord_writer.h"
#include "src/util/env.h"

namespace ftcapture {

ReviewLog::ReviewLog(Env* env, std::string path,
                     std::unique_ptr<WritableFile> file, uint64_t size)
    : env_(env), path_(std::move(path)), file_(std::move(file)), size_(size) {}

ReviewLog::~ReviewLog() = default;

absl::StatusOr<std::unique_ptr<ReviewLog>> ReviewLog::Open(
    Env* env, const std::string& data_dir, const Replay& replay) {
  const std::string path = JoinPath(data_dir, kReviewLogFileName);
  uint64_t good_size = 0;
  if (env->FileExists(path)) {
    absl::StatusOr<uint64_t> read =
        ReadTFRecordFile(env, path, [&](absl::string_view data) {
          v1::ReviewRecord record;
          if (record.ParseFromArray(data.data(), data.size())) replay(record);
        });
    if (!read.ok()) return read.status();
    good_size = *read;
    // A torn tail is a review that was never acknowledged.
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
  return std::unique_ptr<ReviewLog>(
      new ReviewLog(env, path, *std::move(file), good_size));
}

absl::Status ReviewLog::Append(const v1::ReviewRecord& record) {
  std::string framed;
  AppendTFRecord(record.SerializeAsString(), &framed);
  MutexLock lock(&mu_);
  absl::Status status = file_->Append(framed);
  if (status.ok()) status = file_->Sync();
  if (status.ok()) {
    size_ += framed.size();
    return status;
  }
  // Leave no partial record behind; the review was not acknowledged.
  env_->TruncateFile(path_, size_).IgnoreError();
  return status;
}

}  // namespace ftcapture
