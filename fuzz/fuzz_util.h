// Helpers shared by the libFuzzer targets: an in-memory file for the
// readers that take a RandomAccessFile, and a scratch directory per process
// for the parsers that only read from disk. No gtest here: fuzz targets
// abort (via FUZZ_CHECK) on a broken invariant so libFuzzer keeps the input.

#ifndef FTCAPTURE_FUZZ_FUZZ_UTIL_H_
#define FTCAPTURE_FUZZ_FUZZ_UTIL_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "src/util/env.h"

namespace ftcapture {
namespace fuzz {

// Aborts with the failed condition, so libFuzzer saves the crashing input.
#define FUZZ_CHECK(condition)                                          \
  do {                                                                 \
    if (!(condition)) {                                                \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, \
                   __LINE__, #condition);                              \
      std::abort();                                                    \
    }                                                                  \
  } while (0)

// A RandomAccessFile over bytes the caller keeps alive.
class MemoryFile : public RandomAccessFile {
 public:
  explicit MemoryFile(absl::string_view bytes) : bytes_(bytes) {}
  absl::Status Read(uint64_t offset, size_t n, absl::string_view* result,
                    char* /*scratch*/) const override {
    if (offset >= bytes_.size()) {
      *result = absl::string_view();
    } else {
      *result = bytes_.substr(offset, n);
    }
    return absl::OkStatus();
  }

 private:
  const absl::string_view bytes_;
};

// A directory of its own under $TMPDIR for this process (made once, reused
// by every input; the target empties what it uses).
const std::string& ScratchDir();

// Replaces `path` with exactly `bytes`.
void WriteWholeFile(const std::string& path, absl::string_view bytes);

// Removes `dir` and everything in it (no error if missing).
void RemoveTree(const std::string& dir);

}  // namespace fuzz
}  // namespace ftcapture

#endif  // FTCAPTURE_FUZZ_FUZZ_UTIL_H_
