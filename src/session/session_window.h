#ifndef FTCAPTURE_SRC_SESSION_SESSION_WINDOW_H_
#define FTCAPTURE_SRC_SESSION_SESSION_WINDOW_H_

#include <array>
#include <cstdint>
#include <memory>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ftcapture/v1/capture.pb.h"
#include "src/session/stored_turn.h"

namespace ftcapture {

// What one session keeps in memory: just enough to credit the latest reply.
//
// Invariants: `answered_user` is the user turn that was latest when
// `latest_assistant` arrived (so a praise credits the exchange that earned it,
// never a later prompt); `latest_user` is the newest user turn, praise
// included, since praise often carries the next question. A window changes
// only through Apply(), so replaying the same turns rebuilds the same window.
class SessionWindow {
 public:
  // Remembers `turn` (assumed validated) as the session's newest turn.
  void Apply(TurnPtr turn);

  // True if a turn of this role with this id was applied recently (a
  // backend retry). Ids are unique per role: user "1" and assistant "1"
  // are two turns, as many backends number them.
  bool SeenRecently(v1::Role role, absl::string_view turn_id) const;
  // Forgets that `turn_id` of `role` was seen, so a retry of a turn whose
  // capture failed is processed again instead of being taken for a
  // duplicate.
  void ForgetId(v1::Role role, absl::string_view turn_id);

  const TurnPtr& latest_user() const { return latest_user_; }
  const TurnPtr& latest_assistant() const { return latest_assistant_; }
  const TurnPtr& answered_user() const { return answered_user_; }

  // Bytes of turn data this window holds (shared turns counted once).
  int64_t ApproximateBytes() const;

 private:
  // Hashes of the last kRecentIds (role, turn id) pairs: a fixed, small
  // cost per session that still catches retries, which arrive within a few
  // turns.
  static constexpr int kRecentIds = 16;

  TurnPtr latest_user_;
  TurnPtr latest_assistant_;
  TurnPtr answered_user_;
  std::array<uint64_t, kRecentIds> recent_ids_{};
  int next_recent_ = 0;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_SESSION_SESSION_WINDOW_H_
