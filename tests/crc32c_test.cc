#include "src/util/crc32c.h"

#include <random>
#include <string>

#include "gtest/gtest.h"

namespace ftcapture {
namespace {

TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(crc32c::Value("123456789"), 0xe3069283u);
  EXPECT_EQ(crc32c::Value(std::string(32, '\0')), 0x8a9136aau);
  EXPECT_EQ(crc32c::Value(std::string(32, '\xff')), 0x62a8ab43u);
  std::string ascending(32, '\0');
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<char>(i);
  EXPECT_EQ(crc32c::Value(ascending), 0x46dd794eu);
  EXPECT_EQ(crc32c::Value(""), 0u);
}

// Without SSE4.2, Extend() is the portable code: comparing it with itself
// would prove nothing, so these say they were skipped.
#define SKIP_WITHOUT_SSE42()                                            \
  if (!crc32c::IsHardwareAccelerated()) {                               \
    GTEST_SKIP() << "this CPU has no SSE4.2: Extend() is the portable " \
                    "code, nothing to compare";                         \
  }

TEST(Crc32cTest, PortableAndAcceleratedAgreeOnEveryLengthAndAlignment) {
  SKIP_WITHOUT_SSE42();
  std::mt19937 rng(7);
  std::string data(1100, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (size_t start = 0; start < 9; ++start) {
    for (size_t n = 0; start + n <= data.size(); n += (n < 64 ? 1 : 97)) {
      ASSERT_EQ(crc32c::Extend(0, data.data() + start, n),
                crc32c::ExtendPortable(0, data.data() + start, n))
          << "start " << start << " length " << n;
    }
  }
}

// Long inputs take the three-stream paths (3 x 1024 and 3 x 128 bytes);
// every mix of them and of the single-stream tail must agree too.
TEST(Crc32cTest, ThreeStreamPathsAgreeWithPortable) {
  SKIP_WITHOUT_SSE42();
  std::mt19937 rng(11);
  std::string data(20000, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (size_t start : {0, 3, 8}) {
    for (size_t n = 300; start + n <= data.size(); n += 131) {
      ASSERT_EQ(crc32c::Extend(0x12345678, data.data() + start, n),
                crc32c::ExtendPortable(0x12345678, data.data() + start, n))
          << "start " << start << " length " << n;
    }
  }
  for (size_t n : {383, 384, 385, 3071, 3072, 3073, 3456, 6144, 6528}) {
    ASSERT_EQ(crc32c::Extend(0, data.data(), n),
              crc32c::ExtendPortable(0, data.data(), n))
        << "length " << n;
  }
}

TEST(Crc32cTest, ExtendEqualsValueOfConcatenation) {
  const std::string a = "hello ", b = "world, this is a longer tail";
  EXPECT_EQ(crc32c::Extend(crc32c::Value(a), b), crc32c::Value(a + b));
  EXPECT_NE(crc32c::Value("a"), crc32c::Value("b"));
}

TEST(Crc32cTest, MaskRoundTripsAndChangesTheValue) {
  for (uint32_t crc : {0u, 1u, 0xe3069283u, 0xffffffffu, 0x12345678u}) {
    EXPECT_NE(crc32c::Mask(crc), crc);
    EXPECT_EQ(crc32c::Unmask(crc32c::Mask(crc)), crc);
    EXPECT_NE(crc32c::Mask(crc32c::Mask(crc)), crc32c::Mask(crc));
  }
  // TFRecord's definition, spelled out.
  const uint32_t crc = crc32c::Value("123456789");
  EXPECT_EQ(crc32c::Mask(crc), ((crc >> 15) | (crc << 17)) + 0xa282ead8u);
}

}  // namespace
}  // namespace ftcapture
