#ifndef FTCAPTURE_SRC_STORAGE_STORE_REPAIR_H_
#define FTCAPTURE_SRC_STORAGE_STORE_REPAIR_H_

// Recovery of the example store's files at start: cutting a torn tail or
// corrupt stretches out of the dataset and a half-written block off a
// Markdown log, each saved to a quarantine file first.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ftcapture/v1/capture.pb.h"
#include "src/storage/example_store.h"

namespace ftcapture {

class Env;
class RandomAccessFile;

// How much the store reads or writes at a time while recovering.
inline constexpr size_t kStoreChunkBytes = 1 << 20;

// Negative examples go to the second Markdown log.
inline bool IsNegative(v1::Label label) { return label == v1::LABEL_NEGATIVE; }

struct ByteRange {
  uint64_t offset;
  uint64_t length;
};

// What a Markdown file holds once its torn tail (if any) is cut.
struct MarkdownState {
  // Ids of the blocks scanned (all of them, or those past `from` below).
  absl::flat_hash_set<std::string> ids;
  uint64_t bytes = 0;
  uint64_t lines = 0;
  bool needs_blank = false;  // ends right after a fence; add "\n" first
  // True when only the part past a state recorded in the index was scanned:
  // the blocks before it are those of the records the index covers.
  bool from_index = false;
};

// A name under which `base` + suffix does not exist yet.
std::string UniqueName(Env* env, const std::string& base);

// Copies [offset, offset + length) of `source` to a new file at `dest`,
// durably, before the caller cuts those bytes out of the original.
absl::Status CopyRangeDurably(Env* env, const RandomAccessFile& source,
                              uint64_t offset, uint64_t length,
                              const std::string& dest);

// Scans `path` from `from` (0, or the end of a block as recorded in the
// index, whose line count and blank state `from_lines` and
// `from_needs_blank` are), cutting a half-written block off its end.
absl::StatusOr<MarkdownState> RecoverMarkdown(
    Env* env, const std::string& path, uint64_t from, uint64_t from_lines,
    bool from_needs_blank, int64_t unix_now, RecoveryReport* report);

// Removes the corrupt stretches and the torn tail (null: none) from the
// dataset of `file_size` bytes at `path`, after saving them to quarantine
// files.
absl::Status RepairDataset(Env* env, const std::string& path,
                           uint64_t file_size,
                           const std::vector<ByteRange>& corrupt,
                           const ByteRange* torn, int64_t unix_now,
                           RecoveryReport* report);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_STORAGE_STORE_REPAIR_H_
