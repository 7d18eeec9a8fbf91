#include "src/util/atomic_file.h"

#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace ftcapture {
namespace {

// Appends reach the kernel in chunks of this size rather than per line.
constexpr size_t kBufferBytes = 1 << 20;

}  // namespace

absl::StatusOr<std::unique_ptr<AtomicOutputFile>> AtomicOutputFile::Create(
    const std::string& path, Env* env, absl::string_view temp_suffix) {
  if (path.empty()) return absl::InvalidArgumentError("empty output path");
  std::string temp_path = temp_suffix == kPerProcessTempSuffix
                              ? absl::StrCat(path, ".tmp.", ::getpid())
                              : absl::StrCat(path, temp_suffix);
  auto file = env->NewWritableFile(temp_path);
  if (!file.ok()) return file.status();
  return std::unique_ptr<AtomicOutputFile>(
      new AtomicOutputFile(env, path, std::move(temp_path), *std::move(file)));
}

AtomicOutputFile::AtomicOutputFile(Env* env, std::string path,
                                   std::string temp_path,
                                   std::unique_ptr<WritableFile> file)
    : env_(env),
      path_(std::move(path)),
      temp_path_(std::move(temp_path)),
      file_(std::move(file)) {}

AtomicOutputFile::~AtomicOutputFile() {
  if (file_ == nullptr) return;  // committed
  file_.reset();
  env_->RemoveFile(temp_path_).IgnoreError();
}

absl::Status AtomicOutputFile::FlushBuffer() {
  if (buffer_.empty()) return absl::OkStatus();
  absl::Status status = file_->Append(buffer_);
  buffer_.clear();
  return status;
}

absl::Status AtomicOutputFile::Append(absl::string_view data) {
  if (file_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, " was already committed"));
  }
  if (buffer_.empty() && data.size() >= kBufferBytes) {
    return file_->Append(data);  // large chunks need no copy
  }
  buffer_.append(data.data(), data.size());
  if (buffer_.size() >= kBufferBytes) return FlushBuffer();
  return absl::OkStatus();
}

absl::Status AtomicOutputFile::Commit() {
  if (file_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, " was already committed"));
  }
  absl::Status status = FlushBuffer();
  if (status.ok()) status = file_->Sync();
  if (status.ok()) status = file_->Close();
  if (status.ok()) status = env_->RenameFile(temp_path_, path_);
  if (!status.ok()) return status;  // the destructor removes the temp file
  file_.reset();
  return env_->SyncDir(DirName(path_));
}

absl::Status WriteStringToFileAtomic(Env* env, absl::string_view data,
                                     absl::string_view path) {
  auto file = AtomicOutputFile::Create(std::string(path), env, ".tmp");
  if (!file.ok()) return file.status();
  absl::Status status = (*file)->Append(data);
  if (status.ok()) status = (*file)->Commit();
  return status;
}

}  // namespace ftcapture
