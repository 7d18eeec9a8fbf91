#include "src/storage/compaction.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "ftcapture/v1/capture.pb.h"
#include "ftcapture/v1/storage.pb.h"
#include "src/storage/data_dir_files.h"
#include "src/storage/deletion_log.h"
#include "src/storage/example_index.h"
#include "src/storage/example_summary.h"
#include "src/storage/markdown_format.h"
#include "src/storage/store_repair.h"
#include "src/storage/tfrecord_reader.h"
#include "src/storage/tfrecord_writer.h"
#include "src/util/atomic_file.h"
#include "src/util/env.h"

namespace ftcapture {
namespace {

// The files a compaction may replace, in the order they are switched: the
// dataset first and the deletions log last (see compaction.h).
constexpr const char* kSwitchOrder[] = {
    kDatasetFileName,          kIndexFileName,
    kReviewLogFileName,        kMarkdownFileName,
    kNegativeMarkdownFileName, kDeletionLogFileName};

std::string CompactPath(const std::string& data_dir, absl::string_view name) {
  return absl::StrCat(JoinPath(data_dir, name), kCompactionSuffix);
}

// The files this compaction replaces: those above that exist or must.
std::vector<std::string> SwitchedFiles(Env* env, const std::string& data_dir,
                                       bool negative_markdown) {
  std::vector<std::string> names;
  for (const char* name : kSwitchOrder) {
    const bool optional =
        name == kReviewLogFileName ||
        (name == kNegativeMarkdownFileName && !negative_markdown);
    if (optional && !env->FileExists(JoinPath(data_dir, name))) continue;
    names.push_back(name);
  }
  return names;
}

bool IsSwitchedName(absl::string_view name) {
  for (const char* known : kSwitchOrder) {
    if (name == known) return true;
  }
  return false;
}

// One new file being written under its .compact name, buffered.
class NewFile {
 public:
  static absl::StatusOr<std::unique_ptr<NewFile>> Create(Env* env,
                                                         std::string path) {
    auto file = env->NewWritableFile(path);
    if (!file.ok()) return file.status();
    return std::unique_ptr<NewFile>(new NewFile(*std::move(file)));
  }
  // Bytes appended so far (flushed or not).
  uint64_t size() const { return flushed_ + buffer_.size(); }
  std::string* buffer() { return &buffer_; }
  // Flushes once the buffer is large; call after appending to buffer().
  absl::Status MaybeFlush() {
    return buffer_.size() >= kStoreChunkBytes ? Flush() : absl::OkStatus();
  }
  absl::Status Finish() {
    absl::Status s = Flush();
    if (s.ok()) s = file_->Sync();
    if (s.ok()) s = file_->Close();
    return s;
  }

 private:
  explicit NewFile(std::unique_ptr<WritableFile> file)
      : file_(std::move(file)) {}
  absl::Status Flush() {
    if (buffer_.empty()) return absl::OkStatus();
    absl::Status s = file_->Append(buffer_);
    flushed_ += buffer_.size();
    buffer_.clear();
    return s;
  }
  std::unique_ptr<WritableFile> file_;
  std::string buffer_;
  uint64_t flushed_ = 0;
};

// A Markdown log being regenerated: what the index marker records of it.
struct NewMarkdown {
  std::unique_ptr<NewFile> file;
  uint64_t lines = 0;
  std::string tail;  // its last kMarkdownTailBytes bytes
  void Add(const std::string& block) {
    file->buffer()->append(block);
    lines +=
        static_cast<uint64_t>(std::count(block.begin(), block.end(), '\n'));
    tail.append(block);
    if (tail.size() > kMarkdownTailBytes) {
      tail.erase(0, tail.size() - kMarkdownTailBytes);
    }
  }
};

// Writes every new file of a compaction under its .compact name.
class CompactionWriter {
 public:
  CompactionWriter(Env* env, std::string data_dir,
                   const DeletionState& deletions, CompactionResult* result)
      : env_(env),
        data_dir_(std::move(data_dir)),
        deletions_(deletions),
        result_(result) {}

  absl::Status Write(const std::vector<std::string>& names) {
    for (const std::string& name : names) {
      auto file = NewFile::Create(env_, CompactPath(data_dir_, name));
      if (!file.ok()) return file.status();
      files_[name] = *std::move(file);
    }
    markdown_[0].file = std::move(files_[kMarkdownFileName]);
    if (files_.count(kNegativeMarkdownFileName) > 0) {
      markdown_[1].file = std::move(files_[kNegativeMarkdownFileName]);
    }
    absl::Status s = CopyKeptRecords();
    if (s.ok()) s = WriteIndexMarker();
    if (s.ok() && files_.count(kReviewLogFileName) > 0) s = CopyKeptReviews();
    if (s.ok()) s = WriteTotals();
    for (auto& [name, file] : files_) {
      if (s.ok() && file != nullptr) s = file->Finish();
    }
    for (NewMarkdown& md : markdown_) {
      if (s.ok() && md.file != nullptr) s = md.file->Finish();
    }
    return s;
  }

