#ifndef FTCAPTURE_CLIENT_ATOMIC_OUTPUT_FILE_H_
#define FTCAPTURE_CLIENT_ATOMIC_OUTPUT_FILE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "src/util/env.h"

namespace ftcapture {

// A file that appears under its name only once it is complete: bytes go to
// "<path>.tmp.<pid>" next to it, and Commit() syncs that file and renames it
// over `path`. Destroyed without a successful Commit() (an error, a failed
// export), the temporary file is removed and `path` is left as it was, so
// readers never see half a file. Appends are buffered. Not thread-safe.
class AtomicOutputFile {
 public:
  static absl::StatusOr<std::unique_ptr<AtomicOutputFile>> Create(
      const std::string& path, Env* env = Env::Default());
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

}  // namespace ftcapture

#endif  // FTCAPTURE_CLIENT_ATOMIC_OUTPUT_FILE_H_
