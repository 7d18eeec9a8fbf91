// The file-system seam, after LevelDB's Env: everything ftcapture does to
// disk goes through an Env so tests can inject ENOSPC, EIO, short writes and
// failing fsyncs (tests/util/fault_injection_env.h).
//
// Errors are absl::Status values whose message says what was attempted, on
// which path, and strerror(). Codes: ENOSPC/EDQUOT -> ResourceExhausted
// ("disk full: ..."), ENOENT -> NotFound, EACCES/EPERM -> PermissionDenied,
// EEXIST -> AlreadyExists, EIO/EROFS/EAGAIN/EINTR -> Unavailable, anything
// else -> Internal. The server maps codes to gRPC one to one.

#ifndef FTCAPTURE_SRC_UTIL_ENV_H_
#define FTCAPTURE_SRC_UTIL_ENV_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ftcapture {

// Reads a file front to back. Not thread-safe.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to `n` bytes into `scratch` and points `*result` at them;
  // `result->size() < n` only at end of file (0 at EOF).
  virtual absl::Status Read(size_t n, absl::string_view* result,
                            char* scratch) = 0;
  virtual absl::Status Skip(uint64_t n) = 0;
};

// Reads at arbitrary offsets. Thread-safe (pread).
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to `n` bytes at `offset`; fewer only at end of file.
  virtual absl::Status Read(uint64_t offset, size_t n,
                            absl::string_view* result, char* scratch) const = 0;
};

// Appends to a file. Unbuffered: Append() hands the bytes to the kernel
// before it returns, so Flush() has nothing to do and Sync() may run on
// another thread concurrently with Append() (it makes durable whatever was
// appended before it started). Append/Flush/Close need external
// serialization. The destructor closes the file if Close() was not called.
// A failed Append() may have written a prefix of `data`; the file size
// tells how much.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual absl::Status Append(absl::string_view data) = 0;
  virtual absl::Status Flush() = 0;
  // fdatasync: the appended bytes survive a crash or power loss.
  virtual absl::Status Sync() = 0;
  virtual absl::Status Close() = 0;
};

// An exclusive lock on a file, released when destroyed (or by the kernel
// when the process dies, so a kill -9 never leaves a stale lock).
class FileLock {
 public:
  virtual ~FileLock() = default;
};

// Thread-safe. Default() is the POSIX implementation and is never deleted.
class Env {
 public:
  virtual ~Env() = default;
  static Env* Default();

  virtual absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      absl::string_view path) = 0;
  virtual absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      absl::string_view path) = 0;
  // Creates or truncates `path`.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      absl::string_view path) = 0;
  // For one pass over a large file: like NewRandomAccessFile, but Read()
  // may return views into the file mapped in memory (`scratch` unused),
  // valid while the returned object lives, so reading copies nothing. Reads
  // past the size the file had when opened return nothing; the file must
  // not shrink meanwhile. Default: NewRandomAccessFile.
  virtual absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewMappedFile(
      absl::string_view path) {
    return NewRandomAccessFile(path);
  }
  // Creates `path` if missing and appends to its end (O_APPEND, so appends
  // land at the end even after TruncateFile()).
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      absl::string_view path) = 0;

  virtual bool FileExists(absl::string_view path) = 0;
  virtual absl::StatusOr<uint64_t> GetFileSize(absl::string_view path) = 0;
  // Names (not paths) of the entries of `dir`, without "." and "..".
  virtual absl::StatusOr<std::vector<std::string>> GetChildren(
      absl::string_view dir) = 0;
  // Creates `dir` and any missing parents.
  virtual absl::Status CreateDirIfMissing(absl::string_view dir) = 0;
  // Atomically replaces `to`; call SyncDir() to make it durable.
  virtual absl::Status RenameFile(absl::string_view from,
                                  absl::string_view to) = 0;
  virtual absl::Status RemoveFile(absl::string_view path) = 0;
  // Cuts `path` to `size` bytes and makes the new size durable.
  virtual absl::Status TruncateFile(absl::string_view path, uint64_t size) = 0;
  // Makes renames, creations and removals in `dir` durable.
  virtual absl::Status SyncDir(absl::string_view dir) = 0;
  // Takes an exclusive advisory lock (flock) on `path`, creating it.
  // FailedPrecondition when another holder (process or open) has it.
  virtual absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      absl::string_view path) = 0;

  virtual absl::Time Now() { return absl::Now(); }
};

// Forwards every call to another Env; subclasses override what they change.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }

  absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      absl::string_view path) override {
    return target_->NewSequentialFile(path);
  }
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      absl::string_view path) override {
    return target_->NewRandomAccessFile(path);
  }
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewMappedFile(
      absl::string_view path) override {
    return target_->NewMappedFile(path);
  }
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      absl::string_view path) override {
    return target_->NewWritableFile(path);
  }
  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      absl::string_view path) override {
    return target_->NewAppendableFile(path);
  }
  bool FileExists(absl::string_view path) override {
    return target_->FileExists(path);
  }
  absl::StatusOr<uint64_t> GetFileSize(absl::string_view path) override {
    return target_->GetFileSize(path);
  }
  absl::StatusOr<std::vector<std::string>> GetChildren(
      absl::string_view dir) override {
    return target_->GetChildren(dir);
  }
  absl::Status CreateDirIfMissing(absl::string_view dir) override {
    return target_->CreateDirIfMissing(dir);
  }
  absl::Status RenameFile(absl::string_view from,
                          absl::string_view to) override {
    return target_->RenameFile(from, to);
  }
  absl::Status RemoveFile(absl::string_view path) override {
    return target_->RemoveFile(path);
  }
  absl::Status TruncateFile(absl::string_view path, uint64_t size) override {
    return target_->TruncateFile(path, size);
  }
  absl::Status SyncDir(absl::string_view dir) override {
    return target_->SyncDir(dir);
  }
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      absl::string_view path) override {
    return target_->LockFile(path);
  }
  absl::Time Now() override { return target_->Now(); }

 private:
  Env* const target_;
};

// Turns an errno into a Status (see the mapping at the top of this file).
// `context` says what was attempted, e.g. "write" or "open".
absl::Status ErrnoToStatus(int error_number, absl::string_view context,
                           absl::string_view path);

// `dir` + "/" + `name`.
std::string JoinPath(absl::string_view dir, absl::string_view name);
// Everything before the last '/', or "." when there is none.
std::string DirName(absl::string_view path);

// Makes sure `dir` (created 0700 if missing) is fit to hold private data:
// a directory owned by this process's user that no one else can write to.
// Refuses (FailedPrecondition, saying why) one owned by another user or
// writable by group or others; tightens one that others can merely read or
// enter to 0700. POSIX only, not through an Env: it is about the real disk.
absl::Status PreparePrivateDir(absl::string_view dir);

// Reads a whole (small) file.
absl::Status ReadFileToString(Env* env, absl::string_view path,
                              std::string* data);
// Replaces `path` with `data` atomically and durably: writes path + ".tmp",
// syncs it, renames it over `path` and syncs the directory.
absl::Status WriteStringToFileAtomic(Env* env, absl::string_view data,
                                     absl::string_view path);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_UTIL_ENV_H_
