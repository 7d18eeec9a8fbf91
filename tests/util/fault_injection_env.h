// An Env for tests that makes chosen files fail the way disks do: ENOSPC or
// EIO on write (optionally after a byte budget, writing a prefix first: a
// short write), failing fsync, failing truncate. Heal() makes everything
// work again. Counts syncs and appends per file so tests can check group
// commit. Thread-safe.

#ifndef FTCAPTURE_TESTS_UTIL_FAULT_INJECTION_ENV_H_
#define FTCAPTURE_TESTS_UTIL_FAULT_INJECTION_ENV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "src/util/env.h"
#include "src/util/mutex.h"

namespace ftcapture {

class FaultInjectionEnv : public EnvWrapper {
 public:
  explicit FaultInjectionEnv(Env* base = Env::Default()) : EnvWrapper(base) {}

  // Appends to files whose path contains `path_part` fail with
  // `error_number` once `budget` more bytes have been written to them; the
  // append that crosses the budget first writes the bytes that fit.
  void FailWrites(const std::string& path_part, int error_number,
                  uint64_t budget = 0);
  // Sync() of matching files fails with `error_number` (and syncs nothing).
  void FailSyncs(const std::string& path_part, int error_number);
  // TruncateFile() of matching files fails with `error_number`.
  void FailTruncates(const std::string& path_part, int error_number);
  // Every Sync() sleeps this long first, like a slow disk (lets tests see
  // group commit batch concurrent appends).
  void SetSyncDelay(absl::Duration delay);
  // Sync() of files whose path contains `path_part` waits until
  // ReleaseSyncs(), like a disk that has not answered yet (lets tests see
  // what happens while an fsync is outstanding).
  void HoldSyncs(const std::string& path_part);
  void ReleaseSyncs();
  // Waits until `n` Sync() calls are being held.
  void WaitForHeldSyncs(int64_t n) const;
  // Stops injecting failures (the sync delay and held syncs stay).
  void Heal();

  // Successful and failed Sync() calls on files whose path contains
  // `path_part`.
  int64_t sync_count(const std::string& path_part) const;
  // Append() calls on matching files.
  int64_t append_count(const std::string& path_part) const;

  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      absl::string_view path) override;
  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      absl::string_view path) override;
  absl::Status TruncateFile(absl::string_view path, uint64_t size) override;

  // Used by the wrapped files.
  // How many of `n` bytes may be written to `path`, and the errno to fail
  // with when fewer than `n` (0 when all may).
  uint64_t AllowWrite(const std::string& path, uint64_t n, int* error_number);
  int SyncError(const std::string& path);

 private:
  struct Rule {
    std::string path_part;
    int error_number;
    uint64_t budget;
  };
  bool SyncHeld(const std::string& path) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static int64_t Sum(const absl::flat_hash_map<std::string, int64_t>& counts,
                     const std::string& path_part);
  absl::StatusOr<std::unique_ptr<WritableFile>> Wrap(
      absl::StatusOr<std::unique_ptr<WritableFile>> file,
      absl::string_view path);

  mutable Mutex mu_;
  std::vector<Rule> write_rules_ ABSL_GUARDED_BY(mu_);
  std::vector<Rule> sync_rules_ ABSL_GUARDED_BY(mu_);
  std::vector<Rule> truncate_rules_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int64_t> syncs_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int64_t> appends_ ABSL_GUARDED_BY(mu_);
  absl::Duration sync_delay_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  std::vector<std::string> hold_syncs_ ABSL_GUARDED_BY(mu_);
  int64_t held_syncs_ ABSL_GUARDED_BY(mu_) = 0;
  mutable CondVar holds_changed_;  // hold_syncs_ or held_syncs_ changed
};

}  // namespace ftcapture

#endif  // FTCAPTURE_TESTS_UTIL_FAULT_INJECTION_ENV_H_
