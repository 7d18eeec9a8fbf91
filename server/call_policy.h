#ifndef FTCAPTURE_SERVER_CALL_POLICY_H_
#define FTCAPTURE_SERVER_CALL_POLICY_H_

#include <grpcpp/server_context.h>

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/access_control.h"
#include "src/util/mutex.h"

namespace ftcapture {

// Per-caller limits; each is a server flag (see README "Running it safely").
struct CallLimits {
  double turns_per_second = 1000;
  double turn_burst = 2000;
  double new_sessions_per_second = 50;
  double new_session_burst = 500;
  // Review and feedback notes longer than this get INVALID_ARGUMENT.
  int64_t max_note_bytes = 4096;
};

// Who may call what, and how fast: every CaptureService handler asks
// Admit() first and does nothing else when it fails.
//
// Without a TokenStore (no --auth_tokens) every caller is the anonymous
// admin "" (the server only allows that on loopback or with --insecure)
// and the per-caller rates do not apply: they exist so that one caller
// cannot crowd out another.
//
// Thread-safe. Invariant: one token bucket per caller name, created on the
// caller's first charged call; names come from the token file, so the map
// is as small as that file.
class CallPolicy {
 public:
  CallPolicy(const TokenStore* tokens, const CallLimits& limits);

  // The caller, or UNAUTHENTICATED (missing/unknown token) or
  // PERMISSION_DENIED (valid token, role lacks `need`).
  absl::StatusOr<Caller> Admit(const grpc::ServerContextBase& context,
                               RequiredRole need) const;

  // Charges one turn (and one new session when `opens_session()`) to the
  // caller; RESOURCE_EXHAUSTED past its rate, charging nothing. Without
  // tokens there is one caller and nothing to charge: `opens_session` (a
  // look-up in the session table) is then not called.
  absl::Status ChargeTurn(const Caller& caller,
                          absl::FunctionRef<bool()> opens_session,
                          absl::Time now);

  // INVALID_ARGUMENT when `note` is longer than the limit.
  absl::Status CheckNote(absl::string_view field, absl::string_view note) const;

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time refilled;
  };
  struct CallerBuckets {
    Bucket turns;
    Bucket sessions;
  };

  const TokenStore* const tokens_;
  const CallLimits limits_;
  Mutex mu_;
  absl::flat_hash_map<std::string, CallerBuckets> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SERVER_CALL_POLICY_H_
