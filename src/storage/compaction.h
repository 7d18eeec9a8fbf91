#ifndef FTCAPTURE_SRC_STORAGE_COMPACTION_H_
#define FTCAPTURE_SRC_STORAGE_COMPACTION_H_

// Compaction: rewrites a data dir's files without the examples its
// tombstones hide (deletions.tfrecord), crash-safe at every step.
//
//  1. The new files are written beside the old ones as NAME.compact and
//     fsync'd: examples.tfrecord, examples.index, reviews.tfrecord, the
//     Markdown log(s) and deletions.tfrecord (now only the totals).
//  2. The manifest COMPACTION, naming them, is written atomically (temp
//     file, fsync, rename, fsync of the dir): the commit point.
//  3. Each NAME.compact is renamed over NAME, the dataset first and the
//     deletions log last, then the dir is fsync'd.
//  4. The manifest is removed and the dir fsync'd.
//
// RecoverCompaction (run by ExampleStore::Open under the data dir's lock,
// before anything is read) finishes an interrupted compaction when the
// manifest exists (renames what is left; renames are idempotent) and
// otherwise rolls it back (removes any NAME.compact). So after a crash at any
// point the dir holds either all old files or all new ones; the old files
// hide the deleted examples through their tombstones. The dataset is renamed
// before the deletions log, so a reader that takes no lock (export
// --data_dir) may see new files with old tombstones, never the reverse.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ftcapture {

class Env;

struct CompactionOptions {
  // Regenerate the negative Markdown log too (it is also regenerated when
  // the file exists).
  bool negative_markdown = false;
  // Tests only: stop (as a crash would) right after step number
  // `crash_after_step` of the switch, returning Aborted; 0: never. Step 1
  // is "new files written", 2 "manifest committed", 3.. one per rename,
  // then "manifest removed".
  int crash_after_step = 0;
};

struct CompactionResult {
  int64_t kept = 0;     // records written to the new dataset
  int64_t removed = 0;  // records left out (tombstoned)
  uint64_t bytes_before = 0;
  uint64_t bytes_after = 0;
  // For every kept record, {offset before, offset after}, in file order.
  std::vector<std::pair<uint64_t, uint64_t>> moved;
  absl::Duration elapsed;
  bool ran() const { return removed > 0; }
};

// Compacts `data_dir`. Takes the dir's LOCK (so it fails with
// FailedPrecondition while a server or another tool holds it: the server
// compacts itself with its store closed). Does nothing (ran() false) when
// no tombstone is present. The dataset must be clean (every record's CRCs
// verify): a damaged one gets FailedPrecondition, to be repaired by
// opening the store first, which quarantines the damage.
absl::StatusOr<CompactionResult> CompactDataDir(
    Env* env, const std::string& data_dir, const CompactionOptions& options);

// Finishes or rolls back a compaction a crash interrupted (see above).
// Requires the dir's LOCK held. `*what` (may be null) is set to a line for
// the log when anything was done, else left alone.
absl::Status RecoverCompaction(Env* env, const std::string& data_dir,
                               std::string* what);

// How many switch steps a compaction of `data_dir`'s files has (for the
// tests that interrupt each one): 2 + files switched + 1.
int CompactionSwitchSteps(Env* env, const std::string& data_dir,
                          bool negative_markdown);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_STORAGE_COMPACTION_H_
