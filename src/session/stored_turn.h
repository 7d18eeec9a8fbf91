#ifndef FTCAPTURE_SRC_SESSION_STORED_TURN_H_
#define FTCAPTURE_SRC_SESSION_STORED_TURN_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ftcapture/v1/capture.pb.h"

namespace ftcapture {

// A turn as a session window keeps it: serialized once, when it arrives.
// The same bytes go to the session journal and are parsed back only when
// the turn is captured (a few percent of turns), so a window costs about
// the turns' wire size instead of a parsed proto's many allocations, and
// the per-turn path copies a turn once.
//
// Invariant: bytes() parses as a v1::Turn whose turn_id() and role() are
// the ones cached here. Immutable, so windows, the journal and a capture in
// flight share one copy.
class StoredTurn {
 public:
  // Serializes `turn`, adding `time` when it has none and `turn_id` when
  // its own is empty (appended fields: the wire format's last-one-wins).
  static std::shared_ptr<const StoredTurn> FromTurn(const v1::Turn& turn,
                                                    absl::Time time,
                                                    absl::string_view turn_id);
  static std::shared_ptr<const StoredTurn> FromTurn(const v1::Turn& turn);
  // From serialized bytes (journal replay); DataLoss when they do not parse.
  static absl::StatusOr<std::shared_ptr<const StoredTurn>> FromBytes(
      std::string bytes);

  const std::string& turn_id() const { return turn_id_; }
  v1::Role role() const { return role_; }
  // The turn's time (the server's when it came without one).
  absl::Time time() const { return time_; }
  // Assistant turns: TurnIdFingerprint of the user turn they name as
  // answered (reply_to), or 0 when they name none.
  uint64_t reply_to_fingerprint() const { return reply_to_fingerprint_; }
  // False when the turn's text is empty or blank (IsBlankText): such a
  // turn can be neither the user message nor the reply of an example.
  bool has_text() const { return has_text_; }
  const std::string& bytes() const { return bytes_; }

  // The turn without what only its own exchange needs (system prompt,
  // memories, context messages): what a session keeps of an older reply
  // for history. The same object when there is nothing to drop.
  static std::shared_ptr<const StoredTurn> Slim(
      const std::shared_ptr<const StoredTurn>& turn);

  // The whole turn, parsed from bytes().
  v1::Turn ToProto() const;
  void ParseInto(v1::Turn* turn) const;

  // Memory the turn holds.
  int64_t SpaceUsed() const;

  // Use the factories; public for std::make_shared.
  StoredTurn(std::string bytes, const v1::Turn& turn, std::string turn_id,
             absl::Time time);
  // `bytes` are `same_turn`'s with fields its id, role, time, reply_to and
  // text do not depend on left out.
  StoredTurn(std::string bytes, const StoredTurn& same_turn);

 private:
  const std::string bytes_;
  const std::string turn_id_;
  const v1::Role role_;
  const bool has_text_;
  const absl::Time time_;
  const uint64_t reply_to_fingerprint_;
};

using TurnPtr = std::shared_ptr<const StoredTurn>;

// What sessions remember a turn id by: a 64-bit stable hash, never 0.
uint64_t TurnIdFingerprint(absl::string_view turn_id);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_SESSION_STORED_TURN_H_
