#ifndef FTCAPTURE_SRC_SESSION_SESSION_TABLE_H_
#define FTCAPTURE_SRC_SESSION_SESSION_TABLE_H_

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "src/session/session_journal.h"
#include "src/session/session_window.h"
#include "src/util/mutex.h"

namespace ftcapture {

class Env;

// The live sessions, split into shards that each have their own lock, so
// turns of different sessions rarely wait for each other and no lock is
// shared by all turns. Optionally journals the turns applied to the windows
// (OpenJournal), so a restart keeps them.
//
// Invariants: a session lives in exactly one shard (by hash of its id); each
// shard holds at most ceil(max_sessions / shards) sessions, evicting its
// least recently used; after each change a shard's windows hold at most
// max_bytes / shards bytes of turns, the least recently used evicted first
// (the session just used is kept even when it alone is over); a session
// idle for longer than the TTL is treated as gone and dropped when next
// seen or when its shard needs room. Shard N's
// journal file is only touched with shard N's lock held (the *Locked
// methods below), so its entries come in the order its windows saw them.
class SessionTable {
 public:
  SessionTable(int64_t max_sessions, absl::Duration ttl, int shards = 64,
               const SessionLimits& limits = SessionLimits::Default());
  SessionTable(int64_t max_sessions, int64_t max_bytes, absl::Duration ttl,
               int shards = 64,
               const SessionLimits& limits = SessionLimits::Default());
  ~SessionTable();
  SessionTable(const SessionTable&) = delete;
  SessionTable& operator=(const SessionTable&) = delete;

  // Replays the journal under `data_dir` into the windows (entries received
  // before `expire_before` are dropped), rewrites it compactly, and from then
  // on journals every turn ApplyTurn applies. Call once, before any other
  // use. `*replayed` receives how many turns were replayed. The rewrite only
  // saves space and replay time, so a shard that cannot be rewritten (a
  // full disk) keeps its complete journal and is compacted later: the first
  // such failure goes to `*compaction` (when given), not to the result.
  absl::Status OpenJournal(Env* env, const std::string& data_dir,
                           absl::Time expire_before, int64_t* replayed,
                           absl::Status* compaction = nullptr);

  // Under the session's shard lock: calls `inspect` with its window (created
  // empty when missing or expired); when that returns true, journals `turn`
  // (if a journal is open) and applies it to the window. Errors are the
  // journal's: the window is updated regardless, only the turn's survival
  // of a restart is at risk. `inspect` must not call back in.
  absl::Status ApplyTurn(absl::string_view session_id, absl::Time now,
                         const TurnPtr& turn,
                         absl::FunctionRef<bool(const SessionWindow&)> inspect);
  // The same, then (still under the lock) calls `applied` with the window
  // and what Apply made of the turn.
  absl::Status ApplyTurn(
      absl::string_view session_id, absl::Time now, const TurnPtr& turn,
      absl::FunctionRef<bool(const SessionWindow&)> inspect,
      absl::FunctionRef<void(const SessionWindow&, ApplyResult)> applied);

  // Calls `fn` with the session's window (created empty when missing or
  // expired) while holding its shard's lock; `fn` must not call back in.
  void WithSession(absl::string_view session_id, absl::Time now,
                   absl::FunctionRef<void(SessionWindow&)> fn);
  // Like WithSession but never creates: returns false (without calling
  // `fn`) when the session is unknown or expired.
  bool WithExistingSession(absl::string_view session_id, absl::Time now,
                           absl::FunctionRef<void(SessionWindow&)> fn);

  // Forgets `session_id` (DeleteExamples): its window with the turns and
  // history it held and the turn ids it saw. With a journal, appends an
  // erasure marker and rewrites the shard's file without the session
  // (fsync'd), so none of its texts stay there. Errors are the journal's:
  // the window is gone regardless and the marker keeps a restart from
  // rebuilding it; the rewrite is retried like any failed compaction.
  // Returns whether the session was live through `*existed` (may be null).
  absl::Status EraseSession(absl::string_view session_id, absl::Time now,
                            bool* existed);

  // Calls `fn(id, last_used, window)` on every live session, one shard
  // locked at a time.
  void ForEach(absl::FunctionRef<void(absl::string_view, absl::Time,
                                      const SessionWindow&)>
                   fn);
  // Calls `fn` on the live sessions of one shard, oldest first, holding
  // that shard's lock throughout (so nothing changes them meanwhile).
  void ForEachInShard(int shard,
                      absl::FunctionRef<void(absl::string_view, absl::Time,
                                             const SessionWindow&)>
                          fn);

  int shard_count() const { return static_cast<int>(shards_.size()); }
  // The shard that holds `session_id`.
  int ShardOf(absl::string_view session_id) const;

  int64_t size() const { return size_.load(std::memory_order_relaxed); }
  int64_t evictions() const {
    return evictions_.load(std::memory_order_relaxed);
  }
  // Bytes of turns held by all windows (SessionWindow::ApproximateBytes).
  int64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    std::string session_id;
    absl::Time last_used;
    SessionWindow window;
    int64_t bytes = 0;  // window.ApproximateBytes() as last counted
  };
  // Front is most recently used.
  using LruList = std::list<Entry>;
  struct Shard {
    Mutex mu;
    LruList lru ABSL_GUARDED_BY(mu);
    absl::flat_hash_map<absl::string_view, LruList::iterator> index
        ABSL_GUARDED_BY(mu);
    int64_t bytes ABSL_GUARDED_BY(mu) = 0;
  };

  Shard& ShardFor(absl::string_view session_id) {
    return *shards_[ShardOf(session_id)];
  }
  void EvictLocked(Shard& shard, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  void DropOldestLocked(Shard& shard) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  // Recounts the front entry's bytes after its window changed and evicts
  // the least recently used others while the shard is over its byte budget.
  void RecountFrontLocked(Shard& shard) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  // The session's entry, created or reset when missing or expired, made the
  // most recently used.
  Entry& TouchLocked(Shard& shard, absl::string_view session_id, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  // Rewrites shard `index`'s journal as a snapshot of its live windows.
  absl::Status CompactJournalLocked(Shard& shard, int index,
                                    bool durable = false)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);

  const int64_t per_shard_capacity_;
  const int64_t per_shard_bytes_;
  // Every window points at this (the table never moves).
  const SessionLimits limits_;
  const absl::Duration ttl_;
  std::vector<std::unique_ptr<Shard>> shards_;
  // Set once by OpenJournal before the table is shared; null: no journal.
  std::unique_ptr<SessionJournal> journal_;
  std::atomic<int64_t> size_{0};
  std::atomic<int64_t> evictions_{0};
  std::atomic<int64_t> bytes_{0};
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_SESSION_SESSION_TABLE_H_
