// The TFRecord reader on arbitrary bytes: it walks to the end without
// crashing, its entries tile the file exactly (records, corrupt stretches
// and a torn tail, in order, no gap, no overlap), every record it reports
// also reads back at its offset, and the fast prefix scan agrees.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "fuzz/fuzz_util.h"
#include "src/storage/tfrecord_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ftcapture;
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  fuzz::MemoryFile file(bytes);
  TFRecordReader reader(&file, size);
  TFRecordEntry entry;
  uint64_t expected_offset = 0;
  uint64_t clean_prefix = 0;
  bool clean = true;
  for (;;) {
    FUZZ_CHECK(reader.Next(&entry).ok());
    if (entry.kind == TFRecordEntry::Kind::kEnd) break;
    FUZZ_CHECK(entry.offset == expected_offset);
    FUZZ_CHECK(entry.length > 0);
    expected_offset = entry.offset + entry.length;
    FUZZ_CHECK(expected_offset <= size);
    if (entry.kind == TFRecordEntry::Kind::kRecord) {
      absl::StatusOr<std::string> again = ReadTFRecordAt(file, entry.offset);
      FUZZ_CHECK(again.ok());
      FUZZ_CHECK(*again == entry.data);
      if (clean) clean_prefix = expected_offset;
    } else {
      clean = false;
    }
    if (entry.kind == TFRecordEntry::Kind::kTornTail) break;
  }
  FUZZ_CHECK(expected_offset == size);
  uint64_t scanned = 0;
  const uint64_t prefix =
      ScanTFRecords(bytes, [&](uint64_t, absl::string_view) { ++scanned; });
  FUZZ_CHECK(prefix == clean_prefix);
  return 0;
}
