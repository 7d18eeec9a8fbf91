#include "src/util/env.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ftcapture {

absl::Status ErrnoToStatus(int error_number, absl::string_view context,
                           absl::string_view path) {
  const std::string what =
      absl::StrCat(context, " ", path, ": ", std::strerror(error_number));
  switch (error_number) {
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(absl::StrCat("disk full: ", what));
    case ENOENT:
      return absl::NotFoundError(what);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(what);
    case EEXIST:
      return absl::AlreadyExistsError(what);
    case EIO:
    case EROFS:
    case EAGAIN:
    case EINTR:
      return absl::UnavailableError(absl::StrCat("I/O error: ", what));
    case EMFILE:
    case ENFILE:
      return absl::ResourceExhaustedError(what);
    default:
      return absl::InternalError(what);
  }
}

std::string JoinPath(absl::string_view dir, absl::string_view name) {
  if (dir.empty()) return std::string(name);
  if (dir.back() == '/') return absl::StrCat(dir, name);
  return absl::StrCat(dir, "/", name);
}

std::string DirName(absl::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

namespace {

constexpr mode_t kPrivateFileMode = 0600;
constexpr mode_t kPrivateDirMode = 0700;

// Every open in the data dir goes through these two: neither follows a
// symlink planted at `path`, and no descriptor leaks into a child process.
// Opens an existing file.
int OpenExisting(const std::string& path, int flags) {
  return ::open(path.c_str(), flags | O_CLOEXEC | O_NOFOLLOW);
}
// Opens, creating with owner-only rights.
int OpenPrivate(const std::string& path, int flags) {
  return ::open(path.c_str(), flags | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                kPrivateFileMode);
}

// Files ftcapture writes are 0600 whatever the umask, and a file left 0644
// by an older version is tightened when it is next opened for writing.
absl::Status MakePrivate(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoToStatus(errno, "stat", path);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a regular file"));
  }
  if ((st.st_mode & 07777) != kPrivateFileMode &&
      ::fchmod(fd, kPrivateFileMode) != 0) {
    return ErrnoToStatus(errno, "chmod 0600", path);
  }
  return absl::OkStatus();
}

class PosixSequentialFile : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd)
      : path_(std::move(path)), fd_(fd) {}
  ~PosixSequentialFile() override { ::close(fd_); }

  absl::Status Read(size_t n, absl::string_view* result,
                    char* scratch) override {
    size_t done = 0;
    while (done < n) {
      const ssize_t r = ::read(fd_, scratch + done, n - done);
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoToStatus(errno, "read", path_);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    *result = absl::string_view(scratch, done);
    return absl::OkStatus();
  }

  absl::Status Skip(uint64_t n) override {
    if (::lseek(fd_, static_cast<off_t>(n), SEEK_CUR) < 0) {
      return ErrnoToStatus(errno, "seek", path_);
    }
    return absl::OkStatus();
  }

 private:
  const std::string path_;
  const int fd_;
};

class PosixRandomAccessFile : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd)
      : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  absl::Status Read(uint64_t offset, size_t n, absl::string_view* result,
                    char* scratch) const override {
    size_t done = 0;
    while (done < n) {
      const ssize_t r = ::pread(fd_, scratch + done, n - done,
                                static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoToStatus(errno, "read", path_);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    *result = absl::string_view(scratch, done);
    return absl::OkStatus();
  }

 private:
  const std::string path_;
  const int fd_;
};

// A whole file mapped read-only (see Env::NewMappedFile).
class PosixMappedFile : public RandomAccessFile {
 public:
  PosixMappedFile(const char* base, uint64_t size) : base_(base), size_(size) {}
  ~PosixMappedFile() override {
    if (size_ > 0) ::munmap(const_cast<char*>(base_), size_);
  }

  absl::Status Read(uint64_t offset, size_t n, absl::string_view* result,
                    char* /*scratch*/) const override {
    ReleaseBefore(offset);
    if (offset >= size_) {
      *result = absl::string_view();
    } else {
      *result = absl::string_view(base_ + offset,
                                  std::min<uint64_t>(n, size_ - offset));
    }
    return absl::OkStatus();
  }

 private:
  // A one-pass reader is done with what lies well behind it: unmapping
  // those pages keeps its RSS small (the data stays in the page cache, and
  // a view into it, if still used, is faulted back in).
  void ReleaseBefore(uint64_t offset) const {
    constexpr uint64_t kKeep = 64 << 20;
    constexpr uint64_t kStep = 64 << 20;
    if (offset < kKeep) return;
    const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    const uint64_t until = (offset - kKeep) / page * page;
    uint64_t released = released_.load(std::memory_order_relaxed);
    if (until < released + kStep) return;
    if (!released_.compare_exchange_strong(released, until)) return;
    ::madvise(const_cast<char*>(base_) + released, until - released,
              MADV_DONTNEED);
  }

  const char* const base_;
  const uint64_t size_;
  mutable std::atomic<uint64_t> released_{0};
};

class PosixWritableFile : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd)
      : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  absl::Status Append(absl::string_view data) override {
    if (fd_ < 0) return absl::FailedPreconditionError("append after close");
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      const ssize_t w = ::write(fd_, p, left);
      if (w < 0) {
        if (errno == EINTR) continue;
        return ErrnoToStatus(errno, "write", path_);
      }
      p += w;
      left -= static_cast<size_t>(w);
    }
    return absl::OkStatus();
  }

  absl::Status Flush() override { return absl::OkStatus(); }

  absl::Status Sync() override {
    if (::fdatasync(fd_) != 0) return ErrnoToStatus(errno, "fsync", path_);
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (fd_ < 0) return absl::OkStatus();
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return ErrnoToStatus(errno, "close", path_);
    return absl::OkStatus();
  }

 private:
  const std::string path_;
  int fd_;
};

