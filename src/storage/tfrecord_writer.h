// TFRecord framing, the format TensorFlow's TFRecordReader reads:
//   uint64 length (little endian)
//   uint32 masked CRC32C of the 8 length bytes
//   byte   data[length]
//   uint32 masked CRC32C of data
// All integers little endian.

#ifndef FTCAPTURE_SRC_STORAGE_TFRECORD_WRITER_H_
#define FTCAPTURE_SRC_STORAGE_TFRECORD_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ftcapture {

class WritableFile;

inline constexpr size_t kTFRecordHeaderSize = 12;  // length + its CRC
inline constexpr size_t kTFRecordFooterSize = 4;   // data CRC

// Bytes one record of `data_size` bytes takes in the file.
inline uint64_t TFRecordFramedSize(uint64_t data_size) {
  return kTFRecordHeaderSize + data_size + kTFRecordFooterSize;
}

// Appends the framed record for `data` to `*dest` (for writers that batch
// several records into one write). Returns the record's masked data CRC, as
// framed.
uint32_t AppendTFRecord(absl::string_view data, std::string* dest);

// Frames, in place, the record whose data is everything in `*dest` after
// kTFRecordHeaderSize bytes reserved at `start`: fills that header in and
// appends the footer. Lets a writer build the data straight into its output
// buffer instead of copying it there. Returns the masked data CRC.
uint32_t FrameTFRecordInPlace(size_t start, std::string* dest);

// Writes framed records to a WritableFile it does not own. Each record is
// handed to the file in a single Append() so a failure never interleaves
// two records. Not thread-safe.
class TFRecordWriter {
 public:
  explicit TFRecordWriter(WritableFile* dest) : dest_(dest) {}
  TFRecordWriter(const TFRecordWriter&) = delete;
  TFRecordWriter& operator=(const TFRecordWriter&) = delete;

  absl::Status AddRecord(absl::string_view data);
  absl::Status Flush();

 private:
  WritableFile* const dest_;
  std::string scratch_;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_STORAGE_TFRECORD_WRITER_H_