 private:
  NewFile& File(const char* name) { return *files_[name]; }

  absl::Status CopyKeptRecords() {
    const std::string path = JoinPath(data_dir_, kDatasetFileName);
    auto size = env_->GetFileSize(path);
    if (!size.ok()) return size.status();
    result_->bytes_before = *size;
    auto mapped = env_->NewMappedFile(path);
    if (!mapped.ok()) return mapped.status();
    TFRecordReader reader(mapped->get(), *size);
    reader.set_copy_data(false);
    TFRecordEntry entry;
    ExampleSummaryView summary;
    v1::Example example;
    NewFile& dataset = File(kDatasetFileName);
    NewFile& index = File(kIndexFileName);
    while (true) {
      absl::Status s = reader.Next(&entry);
      if (!s.ok()) return s;
      if (entry.kind == TFRecordEntry::Kind::kEnd) break;
      if (entry.kind != TFRecordEntry::Kind::kRecord ||
          !SummarizeExampleRecord(entry.view, &summary) ||
          !example.ParseFromArray(entry.view.data(), entry.view.size())) {
        return absl::FailedPreconditionError(absl::StrCat(
            path, " has damage at offset ", entry.offset,
            "; start ftcapture-server on the dir once to repair it, then "
            "compact"));
      }
      if (deletions_.tombstones.Hides(summary.id, entry.offset)) {
        ++result_->removed;
        continue;
      }
      if (deletions_.tombstones.Names(summary.id)) {
        kept_named_ids_.insert(std::string(summary.id));
      }
      const uint64_t offset = dataset.size();
      const uint32_t crc = AppendTFRecord(entry.view, dataset.buffer());
      AppendIndexEntry(offset, dataset.size() - offset, crc, ToProto(summary),
                       index.buffer());
      result_->moved.emplace_back(entry.offset, offset);
      ++result_->kept;
      NewMarkdown& md = markdown_[IsNegative(example.label()) ? 1 : 0];
      if (md.file != nullptr) {
        md.Add(FormatExampleMarkdown(example));
        s = md.file->MaybeFlush();
      }
      if (s.ok()) s = dataset.MaybeFlush();
      if (s.ok()) s = index.MaybeFlush();
      if (!s.ok()) return s;
    }
    result_->bytes_after = dataset.size();
    return absl::OkStatus();
  }

  // The index ends with a Markdown state marker, as every batch does.
  absl::Status WriteIndexMarker() {
    v1::ExampleIndexEntry marker;
    marker.set_offset(File(kDatasetFileName).size());
    for (const NewMarkdown& md : markdown_) {
      v1::MarkdownState* state = marker.add_markdown();
      state->set_enabled(md.file != nullptr);
      if (md.file == nullptr) continue;
      state->set_bytes(md.file->size());
      state->set_lines(md.lines);
      state->set_tail_crc(TailCrc(md.tail));
    }
    AppendTFRecord(marker.SerializeAsString(), File(kIndexFileName).buffer());
    return absl::OkStatus();
  }

  // Reviews of deleted examples go; those of an id also kept stay.
  absl::Status CopyKeptReviews() {
    NewFile& out = File(kReviewLogFileName);
    absl::Status written;
    auto read = ReadTFRecordFile(
        env_, JoinPath(data_dir_, kReviewLogFileName),
        [&](absl::string_view data) {
          v1::ReviewRecord review;
          if (!written.ok() ||
              !review.ParseFromArray(data.data(), data.size())) {
            return;
          }
          if (deletions_.tombstones.Names(review.example_id()) &&
              !kept_named_ids_.contains(review.example_id())) {
            return;
          }
          AppendTFRecord(data, out.buffer());
          written = out.MaybeFlush();
        });
    if (!read.ok()) return read.status();
    return written;
  }

  absl::Status WriteTotals() {
    v1::DeletionRecord totals;
    totals.set_compacted_examples(deletions_.compacted_examples +
                                  result_->removed);
    totals.set_compactions(deletions_.compactions + 1);
    AppendTFRecord(totals.SerializeAsString(),
                   File(kDeletionLogFileName).buffer());
    return absl::OkStatus();
  }

