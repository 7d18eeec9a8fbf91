#include "src/util/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#endif

namespace ftcapture {
namespace crc32c {
namespace {

constexpr uint32_t kPolynomial = 0x82f63b78u;  // reflected Castagnoli

// kTables[k][b]: the CRC of byte b followed by k zero bytes.
using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables MakeTables() {
  Tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t crc = b;
    for (int i = 0; i < 8; ++i)
      crc = (crc >> 1) ^ ((crc & 1) ? kPolynomial : 0);
    t[0][b] = crc;
  }
  for (uint32_t b = 0; b < 256; ++b) {
    for (int k = 1; k < 8; ++k) {
      t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
    }
  }
  return t;
}

constexpr Tables kTables = MakeTables();

inline uint64_t LoadLittleEndian64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));  // x86 and every supported host: LE
  return v;
}

// Advancing a raw CRC register over `length` zero bytes is linear in the
// register: ZeroShift applies it with four table lookups. It lets three
// independent streams over consecutive stretches be joined into one CRC:
// crc(A B) = shift(crc(A), |B|) ^ crc_from_zero(B).
class ZeroShift {
 public:
  explicit ZeroShift(size_t length) {
    uint32_t basis[32];
    for (int bit = 0; bit < 32; ++bit) {
      uint32_t v = 1u << bit;
      for (size_t i = 0; i < length; ++i) v = (v >> 8) ^ kTables[0][v & 0xff];
      basis[bit] = v;
    }
    for (int byte = 0; byte < 4; ++byte) {
      for (uint32_t b = 0; b < 256; ++b) {
        uint32_t v = 0;
        for (int bit = 0; bit < 8; ++bit) {
          if (b & (1u << bit)) v ^= basis[byte * 8 + bit];
        }
        table_[byte][b] = v;
      }
    }
  }
  uint32_t operator()(uint32_t c) const {
    return table_[0][c & 0xff] ^ table_[1][(c >> 8) & 0xff] ^
           table_[2][(c >> 16) & 0xff] ^ table_[3][c >> 24];
  }

 private:
  uint32_t table_[4][256];
};

#if defined(__x86_64__)
// The crc32 instruction takes 3 cycles but can start every cycle, so three
// streams run about three times as fast as one. Stretches of 3 x kStream
// bytes go three at a time (kLong for records of several KB, kShort for the
// rest), then what is left one stream at a time.
constexpr size_t kLongStream = 1024;
constexpr size_t kShortStream = 128;

template <size_t kStream>
__attribute__((target("sse4.2"))) inline uint64_t ThreeStreams(
    uint64_t c, const char** data, size_t* n, const ZeroShift& shift) {
  const char* p = *data;
  while (*n >= 3 * kStream) {
    uint64_t c1 = 0, c2 = 0;
    for (size_t i = 0; i < kStream; i += 8) {
      c = _mm_crc32_u64(c, LoadLittleEndian64(p + i));
      c1 = _mm_crc32_u64(c1, LoadLittleEndian64(p + kStream + i));
      c2 = _mm_crc32_u64(c2, LoadLittleEndian64(p + 2 * kStream + i));
    }
    c = shift(static_cast<uint32_t>(c)) ^ static_cast<uint32_t>(c1);
    c = shift(static_cast<uint32_t>(c)) ^ static_cast<uint32_t>(c2);
    p += 3 * kStream;
    *n -= 3 * kStream;
  }
  *data = p;
  return c;
}

__attribute__((target("sse4.2"))) uint32_t ExtendSse42(uint32_t crc,
                                                       const char* data,
                                                       size_t n) {
  static const ZeroShift* const long_shift = new ZeroShift(kLongStream);
  static const ZeroShift* const short_shift = new ZeroShift(kShortStream);
  uint64_t c = ~crc;
  const char* p = data;
  // Align to 8 bytes, then 8 bytes per instruction.
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    c = _mm_crc32_u8(static_cast<uint32_t>(c), static_cast<uint8_t>(*p++));
    --n;
  }
  c = ThreeStreams<kLongStream>(c, &p, &n, *long_shift);
  c = ThreeStreams<kShortStream>(c, &p, &n, *short_shift);
  while (n >= 8) {
    c = _mm_crc32_u64(c, LoadLittleEndian64(p));
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    c = _mm_crc32_u8(static_cast<uint32_t>(c), static_cast<uint8_t>(*p++));
    --n;
  }
  return ~static_cast<uint32_t>(c);
}

bool CpuHasSse42() {
  unsigned int eax, ebx, ecx, edx;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (ecx & bit_SSE4_2) != 0;
}
#endif

}  // namespace

uint32_t ExtendPortable(uint32_t crc, const char* data, size_t n) {
  const auto* p = reinterpret_cast<const uint8_t*>(data);
  uint32_t c = ~crc;
  while (n >= 8) {
    const uint64_t v = LoadLittleEndian64(reinterpret_cast<const char*>(p)) ^ c;
    c = kTables[7][v & 0xff] ^ kTables[6][(v >> 8) & 0xff] ^
        kTables[5][(v >> 16) & 0xff] ^ kTables[4][(v >> 24) & 0xff] ^
        kTables[3][(v >> 32) & 0xff] ^ kTables[2][(v >> 40) & 0xff] ^
        kTables[1][(v >> 48) & 0xff] ^ kTables[0][v >> 56];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xff];
    --n;
  }
  return ~c;
}

bool IsHardwareAccelerated() {
#if defined(__x86_64__)
  static const bool has_sse42 = CpuHasSse42();
  return has_sse42;
#else
  return false;
#endif
}

uint32_t Extend(uint32_t crc, const char* data, size_t n) {
#if defined(__x86_64__)
  if (IsHardwareAccelerated()) return ExtendSse42(crc, data, n);
#endif
  return ExtendPortable(crc, data, n);
}

}  // namespace crc32c
}  // namespace ftcapture
