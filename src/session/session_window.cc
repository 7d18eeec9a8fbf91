#include "src/session/session_window.h"

#include <algorithm>

#include "src/util/stable_hash.h"

namespace ftcapture {

namespace {
// 0 marks an empty slot, so no id may hash to it. The role seeds the hash:
// ids are unique per role.
uint64_t IdHash(v1::Role role, absl::string_view turn_id) {
  uint64_t hash = StableHash64(turn_id, static_cast<uint64_t>(role));
  return hash == 0 ? 1 : hash;
}
}  // namespace

void SessionWindow::Apply(TurnPtr turn) {
  recent_ids_[next_recent_] = IdHash(turn->role(), turn->turn_id());
  next_recent_ = (next_recent_ + 1) % kRecentIds;
  if (turn->role() == v1::ROLE_ASSISTANT) {
    answered_user_ = latest_user_;
    latest_assistant_ = std::move(turn);
  } else {
    latest_user_ = std::move(turn);
  }
}

bool SessionWindow::SeenRecently(v1::Role role,
                                 absl::string_view turn_id) const {
  const uint64_t hash = IdHash(role, turn_id);
  return std::find(recent_ids_.begin(), recent_ids_.end(), hash) !=
         recent_ids_.end();
}

void SessionWindow::ForgetId(v1::Role role, absl::string_view turn_id) {
  const uint64_t hash = IdHash(role, turn_id);
  for (uint64_t& slot : recent_ids_) {
    if (slot == hash) slot = 0;
  }
}

int64_t SessionWindow::ApproximateBytes() const {
  int64_t bytes = sizeof(*this);
  if (latest_user_) bytes += latest_user_->SpaceUsed();
  if (latest_assistant_) bytes += latest_assistant_->SpaceUsed();
  if (answered_user_ && answered_user_ != latest_user_) {
    bytes += answered_user_->SpaceUsed();
  }
  return bytes;
}

}  // namespace ftcapture
