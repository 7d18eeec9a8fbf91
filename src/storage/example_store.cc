#include "src/storage/example_store.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "src/storage/compaction.h"
#include "src/storage/deletion_log.h"
#include "src/storage/example_index.h"
#include "src/storage/example_summary.h"
#include "src/storage/markdown_format.h"
#include "src/storage/store_repair.h"
#include "src/storage/tfrecord_reader.h"
#include "src/storage/tfrecord_writer.h"
#include "src/util/crc32c.h"
#include "src/util/env.h"
#include "src/util/mutex.h"
#include "src/util/ordered_handoff.h"

namespace ftcapture {

absl::StatusOr<SyncPolicy> ParseSyncPolicy(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "always") return SyncPolicy::kAlways;
  if (lower == "batch") return SyncPolicy::kBatch;
  if (lower == "none") return SyncPolicy::kNone;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown sync policy '", text, "': want always, batch or none"));
}

std::string RecoveryReport::ToString() const {
  std::string out =
      absl::StrCat(kDatasetFileName, ": ", records, " good records");
  if (corrupt_records > 0) {
    absl::StrAppend(&out, "; CORRUPT: ", corrupt_records,
                    " bad stretch(es) in the middle (", corrupt_bytes,
                    " bytes) removed from the dataset and kept aside");
  }
  if (torn_tail_bytes > 0) {
    absl::StrAppend(&out, "; torn tail of ", torn_tail_bytes,
                    " bytes cut off and kept aside");
  }
  if (markdown_torn_bytes > 0) {
    absl::StrAppend(&out, "; half-written Markdown block of ",
                    markdown_torn_bytes, " bytes cut off and kept aside");
  }
  if (markdown_appended > 0) {
    absl::StrAppend(&out, "; appended ", markdown_appended,
                    " example(s) the Markdown was missing");
  }
  if (deleted_records > 0) {
    absl::StrAppend(&out, "; ", deleted_records,
                    " deleted record(s) hidden until compaction");
  }
  if (!repaired()) absl::StrAppend(&out, "; nothing to repair");
  if (!compaction.empty()) absl::StrAppend(&out, "\n  ", compaction);
  for (const std::string& problem : problems) {
    absl::StrAppend(&out, "\n  ", problem);
  }
  if (!quarantine_files.empty()) {
    absl::StrAppend(&out,
                    "\n  quarantine: ", absl::StrJoin(quarantine_files, ", "));
  }
  return out;
}

namespace {

constexpr uint64_t kMaxBatchBytes = 4 << 20;
constexpr absl::Duration kBatchSyncInterval = absl::Milliseconds(5);

uint64_t CountNewlines(absl::string_view text) {
  return static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n'));
}

// See the class comment in example_store.h. Invariants:
//  - Only the writer thread (WriteLoop) touches the files and the
//    `*_size_`/`*_dirty_` fields below "leader-only"; it releases `mu_`
//    while it does I/O, so others can queue behind it.
//  - Every Writer queued in `writers_` has its `done` called exactly once,
//    by the writer thread, which drains the queue before it exits.
//  - dataset_size_ is the end of the last good record: the file holds
//    exactly that many bytes unless dataset_dirty_ (a failed write whose
//    tail could not be cut yet; the next leader cuts it before writing).
//  - The same for each Markdown file.
class ExampleStoreImpl : public ExampleStore {
 public:
  ExampleStoreImpl(Env* env, Options options)
      : env_(env), options_(std::move(options)) {
    dataset_path_ = JoinPath(options_.data_dir, kDatasetFileName);
    index_path_ = JoinPath(options_.data_dir, kIndexFileName);
    markdown_[0].path = JoinPath(options_.data_dir, kMarkdownFileName);
    markdown_[1].path = JoinPath(options_.data_dir, kNegativeMarkdownFileName);
  }

  ~ExampleStoreImpl() override {
    {
      MutexLock l(&mu_);
      shutting_down_ = true;
    }
    shutdown_cv_.Signal();
    queued_cv_.Signal();
    if (syncer_.joinable()) syncer_.join();
    if (writer_.joinable()) writer_.join();
    if (dataset_ != nullptr && options_.sync != SyncPolicy::kNone) {
      dataset_->Sync().IgnoreError();
    }
  }

  absl::Status Init(const Visitor& visit, RecoveryReport* report);

  absl::StatusOr<uint64_t> Append(const v1::Example& example) override;
  void AppendAsync(const v1::Example& example, AppendDone done) override;
  absl::StatusOr<v1::Example> ReadAt(uint64_t offset) const override;
  absl::Status sync_status() const override;

  absl::Status Delete(const std::vector<v1::Tombstone>& tombstones) override;
  DeletionCounts deletion_counts() const override {
    DeletionCounts counts;
    counts.pending = deleted_pending_.load();
    counts.compacted = deletions_.compacted_examples;
    counts.compactions = deletions_.compactions;
    return counts;
  }

  int64_t dataset_bytes() const override { return dataset_bytes_.load(); }
  int64_t markdown_bytes() const override { return markdown_bytes_.load(); }
  int64_t markdown_lines() const override { return markdown_lines_.load(); }

