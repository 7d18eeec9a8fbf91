#ifndef FTCAPTURE_SERVER_ACCESS_CONTROL_H_
#define FTCAPTURE_SERVER_ACCESS_CONTROL_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "src/util/mutex.h"

namespace ftcapture {

// What a token lets its holder do. kAdmin may do everything.
enum class AccessRole { kIngest, kRead, kAdmin };

// What an RPC needs. kAnyRole: any valid token (GetStats, whose example
// content is then cut down to what the role may see).
enum class RequiredRole { kIngest, kRead, kAdmin, kAnyRole };

absl::string_view AccessRoleName(AccessRole role);

// The authenticated caller of one RPC. `name` (the token file's NAME
// column) keys per-caller quotas and may be logged; the token never is.
struct Caller {
  std::string name;
  AccessRole role = AccessRole::kAdmin;

  bool MayRead() const {
    return role == AccessRole::kRead || role == AccessRole::kAdmin;
  }
  bool IsAdmin() const { return role == AccessRole::kAdmin; }
};

struct TokenEntry {
  std::string name;
  AccessRole role;
  std::string token;
};

// Parses a token file: one "NAME ROLE TOKEN" per line (whitespace
// separated), roles ingest, read or admin; blank lines and lines starting
// with '#' are skipped. Names and tokens must be unique; tokens at least
// 16 characters. Errors name the line, never echo the token.
absl::StatusOr<std::vector<TokenEntry>> ParseTokenFile(absl::string_view text);

// The tokens of --auth_tokens, reloaded when the file changes.
//
// Thread-safe. Invariant: `entries_` is always the last file that parsed
// without error; a bad edit keeps the previous tokens (and says so on
// stderr) rather than locking everyone out or letting everyone in.
class TokenStore {
 public:
  static absl::StatusOr<std::unique_ptr<TokenStore>> Load(
      const std::string& path);

  // The caller whose token is in `authorization` ("Bearer TOKEN"):
  // UNAUTHENTICATED when the header is missing, malformed or the token is
  // unknown. Compares against every token in constant time.
  absl::StatusOr<Caller> Authenticate(absl::string_view authorization) const;

  // Re-reads the file when its inode, size or mtime changed (or when
  // `force`). Returns whether the tokens were replaced.
  bool ReloadIfChanged(bool force = false);

 private:
  struct FileStamp {
    ino_t inode = 0;
    off_t size = -1;
    timespec mtime{};
    bool operator==(const FileStamp& other) const;
  };
  explicit TokenStore(std::string path) : path_(std::move(path)) {}
  absl::Status Reload(const FileStamp& stamp)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  mutable Mutex mu_;
  std::vector<TokenEntry> entries_ ABSL_GUARDED_BY(mu_);
  FileStamp stamp_ ABSL_GUARDED_BY(mu_);
};

// Equal-length-independent comparison whose time depends only on the
// length of `expected`, not on where the strings differ.
bool ConstantTimeEquals(absl::string_view expected, absl::string_view given);

}  // namespace ftcapture

#endif  // FTCAPTURE_SERVER_ACCESS_CONTROL_H_
