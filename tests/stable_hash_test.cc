#include "src/util/stable_hash.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace ftcapture {
namespace {

TEST(StableHash64Test, DependsOnDataAndSeedOnly) {
  EXPECT_EQ(StableHash64("abc", 1), StableHash64("abc", 1));
  EXPECT_NE(StableHash64("abc", 1), StableHash64("abc", 2));
  EXPECT_NE(StableHash64("abc", 1), StableHash64("abd", 1));
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(StableHash64(absl::StrCat(i)));
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(StableHash64Test, TopBitIsBalanced) {
  // The splitter compares against a threshold, so high bits must be spread.
  int high = 0;
  for (int i = 0; i < 2000; ++i) {
    high += StableHash64(absl::StrCat("ex-", i), 42) >> 63;
  }
  EXPECT_GT(high, 900);
  EXPECT_LT(high, 1100);
}

std::string Digest(std::initializer_list<const char*> fields) {
  StableHasher128 hasher;
  for (const char* field : fields) hasher.AddField(field);
  return hasher.HexDigest();
}

TEST(StableHasher128Test, FieldBoundariesMatter) {
  EXPECT_EQ(Digest({"ab", "c"}), Digest({"ab", "c"}));
  EXPECT_NE(Digest({"ab", "c"}), Digest({"a", "bc"}));
  EXPECT_NE(Digest({"", "x"}), Digest({"x", ""}));
  EXPECT_EQ(Digest({"a"}).size(), 32u);
  EXPECT_EQ(Digest({"a"}).find_first_not_of("0123456789abcdef"),
            std::string::npos);
}

}  // namespace
}  // namespace ftcapture