 private:
  struct Writer {
    std::string record;          // the serialized example
    v1::ExampleSummary summary;  // for the index
    uint32_t masked_crc = 0;     // of the framed record, for the index
    // Its block, or empty when it has no Markdown. Formatted by the
    // appending thread while the writer already writes and syncs the
    // record: read by the writer only once markdown_ready (set under mu_).
    std::string markdown;
    bool markdown_ready = false;
    int markdown_index = 0;
    uint64_t offset = 0;
    AppendDone done;
  };
  struct MarkdownFile {
    std::string path;
    bool enabled = false;
    std::unique_ptr<WritableFile> file;  // leader-only
    uint64_t size = 0;                   // leader-only
    uint64_t lines = 0;                  // leader-only
    bool dirty = false;                  // leader-only
    bool needs_blank = false;            // leader-only
    std::string tail;  // leader-only: its last bytes (for the index)
  };

  // What Init's steps learn and hand on, in the order they run.
  struct Recovery {
    RecoveryReport* report = nullptr;
    int64_t unix_now = 0;  // names the quarantine files
    LoadedIndex index;
    MarkdownState markdown[2];  // each log as scanned
    uint64_t file_size = 0;     // of the dataset before repair
    std::vector<ByteRange> corrupt;
    ByteRange torn{0, 0};
    bool has_torn = false;
    uint64_t dropped = 0;  // corrupt bytes before the current record
    // Offsets (after repair) of the records each log lacks a block for.
    std::vector<uint64_t> missing[2];
    // Records that get a block, per log: what a log read in full must hold.
    int64_t records_with_id[2] = {0, 0};
    // The index entries matched to records so far: entries [0, next_entry),
    // ending at byte index_keep of the file, while index_matches.
    size_t next_entry = 0;
    bool index_matches = true;
    uint64_t index_keep = 0;
    // From the first matched entry without current keys (an index written
    // before they existed, or with another version of them) on, matched
    // entries are written again, with their keys, instead of kept: one
    // slower start, and the next ones hash nothing.
    bool rewriting_keys = false;
    std::string new_entries;  // framed entries of the records after those
  };
  // Init's steps, in order.
  absl::Status LockDataDir();
  absl::Status ScanMarkdownLogs(Recovery* recovery);
  absl::StatusOr<MarkdownState> ScanMarkdownLog(int i,
                                                const Recovery& recovery);
  absl::Status ScanDataset(const Visitor& visit, Recovery* recovery);
  // True (filling `*summary`) when the next index entry describes `entry`.
  bool MatchIndexEntry(const TFRecordEntry& entry, Recovery* recovery,
                       ExampleSummaryView* summary);
  void NoteDamage(const TFRecordEntry& entry, Recovery* recovery);
  void NoteRecord(const TFRecordEntry& entry, uint64_t offset, bool covered,
                  const ExampleSummaryView& summary, Recovery* recovery);
  absl::Status RepairDataset(Recovery* recovery);
  static bool IndexHasUnmatchedRecords(const Recovery& recovery);
  absl::Status RescanMarkdownIfIndexStale(Recovery* recovery);
  absl::Status OpenDataset();
  absl::Status CatchUpMarkdown(Recovery* recovery);
  absl::Status CatchUpMarkdownLog(int i, const MarkdownState& state,
                                  const std::vector<uint64_t>& missing,
                                  RecoveryReport* report);
  void RewriteIndex(Recovery* recovery);

  // The writer thread: writes what is queued, batch by batch, and
  // completes each append, until shutdown has drained the queue.
  void WriteLoop();
  absl::Status WriteBatch(const std::vector<Writer*>& batch, bool sync);
  // Waits until every writer of `batch` has its Markdown block.
  void WaitForMarkdown(const std::vector<Writer*>& batch);
  // Cuts `path` back to `size` and reopens it for appending.
  absl::Status RestoreSize(const std::string& path, uint64_t size,
                           std::unique_ptr<WritableFile>* file);
  absl::Status RestoreDataset();
  void RollBack(uint64_t dataset_size, const uint64_t markdown_sizes[2]);
  void PublishSizes();
  // Syncs the dataset file, reporting the latency to on_dataset_sync.
  absl::Status SyncDataset(WritableFile& file) const {
    const absl::Time start = absl::Now();
    absl::Status status = file.Sync();
    if (options_.on_dataset_sync) options_.on_dataset_sync(absl::Now() - start);
    return status;
  }
  void SyncLoop();
  // Records the outcome of one background fsync; returns what to log.
  std::string NoteBackgroundSync(const absl::Status& status, uint64_t synced)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Log(const std::string& line) const;
  // Frames onto `*out` an index entry that records the Markdown logs'
  // current state. Leader-only.
  void AppendMarkdownStateEntry(std::string* out) const;
  // Stops keeping the index after a write to it failed: the next start
  // rebuilds it. Leader-only.
  void DropIndex();

  Env* const env_;
  const Options options_;
  std::string dataset_path_;
  std::string index_path_;
  std::unique_ptr<WritableFile> index_file_;  // leader-only; null if dropped
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<RandomAccessFile> dataset_reader_;

