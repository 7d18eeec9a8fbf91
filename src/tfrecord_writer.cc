#include "src/tfrecord_writer.h"

#include "src/crc32c.h"
#include "src/env.h"

namespace ftcapture {
namespace {

void PutFixed32(std::string* dest, uint32_t v) {
  char buf[4];
  for (int i = 0; i < 4; ++i) buf[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  dest->append(buf, 4);
}

}  // namespace

void AppendTFRecord(absl::string_view data, std::string* dest) {
  char length[8];
  const uint64_t n = data.size();
  for (int i = 0; i < 8; ++i) {
    length[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  }
  dest->reserve(dest->size() + TFRecordFramedSize(n));
  dest->append(length, 8);
  PutFixed32(dest, crc32c::Mask(crc32c::Value(absl::string_view(length, 8))));
  dest->append(data.data(), data.size());
  PutFixed32(dest, crc32c::Mask(crc32c::Value(data)));
}

void FrameTFRecordInPlace(size_t start, std::string* dest) {
  const uint64_t n = dest->size() - start - kTFRecordHeaderSize;
  char* header = &(*dest)[start];
  for (int i = 0; i < 8; ++i) {
    header[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  }
  const uint32_t length_crc =
      crc32c::Mask(crc32c::Value(absl::string_view(header, 8)));
  for (int i = 0; i < 4; ++i) {
    header[8 + i] = static_cast<char>((length_crc >> (8 * i)) & 0xff);
  }
  const absl::string_view data(dest->data() + start + kTFRecordHeaderSize, n);
  PutFixed32(dest, crc32c::Mask(crc32c::Value(data)));
}

absl::Status TFRecordWriter::AddRecord(absl::string_view data) {
  scratch_.clear();
  AppendTFRecord(data, &scratch_);
  return dest_->Append(scratch_);
}

absl::Status TFRecordWriter::Flush() { return dest_->Flush(); }

}  // namespace ftcapture