class PosixFileLock : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }

 private:
  const int fd_;
};

class PosixEnv : public Env {
 public:
  absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      absl::string_view path) override {
    std::string p(path);
    const int fd = OpenExisting(p, O_RDONLY);
    if (fd < 0) return ErrnoToStatus(errno, "open", p);
    return std::unique_ptr<SequentialFile>(
        new PosixSequentialFile(std::move(p), fd));
  }

  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      absl::string_view path) override {
    std::string p(path);
    const int fd = OpenExisting(p, O_RDONLY);
    if (fd < 0) return ErrnoToStatus(errno, "open", p);
    return std::unique_ptr<RandomAccessFile>(
        new PosixRandomAccessFile(std::move(p), fd));
  }

  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewMappedFile(
      absl::string_view path) override {
    std::string p(path);
    const int fd = OpenExisting(p, O_RDONLY);
    if (fd < 0) return ErrnoToStatus(errno, "open", p);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      const int error = errno;
      ::close(fd);
      return ErrnoToStatus(error, "stat", p);
    }
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    void* base = nullptr;
    if (size > 0) {
      base = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
      if (base == MAP_FAILED) {
        ::close(fd);
        return NewRandomAccessFile(path);  // e.g. no address space left
      }
      ::madvise(base, size, MADV_SEQUENTIAL);
    }
    ::close(fd);  // the mapping keeps the file
    return std::unique_ptr<RandomAccessFile>(
        new PosixMappedFile(static_cast<const char*>(base), size));
  }

  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      absl::string_view path) override {
    return OpenForWrite(path, O_TRUNC);
  }

  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      absl::string_view path) override {
    return OpenForWrite(path, O_APPEND);
  }

  bool FileExists(absl::string_view path) override {
    struct stat st;
    return ::lstat(std::string(path).c_str(), &st) == 0;
  }

  absl::StatusOr<uint64_t> GetFileSize(absl::string_view path) override {
    std::string p(path);
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) return ErrnoToStatus(errno, "stat", p);
    return static_cast<uint64_t>(st.st_size);
  }

  absl::StatusOr<std::vector<std::string>> GetChildren(
      absl::string_view dir) override {
    std::string d(dir);
    DIR* handle = ::opendir(d.c_str());
    if (handle == nullptr) return ErrnoToStatus(errno, "opendir", d);
    std::vector<std::string> names;
    while (struct dirent* entry = ::readdir(handle)) {
      absl::string_view name(entry->d_name);
      if (name == "." || name == "..") continue;
      names.emplace_back(name);
    }
    ::closedir(handle);
    return names;
  }

  absl::Status CreateDirIfMissing(absl::string_view dir) override {
    std::string d(dir);
    if (d.empty()) return absl::InvalidArgumentError("empty directory name");
    // Create parents first so "a/b/c" works on a fresh machine.
    for (size_t i = 1; i <= d.size(); ++i) {
      if (i != d.size() && d[i] != '/') continue;
      const std::string prefix = d.substr(0, i);
      // Only the directory asked for is private; parents are ordinary.
      const mode_t mode = i == d.size() ? kPrivateDirMode : 0755;
      if (::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST) {
        return ErrnoToStatus(errno, "mkdir", prefix);
      }
    }
    struct stat st;
    if (::stat(d.c_str(), &st) != 0) return ErrnoToStatus(errno, "stat", d);
    if (!S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat(d, " exists and is not a directory"));
    }
    return absl::OkStatus();
  }

  absl::Status RenameFile(absl::string_view from,
                          absl::string_view to) override {
    std::string f(from), t(to);
    if (::rename(f.c_str(), t.c_str()) != 0) {
      return ErrnoToStatus(errno, absl::StrCat("rename to ", t, ":"), f);
    }
    return absl::OkStatus();
  }

  absl::Status RemoveFile(absl::string_view path) override {
    std::string p(path);
    if (::unlink(p.c_str()) != 0) return ErrnoToStatus(errno, "unlink", p);
    return absl::OkStatus();
  }

  absl::Status TruncateFile(absl::string_view path, uint64_t size) override {
    std::string p(path);
    const int fd = OpenExisting(p, O_WRONLY);
    if (fd < 0) return ErrnoToStatus(errno, "open", p);
    absl::Status status;
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
      status = ErrnoToStatus(errno, "truncate", p);
    } else if (::fdatasync(fd) != 0) {
      status = ErrnoToStatus(errno, "fsync", p);
    }
    ::close(fd);
    return status;
  }

  absl::Status SyncDir(absl::string_view dir) override {
    std::string d(dir);
    const int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoToStatus(errno, "open", d);
    absl::Status status;
    if (::fsync(fd) != 0) status = ErrnoToStatus(errno, "fsync", d);
    ::close(fd);
    return status;
  }

  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      absl::string_view path) override {
    std::string p(path);
    // Only the owner may open LOCK, so no other user can flock it and keep
    // the server from starting.
    const int fd = OpenPrivate(p, O_RDWR);
    if (fd < 0) return ErrnoToStatus(errno, "open", p);
    if (absl::Status s = MakePrivate(fd, p); !s.ok()) {
      ::close(fd);
      return s;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error_number = errno;
      ::close(fd);
      if (error_number == EWOULDBLOCK) {
        return absl::FailedPreconditionError(absl::StrCat(
            p, " is locked: another ftcapture process uses this data dir"));
      }
      return ErrnoToStatus(error_number, "lock", p);
    }
    return std::unique_ptr<FileLock>(new PosixFileLock(fd));
  }

 private:
  absl::StatusOr<std::unique_ptr<WritableFile>> OpenForWrite(
      absl::string_view path, int mode_flag) {
    std::string p(path);
    const int fd = OpenPrivate(p, O_WRONLY | mode_flag);
    if (fd < 0) return ErrnoToStatus(errno, "open", p);
    if (absl::Status s = MakePrivate(fd, p); !s.ok()) {
      ::close(fd);
      return s;
    }
    return std::unique_ptr<WritableFile>(
        new PosixWritableFile(std::move(p), fd));
  }
};

}  // namespace

