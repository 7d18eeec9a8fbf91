#include "server/call_policy.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"

namespace ftcapture {
namespace {

bool RoleSatisfies(AccessRole role, RequiredRole need) {
  if (role == AccessRole::kAdmin || need == RequiredRole::kAnyRole) {
    return true;
  }
  switch (need) {
    case RequiredRole::kIngest:
      return role == AccessRole::kIngest;
    case RequiredRole::kRead:
      return role == AccessRole::kRead;
    default:
      return false;
  }
}

absl::string_view RequiredRoleName(RequiredRole need) {
  switch (need) {
    case RequiredRole::kIngest:
      return "ingest";
    case RequiredRole::kRead:
      return "read";
    case RequiredRole::kAdmin:
      return "admin";
    case RequiredRole::kAnyRole:
      return "any";
  }
  return "?";
}

// Brings `tokens` up to date for the time since `refilled`, capped at
// `burst` (a bucket starts full).
void Refill(double rate, double burst, absl::Time now, double& tokens,
            absl::Time& refilled) {
  if (refilled == absl::Time()) {
    tokens = burst;
  } else if (now > refilled) {
    tokens =
        std::min(burst, tokens + rate * absl::ToDoubleSeconds(now - refilled));
  }
  refilled = now;
}

}  // namespace

CallPolicy::CallPolicy(const TokenStore* tokens, const CallLimits& limits)
    : tokens_(tokens), limits_(limits) {}

absl::StatusOr<Caller> CallPolicy::Admit(const grpc::ServerContextBase& context,
                                         RequiredRole need) const {
  if (tokens_ == nullptr) return Caller{"", AccessRole::kAdmin};
  const auto& metadata = context.client_metadata();
  auto found = metadata.find("authorization");
  absl::string_view header;
  if (found != metadata.end()) {
    header = absl::string_view(found->second.data(), found->second.size());
  }
  absl::StatusOr<Caller> caller = tokens_->Authenticate(header);
  if (!caller.ok()) return caller.status();
  if (!RoleSatisfies(caller->role, need)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "token '", caller->name, "' has role ", AccessRoleName(caller->role),
        "; this call needs ", RequiredRoleName(need)));
  }
  return caller;
}

absl::Status CallPolicy::ChargeTurn(const Caller& caller,
                                    absl::FunctionRef<bool()> opens_session,
                                    absl::Time now) {
  // One caller: no one to protect from another.
  if (tokens_ == nullptr) return absl::OkStatus();
  // Asked before the lock: it takes a session shard's.
  const bool opens = opens_session();
  MutexLock lock(&mu_);
  CallerBuckets& buckets = buckets_[caller.name];
  Refill(limits_.turns_per_second, limits_.turn_burst, now,
         buckets.turns.tokens, buckets.turns.refilled);
  Refill(limits_.new_sessions_per_second, limits_.new_session_burst, now,
         buckets.sessions.tokens, buckets.sessions.refilled);
  if (buckets.turns.tokens < 1) {
    return absl::ResourceExhaustedError(
        absl::StrCat("caller '", caller.name, "' is over --max_turn_rate (",
                     limits_.turns_per_second, " turns/s); retry later"));
  }
  if (opens && buckets.sessions.tokens < 1) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "caller '", caller.name, "' is over --max_new_session_rate (",
        limits_.new_sessions_per_second, " new sessions/s); retry later"));
  }
  buckets.turns.tokens -= 1;
  if (opens) buckets.sessions.tokens -= 1;
  return absl::OkStatus();
}

absl::Status CallPolicy::CheckNote(absl::string_view field,
                                   absl::string_view note) const {
  if (static_cast<int64_t>(note.size()) <= limits_.max_note_bytes) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field, " is ", note.size(), " bytes; at most ",
                   limits_.max_note_bytes, " (--max_note_bytes)"));
}

}  // namespace ftcapture
