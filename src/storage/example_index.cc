#include "src/storage/example_index.h"

#include <algorithm>
#include <utility>

#include "src/storage/tfrecord_reader.h"
#include "src/storage/tfrecord_writer.h"
#include "src/util/crc32c.h"
#include "src/util/env.h"

namespace ftcapture {

absl::StatusOr<LoadedIndex> LoadIndex(Env* env, const std::string& path) {
  LoadedIndex index;
  if (!env->FileExists(path)) return index;
  auto size = env->GetFileSize(path);
  if (!size.ok()) return size.status();
  auto file = env->NewMappedFile(path);
  if (!file.ok()) return file.status();
  index.file = *std::move(file);
  // Left uninitialized: a mapped read never touches it, so it costs no
  // page.
  index.scratch.reset(new char[*size]);
  absl::Status s =
      index.file->Read(0, *size, &index.bytes, index.scratch.get());
  if (!s.ok()) return s;
  ScanTFRecords(index.bytes, [&](uint64_t offset, absl::string_view data) {
    const uint64_t pos =
        static_cast<uint64_t>(data.data() - index.bytes.data());
    index.entries.push_back(
        {pos, data.size(), offset + TFRecordFramedSize(data.size())});
  });
  if (!index.entries.empty()) {
    const LoadedIndex::Span& last = index.entries.back();
    index.has_markdown_state =
        index.last.ParseFromArray(index.bytes.data() + last.pos,
                                  static_cast<int>(last.size)) &&
        index.last.length() == 0 && index.last.markdown_size() == 2;
  }
  return index;
}

void AppendIndexEntry(uint64_t offset, uint64_t length, uint32_t masked_crc,
                      v1::ExampleSummary summary, std::string* out) {
  v1::ExampleIndexEntry entry;
  entry.set_offset(offset);
  entry.set_length(length);
  entry.set_masked_crc(masked_crc);
  *entry.mutable_summary() = std::move(summary);
  AppendTFRecord(entry.SerializeAsString(), out);
}

uint32_t TailCrc(absl::string_view tail) {
  if (tail.size() > kMarkdownTailBytes) {
    tail = tail.substr(tail.size() - kMarkdownTailBytes);
  }
  return crc32c::Mask(crc32c::Value(tail));
}

absl::StatusOr<std::string> ReadTail(Env* env, const std::string& path,
                                     uint64_t size) {
  if (size == 0) return std::string();
  auto file = env->NewRandomAccessFile(path);
  if (!file.ok()) return file.status();
  const uint64_t n = std::min<uint64_t>(size, kMarkdownTailBytes);
  std::string scratch(n, '\0');
  absl::string_view got;
  absl::Status s = (*file)->Read(size - n, n, &got, scratch.data());
  if (!s.ok()) return s;
  return std::string(got);
}

}  // namespace ftcapture
