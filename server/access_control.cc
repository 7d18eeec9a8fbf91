#include "server/access_control.h"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ftcapture {
namespace {

constexpr size_t kMinTokenLength = 16;

absl::StatusOr<AccessRole> ParseRole(absl::string_view word) {
  if (word == "ingest") return AccessRole::kIngest;
  if (word == "read") return AccessRole::kRead;
  if (word == "admin") return AccessRole::kAdmin;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown role '", word, "' (expected ingest, read or admin)"));
}

}  // namespace

absl::string_view AccessRoleName(AccessRole role) {
  switch (role) {
    case AccessRole::kIngest:
      return "ingest";
    case AccessRole::kRead:
      return "read";
    case AccessRole::kAdmin:
      return "admin";
  }
  return "unknown";
}

bool ConstantTimeEquals(absl::string_view expected, absl::string_view given) {
  // Walks all of `expected` whatever `given` is; the length mismatch is
  // folded into the same accumulator instead of returning early.
  volatile unsigned char difference = expected.size() == given.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    const unsigned char other =
        given.empty() ? 0 : static_cast<unsigned char>(given[i % given.size()]);
    difference |= static_cast<unsigned char>(expected[i]) ^ other;
  }
  return difference == 0;
}

absl::StatusOr<std::vector<TokenEntry>> ParseTokenFile(absl::string_view text) {
  std::vector<TokenEntry> entries;
  absl::flat_hash_set<std::string> names;
  absl::flat_hash_set<std::string> tokens;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    const std::string where = absl::StrCat("line ", line_number, ": ");
    if (fields.size() != 3) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "expected NAME ROLE TOKEN, got ", fields.size(), " fields"));
    }
    absl::StatusOr<AccessRole> role = ParseRole(fields[1]);
    if (!role.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, role.status().message()));
    }
    if (fields[2].size() < kMinTokenLength) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "the token of '", fields[0], "' is shorter than ",
                       kMinTokenLength, " characters"));
    }
    if (!names.insert(std::string(fields[0])).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "name '", fields[0], "' appears twice"));
    }
    if (!tokens.insert(std::string(fields[2])).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "the token of '", fields[0], "' is also another name's"));
    }
    entries.push_back(
        TokenEntry{std::string(fields[0]), *role, std::string(fields[2])});
  }
  if (entries.empty()) {
    return absl::InvalidArgumentError("no tokens (one NAME ROLE TOKEN a line)");
  }
  return entries;
}

bool TokenStore::FileStamp::operator==(const FileStamp& other) const {
  return inode == other.inode && size == other.size &&
         mtime.tv_sec == other.mtime.tv_sec &&
         mtime.tv_nsec == other.mtime.tv_nsec;
}

absl::StatusOr<std::unique_ptr<TokenStore>> TokenStore::Load(
    const std::string& path) {
  std::unique_ptr<TokenStore> store(new TokenStore(path));
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("cannot read token file ", path));
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    std::fprintf(stderr,
                 "ftcapture-server: warning: token file %s is readable by "
                 "others (mode %04o); chmod 600 it\n",
                 path.c_str(), st.st_mode & 07777);
  }
  FileStamp stamp{st.st_ino, st.st_size, st.st_mtim};
  MutexLock lock(&store->mu_);
  if (absl::Status s = store->Reload(stamp); !s.ok()) return s;
  return store;
}

absl::Status TokenStore::Reload(const FileStamp& stamp) {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path_));
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<std::vector<TokenEntry>> entries = ParseTokenFile(text.str());
  if (!entries.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("token file ", path_, ": ", entries.status().message()));
  }
  entries_ = *std::move(entries);
  stamp_ = stamp;
  return absl::OkStatus();
}

bool TokenStore::ReloadIfChanged(bool force) {
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) return false;  // mid-replace: later
  const FileStamp stamp{st.st_ino, st.st_size, st.st_mtim};
  MutexLock lock(&mu_);
  if (!force && stamp == stamp_) return false;
  if (absl::Status s = Reload(stamp); !s.ok()) {
    stamp_ = stamp;  // report a bad file once, not every poll
    std::fprintf(stderr, "ftcapture-server: keeping the previous tokens: %s\n",
                 std::string(s.message()).c_str());
    return false;
  }
  std::fprintf(stderr, "ftcapture-server: reloaded %zu tokens from %s\n",
               entries_.size(), path_.c_str());
  return true;
}

absl::StatusOr<Caller> TokenStore::Authenticate(
    absl::string_view authorization) const {
  if (authorization.empty()) {
    return absl::UnauthenticatedError(
        "missing 'authorization: Bearer TOKEN' metadata");
  }
  absl::string_view token = authorization;
  if (!absl::ConsumePrefix(&token, "Bearer ") &&
      !absl::ConsumePrefix(&token, "bearer ")) {
    return absl::UnauthenticatedError(
        "authorization metadata must be 'Bearer TOKEN'");
  }
  token = absl::StripAsciiWhitespace(token);
  MutexLock lock(&mu_);
  const TokenEntry* match = nullptr;
  for (const TokenEntry& entry : entries_) {
    // No early exit: every token is compared whatever matched before.
    if (ConstantTimeEquals(entry.token, token)) match = &entry;
  }
  if (match == nullptr) return absl::UnauthenticatedError("unknown token");
  return Caller{match->name, match->role};
}

}  // namespace ftcapture
