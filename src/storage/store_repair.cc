#include "src/storage/store_repair.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "src/storage/markdown_format.h"
#include "src/util/env.h"

namespace ftcapture {

std::string UniqueName(Env* env, const std::string& base) {
  if (!env->FileExists(base)) return base;
  for (int i = 1;; ++i) {
    std::string candidate = absl::StrCat(base, ".", i);
    if (!env->FileExists(candidate)) return candidate;
  }
}

// Copies [offset, offset + length) of `source` to a new file at `dest`,
// durably, before the caller cuts those bytes out of the original.
absl::Status CopyRangeDurably(Env* env, const RandomAccessFile& source,
                              uint64_t offset, uint64_t length,
                              const std::string& dest) {
  auto out = env->NewWritableFile(dest);
  if (!out.ok()) return out.status();
  std::string scratch(std::min<uint64_t>(length, kStoreChunkBytes), '\0');
  while (length > 0) {
    absl::string_view got;
    const size_t n = std::min<uint64_t>(length, scratch.size());
    absl::Status s = source.Read(offset, n, &got, scratch.data());
    if (!s.ok()) return s;
    if (got.empty()) break;
    s = (*out)->Append(got);
    if (!s.ok()) return s;
    offset += got.size();
    length -= got.size();
  }
  absl::Status s = (*out)->Sync();
  if (s.ok()) s = (*out)->Close();
  if (s.ok()) s = env->SyncDir(DirName(dest));
  return s;
}

absl::StatusOr<MarkdownState> RecoverMarkdown(
    Env* env, const std::string& path, uint64_t from, uint64_t from_lines,
    bool from_needs_blank, int64_t unix_now, RecoveryReport* report) {
  MarkdownState state;
  state.bytes = from;
  state.lines = from_lines;
  state.needs_blank = from_needs_blank;
  state.from_index = from > 0;
  if (!env->FileExists(path)) return state;
  ExampleMarkdownScanner scanner;
  {
    auto file = env->NewSequentialFile(path);
    if (!file.ok()) return file.status();
    if (from > 0) {
      absl::Status s = (*file)->Skip(from);
      if (!s.ok()) return s;
    }
    std::string scratch(kStoreChunkBytes, '\0');
    while (true) {
      absl::string_view chunk;
      absl::Status s = (*file)->Read(kStoreChunkBytes, &chunk, scratch.data());
      if (!s.ok()) return s;
      if (chunk.empty()) break;
      scanner.Feed(chunk);
    }
    scanner.Finish();
  }
  state.ids = scanner.example_ids();
  state.bytes = from + scanner.bytes();
  state.lines = from_lines + scanner.lines();
  if (scanner.bytes() > 0) state.needs_blank = scanner.missing_final_blank();
  if (scanner.torn_tail()) {
    const uint64_t keep = from + scanner.complete_bytes();
    const uint64_t cut = state.bytes - keep;
    const std::string quarantine =
        UniqueName(env, absl::StrCat(path, ".torn-", unix_now));
    auto source = env->NewRandomAccessFile(path);
    if (!source.ok()) return source.status();
    absl::Status s = CopyRangeDurably(env, **source, keep, cut, quarantine);
    if (!s.ok()) return s;
    s = env->TruncateFile(path, keep);
    if (!s.ok()) return s;
    report->markdown_torn_bytes += static_cast<int64_t>(cut);
    report->quarantine_files.push_back(quarantine);
    report->problems.push_back(absl::StrCat(
        path, ": half-written example block of ", cut, " bytes at offset ",
        keep, " cut off, saved to ", quarantine));
    state.bytes = keep;
    state.lines = from_lines + scanner.complete_lines();
    state.needs_blank = scanner.complete_bytes() > 0
                            ? !scanner.last_block_has_blank()
                            : from_needs_blank;
  }
  return state;
}

absl::Status RepairDataset(Env* env, const std::string& path,
                           uint64_t file_size,
                           const std::vector<ByteRange>& corrupt,
                           const ByteRange* torn, int64_t unix_now,
                           RecoveryReport* report) {
  auto source = env->NewRandomAccessFile(path);
  if (!source.ok()) return source.status();
  for (const ByteRange& range : corrupt) {
    const std::string quarantine = UniqueName(
        env, absl::StrCat(path, ".corrupt-", unix_now, "-", range.offset));
    absl::Status s =
        CopyRangeDurably(env, **source, range.offset, range.length, quarantine);
    if (!s.ok()) return s;
    report->quarantine_files.push_back(quarantine);
  }
  if (torn != nullptr) {
    const std::string quarantine =
        UniqueName(env, absl::StrCat(path, ".torn-", unix_now));
    absl::Status s =
        CopyRangeDurably(env, **source, torn->offset, torn->length, quarantine);
    if (!s.ok()) return s;
    report->quarantine_files.push_back(quarantine);
  }
  const uint64_t good_end = torn != nullptr ? torn->offset : file_size;
  if (corrupt.empty()) {
    return env->TruncateFile(path, good_end);
  }
  // Rewrite without the corrupt stretches; rename makes it atomic.
  const std::string tmp = absl::StrCat(path, ".tmp");
  auto out = env->NewWritableFile(tmp);
  if (!out.ok()) return out.status();
  std::string scratch(kStoreChunkBytes, '\0');
  uint64_t pos = 0;
  size_t next_bad = 0;
  absl::Status s;
  while (s.ok() && pos < good_end) {
    uint64_t stop = good_end;
    if (next_bad < corrupt.size()) {
      if (pos == corrupt[next_bad].offset) {
        pos += corrupt[next_bad++].length;
        continue;
      }
      stop = std::min(stop, corrupt[next_bad].offset);
    }
    absl::string_view got;
    s = (*source)->Read(pos, std::min<uint64_t>(stop - pos, kStoreChunkBytes),
                        &got, scratch.data());
    if (s.ok() && got.empty()) s = absl::DataLossError("dataset shrank");
    if (s.ok()) s = (*out)->Append(got);
    pos += got.size();
  }
  if (s.ok()) s = (*out)->Sync();
  if (s.ok()) s = (*out)->Close();
  if (s.ok()) s = env->RenameFile(tmp, path);
  if (s.ok()) s = env->SyncDir(DirName(path));
  if (!s.ok()) env->RemoveFile(tmp).IgnoreError();
  return s;
}

}  // namespace ftcapture
