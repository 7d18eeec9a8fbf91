#include "src/storage/markdown_rebuild.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ftcapture/v1/capture.pb.h"
#include "src/storage/data_dir_files.h"
#include "src/storage/markdown_format.h"
#include "src/storage/store_repair.h"
#include "src/storage/tfrecord_reader.h"
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
  std::unique_ptr<WritableFile> out[2];
  for (int i = 0; i < 2; ++i) {
    if (!enabled[i]) continue;
    auto created = env->NewWritableFile(absl::StrCat(paths[i], ".tmp"));
    if (!created.ok()) return created.status();
    out[i] = std::move(*created);
  }
  auto fail = [&](absl::Status status) {
    for (int i = 0; i < 2; ++i) {
      if (!enabled[i]) continue;
      out[i].reset();
      env->RemoveFile(absl::StrCat(paths[i], ".tmp")).IgnoreError();
    }
    return status;
  };

  TFRecordReader reader(file->get(), *size);
  TFRecordEntry entry;
  v1::Example example;
  std::string pending[2];
  while (true) {
    absl::Status s = reader.Next(&entry);
    if (!s.ok()) return fail(s);
    if (entry.kind == TFRecordEntry::Kind::kEnd) break;
    if (entry.kind != TFRecordEntry::Kind::kRecord ||
        !example.ParseFromString(entry.data)) {
      continue;  // Open() reports and repairs these.
    }
    const int i = IsNegative(example.label()) ? 1 : 0;
    if (!enabled[i]) continue;
    pending[i].append(FormatExampleMarkdown(example));
    if (examples_written != nullptr) ++*examples_written;
    if (pending[i].size() >= kStoreChunkBytes) {
      s = out[i]->Append(pending[i]);
      if (!s.ok()) return fail(s);
      pending[i].clear();
    }
  }
  for (int i = 0; i < 2; ++i) {
    if (!enabled[i]) continue;
    absl::Status s = out[i]->Append(pending[i]);
    if (s.ok()) s = out[i]->Sync();
    if (s.ok()) s = out[i]->Close();
    if (!s.ok()) return fail(s);
  }
  for (int i = 0; i < 2; ++i) {
    if (!enabled[i]) continue;
    absl::Status s = env->RenameFile(absl::StrCat(paths[i], ".tmp"), paths[i]);
    if (!s.ok()) return fail(s);
  }
  // The index recorded the old logs' state; the next start rebuilds it.
  const std::string index_path = JoinPath(data_dir, kIndexFileName);
  if (env->FileExists(index_path)) {
    absl::Status s = env->RemoveFile(index_path);
    if (!s.ok()) return s;
  }
  return env->SyncDir(data_dir);
}

}  // namespace ftcapture