  Env* const env_;
  const std::string data_dir_;
  const DeletionState& deletions_;
  CompactionResult* const result_;
  std::map<std::string, std::unique_ptr<NewFile>> files_;
  NewMarkdown markdown_[2];
  absl::flat_hash_set<std::string> kept_named_ids_;
};

// Steps 2-4 of compaction.h; `crash_after_step` as in CompactionOptions.
absl::Status SwitchIn(Env* env, const std::string& data_dir,
                      const std::vector<std::string>& names,
                      int crash_after_step) {
  int step = 1;
  auto crash = [&]() { return crash_after_step == step; };
  const absl::Status crashed = absl::AbortedError("simulated crash");
  if (crash()) return crashed;
  absl::Status s =
      WriteStringToFileAtomic(env, absl::StrJoin(names, "\n"),
                              JoinPath(data_dir, kCompactionManifestFileName));
  if (!s.ok()) return s;
  ++step;
  if (crash()) return crashed;
  for (const std::string& name : names) {
    s = env->RenameFile(CompactPath(data_dir, name), JoinPath(data_dir, name));
    if (!s.ok()) return s;
    ++step;
    if (crash()) return crashed;
  }
  s = env->SyncDir(data_dir);
  if (s.ok())
    s = env->RemoveFile(JoinPath(data_dir, kCompactionManifestFileName));
  if (s.ok()) s = env->SyncDir(data_dir);
  return s;
}

void RemoveNewFiles(Env* env, const std::string& data_dir) {
  for (const char* name : kSwitchOrder) {
    const std::string path = CompactPath(data_dir, name);
    if (env->FileExists(path)) env->RemoveFile(path).IgnoreError();
  }
}

}  // namespace

absl::Status RecoverCompaction(Env* env, const std::string& data_dir,
                               std::string* what) {
  const std::string manifest_path =
      JoinPath(data_dir, kCompactionManifestFileName);
  const std::string manifest_tmp = absl::StrCat(manifest_path, ".tmp");
  if (env->FileExists(manifest_tmp))
    env->RemoveFile(manifest_tmp).IgnoreError();
  if (!env->FileExists(manifest_path)) {
    // Interrupted before its commit point: the old files stand.
    bool any = false;
    for (const char* name : kSwitchOrder) {
      any = any || env->FileExists(CompactPath(data_dir, name));
    }
    if (!any) return absl::OkStatus();
    RemoveNewFiles(env, data_dir);
    if (what != nullptr) {
      *what =
          "compaction: an interrupted compaction was rolled back (its "
          "new files removed; the tombstones still hide what it would "
          "have removed)";
    }
    return env->SyncDir(data_dir);
  }
  std::string manifest;
  absl::Status s = ReadFileToString(env, manifest_path, &manifest);
  if (!s.ok()) return s;
  for (absl::string_view name : absl::StrSplit(manifest, '\n')) {
    if (!IsSwitchedName(name)) {
      return absl::DataLossError(
          absl::StrCat(manifest_path, " names '", name,
                       "', not a file a compaction writes; remove it by hand"));
    }
    const std::string from = CompactPath(data_dir, name);
    if (!env->FileExists(from)) continue;  // switched before the crash
    s = env->RenameFile(from, JoinPath(data_dir, name));
    if (!s.ok()) return s;
  }
  s = env->SyncDir(data_dir);
  if (s.ok()) s = env->RemoveFile(manifest_path);
  if (s.ok()) s = env->SyncDir(data_dir);
  if (s.ok() && what != nullptr) {
    *what =
        "compaction: an interrupted compaction was finished (its new "
        "files switched in)";
  }
  return s;
}

int CompactionSwitchSteps(Env* env, const std::string& data_dir,
                          bool negative_markdown) {
  return 3 + static_cast<int>(
                 SwitchedFiles(env, data_dir, negative_markdown).size());
}

absl::StatusOr<CompactionResult> CompactDataDir(
    Env* env, const std::string& data_dir, const CompactionOptions& options) {
  const absl::Time start = absl::Now();
  auto lock = env->LockFile(JoinPath(data_dir, kLockFileName));
  if (!lock.ok()) return lock.status();
  absl::Status s = RecoverCompaction(env, data_dir, nullptr);
  if (!s.ok()) return s;
  absl::StatusOr<DeletionState> deletions = LoadDeletions(env, data_dir);
  if (!deletions.ok()) return deletions.status();
  CompactionResult result;
  if (deletions->tombstones.empty()) {
    auto size = env->GetFileSize(JoinPath(data_dir, kDatasetFileName));
    if (size.ok()) result.bytes_before = result.bytes_after = *size;
    result.elapsed = absl::Now() - start;
    return result;
  }
  const std::vector<std::string> names =
      SwitchedFiles(env, data_dir, options.negative_markdown);
  CompactionWriter writer(env, data_dir, *deletions, &result);
  s = writer.Write(names);
  if (!s.ok()) {
    RemoveNewFiles(env, data_dir);
    return s;
  }
  s = env->SyncDir(data_dir);
  if (s.ok()) s = SwitchIn(env, data_dir, names, options.crash_after_step);
  if (!s.ok()) return s;
  result.elapsed = absl::Now() - start;
  return result;
}

}  // namespace ftcapture
