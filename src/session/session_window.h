#ifndef FTCAPTURE_SRC_SESSION_SESSION_WINDOW_H_
#define FTCAPTURE_SRC_SESSION_SESSION_WINDOW_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ftcapture/v1/capture.pb.h"
#include "src/session/stored_turn.h"

namespace ftcapture {

// How much of a conversation each session keeps.
struct SessionLimits {
  // Exchanges (a user turn and a reply) kept before the exchange an example
  // captures: an example's history holds at most 2 * history_turns turns.
  int history_turns = 8;
  // Bytes (wire size) of the turns held before the credited exchange, so
  // of an example's history; older turns are cut first.
  int64_t history_bytes = 64 << 10;
  // Turn ids remembered per session to refuse repeats (8 bytes each). A
  // session with more turns forgets its oldest ids; a repeat of one of
  // those is still refused as late, since it is older than the latest turn.
  int max_seen_ids = 4096;

  static const SessionLimits& Default();
  // Turns the window holds: the history, plus the exchange being credited,
  // the praise and a few regenerations of the latest reply.
  int max_window_turns() const { return 2 * history_turns + 8; }
};

// Why a turn did not change the window.
enum class ApplyResult { kApplied, kLate };

// What one session keeps in memory: its last turns, in arrival order, and
// fingerprints of every turn id it has seen.
//
// Invariants: `turns_` holds applied turns with non-decreasing times, at
// most limits.max_window_turns() of them; the turn the latest reply answers
// and everything after it are never dropped for the byte limit. An assistant
// turn answers the user turn its reply_to names, or else the newest user
// turn when it arrived; replies to one user turn are alternatives. Replies
// before the credited exchange are kept slim (text, no prompt or memories):
// history needs what was said, and only the latest exchange and its
// alternatives are captured with their prompts. A window
// changes only through Apply() and RestoreSeenIds(), so replaying the same
// journal rebuilds the same window.
class SessionWindow {
 public:
  explicit SessionWindow(
      const SessionLimits* limits = &SessionLimits::Default())
      : limits_(limits) {}

  // Remembers `turn` (validated, not Seen()): as the newest turn, or only
  // its id when its time is before the latest turn's (kLate).
  ApplyResult Apply(TurnPtr turn);

  // True if a turn of this role with this id was seen in the session's life
  // (within the last limits.max_seen_ids ids). Ids are unique per role:
  // user "1" and assistant "1" are two turns, as many backends number them.
  bool Seen(v1::Role role, absl::string_view turn_id) const;
  // Forgets that `turn_id` of `role` was seen, so a retry of a turn whose
  // capture failed is processed again instead of being taken for a
  // duplicate.
  void ForgetId(v1::Role role, absl::string_view turn_id);

  TurnPtr latest_user() const;
  TurnPtr latest_assistant() const;
  // The user turn the latest reply answers (null when not held).
  TurnPtr answered_user() const;

  // The reply with this id while the window holds it with its prompt (a
  // reply of the latest exchange or after it), or null.
  TurnPtr FindReply(absl::string_view turn_id) const;
  // The user turn `reply` (held by this window) answers, or null.
  TurnPtr AnsweredUserOf(const StoredTurn& reply) const;
  // The other held replies to the user turn `reply` answers, oldest first.
  std::vector<TurnPtr> AlternativesTo(const StoredTurn& reply) const;
  // The held turns before `user` (or before `reply` when `user` is null),
  // oldest first, as they arrived; `*omitted` gets how many earlier turns
  // of the session are no longer held.
  std::vector<TurnPtr> HistoryBefore(const StoredTurn* user,
                                     const StoredTurn& reply,
                                     int64_t* omitted) const;

  // For the journal: every held turn, oldest first, the fingerprints of the
  // seen ids, oldest first, and how many turns were dropped.
  std::vector<TurnPtr> turns() const;
  std::vector<uint64_t> SeenIdsOldestFirst() const;
  int64_t dropped_turns() const { return dropped_turns_; }
  // Replaces the seen ids and the dropped count (journal replay).
  void RestoreSeenIds(std::vector<uint64_t> seen_ids, int64_t dropped_turns);

  // Bytes of turn data this window holds.
  int64_t ApproximateBytes() const;

  // The fingerprint a user turn is linked to its replies by (never 0).
  static uint64_t IdFingerprint(absl::string_view turn_id);
  // The fingerprint a seen (role, turn id) is remembered by (never 0).
  static uint64_t SeenIdFingerprint(v1::Role role, absl::string_view turn_id);

 private:
  struct Entry {
    TurnPtr turn;
    // Assistant turns: the fingerprint of the user turn they answer; 0 for
    // user turns and replies with nothing to answer.
    uint64_t answers = 0;
    // Kept without its prompt and memories (StoredTurn::Slim).
    bool slim = false;
  };
  int IndexOf(const StoredTurn& turn) const;
  // True if `entry` is a reply to the user turn at `user_index`.
  bool AnswersUserAt(const Entry& entry, int user_index) const;
  int IndexOfUser(uint64_t fingerprint) const;
  void RememberId(uint64_t fingerprint);
  void DropOldTurns();

  const SessionLimits* limits_;
  std::vector<Entry> turns_;
  // A ring of at most limits.max_seen_ids fingerprints; next_seen_ is
  // where the next one goes once it is full.
  std::vector<uint64_t> seen_ids_;
  int next_seen_ = 0;
  int64_t dropped_turns_ = 0;
  absl::Time latest_time_ = absl::InfinitePast();
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_SESSION_SESSION_WINDOW_H_
