// Reads TFRecord files (framing in src/tfrecord_writer.h) and says precisely
// what it finds: good records, a corrupt stretch in the middle, or a torn
// tail.
//
// Classification, from the current offset:
//  - kRecord: length CRC and data CRC verify.
//  - kTornTail: the bytes from `offset` to the end of the file hold no
//    verifiable record: an incomplete header, a record whose length runs past
//    the end of the file, or bad bytes with no good record after them. This is
//    what a crash in the middle of an append leaves behind.
//  - kCorrupt: bad bytes (a failed length or data CRC) followed by a good
//    record. The reader resyncs by scanning forward, byte by byte, for the
//    first offset where a length verifies against its CRC and the data
//    verifies against its CRC; [offset, offset + length) is the bad stretch
//    and the next Next() returns the record that follows it.
//  - kEnd: nothing left.

#ifndef FTCAPTURE_SRC_STORAGE_TFRECORD_READER_H_
#define FTCAPTURE_SRC_STORAGE_TFRECORD_READER_H_

#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ftcapture {

class Env;
class RandomAccessFile;

struct TFRecordEntry {
  enum class Kind { kRecord, kCorrupt, kTornTail, kEnd };
  Kind kind = Kind::kEnd;
  uint64_t offset = 0;  // where the entry starts in the file
  uint64_t length = 0;  // bytes it spans (framed size for a record)
  std::string data;     // kRecord: the payload (unless set_copy_data(false))
  // kRecord: the payload, valid until the next Next() on the reader.
  absl::string_view view;
  uint32_t masked_crc = 0;  // kRecord: the payload's CRC as stored
  std::string reason;       // kCorrupt / kTornTail: what was wrong
};

// Reads the records of one file sequentially, with read-ahead. Not
// thread-safe. Does not own `file`.
class TFRecordReader {
 public:
  TFRecordReader(const RandomAccessFile* file, uint64_t file_size,
                 uint64_t start_offset = 0);
  TFRecordReader(const TFRecordReader&) = delete;
  TFRecordReader& operator=(const TFRecordReader&) = delete;

  // Fills `*entry` with the next entry. Only I/O errors are errors; bad
  // bytes are entries.
  absl::Status Next(TFRecordEntry* entry);

  // Where the next entry starts.
  uint64_t offset() const { return offset_; }

  // When false, records are only handed out as `view`, saving a copy of
  // every payload.
  void set_copy_data(bool copy) { copy_data_ = copy; }

 private:
  enum class Probe { kGood, kBadHeader, kBadData, kIncomplete };
  // Checks the record at `pos`; on kGood/kBadData sets `*data_length`.
  absl::Status ProbeAt(uint64_t pos, Probe* probe, uint64_t* data_length);
  // Makes [pos, pos + n) (clipped to the file) readable; sets `*view`.
  absl::Status Fetch(uint64_t pos, uint64_t n, absl::string_view* view);

  const RandomAccessFile* const file_;
  const uint64_t file_size_;
  uint64_t offset_;
  std::string buffer_;        // scratch for reads
  absl::string_view window_;  // what was read last, at window_offset_
  uint64_t window_offset_ = 0;
  bool copy_data_ = true;
};

// Reads the whole file at `path` in order, calling `fn` with the data of
// each good record; corrupt stretches are skipped and a torn tail ends the
// read. Returns how many leading bytes read back clean (all but a torn
// tail), so a caller can cut the tail off before appending again.
absl::StatusOr<uint64_t> ReadTFRecordFile(
    Env* env, absl::string_view path,
    absl::FunctionRef<void(absl::string_view data)> fn);

// Walks the records framed in `bytes` from its start, calling `fn(offset,
// data)` for each one that verifies, and stops at the first that does not.
// Returns the length of that clean prefix.
uint64_t ScanTFRecords(
    absl::string_view bytes,
    absl::FunctionRef<void(uint64_t offset, absl::string_view data)> fn);

// Reads the one record at `offset` (as returned by a writer or a reader).
// DataLoss when it does not verify.
absl::StatusOr<std::string> ReadTFRecordAt(const RandomAccessFile& file,
                                           uint64_t offset);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_STORAGE_TFRECORD_READER_H_
