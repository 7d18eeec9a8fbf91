#include "src/storage/tfrecord_writer.h"

#include "src/util/crc32c.h"
#include "src/util/env.h"

namespace ftcapture {
namespace {

void PutFixed32(std::string* dest, uint32_t v) {
  char buf[4];
  for (int i = 0; i < 4; ++i) buf[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  dest->append(buf, 4);
}

}  // namespace

uint32_t AppendTFRecord(absl::string_view data, std::string* dest) {
  const size_t start = dest->size();
  dest->reserve(start + TFRecordFramedSize(data.size()));
  dest->resize(start + kTFRecordHeaderSize);
  dest->append(data.data(), data.size());
  return FrameTFRecordInPlace(start, dest);
}

uint32_t FrameTFRecordInPlace(size_t start, std::string* dest) {
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
  const uint32_t data_crc = crc32c::Mask(crc32c::Value(
      absl::string_view(dest->data() + start + kTFRecordHeaderSize, n)));
  PutFixed32(dest, data_crc);
  return data_crc;
}

absl::Status TFRecordWriter::AddRecord(absl::string_view data) {
  scratch_.clear();
  AppendTFRecord(data, &scratch_);
  return dest_->Append(scratch_);
}

absl::Status TFRecordWriter::Flush() { return dest_->Flush(); }

}  // namespace ftcapture
