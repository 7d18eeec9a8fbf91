#ifndef FTCAPTURE_SRC_UTIL_STABLE_HASH_H_
#define FTCAPTURE_SRC_UTIL_STABLE_HASH_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace ftcapture {

// Hashes whose values are part of a file format or a user-visible decision
// (imported example ids, train/test splits): unlike absl::Hash they never
// change between runs, builds or machines. Not cryptographic.

// 64-bit FNV-1a of `data` started from `seed`, then a SplitMix64 finalizer so
// every output bit depends on every input bit (FNV alone has weak low bits).
uint64_t StableHash64(absl::string_view data, uint64_t seed = 0);

// Incremental 128-bit FNV-1a. Add() takes length-prefixed fields, so
// ("ab", "c") and ("a", "bc") hash differently.
class StableHasher128 {
 public:
  StableHasher128();
  // Mixes in the field's length (8 bytes, little-endian) and then its bytes.
  void AddField(absl::string_view field);
  // 32 lowercase hex digits.
  std::string HexDigest() const;

 private:
  void AddBytes(absl::string_view bytes);
  unsigned __int128 state_;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_UTIL_STABLE_HASH_H_
