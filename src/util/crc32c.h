// CRC32C (Castagnoli, polynomial 0x82f63b78), the checksum of TFRecord and
// LevelDB. Uses the SSE4.2 crc32 instruction when the CPU has it (checked
// once at run time) and portable slice-by-8 otherwise; both give identical
// results.

#ifndef FTCAPTURE_SRC_UTIL_CRC32C_H_
#define FTCAPTURE_SRC_UTIL_CRC32C_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace ftcapture {
namespace crc32c {

// The CRC32C of `crc`'s input followed by `data`.
uint32_t Extend(uint32_t crc, const char* data, size_t n);
inline uint32_t Extend(uint32_t crc, absl::string_view data) {
  return Extend(crc, data.data(), data.size());
}
inline uint32_t Value(absl::string_view data) { return Extend(0, data); }

// The portable implementation, exposed so tests can compare it with the
// accelerated one.
uint32_t ExtendPortable(uint32_t crc, const char* data, size_t n);
// True when Extend() uses the SSE4.2 instruction.
bool IsHardwareAccelerated();

// TFRecord stores masked CRCs so that a CRC of data that itself holds CRCs
// stays well distributed.
inline constexpr uint32_t kMaskDelta = 0xa282ead8u;
inline uint32_t Mask(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + kMaskDelta;
}
inline uint32_t Unmask(uint32_t masked_crc) {
  const uint32_t rot = masked_crc - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace crc32c
}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_UTIL_CRC32C_H_
