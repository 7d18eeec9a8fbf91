#include "src/session/session_table.h"

#include <algorithm>
#include <limits>

#include "absl/hash/hash.h"
#include "src/util/env.h"

namespace ftcapture {

SessionTable::SessionTable(int64_t max_sessions, absl::Duration ttl, int shards,
                           const SessionLimits& limits)
    : SessionTable(max_sessions, std::numeric_limits<int64_t>::max(), ttl,
                   shards, limits) {}

SessionTable::SessionTable(int64_t max_sessions, int64_t max_bytes,
                           absl::Duration ttl, int shards,
                           const SessionLimits& limits)
    : per_shard_capacity_(
          std::max<int64_t>(1, (max_sessions + shards - 1) / shards)),
      per_shard_bytes_(std::max<int64_t>(1, max_bytes / shards)),
      limits_(limits),
      ttl_(ttl) {
  shards_.reserve(shards);
  for (int i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

SessionTable::~SessionTable() = default;

int SessionTable::ShardOf(absl::string_view session_id) const {
  return static_cast<int>(absl::Hash<absl::string_view>()(session_id) %
                          shards_.size());
}

void SessionTable::EvictLocked(Shard& shard, absl::Time now) {
  while (!shard.lru.empty()) {
    const Entry& oldest = shard.lru.back();
    const bool expired = now - oldest.last_used > ttl_;
    const bool over =
        static_cast<int64_t>(shard.lru.size()) >= per_shard_capacity_;
    if (!expired && !over) break;
    DropOldestLocked(shard);
  }
}

void SessionTable::DropOldestLocked(Shard& shard) {
  const Entry& oldest = shard.lru.back();
  shard.bytes -= oldest.bytes;
  bytes_.fetch_sub(oldest.bytes, std::memory_order_relaxed);
  shard.index.erase(oldest.session_id);
  shard.lru.pop_back();
  size_.fetch_sub(1, std::memory_order_relaxed);
  evictions_.fetch_add(1, std::memory_order_relaxed);
}

void SessionTable::RecountFrontLocked(Shard& shard) {
  Entry& entry = shard.lru.front();
  const int64_t bytes = entry.window.ApproximateBytes();
  shard.bytes += bytes - entry.bytes;
  bytes_.fetch_add(bytes - entry.bytes, std::memory_order_relaxed);
  entry.bytes = bytes;
  while (shard.bytes > per_shard_bytes_ && shard.lru.size() > 1) {
    DropOldestLocked(shard);
  }
}

SessionTable::Entry& SessionTable::TouchLocked(Shard& shard,
                                               absl::string_view session_id,
                                               absl::Time now) {
  auto it = shard.index.find(session_id);
  if (it != shard.index.end() && now - it->second->last_used > ttl_) {
    // Expired: forget what it held, as if it had been swept.
    it->second->window = SessionWindow(&limits_);
  }
  if (it == shard.index.end()) {
    EvictLocked(shard, now);
    shard.lru.push_front(
        Entry{std::string(session_id), now, SessionWindow(&limits_)});
    // The key views the string owned by the list entry, which never moves.
    shard.index.emplace(shard.lru.front().session_id, shard.lru.begin());
    size_.fetch_add(1, std::memory_order_relaxed);
  } else if (it->second != shard.lru.begin()) {
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
  }
  Entry& entry = shard.lru.front();
  entry.last_used = std::max(entry.last_used, now);
  return entry;
}

void SessionTable::WithSession(absl::string_view session_id, absl::Time now,
                               absl::FunctionRef<void(SessionWindow&)> fn) {
  Shard& shard = ShardFor(session_id);
  MutexLock lock(&shard.mu);
  fn(TouchLocked(shard, session_id, now).window);
  RecountFrontLocked(shard);
}

absl::Status SessionTable::ApplyTurn(
    absl::string_view session_id, absl::Time now, const TurnPtr& turn,
    absl::FunctionRef<bool(const SessionWindow&)> inspect) {
  return ApplyTurn(session_id, now, turn, inspect,
                   [](const SessionWindow&, ApplyResult) {});
}

absl::Status SessionTable::ApplyTurn(
    absl::string_view session_id, absl::Time now, const TurnPtr& turn,
    absl::FunctionRef<bool(const SessionWindow&)> inspect,
    absl::FunctionRef<void(const SessionWindow&, ApplyResult)> applied) {
  const int index = ShardOf(session_id);
  Shard& shard = *shards_[index];
  MutexLock lock(&shard.mu);
  SessionWindow& window = TouchLocked(shard, session_id, now).window;
  if (!inspect(window)) return absl::OkStatus();
  absl::Status journaled;
  if (journal_ != nullptr) journaled = journal_->Append(index, *turn, now);
  const ApplyResult result = window.Apply(turn);
  RecountFrontLocked(shard);
  applied(window, result);
  if (journaled.ok() && journal_ != nullptr && journal_->ShouldCompact(index)) {
    journaled = CompactJournalLocked(shard, index);
  }
  return journaled;
}

absl::Status SessionTable::CompactJournalLocked(Shard& shard, int index,
                                                bool durable) {
  std::string snapshot;
  // Oldest first, so replaying the snapshot in order keeps the LRU order.
  for (auto it = shard.lru.rbegin(); it != shard.lru.rend(); ++it) {
    SessionJournal::SnapshotWindow(it->session_id, it->window, it->last_used,
                                   &snapshot);
  }
  return journal_->CompactShard(index, snapshot, durable);
}

absl::Status SessionTable::OpenJournal(Env* env, const std::string& data_dir,
                                       absl::Time expire_before,
                                       int64_t* replayed,
                                       absl::Status* compaction) {
  *replayed = 0;
  absl::StatusOr<std::unique_ptr<SessionJournal>> journal =
      SessionJournal::Open(
          env, data_dir, shard_count(), expire_before,
          [this, replayed](absl::string_view session_id, absl::Time received_at,
                           absl::FunctionRef<void(SessionWindow&)> apply) {
            ++*replayed;
            WithSession(session_id, received_at, apply);
          });
  if (!journal.ok()) return journal.status();
  journal_ = *std::move(journal);
  // Write the windows back compactly (dropping expired entries).
  for (int index = 0; index < shard_count(); ++index) {
    Shard& shard = *shards_[index];
    MutexLock lock(&shard.mu);
    absl::Status status = CompactJournalLocked(shard, index);
    if (compaction != nullptr && compaction->ok()) *compaction = status;
  }
  return absl::OkStatus();
}

absl::Status SessionTable::EraseSession(absl::string_view session_id,
                                        absl::Time now, bool* existed) {
  const int index = ShardOf(session_id);
  Shard& shard = *shards_[index];
  MutexLock lock(&shard.mu);
  auto it = shard.index.find(session_id);
  if (existed != nullptr) *existed = it != shard.index.end();
  if (it != shard.index.end()) {
    LruList::iterator entry = it->second;
    shard.bytes -= entry->bytes;
    bytes_.fetch_sub(entry->bytes, std::memory_order_relaxed);
    shard.index.erase(it);
    shard.lru.erase(entry);
    size_.fetch_sub(1, std::memory_order_relaxed);
  }
  if (journal_ == nullptr) return absl::OkStatus();
  // The marker even when the session was not live: the file may still hold
  // its expired or evicted turns.
  absl::Status status = journal_->AppendErasure(index, session_id, now);
  absl::Status rewritten = CompactJournalLocked(shard, index, /*durable=*/true);
  return status.ok() ? rewritten : status;
}

bool SessionTable::WithExistingSession(
    absl::string_view session_id, absl::Time now,
    absl::FunctionRef<void(SessionWindow&)> fn) {
  Shard& shard = ShardFor(session_id);
  MutexLock lock(&shard.mu);
  auto it = shard.index.find(session_id);
  if (it == shard.index.end() || now - it->second->last_used > ttl_) {
    return false;
  }
  shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
  Entry& entry = shard.lru.front();
  entry.last_used = std::max(entry.last_used, now);
  fn(entry.window);
  RecountFrontLocked(shard);
  return true;
}

void SessionTable::ForEach(
    absl::FunctionRef<void(absl::string_view, absl::Time, const SessionWindow&)>
        fn) {
  for (int shard = 0; shard < shard_count(); ++shard) {
    ForEachInShard(shard, fn);
  }
}

void SessionTable::ForEachInShard(
    int shard_index,
    absl::FunctionRef<void(absl::string_view, absl::Time, const SessionWindow&)>
        fn) {
  Shard& shard = *shards_[shard_index];
  MutexLock lock(&shard.mu);
  // Oldest first, so replaying a snapshot in order keeps the LRU order.
  for (auto it = shard.lru.rbegin(); it != shard.lru.rend(); ++it) {
    fn(it->session_id, it->last_used, it->window);
  }
}

}  // namespace ftcapture
