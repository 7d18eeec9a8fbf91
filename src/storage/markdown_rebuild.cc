#include "src/storage/markdown_rebuild.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ftcapture/v1/capture.pb.h"
#include "src/storage/data_dir_files.h"
#include "src/storage/markdown_format.h"
#include "src/storage/store_repair.h"
#include "src/storage/tfrecord_reader.h"
#include "src/util/atomic_file.h"
#include "src/util/env.h"

namespace ftcapture {

absl::Status RebuildMarkdown(Env* env, const std::string& data_dir,
                             bool negative_markdown,
                             int64_t* examples_written) {
  if (examples_written != nullptr) *examples_written = 0;
  auto lock = env->LockFile(JoinPath(data_dir, kLockFileName));
  if (!lock.ok()) return lock.status();
  const std::string dataset_path = JoinPath(data_dir, kDatasetFileName);
  if (!env->FileExists(dataset_path)) {
    return absl::NotFoundError(
        absl::StrCat("no dataset at ", dataset_path, "; nothing to rebuild"));
  }
  auto size = env->GetFileSize(dataset_path);
  if (!size.ok()) return size.status();
  auto file = env->NewRandomAccessFile(dataset_path);
  if (!file.ok()) return file.status();

  const std::string paths[2] = {JoinPath(data_dir, kMarkdownFileName),
                                JoinPath(data_dir, kNegativeMarkdownFileName)};
  const bool enabled[2] = {true, negative_markdown};
  // Both logs are committed only once the whole dataset has been read.
  std::unique_ptr<AtomicOutputFile> out[2];
  for (int i = 0; i < 2; ++i) {
    if (!enabled[i]) continue;
    auto created = AtomicOutputFile::Create(paths[i], env, ".tmp");
    if (!created.ok()) return created.status();
    out[i] = *std::move(created);
  }

  TFRecordReader reader(file->get(), *size);
  TFRecordEntry entry;
  v1::Example example;
  // Checked before the files replace the old ones: every example of the
  // dataset has exactly one block in what was written.
  ExampleMarkdownScanner written[2];
  int64_t blocks[2] = {0, 0};
  int64_t unreadable = 0;
  while (true) {
    absl::Status s = reader.Next(&entry);
    if (!s.ok()) return s;
    if (entry.kind == TFRecordEntry::Kind::kEnd) break;
    if (entry.kind != TFRecordEntry::Kind::kRecord ||
        !example.ParseFromString(entry.data)) {
      ++unreadable;  // Open() reports and repairs these.
      continue;
    }
    const int i = IsNegative(example.label()) ? 1 : 0;
    if (!enabled[i]) continue;
    const std::string block = FormatExampleMarkdown(example);
    s = out[i]->Append(block);
    if (!s.ok()) return s;
    written[i].Feed(block);
    ++blocks[i];
    if (examples_written != nullptr) ++*examples_written;
  }
  for (int i = 0; i < 2; ++i) {
    if (!enabled[i]) continue;
    written[i].Finish();
    if (written[i].complete_blocks() != blocks[i]) {
      return absl::DataLossError(absl::StrFormat(
          "MARKDOWN MISMATCH: the rebuilt %s has %d example blocks for the "
          "dataset's %d %s examples; the old file was left in place",
          paths[i], written[i].complete_blocks(), blocks[i],
          i == 0 ? "positive" : "negative"));
    }
  }
  for (int i = 0; i < 2; ++i) {
    if (!enabled[i]) continue;
    absl::Status s = out[i]->Commit();
    if (!s.ok()) return s;
  }
  // The index recorded the old logs' state; the next start rebuilds it.
  const std::string index_path = JoinPath(data_dir, kIndexFileName);
  if (env->FileExists(index_path)) {
    absl::Status s = env->RemoveFile(index_path);
    if (!s.ok()) return s;
  }
  absl::Status synced = env->SyncDir(data_dir);
  if (!synced.ok() || unreadable == 0) return synced;
  return absl::DataLossError(absl::StrFormat(
      "the Markdown was rebuilt from the %d readable examples, but %d "
      "stretch(es) of %s could not be read and have no block; start "
      "ftcapture-server on %s to quarantine them (it reports them)",
      blocks[0] + blocks[1], unreadable, dataset_path, data_dir));
}

}  // namespace ftcapture