  mutable Mutex mu_;
  std::deque<std::unique_ptr<Writer>> writers_ ABSL_GUARDED_BY(mu_);
  CondVar queued_cv_;    // wakes the writer thread
  CondVar markdown_cv_;  // a queued append's Markdown block is ready
  std::thread writer_;
  // Shared with the kBatch syncer, which syncs a copy outside `mu_`.
  std::shared_ptr<WritableFile> dataset_ ABSL_GUARDED_BY(mu_);
  uint64_t unsynced_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  // Not OK while the last background fsync failed: Append() refuses.
  absl::Status sync_error_ ABSL_GUARDED_BY(mu_);
  CondVar shutdown_cv_;  // wakes the kBatch syncer when shutting down
  std::thread syncer_;

  uint64_t dataset_size_ = 0;   // leader-only
  bool dataset_dirty_ = false;  // leader-only
  MarkdownFile markdown_[2];    // [0] positives, [1] negatives

  // Read at Open (after any interrupted compaction was finished); only the
  // totals are used after that.
  DeletionState deletions_;
  std::unique_ptr<DeletionLog> deletion_log_;
  std::atomic<int64_t> deleted_pending_{0};

  std::atomic<int64_t> dataset_bytes_{0};
  std::atomic<int64_t> markdown_bytes_{0};
  std::atomic<int64_t> markdown_lines_{0};
};

// Init reads the data dir back in these steps, each of which hands what it
// learned to the next through a Recovery.
absl::Status ExampleStoreImpl::Init(const Visitor& visit,
                                    RecoveryReport* report) {
  absl::Status s = LockDataDir();
  if (s.ok())
    s = RecoverCompaction(env_, options_.data_dir, &report->compaction);
  if (!s.ok()) return s;
  auto deletion_log = DeletionLog::Open(env_, options_.data_dir, &deletions_);
  if (!deletion_log.ok()) return deletion_log.status();
  deletion_log_ = *std::move(deletion_log);
  markdown_[0].enabled = true;
  markdown_[1].enabled = options_.negative_markdown;

  Recovery recovery;
  recovery.report = report;
  recovery.unix_now = absl::ToUnixSeconds(env_->Now());
  // The index: summaries of records already read once, and where the
  // Markdown logs stood after its last batch.
  auto index = LoadIndex(env_, index_path_);
  if (!index.ok()) return index.status();
  recovery.index = *std::move(index);

  s = ScanMarkdownLogs(&recovery);
  if (s.ok()) s = ScanDataset(visit, &recovery);
  if (s.ok()) s = RepairDataset(&recovery);
  if (s.ok()) s = RescanMarkdownIfIndexStale(&recovery);
  if (s.ok()) s = OpenDataset();
  if (s.ok()) s = CatchUpMarkdown(&recovery);
  if (!s.ok()) return s;
  RewriteIndex(&recovery);
  PublishSizes();
  deleted_pending_.store(report->deleted_records);

  if (options_.sync == SyncPolicy::kBatch) {
    syncer_ = std::thread([this] { SyncLoop(); });
  }
  writer_ = std::thread([this] { WriteLoop(); });
  return absl::OkStatus();
}

absl::Status ExampleStoreImpl::LockDataDir() {
  const std::string& dir = options_.data_dir;
  absl::Status s = env_->CreateDirIfMissing(dir);
  if (!s.ok()) return s;
  auto lock = env_->LockFile(JoinPath(dir, kLockFileName));
  if (!lock.ok()) return lock.status();
  lock_ = std::move(*lock);
  // Leftovers of a rewrite that crashed before its rename.
  for (const char* name :
       {kDatasetFileName, kMarkdownFileName, kNegativeMarkdownFileName}) {
    const std::string tmp = absl::StrCat(JoinPath(dir, name), ".tmp");
    if (env_->FileExists(tmp)) env_->RemoveFile(tmp).IgnoreError();
  }
  return absl::OkStatus();
}

absl::Status ExampleStoreImpl::ScanMarkdownLogs(Recovery* recovery) {
  for (int i = 0; i < 2; ++i) {
    if (!markdown_[i].enabled) continue;
    auto state = ScanMarkdownLog(i, *recovery);
    if (!state.ok()) return state.status();
    recovery->markdown[i] = *std::move(state);
  }
  return absl::OkStatus();
}

absl::StatusOr<MarkdownState> ExampleStoreImpl::ScanMarkdownLog(
    int i, const Recovery& recovery) {
  // A Markdown log is scanned only past the recorded state when its bytes
  // there are unchanged; else all of it.
  const MarkdownFile& md = markdown_[i];
  const LoadedIndex& index = recovery.index;
  uint64_t from = 0, from_lines = 0;
  bool from_blank = false;
  if (index.has_markdown_state && index.last.markdown(i).enabled()) {
    const v1::MarkdownState& recorded = index.last.markdown(i);
    auto size = env_->FileExists(md.path)
                    ? env_->GetFileSize(md.path)
                    : absl::StatusOr<uint64_t>(uint64_t{0});
    if (!size.ok()) return size.status();
    if (recorded.bytes() > 0 && *size >= recorded.bytes()) {
      auto tail = ReadTail(env_, md.path, recorded.bytes());
      if (!tail.ok()) return tail.status();
      if (TailCrc(*tail) == recorded.tail_crc()) {
        from = recorded.bytes();
        from_lines = recorded.lines();
        from_blank = recorded.needs_blank();
      }
    }
  }
  return RecoverMarkdown(env_, md.path, from, from_lines, from_blank,
                         recovery.unix_now, recovery.report);
}

absl::Status ExampleStoreImpl::ScanDataset(const Visitor& visit,
                                           Recovery* recovery) {
  if (!env_->FileExists(dataset_path_)) {
    auto created = env_->NewAppendableFile(dataset_path_);
    if (!created.ok()) return created.status();
    absl::Status s = (*created)->Close();
    if (!s.ok()) return s;
  }
  auto file_size = env_->GetFileSize(dataset_path_);
  if (!file_size.ok()) return file_size.status();
  recovery->file_size = *file_size;
  auto file = env_->NewMappedFile(dataset_path_);
  if (!file.ok()) return file.status();
  TFRecordReader reader(file->get(), *file_size);
  reader.set_copy_data(false);
  // `visit` (the caller indexing each example) runs on a second core while
  // this thread reads and verifies the next records. The summaries' views
  // point into the index bytes and the mapped dataset, both kept until the
  // visits are done.
  using Visit = std::pair<uint64_t, ExampleSummaryView>;
  std::unique_ptr<OrderedHandoff<Visit>> visits;
  if (visit) {
    visits = std::make_unique<OrderedHandoff<Visit>>(
        [&visit](Visit& item) { visit(item.first, item.second); });
  }
  TFRecordEntry entry;
  ExampleSummaryView summary;
  while (true) {
    absl::Status s = reader.Next(&entry);
    if (!s.ok()) return s;
    if (entry.kind == TFRecordEntry::Kind::kEnd) break;
    const bool covered = entry.kind == TFRecordEntry::Kind::kRecord &&
                         MatchIndexEntry(entry, recovery, &summary);
    if (entry.kind == TFRecordEntry::Kind::kRecord && !covered &&
        !SummarizeExampleRecord(entry.view, &summary)) {
      entry.kind = TFRecordEntry::Kind::kCorrupt;
      entry.reason = "CRCs verify but the data is not an Example";
    }
    if (entry.kind != TFRecordEntry::Kind::kRecord) {
      NoteDamage(entry, recovery);
      continue;
    }
    const uint64_t offset = entry.offset - recovery->dropped;
    NoteRecord(entry, offset, covered, summary, recovery);
    if (deletions_.tombstones.Hides(summary.id, offset)) {
      ++recovery->report->deleted_records;
      continue;  // still in the files (and the Markdown) until compaction
    }
    if (visits != nullptr) visits->Push({offset, summary});
  }
  if (visits != nullptr) visits->Finish();
  return absl::OkStatus();
}

bool ExampleStoreImpl::MatchIndexEntry(const TFRecordEntry& entry,
                                       Recovery* recovery,
                                       ExampleSummaryView* summary) {
  // The index is used while its entries match the records one for one; the
  // file keeps that prefix and gets entries for every record after it.
  const LoadedIndex& index = recovery->index;
  size_t& next = recovery->next_entry;
  if (!recovery->index_matches || next >= index.entries.size()) return false;
  IndexEntryView indexed;
  // Skip the Markdown state markers between batches.
  while (next < index.entries.size()) {
    const LoadedIndex::Span& span = index.entries[next];
    if (!ParseIndexEntry(
            absl::string_view(index.bytes).substr(span.pos, span.size),
            &indexed)) {
      indexed.length = ~uint64_t{0};  // matches no record
      break;
    }
    if (indexed.length != 0) break;
    ++next;
  }
  const bool covered =
      next < index.entries.size() && indexed.offset == entry.offset &&
      indexed.length == entry.length && indexed.masked_crc == entry.masked_crc;
  if (covered) {
    *summary = indexed.summary;
    if (!HasCurrentKeys(*summary)) recovery->rewriting_keys = true;
    if (!recovery->rewriting_keys)
      recovery->index_keep = index.entries[next].end;
    ++next;
  } else {
    recovery->index_matches = false;
  }
  return covered;
}

void ExampleStoreImpl::NoteDamage(const TFRecordEntry& entry,
                                  Recovery* recovery) {
  RecoveryReport* report = recovery->report;
  if (entry.kind == TFRecordEntry::Kind::kCorrupt) {
    // Records after it move: their index entries no longer hold.
    recovery->index_matches = false;
    recovery->corrupt.push_back({entry.offset, entry.length});
    recovery->dropped += entry.length;
    report->corrupt_records++;
    report->corrupt_bytes += static_cast<int64_t>(entry.length);
    report->problems.push_back(
        absl::StrCat("CORRUPT ", dataset_path_, ": ", entry.length,
                     " bytes at offset ", entry.offset, " (", entry.reason,
                     "); removed, the records after it kept"));
    return;
  }
  recovery->torn = {entry.offset, entry.length};
  recovery->has_torn = true;
  report->torn_tail_bytes = static_cast<int64_t>(entry.length);
  report->problems.push_back(absl::StrCat(
      dataset_path_, ": torn tail of ", entry.length, " bytes at offset ",
      entry.offset, " (", entry.reason, ") cut off"));
}

void ExampleStoreImpl::NoteRecord(const TFRecordEntry& entry, uint64_t offset,
                                  bool covered,
                                  const ExampleSummaryView& summary,
                                  Recovery* recovery) {
  recovery->report->records++;
  if (!covered || recovery->rewriting_keys) {
    AppendIndexEntry(offset, entry.length, entry.masked_crc, ToProto(summary),
                     &recovery->new_entries);
  }
  // A record the index covers has its block before the recorded state of a
  // log scanned from there.
  const int i = IsNegative(summary.label) ? 1 : 0;
  MarkdownState& log = recovery->markdown[i];
  if (markdown_[i].enabled && !summary.id.empty()) {
    ++recovery->records_with_id[i];
    if (!(covered && log.from_index) && !ClaimBlock(log, summary.id)) {
      recovery->missing[i].push_back(offset);
    }
  }
}

absl::Status ExampleStoreImpl::RepairDataset(Recovery* recovery) {
  if (!recovery->corrupt.empty() || recovery->has_torn) {
    absl::Status s = ftcapture::RepairDataset(
        env_, dataset_path_, recovery->file_size, recovery->corrupt,
        recovery->has_torn ? &recovery->torn : nullptr, recovery->unix_now,
        recovery->report);
    if (!s.ok()) return s;
  }
  dataset_size_ = recovery->file_size - recovery->dropped -
                  (recovery->has_torn ? recovery->torn.length : 0);
  dataset_bytes_.store(static_cast<int64_t>(dataset_size_));
  return absl::OkStatus();
}

bool ExampleStoreImpl::IndexHasUnmatchedRecords(const Recovery& recovery) {
  const LoadedIndex& index = recovery.index;
  for (size_t i = recovery.next_entry; i < index.entries.size(); ++i) {
    IndexEntryView entry;
    const LoadedIndex::Span& span = index.entries[i];
    if (!ParseIndexEntry(
            absl::string_view(index.bytes).substr(span.pos, span.size),
            &entry) ||
        entry.length != 0) {
      return true;
    }
  }
  return false;
}

absl::Status ExampleStoreImpl::RescanMarkdownIfIndexStale(Recovery* recovery) {
  // The Markdown state the index recorded covers its record entries; when
  // some of them no longer matched a record (a corrupt record, a changed
  // dataset), which blocks the log holds is no longer known: scan the logs
  // scanned from that state again in full and check every record (rare).
  MarkdownState* md_state = recovery->markdown;
  if (!(md_state[0].from_index || md_state[1].from_index) ||
      !IndexHasUnmatchedRecords(*recovery)) {
    return absl::OkStatus();
  }
  bool rescan[2];
  for (int i = 0; i < 2; ++i) {
    rescan[i] = md_state[i].from_index;
    if (!rescan[i]) continue;
    auto state = RecoverMarkdown(env_, markdown_[i].path, 0, 0, false,
                                 recovery->unix_now, recovery->report);
    if (!state.ok()) return state.status();
    md_state[i] = std::move(*state);
    recovery->missing[i].clear();
  }
  auto file = env_->NewRandomAccessFile(dataset_path_);
  if (!file.ok()) return file.status();
  TFRecordReader reader(file->get(), dataset_size_);
  reader.set_copy_data(false);
  TFRecordEntry entry;
  ExampleSummaryView summary;
  while (true) {
    absl::Status s = reader.Next(&entry);
    if (!s.ok()) return s;
    if (entry.kind == TFRecordEntry::Kind::kEnd) break;
    if (entry.kind != TFRecordEntry::Kind::kRecord ||
        !SummarizeExampleRecord(entry.view, &summary)) {
      continue;  // repaired above; nothing of the kind is left
    }
    const int log = IsNegative(summary.label) ? 1 : 0;
    if (rescan[log] && !summary.id.empty() &&
        !ClaimBlock(md_state[log], summary.id)) {
      recovery->missing[log].push_back(entry.offset);
    }
  }
  return absl::OkStatus();
}

absl::Status ExampleStoreImpl::OpenDataset() {
  auto reader = env_->NewRandomAccessFile(dataset_path_);
  if (!reader.ok()) return reader.status();
  dataset_reader_ = std::move(*reader);
  auto appender = env_->NewAppendableFile(dataset_path_);
  if (!appender.ok()) return appender.status();
  MutexLock l(&mu_);
  dataset_ = std::move(*appender);
  return absl::OkStatus();
}

absl::Status ExampleStoreImpl::CatchUpMarkdown(Recovery* recovery) {
  RecoveryReport* report = recovery->report;
  for (int i = 0; i < 2; ++i) {
    if (!markdown_[i].enabled) continue;
    absl::Status s = CatchUpMarkdownLog(i, recovery->markdown[i],
                                        recovery->missing[i], report);
    if (!s.ok()) return s;
  }
  if (report->markdown_appended > 0) {
    report->problems.push_back(
        absl::StrCat("Markdown was missing ", report->markdown_appended,
                     " example(s) of the dataset; appended them"));
  }
  // A log read in full must now hold one block per record: more means
  // blocks of examples the dataset does not hold (edited by hand, another
  // dataset's log), and that is said loudly, never passed over.
  for (int i = 0; i < 2; ++i) {
    const MarkdownState& log = recovery->markdown[i];
    if (!markdown_[i].enabled || log.from_index) continue;
    const int64_t blocks =
        log.blocks + static_cast<int64_t>(recovery->missing[i].size());
    if (blocks != recovery->records_with_id[i]) {
      report->problems.push_back(absl::StrFormat(
          "MARKDOWN MISMATCH: %s has %d example blocks for %d %s examples in "
          "the dataset; stop the server and run `ftcapture rebuild-markdown` "
          "to regenerate it from the dataset",
          markdown_[i].path, blocks, recovery->records_with_id[i],
          i == 0 ? "positive" : "negative"));
    }
  }
  return absl::OkStatus();
}

absl::Status ExampleStoreImpl::CatchUpMarkdownLog(
    int i, const MarkdownState& state, const std::vector<uint64_t>& missing,
    RecoveryReport* report) {
  MarkdownFile& md = markdown_[i];
  auto file = env_->NewAppendableFile(md.path);
  if (!file.ok()) return file.status();
  md.file = std::move(*file);
  md.size = state.bytes;
  md.lines = state.lines;
  md.needs_blank = state.needs_blank;
  std::string pending;
  auto flush = [&]() -> absl::Status {
    if (pending.empty()) return absl::OkStatus();
    absl::Status st = md.file->Append(pending);
    if (!st.ok()) return st;
    md.size += pending.size();
    md.lines += CountNewlines(pending);
    pending.clear();
    return absl::OkStatus();
  };
  for (uint64_t offset : missing) {
    auto example = ReadAt(offset);
    if (!example.ok()) return example.status();
    if (md.needs_blank) {
      pending.append("\n");
      md.needs_blank = false;
    }
    pending.append(FormatExampleMarkdown(*example));
    report->markdown_appended++;
    if (pending.size() >= kStoreChunkBytes) {
      absl::Status s = flush();
      if (!s.ok()) return s;
    }
  }
  absl::Status s = flush();
  if (!s.ok()) return s;
  auto tail = ReadTail(env_, md.path, md.size);
  if (!tail.ok()) return tail.status();
  md.tail = *std::move(tail);
  return absl::OkStatus();
}

void ExampleStoreImpl::RewriteIndex(Recovery* recovery) {
  // The index keeps its matching prefix and gets the rest and a marker of
  // the Markdown state. It is a cache: failing to write it costs the next
  // start time, never data, so errors here only drop it.
  LoadedIndex& index = recovery->index;
  const uint64_t keep = recovery->index_keep;
  const uint64_t size = index.bytes.size();
  // Unmapped before the file is cut: a mapped page past the end faults.
  index.Release();
  bool keep_index = true;
  if (size > keep) {
    if (keep == 0) {
      if (env_->FileExists(index_path_)) {
        env_->RemoveFile(index_path_).IgnoreError();
      }
    } else if (!env_->TruncateFile(index_path_, keep).ok()) {
      env_->RemoveFile(index_path_).IgnoreError();
      keep_index = false;  // the whole index is rebuilt next time
    }
  }
  if (!keep_index) return;
  auto index_file = env_->NewAppendableFile(index_path_);
  if (!index_file.ok()) return;
  index_file_ = std::move(*index_file);
  AppendMarkdownStateEntry(&recovery->new_entries);
  if (!index_file_->Append(recovery->new_entries).ok()) DropIndex();
}

void ExampleStoreImpl::PublishSizes() {
  dataset_bytes_.store(static_cast<int64_t>(dataset_size_));
  markdown_bytes_.store(static_cast<int64_t>(markdown_[0].size));
  markdown_lines_.store(static_cast<int64_t>(markdown_[0].lines));
}

absl::StatusOr<uint64_t> ExampleStoreImpl::Append(const v1::Example& example) {
  ResultSlot<absl::StatusOr<uint64_t>> result;
  AppendAsync(example, [&result](absl::StatusOr<Stored> stored) {
    result.Set(stored.ok() ? absl::StatusOr<uint64_t>(stored->offset)
                           : stored.status());
  });
  return result.Wait();
}

void ExampleStoreImpl::AppendAsync(const v1::Example& example,
                                   AppendDone done) {
  if (example.id().empty()) {
    done(absl::InvalidArgumentError("example has no id; nothing stored"));
    return;
  }
  auto w = std::make_unique<Writer>();
  if (!example.SerializeToString(&w->record)) {
    done(absl::InvalidArgumentError(
        absl::StrCat("example ", example.id(), " does not serialize")));
    return;
  }
  w->summary = SummarizeExample(example);
  w->markdown_index = IsNegative(example.label()) ? 1 : 0;
  const bool markdown = markdown_[w->markdown_index].enabled;
  w->markdown_ready = !markdown;
  w->done = std::move(done);
  Writer* const queued = w.get();
  absl::Status refused;
  {
    MutexLock l(&mu_);
    refused = sync_error_;
    if (refused.ok()) writers_.push_back(std::move(w));
  }
  if (!refused.ok()) {
    w->done(refused);
    return;
  }
  queued_cv_.Signal();
  if (!markdown) return;
  // While the writer appends and fsyncs the record: the Markdown is written
  // after that fsync anyway, and `queued` lives until its block is ready
  // (the writer waits for it before completing the append).
  std::string block = FormatExampleMarkdown(example);
  MutexLock l(&mu_);
  queued->markdown = std::move(block);
  queued->markdown_ready = true;
  markdown_cv_.SignalAll();
}

void ExampleStoreImpl::WaitForMarkdown(const std::vector<Writer*>& batch) {
  MutexLock l(&mu_);
  for (const Writer* w : batch) {
    while (!w->markdown_ready) markdown_cv_.Wait(&mu_);
  }
}

void ExampleStoreImpl::WriteLoop() {
  const bool sync = options_.sync == SyncPolicy::kAlways;
  std::vector<std::unique_ptr<Writer>> batch;
  std::vector<Writer*> writing;
  mu_.Lock();
  while (true) {
    while (writers_.empty() && !shutting_down_) queued_cv_.Wait(&mu_);
    if (writers_.empty()) break;  // shutting down, all completed
    // Take what is queued (bounded) and write it in one go.
    uint64_t bytes = 0;
    while (!writers_.empty() &&
           (batch.empty() ||
            bytes + writers_.front()->record.size() <= kMaxBatchBytes)) {
      bytes += writers_.front()->record.size();
      writing.push_back(writers_.front().get());
      batch.push_back(std::move(writers_.front()));
      writers_.pop_front();
    }
    mu_.Unlock();
    const absl::Status status = WriteBatch(writing, sync);
    // WriteBatch waited unless it failed early; no Writer may go while its
    // appending thread still formats its block.
    WaitForMarkdown(writing);
    if (status.ok() && !sync) {
      for (const Writer* w : writing) bytes += w->markdown.size();
      MutexLock l(&mu_);
      unsynced_bytes_ += bytes;
    }
    // Outside the lock: a completion may queue the next append.
    for (std::unique_ptr<Writer>& w : batch) {
      if (status.ok()) {
        w->done(Stored{w->offset, std::move(w->summary)});
      } else {
        w->done(status);
      }
    }
    batch.clear();
    writing.clear();
    mu_.Lock();
  }
  mu_.Unlock();
}

absl::Status ExampleStoreImpl::RestoreSize(
    const std::string& path, uint64_t size,
    std::unique_ptr<WritableFile>* file) {
  file->reset();
  absl::Status s = env_->TruncateFile(path, size);
  if (!s.ok()) return s;
  auto reopened = env_->NewAppendableFile(path);
  if (!reopened.ok()) return reopened.status();
  *file = std::move(*reopened);
  return absl::OkStatus();
}

absl::Status ExampleStoreImpl::RestoreDataset() {
  std::unique_ptr<WritableFile> file;
  absl::Status s = RestoreSize(dataset_path_, dataset_size_, &file);
  MutexLock l(&mu_);
  dataset_ = std::move(file);  // null on failure: the next leader retries
  return s;
}

void ExampleStoreImpl::RollBack(uint64_t dataset_size,
                                const uint64_t markdown_sizes[2]) {
  for (int i = 0; i < 2; ++i) {
    MarkdownFile& md = markdown_[i];
    if (!md.enabled) continue;
    md.size = markdown_sizes[i];
    md.dirty = !RestoreSize(md.path, md.size, &md.file).ok();
  }
  dataset_size_ = dataset_size;
  dataset_dirty_ = !RestoreDataset().ok();
}

absl::Status ExampleStoreImpl::WriteBatch(const std::vector<Writer*>& batch,
                                          bool sync) {
  // First undo what an earlier failure could not.
  if (dataset_dirty_) {
    absl::Status s = RestoreDataset();
    if (!s.ok()) return s;
    dataset_dirty_ = false;
  }
  for (MarkdownFile& md : markdown_) {
    if (!md.enabled || !md.dirty) continue;
    absl::Status s = RestoreSize(md.path, md.size, &md.file);
    if (!s.ok()) return s;
    md.dirty = false;
  }

  std::string records;
  for (Writer* w : batch) {
    w->offset = dataset_size_ + records.size();
    w->masked_crc = AppendTFRecord(w->record, &records);
  }
  std::shared_ptr<WritableFile> dataset;
  {
    MutexLock l(&mu_);
    dataset = dataset_;
  }
  const uint64_t old_markdown_sizes[2] = {markdown_[0].size, markdown_[1].size};
  const uint64_t old_dataset_size = dataset_size_;
  const bool old_needs_blank[2] = {markdown_[0].needs_blank,
                                   markdown_[1].needs_blank};

  absl::Status s;
  if (!records.empty()) s = dataset->Append(records);
  if (s.ok() && sync) s = SyncDataset(*dataset);
  // The blocks were formatted meanwhile, by the appending threads.
  WaitForMarkdown(batch);
  std::string blocks[2];
  for (const Writer* w : batch) {
    if (w->markdown.empty()) continue;
    MarkdownFile& md = markdown_[w->markdown_index];
    if (md.needs_blank) {
      blocks[w->markdown_index].append("\n");
      md.needs_blank = false;
    }
    blocks[w->markdown_index].append(w->markdown);
  }
  for (int i = 0; i < 2 && s.ok(); ++i) {
    if (blocks[i].empty()) continue;
    s = markdown_[i].file->Append(blocks[i]);
  }
  if (!s.ok()) {
    for (int i = 0; i < 2; ++i) markdown_[i].needs_blank = old_needs_blank[i];
    RollBack(old_dataset_size, old_markdown_sizes);
    return s;
  }
  dataset_size_ += records.size();
  for (int i = 0; i < 2; ++i) {
    MarkdownFile& md = markdown_[i];
    md.size += blocks[i].size();
    md.lines += CountNewlines(blocks[i]);
    md.tail.append(
        blocks[i],
        blocks[i].size() - std::min(blocks[i].size(), kMarkdownTailBytes),
        std::string::npos);
    if (md.tail.size() > kMarkdownTailBytes) {
      md.tail.erase(0, md.tail.size() - kMarkdownTailBytes);
    }
  }
  PublishSizes();

  // The index after the Markdown: an entry there promises its block is in.
  if (index_file_ != nullptr) {
    std::string entries;
    for (const Writer* w : batch) {
      AppendIndexEntry(w->offset, TFRecordFramedSize(w->record.size()),
                       w->masked_crc, w->summary, &entries);
    }
    AppendMarkdownStateEntry(&entries);
    if (!index_file_->Append(entries).ok()) DropIndex();
  }
  return absl::OkStatus();
}

void ExampleStoreImpl::AppendMarkdownStateEntry(std::string* out) const {
  v1::ExampleIndexEntry entry;
  entry.set_offset(dataset_size_);
  for (const MarkdownFile& md : markdown_) {
    v1::MarkdownState* state = entry.add_markdown();
    state->set_enabled(md.enabled);
    if (!md.enabled) continue;
    state->set_bytes(md.size);
    state->set_lines(md.lines);
    state->set_needs_blank(md.needs_blank);
    state->set_tail_crc(TailCrc(md.tail));
  }
  AppendTFRecord(entry.SerializeAsString(), out);
}

void ExampleStoreImpl::DropIndex() {
  index_file_.reset();
  env_->RemoveFile(index_path_).IgnoreError();
}

void ExampleStoreImpl::SyncLoop() {
  mu_.Lock();
  while (!shutting_down_) {
    // Sleeps one interval, cut short by shutdown (a spurious wake-up only
    // makes this round early, which is harmless).
    shutdown_cv_.WaitWithTimeout(&mu_, kBatchSyncInterval);
    if (shutting_down_ || unsynced_bytes_ == 0 || dataset_ == nullptr) continue;
    std::shared_ptr<WritableFile> file = dataset_;
    const uint64_t syncing = unsynced_bytes_;
    mu_.Unlock();
    // fdatasync alongside appends: it covers at least what was counted.
    const absl::Status synced = SyncDataset(*file);
    mu_.Lock();
    const std::string line = NoteBackgroundSync(synced, syncing);
    if (!line.empty()) {
      mu_.Unlock();
      Log(line);
      mu_.Lock();
    }
  }
  mu_.Unlock();
}

std::string ExampleStoreImpl::NoteBackgroundSync(const absl::Status& status,
                                                 uint64_t synced) {
  if (status.ok()) {
    unsynced_bytes_ -= std::min(unsynced_bytes_, synced);
    if (sync_error_.ok()) return "";
    sync_error_ = absl::OkStatus();
    return absl::StrCat("background fsync of ", dataset_path_,
                        " succeeded again; captures are accepted");
  }
  // Like LevelDB: acknowledged examples may not be on disk, so the store
  // stops acknowledging more rather than dropping the error. The bytes stay
  // counted, so the next round retries.
  const bool first = sync_error_.ok();
  sync_error_ = absl::UnavailableError(absl::StrCat(
      "background fsync of ", dataset_path_, " failed (", status.message(),
      "); captures are refused until an fsync succeeds"));
  return first ? std::string(sync_error_.message()) : "";
}

absl::Status ExampleStoreImpl::sync_status() const {
  MutexLock l(&mu_);
  return sync_error_;
}

void ExampleStoreImpl::Log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

absl::Status ExampleStoreImpl::Delete(
    const std::vector<v1::Tombstone>& tombstones) {
  if (tombstones.empty()) return absl::OkStatus();
  v1::DeletionRecord record;
  for (const v1::Tombstone& tombstone : tombstones) {
    *record.add_tombstones() = tombstone;
  }
  record.mutable_deleted_at()->set_seconds(absl::ToUnixSeconds(env_->Now()));
  absl::Status s = deletion_log_->Append(record);
  if (s.ok()) {
    deleted_pending_.fetch_add(static_cast<int64_t>(tombstones.size()));
  }
  return s;
}

absl::StatusOr<v1::Example> ExampleStoreImpl::ReadAt(uint64_t offset) const {
  if (offset >= static_cast<uint64_t>(dataset_bytes_.load())) {
    return absl::NotFoundError(absl::StrCat("no example at offset ", offset,
                                            ": ", dataset_path_, " holds ",
                                            dataset_bytes_.load(), " bytes"));
  }
  auto data = ReadTFRecordAt(*dataset_reader_, offset);
  if (!data.ok()) {
    if (absl::IsDataLoss(data.status())) {
      return absl::NotFoundError(absl::StrCat("no example at offset ", offset,
                                              " of ", dataset_path_, ": ",
                                              data.status().message()));
    }
    return data.status();
  }
  v1::Example example;
  if (!example.ParseFromString(*data)) {
    return absl::DataLossError(absl::StrCat("record at offset ", offset, " of ",
                                            dataset_path_,
                                            " is not an Example"));
  }
  return example;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ExampleStore>> ExampleStore::Open(
    Env* env, const Options& options, const Visitor& visit,
    RecoveryReport* report) {
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("data_dir is empty");
  }
  RecoveryReport local;
  if (report == nullptr) report = &local;
  *report = RecoveryReport();
  auto store = std::make_unique<ExampleStoreImpl>(env, options);
  absl::Status s = store->Init(visit, report);
  if (!s.ok()) return s;
  return std::unique_ptr<ExampleStore>(std::move(store));
}

}  // namespace ftcapture
