#include "src/storage/tfrecord_reader.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "src/storage/tfrecord_writer.h"
#include "src/util/crc32c.h"
#include "src/util/env.h"

namespace ftcapture {
namespace {

constexpr uint64_t kReadAhead = 1 << 20;

uint32_t DecodeFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

uint64_t DecodeFixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

bool HeaderVerifies(const char* header) {
  return crc32c::Unmask(DecodeFixed32(header + 8)) ==
         crc32c::Value(absl::string_view(header, 8));
}

bool DataVerifies(absl::string_view data, const char* footer) {
  return crc32c::Unmask(DecodeFixed32(footer)) == crc32c::Value(data);
}

}  // namespace

TFRecordReader::TFRecordReader(const RandomAccessFile* file, uint64_t file_size,
                               uint64_t start_offset)
    : file_(file),
      file_size_(file_size),
      offset_(std::min(start_offset, file_size)) {}

absl::Status TFRecordReader::Fetch(uint64_t pos, uint64_t n,
                                   absl::string_view* view) {
  n = std::min(n, file_size_ - std::min(pos, file_size_));
  if (pos >= window_offset_ && pos + n <= window_offset_ + window_.size()) {
    *view = window_.substr(pos - window_offset_, n);
    return absl::OkStatus();
  }
  const uint64_t want =
      std::min(std::max(n, kReadAhead), file_size_ - std::min(pos, file_size_));
  if (buffer_.size() < want) buffer_.resize(want);
  absl::string_view got;
  absl::Status s = file_->Read(pos, want, &got, buffer_.data());
  if (!s.ok()) {
    window_ = absl::string_view();
    return s;
  }
  // `got` is in buffer_, or (a mapped file) in the file's own memory.
  window_ = got;
  window_offset_ = pos;
  *view = window_.substr(0, std::min<uint64_t>(n, got.size()));
  return absl::OkStatus();
}

absl::Status TFRecordReader::ProbeAt(uint64_t pos, Probe* probe,
                                     uint64_t* data_length) {
  const uint64_t remaining = file_size_ - pos;
  if (remaining < kTFRecordHeaderSize) {
    *probe = Probe::kIncomplete;
    return absl::OkStatus();
  }
  absl::string_view header;
  absl::Status s = Fetch(pos, kTFRecordHeaderSize, &header);
  if (!s.ok()) return s;
  if (header.size() < kTFRecordHeaderSize) {
    *probe = Probe::kIncomplete;  // the file shrank under us
    return absl::OkStatus();
  }
  if (!HeaderVerifies(header.data())) {
    *probe = Probe::kBadHeader;
    return absl::OkStatus();
  }
  const uint64_t length = DecodeFixed64(header.data());
  *data_length = length;
  if (remaining < kTFRecordHeaderSize + kTFRecordFooterSize ||
      length > remaining - kTFRecordHeaderSize - kTFRecordFooterSize) {
    *probe = Probe::kIncomplete;
    return absl::OkStatus();
  }
  absl::string_view record;
  s = Fetch(pos, TFRecordFramedSize(length), &record);
  if (!s.ok()) return s;
  if (record.size() < TFRecordFramedSize(length)) {
    *probe = Probe::kIncomplete;
    return absl::OkStatus();
  }
  *probe = DataVerifies(record.substr(kTFRecordHeaderSize, length),
                        record.data() + kTFRecordHeaderSize + length)
               ? Probe::kGood
               : Probe::kBadData;
  return absl::OkStatus();
}

absl::Status TFRecordReader::Next(TFRecordEntry* entry) {
  entry->data.clear();
  entry->view = absl::string_view();
  entry->reason.clear();
  entry->offset = offset_;
  entry->length = 0;
  if (offset_ >= file_size_) {
    entry->kind = TFRecordEntry::Kind::kEnd;
    return absl::OkStatus();
  }
  Probe probe;
  uint64_t length = 0;
  absl::Status s = ProbeAt(offset_, &probe, &length);
  if (!s.ok()) return s;

  if (probe == Probe::kGood) {
    absl::string_view record;
    s = Fetch(offset_, TFRecordFramedSize(length), &record);
    if (!s.ok()) return s;
    entry->kind = TFRecordEntry::Kind::kRecord;
    entry->length = TFRecordFramedSize(length);
    entry->view = record.substr(kTFRecordHeaderSize, length);
    if (copy_data_) entry->data.assign(entry->view.data(), length);
    entry->masked_crc =
        DecodeFixed32(record.data() + kTFRecordHeaderSize + length);
    offset_ += entry->length;
    return absl::OkStatus();
  }

  const uint64_t remaining = file_size_ - offset_;
  if (probe == Probe::kIncomplete) {
    entry->kind = TFRecordEntry::Kind::kTornTail;
    entry->length = remaining;
    entry->reason = remaining < kTFRecordHeaderSize
                        ? absl::StrCat("incomplete header: ", remaining, " of ",
                                       kTFRecordHeaderSize, " bytes")
                        : absl::StrCat("incomplete record: header says ",
                                       TFRecordFramedSize(length), " bytes, ",
                                       remaining, " remain");
    offset_ = file_size_;
    return absl::OkStatus();
  }

  const std::string what =
      probe == Probe::kBadHeader
          ? std::string("length CRC mismatch")
          : absl::StrCat("data CRC mismatch in a ", length, "-byte record");
  // Resync: the first later offset holding a record that fully verifies.
  for (uint64_t q = offset_ + 1; q + kTFRecordHeaderSize <= file_size_; ++q) {
    Probe next;
    uint64_t next_length = 0;
    s = ProbeAt(q, &next, &next_length);
    if (!s.ok()) return s;
    if (next == Probe::kGood) {
      entry->kind = TFRecordEntry::Kind::kCorrupt;
      entry->length = q - offset_;
      entry->reason = absl::StrCat(what, "; resynced at offset ", q);
      offset_ = q;
      return absl::OkStatus();
    }
  }
  entry->kind = TFRecordEntry::Kind::kTornTail;
  entry->length = remaining;
  entry->reason = absl::StrCat(what, "; no good record after it");
  offset_ = file_size_;
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ReadTFRecordFile(
    Env* env, absl::string_view path,
    absl::FunctionRef<void(absl::string_view data)> fn) {
  absl::StatusOr<uint64_t> size = env->GetFileSize(path);
  if (!size.ok()) return size.status();
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> file =
      env->NewRandomAccessFile(path);
  if (!file.ok()) return file.status();
  TFRecordReader reader(file->get(), *size);
  TFRecordEntry entry;
  uint64_t good_size = 0;
  while (true) {
    absl::Status status = reader.Next(&entry);
    if (!status.ok()) return status;
    if (entry.kind == TFRecordEntry::Kind::kEnd ||
        entry.kind == TFRecordEntry::Kind::kTornTail) {
      return good_size;
    }
    good_size = entry.offset + entry.length;
    if (entry.kind == TFRecordEntry::Kind::kRecord) fn(entry.data);
  }
}

absl::StatusOr<std::string> ReadTFRecordAt(const RandomAccessFile& file,
                                           uint64_t offset) {
  char header[kTFRecordHeaderSize];
  absl::string_view got;
  absl::Status s = file.Read(offset, kTFRecordHeaderSize, &got, header);
  if (!s.ok()) return s;
  if (got.size() < kTFRecordHeaderSize) {
    return absl::DataLossError(
        absl::StrCat("no complete record header at offset ", offset));
  }
  if (!HeaderVerifies(got.data())) {
    return absl::DataLossError(
        absl::StrCat("length CRC mismatch at offset ", offset));
  }
  const uint64_t length = DecodeFixed64(got.data());
  if (length > (uint64_t{1} << 40)) {
    return absl::DataLossError(absl::StrCat("implausible record length ",
                                            length, " at offset ", offset));
  }
  std::string data(length + kTFRecordFooterSize, '\0');
  s = file.Read(offset + kTFRecordHeaderSize, data.size(), &got, data.data());
  if (!s.ok()) return s;
  if (got.size() < data.size()) {
    return absl::DataLossError(
        absl::StrCat("truncated record at offset ", offset));
  }
  if (got.data() != data.data()) std::copy(got.begin(), got.end(), &data[0]);
  if (!DataVerifies(absl::string_view(data.data(), length),
                    data.data() + length)) {
    return absl::DataLossError(
        absl::StrCat("data CRC mismatch at offset ", offset));
  }
  data.resize(length);
  return data;
}

uint64_t ScanTFRecords(
    absl::string_view bytes,
    absl::FunctionRef<void(uint64_t offset, absl::string_view data)> fn) {
  uint64_t pos = 0;
  while (bytes.size() - pos >= kTFRecordHeaderSize + kTFRecordFooterSize) {
    const char* header = bytes.data() + pos;
    if (!HeaderVerifies(header)) break;
    const uint64_t length = DecodeFixed64(header);
    if (length >
        bytes.size() - pos - kTFRecordHeaderSize - kTFRecordFooterSize) {
      break;
    }
    const absl::string_view data =
        bytes.substr(pos + kTFRecordHeaderSize, length);
    if (!DataVerifies(data, data.data() + length)) break;
    fn(pos, data);
    pos += TFRecordFramedSize(length);
  }
  return pos;
}

}  // namespace ftcapture
