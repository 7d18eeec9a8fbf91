#include "src/session/session_window.h"

#include <algorithm>
#include <utility>

#include "src/util/stable_hash.h"

namespace ftcapture {

const SessionLimits& SessionLimits::Default() {
  static const SessionLimits* const limits = new SessionLimits();
  return *limits;
}

uint64_t SessionWindow::IdFingerprint(absl::string_view turn_id) {
  return TurnIdFingerprint(turn_id);
}

uint64_t SessionWindow::SeenIdFingerprint(v1::Role role,
                                          absl::string_view turn_id) {
  // The role seeds the hash: ids are unique per role. 0 marks a forgotten
  // slot, so no id may hash to it.
  const uint64_t hash = StableHash64(turn_id, static_cast<uint64_t>(role));
  return hash == 0 ? 1 : hash;
}

void SessionWindow::RememberId(uint64_t fingerprint) {
  const int bound = std::max(1, limits_->max_seen_ids);
  if (static_cast<int>(seen_ids_.size()) < bound) {
    seen_ids_.push_back(fingerprint);
    return;
  }
  seen_ids_[next_seen_] = fingerprint;
  next_seen_ = (next_seen_ + 1) % bound;
}

ApplyResult SessionWindow::Apply(TurnPtr turn) {
  RememberId(SeenIdFingerprint(turn->role(), turn->turn_id()));
  if (turn->time() < latest_time_) return ApplyResult::kLate;
  latest_time_ = turn->time();
  Entry entry;
  if (turn->role() == v1::ROLE_ASSISTANT) {
    if (turn->reply_to_fingerprint() != 0) {
      entry.answers = turn->reply_to_fingerprint();
    } else if (TurnPtr user = latest_user()) {
      entry.answers = IdFingerprint(user->turn_id());
    }
  }
  entry.turn = std::move(turn);
  turns_.push_back(std::move(entry));
  DropOldTurns();
  return ApplyResult::kApplied;
}

void SessionWindow::DropOldTurns() {
  // The credited exchange (the latest reply's user turn onwards) stays; the
  // history before it is bounded by count and bytes.
  int keep_from = static_cast<int>(turns_.size()) - 1;
  for (int i = keep_from; i >= 0; --i) {
    if (turns_[i].turn->role() == v1::ROLE_ASSISTANT) {
      const int user = IndexOfUser(turns_[i].answers);
      keep_from = user >= 0 ? std::min(user, i) : i;
      break;
    }
  }
  int64_t bytes = 0;
  for (int i = 0; i < keep_from; ++i) {
    Entry& entry = turns_[i];
    if (!entry.slim && entry.turn->role() == v1::ROLE_ASSISTANT &&
        !AnswersUserAt(entry, keep_from)) {
      entry.turn = StoredTurn::Slim(entry.turn);
      entry.slim = true;
    }
    bytes += entry.turn->bytes().size();
  }
  int drop = 0;
  const int max_turns = limits_->max_window_turns();
  while (drop < keep_from &&
         (static_cast<int>(turns_.size()) - drop > max_turns ||
          bytes > limits_->history_bytes)) {
    bytes -= turns_[drop].turn->bytes().size();
    ++drop;
  }
  if (drop == 0) return;
  turns_.erase(turns_.begin(), turns_.begin() + drop);
  dropped_turns_ += drop;
}

bool SessionWindow::Seen(v1::Role role, absl::string_view turn_id) const {
  const uint64_t hash = SeenIdFingerprint(role, turn_id);
  return std::find(seen_ids_.begin(), seen_ids_.end(), hash) != seen_ids_.end();
}

void SessionWindow::ForgetId(v1::Role role, absl::string_view turn_id) {
  const uint64_t hash = SeenIdFingerprint(role, turn_id);
  for (uint64_t& slot : seen_ids_) {
    if (slot == hash) slot = 0;
  }
}

TurnPtr SessionWindow::latest_user() const {
  for (auto it = turns_.rbegin(); it != turns_.rend(); ++it) {
    if (it->turn->role() == v1::ROLE_USER) return it->turn;
  }
  return nullptr;
}

TurnPtr SessionWindow::latest_assistant() const {
  for (auto it = turns_.rbegin(); it != turns_.rend(); ++it) {
    if (it->turn->role() == v1::ROLE_ASSISTANT) return it->turn;
  }
  return nullptr;
}

TurnPtr SessionWindow::answered_user() const {
  TurnPtr reply = latest_assistant();
  return reply == nullptr ? nullptr : AnsweredUserOf(*reply);
}

bool SessionWindow::AnswersUserAt(const Entry& entry, int user_index) const {
  return user_index < static_cast<int>(turns_.size()) && entry.answers != 0 &&
         turns_[user_index].turn->role() == v1::ROLE_USER &&
         IdFingerprint(turns_[user_index].turn->turn_id()) == entry.answers;
}

int SessionWindow::IndexOf(const StoredTurn& turn) const {
  for (int i = static_cast<int>(turns_.size()) - 1; i >= 0; --i) {
    if (turns_[i].turn.get() == &turn) return i;
  }
  return -1;
}

int SessionWindow::IndexOfUser(uint64_t fingerprint) const {
  if (fingerprint == 0) return -1;
  for (int i = static_cast<int>(turns_.size()) - 1; i >= 0; --i) {
    const StoredTurn& turn = *turns_[i].turn;
    if (turn.role() == v1::ROLE_USER &&
        IdFingerprint(turn.turn_id()) == fingerprint) {
      return i;
    }
  }
  return -1;
}

TurnPtr SessionWindow::FindReply(absl::string_view turn_id) const {
  for (auto it = turns_.rbegin(); it != turns_.rend(); ++it) {
    if (it->turn->role() == v1::ROLE_ASSISTANT && !it->slim &&
        it->turn->turn_id() == turn_id) {
      return it->turn;
    }
  }
  return nullptr;
}

TurnPtr SessionWindow::AnsweredUserOf(const StoredTurn& reply) const {
  const int index = IndexOf(reply);
  if (index < 0) return nullptr;
  const int user = IndexOfUser(turns_[index].answers);
  return user < 0 ? nullptr : turns_[user].turn;
}

std::vector<TurnPtr> SessionWindow::AlternativesTo(
    const StoredTurn& reply) const {
  std::vector<TurnPtr> alternatives;
  const int index = IndexOf(reply);
  if (index < 0 || turns_[index].answers == 0) return alternatives;
  for (const Entry& entry : turns_) {
    if (entry.turn.get() != &reply &&
        entry.turn->role() == v1::ROLE_ASSISTANT &&
        entry.answers == turns_[index].answers) {
      alternatives.push_back(entry.turn);
    }
  }
  return alternatives;
}

std::vector<TurnPtr> SessionWindow::HistoryBefore(const StoredTurn* user,
                                                  const StoredTurn& reply,
                                                  int64_t* omitted) const {
  std::vector<TurnPtr> history;
  int end = IndexOf(user != nullptr ? *user : reply);
  if (end < 0) end = 0;
  history.reserve(end);
  for (int i = 0; i < end; ++i) history.push_back(turns_[i].turn);
  *omitted = dropped_turns_;
  return history;
}

std::vector<TurnPtr> SessionWindow::turns() const {
  std::vector<TurnPtr> turns;
  turns.reserve(turns_.size());
  for (const Entry& entry : turns_) turns.push_back(entry.turn);
  return turns;
}

std::vector<uint64_t> SessionWindow::SeenIdsOldestFirst() const {
  std::vector<uint64_t> ids(seen_ids_.begin() + next_seen_, seen_ids_.end());
  ids.insert(ids.end(), seen_ids_.begin(), seen_ids_.begin() + next_seen_);
  return ids;
}

void SessionWindow::RestoreSeenIds(std::vector<uint64_t> seen_ids,
                                   int64_t dropped_turns) {
  const size_t bound = std::max(1, limits_->max_seen_ids);
  if (seen_ids.size() > bound) {
    seen_ids.erase(seen_ids.begin(), seen_ids.end() - bound);
  }
  seen_ids_ = std::move(seen_ids);
  next_seen_ = 0;  // full or not, the oldest is first
  dropped_turns_ = dropped_turns;
}

int64_t SessionWindow::ApproximateBytes() const {
  int64_t bytes = sizeof(*this) + turns_.capacity() * sizeof(Entry) +
                  seen_ids_.capacity() * sizeof(uint64_t);
  for (const Entry& entry : turns_) bytes += entry.turn->SpaceUsed();
  return bytes;
}

}  // namespace ftcapture
