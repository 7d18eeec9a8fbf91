#ifndef FTCAPTURE_SRC_UTIL_ATOMIC_FILE_H_
#define FTCAPTURE_SRC_UTIL_ATOMIC_FILE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "src/util/env.h"

namespace ftcapture {

// A file that appears under its name only once it is complete: bytes go to
// a temporary file next to it (`path` + `temp_suffix`), and Commit() syncs
// that file, renames it over `path` and syncs the directory. The one
// temp-file-fsync-rename sequence of the project (CLI outputs, store repair,
// Markdown rebuild, small metadata files). Destroyed without a successful
// Commit() (an error, a failed export), the temporary file is removed and
// `path` is left as it was, so readers never see half a file. Appends are
// buffered. Not thread-safe.
class AtomicOutputFile {
 public:
  // The suffix "<pid>" is replaced by ".tmp.<this process id>" (CLI outputs:
  // two processes may write the same path); the data dir uses ".tmp", whose
  // leftovers the store removes at start.
  static absl::StatusOr<std::unique_ptr<AtomicOutputFile>> Create(
      const std::string& path, Env* env = Env::Default(),
      absl::string_view temp_suffix = kPerProcessTempSuffix);
  static constexpr absl::string_view kPerProcessTempSuffix = "<pid>";
  ~AtomicOutputFile();

  AtomicOutputFile(const AtomicOutputFile&) = delete;
  AtomicOutputFile& operator=(const AtomicOutputFile&) = delete;

  const std::string& path() const { return path_; }

  absl::Status Append(absl::string_view data);
  // Flushes, fsyncs, renames over path() and syncs its directory.
  absl::Status Commit();

 private:
  AtomicOutputFile(Env* env, std::string path, std::string temp_path,
                   std::unique_ptr<WritableFile> file);
  absl::Status FlushBuffer();

  Env* const env_;
  const std::string path_;
  const std::string temp_path_;
  std::unique_ptr<WritableFile> file_;  // null once committed
  std::string buffer_;
};

// Replaces `path` with `data` atomically and durably: writes path + ".tmp",
// syncs it, renames it over `path` and syncs the directory.
absl::Status WriteStringToFileAtomic(Env* env, absl::string_view data,
                                     absl::string_view path);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_UTIL_ATOMIC_FILE_H_
