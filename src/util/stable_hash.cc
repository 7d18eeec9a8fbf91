#include "src/util/stable_hash.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <memory>

#include "absl/strings/str_format.h"

namespace ftcapture {
namespace {

constexpr uint64_t kFnv64Offset = 14695981039346656037ull;
constexpr uint64_t kFnv64Prime = 1099511628211ull;

uint64_t SplitMix64Finalize(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

// FNV-1a 128-bit parameters (offset basis and prime 2^88 + 2^8 + 0x3b).
constexpr unsigned __int128 kFnv128Offset =
    (static_cast<unsigned __int128>(0x6c62272e07bb0142ull) << 64) |
    0x62b821756295c58dull;
constexpr unsigned __int128 kFnv128Prime =
    (static_cast<unsigned __int128>(1) << 88) | 0x13bull;

}  // namespace

uint64_t StableHash64(absl::string_view data, uint64_t seed) {
  uint64_t h = kFnv64Offset;
  for (int i = 0; i < 8; ++i) {
    h ^= (seed >> (8 * i)) & 0xff;
    h *= kFnv64Prime;
  }
  for (unsigned char c : data) {
    h ^= c;
    h *= kFnv64Prime;
  }
  return SplitMix64Finalize(h);
}

std::string Hash128::Hex() const {
  return absl::StrFormat("%016x%016x", high, low);
}

Hash128 FieldsHash128(std::initializer_list<absl::string_view> fields) {
  // OpenSSL 3's one-shot SHA256() looks the digest up in its provider
  // tables (under a lock) on every call, and the fields would need a framed
  // copy; a restart hashes three keys per example, so the digest is fetched
  // once and each thread keeps one context, fed the fields in place.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(
      EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), sha256, nullptr);
  for (absl::string_view field : fields) {
    const uint64_t size = field.size();
    unsigned char prefix[8];
    for (int i = 0; i < 8; ++i)
      prefix[i] = static_cast<unsigned char>(size >> (8 * i));
    EVP_DigestUpdate(ctx.get(), prefix, sizeof(prefix));
    EVP_DigestUpdate(ctx.get(), field.data(), field.size());
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  unsigned int digest_size = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &digest_size);
  Hash128 hash;
  for (int i = 0; i < 8; ++i) {
    hash.high = (hash.high << 8) | digest[i];
    hash.low = (hash.low << 8) | digest[8 + i];
  }
  return hash;
}

StableHasher128::StableHasher128() : state_(kFnv128Offset) {}

void StableHasher128::AddBytes(absl::string_view bytes) {
  for (unsigned char c : bytes) {
    state_ ^= c;
    state_ *= kFnv128Prime;
  }
}

void StableHasher128::AddField(absl::string_view field) {
  uint64_t size = field.size();
  char prefix[8];
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<char>(size >> (8 * i));
  AddBytes(absl::string_view(prefix, sizeof(prefix)));
  AddBytes(field);
}

std::string StableHasher128::HexDigest() const {
  return absl::StrFormat("%016x%016x", static_cast<uint64_t>(state_ >> 64),
                         static_cast<uint64_t>(state_));
}

}  // namespace ftcapture
