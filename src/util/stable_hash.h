#ifndef FTCAPTURE_SRC_UTIL_STABLE_HASH_H_
#define FTCAPTURE_SRC_UTIL_STABLE_HASH_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace ftcapture {

// Hashes whose values are part of a file format or a user-visible decision
// (imported example ids, train/test splits): unlike absl::Hash they never
// change between runs, builds or machines. Not cryptographic.

// 64-bit FNV-1a of `data` started from `seed`, then a SplitMix64 finalizer so
// every output bit depends on every input bit (FNV alone has weak low bits).
uint64_t StableHash64(absl::string_view data, uint64_t seed = 0);

// 128 bits of SHA-256 over length-prefixed fields (each field's length as 8
// bytes little-endian, then its bytes), so ("a\x1fb", "c") and ("a",
// "b\x1fc") hash differently and no client can craft two field lists with
// the same hash: example ids and the service's in-memory keys come from it.
struct Hash128 {
  uint64_t high = 0;
  uint64_t low = 0;
  bool operator==(const Hash128& other) const {
    return high == other.high && low == other.low;
  }
  // 32 lowercase hex digits.
  std::string Hex() const;
  // The bits are uniform already: a hash table needs no more mixing.
  template <typename H>
  friend H AbslHashValue(H h, const Hash128& hash) {
    return H::combine(std::move(h), hash.low);
  }
};
Hash128 FieldsHash128(std::initializer_list<absl::string_view> fields);

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
