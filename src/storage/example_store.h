#ifndef FTCAPTURE_SRC_STORAGE_EXAMPLE_STORE_H_
#define FTCAPTURE_SRC_STORAGE_EXAMPLE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ftcapture/v1/capture.pb.h"
#include "ftcapture/v1/storage.pb.h"
#include "src/storage/data_dir_files.h"
#include "src/storage/example_summary.h"

namespace ftcapture {

class Env;

enum class SyncPolicy {
  kAlways,  // fsync before an example is acknowledged (group commit)
  kBatch,   // fsync in the background every few milliseconds
  kNone,    // leave it to the OS
};
absl::StatusOr<SyncPolicy> ParseSyncPolicy(absl::string_view text);

// What Open() found and repaired.
struct RecoveryReport {
  int64_t records = 0;              // good records read
  int64_t torn_tail_bytes = 0;      // cut off the end, kept in quarantine
  int64_t corrupt_records = 0;      // bad records in the middle, kept aside
  int64_t markdown_appended = 0;    // examples the Markdown was missing
  int64_t corrupt_bytes = 0;        // bytes of the corrupt stretches
  int64_t markdown_torn_bytes = 0;  // a half-written Markdown block, cut
  // Records a tombstone hides (deleted, awaiting compaction): not visited.
  int64_t deleted_records = 0;
  // What finishing or rolling back an interrupted compaction did; empty
  // when there was none.
  std::string compaction;
  // Files the cut or removed bytes were saved to (full paths).
  std::vector<std::string> quarantine_files;
  // One line per problem found and what was done about it.
  std::vector<std::string> problems;
  // True when anything was repaired.
  bool repaired() const {
    return torn_tail_bytes > 0 || corrupt_records > 0 ||
           markdown_appended > 0 || markdown_torn_bytes > 0;
  }
  // One paragraph for the server log; says "CORRUPT" loudly when records
  // in the middle were bad.
  std::string ToString() const;
};

// The examples of one data dir: examples.tfrecord (the source of truth) and
// the Markdown view derived from it. One writer thread of the store's own
// writes every append: it takes all that is queued (group commit), writes it
// in one go, fsyncs once, and then completes each append. So concurrent
// appends share one fsync, and an AppendAsync() caller never waits on the
// disk.
class ExampleStore {
 public:
  struct Options {
    std::string data_dir;
    SyncPolicy sync = SyncPolicy::kAlways;
    // Also write negative examples to kNegativeMarkdownFileName.
    bool negative_markdown = false;
    // Called after every fsync of the dataset with how long it took (for
    // metrics); may run on any thread, concurrently. May be null.
    std::function<void(absl::Duration latency)> on_dataset_sync;
    // Where a failed background fsync (kBatch) and its recovery are
    // reported; may be called from the store's own thread. Default: stderr.
    std::function<void(const std::string&)> log;
  };
  // `summary` views bytes that live only during the call.
  using Visitor =
      std::function<void(uint64_t offset, const ExampleSummaryView& summary)>;

  // Opens (creating) the files, verifies every record's CRCs, repairs what
  // a crash left behind, and calls `visit` with the summary of each good
  // record in file order. Summaries come from examples.index where it still
  // matches the record (same offset, length and CRC) and are read from the
  // record otherwise; likewise the Markdown logs are scanned only past the
  // state the index recorded, when their bytes there are unchanged.
  // `visit` runs on a thread of its own, one record at a time, in order.
  // Offsets passed to `visit` are those of the repaired file (valid for
  // ReadAt). `visit` runs before the repair is written, so when Open()
  // fails, discard what it saw. `visit` and `report` may be null.
  // Holds the data dir's LOCK file until the store is destroyed.
  static absl::StatusOr<std::unique_ptr<ExampleStore>> Open(
      Env* env, const Options& options, const Visitor& visit,
      RecoveryReport* report);

  virtual ~ExampleStore() = default;

  // Writes `example` to the dataset and then to the Markdown; returns its
  // record offset once it is as durable as the sync policy says. On error no
  // partial record remains and the store stays usable: ResourceExhausted
  // when the disk is full, Unavailable on I/O errors, InvalidArgument when
  // the example has no id. Thread-safe; concurrent calls are written (and,
  // with kAlways, fsynced) together by one of them.
  // Waits for AppendAsync() (so it must not be called from an AppendDone).
  virtual absl::StatusOr<uint64_t> Append(const v1::Example& example) = 0;
  // Where an appended example went, and the summary examples.index holds
  // for it (with its map keys, so a caller need not compute them again).
  struct Stored {
    uint64_t offset = 0;
    v1::ExampleSummary summary;
  };
  // Called once with what Append() would return, and the summary.
  using AppendDone = absl::AnyInvocable<void(absl::StatusOr<Stored>)>;
  // Append() without waiting: `done` runs on the store's writer thread once
  // the example is as durable as the sync policy says (or failed), or on the
  // calling thread when the example is refused before it is queued. `done`
  // may call AppendAsync() again but must not wait for the store.
  virtual void AppendAsync(const v1::Example& example, AppendDone done) = 0;
  virtual absl::StatusOr<v1::Example> ReadAt(uint64_t offset) const = 0;

  // OK, or why Append() refuses examples: with SyncPolicy::kBatch, the last
  // background fsync of the dataset failed (Unavailable), so what was
  // acknowledged since the previous one may not be on disk. Cleared when a
  // later fsync succeeds (the syncer keeps retrying).
  virtual absl::Status sync_status() const = 0;

  // Tombstones records (durably: fsync'd before it returns): the next
  // Open no longer visits them, offline readers skip them, and the next
  // compaction (src/storage/compaction.h) removes them from the files.
  // Each tombstone must name a record the store holds.
  virtual absl::Status Delete(const std::vector<v1::Tombstone>& tombstones) = 0;
  struct DeletionCounts {
    int64_t pending = 0;    // tombstoned records still in the files
    int64_t compacted = 0;  // records removed by compactions so far
    int64_t compactions = 0;
  };
  virtual DeletionCounts deletion_counts() const = 0;

  virtual int64_t dataset_bytes() const = 0;
  virtual int64_t markdown_bytes() const = 0;
  virtual int64_t markdown_lines() const = 0;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_STORAGE_EXAMPLE_STORE_H_