Env* Env::Default() {
  static Env* const env = new PosixEnv;
  return env;
}

absl::Status PreparePrivateDir(absl::string_view dir) {
  const std::string d(dir);
  if (absl::Status s = Env::Default()->CreateDirIfMissing(d); !s.ok()) {
    return s;
  }
  struct stat st;
  if (::stat(d.c_str(), &st) != 0) return ErrnoToStatus(errno, "stat", d);
  if (st.st_uid != ::geteuid()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "data dir %s is owned by uid %d, not by this server's uid %d; another "
        "user could read or replace the data",
        d, st.st_uid, ::geteuid()));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "data dir %s is writable by %s (mode %04o); others could plant "
        "files or symlinks in it. Run: chmod 700 %s",
        d, (st.st_mode & S_IWOTH) != 0 ? "all users" : "its group",
        st.st_mode & 07777, d));
  }
  if ((st.st_mode & 07777) != kPrivateDirMode &&
      ::chmod(d.c_str(), kPrivateDirMode) != 0) {
    return ErrnoToStatus(errno, "chmod 0700", d);
  }
  return absl::OkStatus();
}

absl::Status ReadFileToString(Env* env, absl::string_view path,
                              std::string* data) {
  data->clear();
  auto file = env->NewSequentialFile(path);
  if (!file.ok()) return file.status();
  constexpr size_t kChunk = 1 << 16;
  std::string scratch(kChunk, '\0');
  while (true) {
    absl::string_view chunk;
    absl::Status s = (*file)->Read(kChunk, &chunk, scratch.data());
    if (!s.ok()) return s;
    if (chunk.empty()) break;
    data->append(chunk.data(), chunk.size());
  }
  return absl::OkStatus();
}

}  // namespace ftcapture
