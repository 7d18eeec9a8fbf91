#include "tests/util/fault_injection_env.h"

#include <algorithm>
#include <utility>

namespace ftcapture {
namespace {

class FaultInjectionFile : public WritableFile {
 public:
  FaultInjectionFile(FaultInjectionEnv* env, std::string path,
                     std::unique_ptr<WritableFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}

  absl::Status Append(absl::string_view data) override {
    int error_number = 0;
    const uint64_t allowed =
        env_->AllowWrite(path_, data.size(), &error_number);
    if (error_number == 0) return base_->Append(data);
    if (allowed > 0) {
      absl::Status s = base_->Append(data.substr(0, allowed));
      if (!s.ok()) return s;
    }
    return ErrnoToStatus(error_number, "write", path_);
  }
  absl::Status Flush() override { return base_->Flush(); }
  absl::Status Sync() override {
    const int error_number = env_->SyncError(path_);
    if (error_number != 0) return ErrnoToStatus(error_number, "fsync", path_);
    return base_->Sync();
  }
  absl::Status Close() override { return base_->Close(); }

 private:
  FaultInjectionEnv* const env_;
  const std::string path_;
  const std::unique_ptr<WritableFile> base_;
};

bool Matches(const std::string& path, const std::string& part) {
  return path.find(part) != std::string::npos;
}

}  // namespace

void FaultInjectionEnv::FailWrites(const std::string& path_part,
                                   int error_number, uint64_t budget) {
  MutexLock l(&mu_);
  write_rules_.push_back({path_part, error_number, budget});
}

void FaultInjectionEnv::FailSyncs(const std::string& path_part,
                                  int error_number) {
  MutexLock l(&mu_);
  sync_rules_.push_back({path_part, error_number, 0});
}

void FaultInjectionEnv::FailTruncates(const std::string& path_part,
                                      int error_number) {
  MutexLock l(&mu_);
  truncate_rules_.push_back({path_part, error_number, 0});
}

void FaultInjectionEnv::SetSyncDelay(absl::Duration delay) {
  MutexLock l(&mu_);
  sync_delay_ = delay;
}

void FaultInjectionEnv::HoldSyncs(const std::string& path_part) {
  MutexLock l(&mu_);
  hold_syncs_.push_back(path_part);
}

void FaultInjectionEnv::ReleaseSyncs() {
  MutexLock l(&mu_);
  hold_syncs_.clear();
  holds_changed_.SignalAll();
}

void FaultInjectionEnv::WaitForHeldSyncs(int64_t n) const {
  MutexLock l(&mu_);
  while (held_syncs_ < n) holds_changed_.Wait(&mu_);
}

void FaultInjectionEnv::Heal() {
  MutexLock l(&mu_);
  write_rules_.clear();
  sync_rules_.clear();
  truncate_rules_.clear();
}

int64_t FaultInjectionEnv::Sum(
    const absl::flat_hash_map<std::string, int64_t>& counts,
    const std::string& path_part) {
  int64_t total = 0;
  for (const auto& [path, count] : counts) {
    if (Matches(path, path_part)) total += count;
  }
  return total;
}

int64_t FaultInjectionEnv::sync_count(const std::string& path_part) const {
  MutexLock l(&mu_);
  return Sum(syncs_, path_part);
}

int64_t FaultInjectionEnv::append_count(const std::string& path_part) const {
  MutexLock l(&mu_);
  return Sum(appends_, path_part);
}

uint64_t FaultInjectionEnv::AllowWrite(const std::string& path, uint64_t n,
                                       int* error_number) {
  MutexLock l(&mu_);
  appends_[path]++;
  *error_number = 0;
  uint64_t allowed = n;
  for (Rule& rule : write_rules_) {
    if (!Matches(path, rule.path_part)) continue;
    if (rule.budget < n) {
      allowed = std::min(allowed, rule.budget);
      *error_number = rule.error_number;
    }
  }
  if (*error_number != 0) {
    for (Rule& rule : write_rules_) {
      if (Matches(path, rule.path_part))
        rule.budget -= std::min(rule.budget, allowed);
    }
    return allowed;
  }
  for (Rule& rule : write_rules_) {
    if (Matches(path, rule.path_part)) rule.budget -= n;
  }
  return n;
}

bool FaultInjectionEnv::SyncHeld(const std::string& path) const {
  for (const std::string& part : hold_syncs_) {
    if (Matches(path, part)) return true;
  }
  return false;
}

int FaultInjectionEnv::SyncError(const std::string& path) {
  absl::Duration delay;
  {
    MutexLock l(&mu_);
    delay = sync_delay_;
  }
  if (delay > absl::ZeroDuration()) absl::SleepFor(delay);
  MutexLock l(&mu_);
  if (SyncHeld(path)) {
    ++held_syncs_;
    holds_changed_.SignalAll();
    while (SyncHeld(path)) holds_changed_.Wait(&mu_);
    --held_syncs_;
  }
  syncs_[path]++;
  for (const Rule& rule : sync_rules_) {
    if (Matches(path, rule.path_part)) return rule.error_number;
  }
  return 0;
}

absl::StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::Wrap(
    absl::StatusOr<std::unique_ptr<WritableFile>> file,
    absl::string_view path) {
  if (!file.ok()) return file.status();
  return std::unique_ptr<WritableFile>(
      new FaultInjectionFile(this, std::string(path), std::move(*file)));
}

absl::StatusOr<std::unique_ptr<WritableFile>>
FaultInjectionEnv::NewWritableFile(absl::string_view path) {
  return Wrap(target()->NewWritableFile(path), path);
}

absl::StatusOr<std::unique_ptr<WritableFile>>
FaultInjectionEnv::NewAppendableFile(absl::string_view path) {
  return Wrap(target()->NewAppendableFile(path), path);
}

absl::Status FaultInjectionEnv::TruncateFile(absl::string_view path,
                                             uint64_t size) {
  {
    MutexLock l(&mu_);
    const std::string p(path);
    for (const Rule& rule : truncate_rules_) {
      if (Matches(p, rule.path_part)) {
        return ErrnoToStatus(rule.error_number, "truncate", p);
      }
    }
  }
  return target()->TruncateFile(path, size);
}

}  // namespace ftcapture
