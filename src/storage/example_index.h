#ifndef FTCAPTURE_SRC_STORAGE_EXAMPLE_INDEX_H_
#define FTCAPTURE_SRC_STORAGE_EXAMPLE_INDEX_H_

// examples.index: a cache of the records' summaries and of where the
// Markdown logs stood after each batch, so a restart need not parse every
// example again (see v1::ExampleIndexEntry).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ftcapture/v1/storage.pb.h"
#include "src/util/env.h"

namespace ftcapture {

// examples.index as read at start: its bytes, the entries of its clean
// prefix, and the Markdown state of its last entry (when that entry is a
// state marker, as every batch ends with one).
struct LoadedIndex {
  struct Span {
    uint64_t pos;   // of the entry's payload in `bytes`
    uint64_t size;  // of the payload
    uint64_t end;   // where the framed entry ends in the file
  };
  // The file mapped read-only where the Env maps files (a copy would cost
  // a restart zeroing and filling 150 MB for a million examples), else read
  // into `scratch`. Release() before the file is cut or rewritten.
  absl::string_view bytes;
  std::unique_ptr<RandomAccessFile> file;
  std::unique_ptr<char[]> scratch;
  std::vector<Span> entries;
  bool has_markdown_state = false;
  v1::ExampleIndexEntry last;  // parsed when has_markdown_state

  // Drops the bytes (and unmaps the file); `entries` then point nowhere.
  void Release() {
    bytes = absl::string_view();
    file.reset();
    scratch.reset();
  }
};

// Reads the index at `path` (missing: empty).
absl::StatusOr<LoadedIndex> LoadIndex(Env* env, const std::string& path);

// Frames one index entry for a record onto `*out`.
void AppendIndexEntry(uint64_t offset, uint64_t length, uint32_t masked_crc,
                      v1::ExampleSummary summary, std::string* out);

// The masked CRC32C of the last (up to) kMarkdownTailBytes of a Markdown
// log whose end is `tail`: what the index records to tell later that the
// log was not changed since.
inline constexpr size_t kMarkdownTailBytes = 64;
uint32_t TailCrc(absl::string_view tail);

// The last (up to) kMarkdownTailBytes of the first `size` bytes of `path`.
absl::StatusOr<std::string> ReadTail(Env* env, const std::string& path,
                                     uint64_t size);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_STORAGE_EXAMPLE_INDEX_H_
