#ifndef FTCAPTURE_SRC_SESSION_SESSION_JOURNAL_H_
#define FTCAPTURE_SRC_SESSION_SESSION_JOURNAL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ftcapture/v1/storage.pb.h"
#include "src/session/session_window.h"

namespace ftcapture {

class Env;
class WritableFile;

// Journals the turns applied to session windows so a restart, a redeploy or
// a kill -9 keeps them: each turn is handed to the kernel before it is
// acknowledged (no fsync: the page cache survives the death of the process).
//
// One file per SessionTable shard (data_dir/sessions/shard-NNN.journal).
// The SessionTable owns its journal and touches shard N's file only while
// it holds shard N's lock (see SessionTable), so the files need no lock of
// their own and their order per session is the order the windows saw. A shard's
// file is compacted to a snapshot of its live windows once it has grown to
// several times that snapshot.
class SessionJournal {
 public:
  // Called per journaled entry with what rebuilds its session's window:
  // `apply` must run on that session's window.
  using Replay =
      std::function<void(absl::string_view session_id, absl::Time received_at,
                         absl::FunctionRef<void(SessionWindow&)> apply)>;

  // Replays, in order per file, every journaled entry of each session whose
  // latest entry was received after `expire_before` (a live session comes
  // back whole, an idle one not at all), then empties the files: call
  // CompactShard() for every shard right after replay to write the windows
  // back.
  static absl::StatusOr<std::unique_ptr<SessionJournal>> Open(
      Env* env, const std::string& data_dir, int shards,
      absl::Time expire_before, const Replay& replay);
  ~SessionJournal();

  // Appends one turn to `shard`'s file. Requires: the shard's lock held.
  absl::Status Append(int shard, const StoredTurn& turn,
                      absl::Time received_at);

  // Appends an erasure marker for `session_id` (DeleteExamples): replay
  // forgets everything journaled for it before the marker. Follow with
  // CompactShard, which removes the session's entries from the file.
  // Requires: the shard's lock held.
  absl::Status AppendErasure(int shard, absl::string_view session_id,
                             absl::Time at);

  // True once `shard`'s file has grown enough to be worth compacting, or
  // when an earlier compaction failed (a full disk) and kCompactRetryDelay
  // has passed since. Requires: the shard's lock held.
  bool ShouldCompact(int shard) const;

  // Replaces `shard`'s file with `snapshot` (framed entries from
  // SnapshotWindow for each of its windows). `durable` (an erasure): the
  // new file and the dir are fsync'd, so the erased session's texts do not
  // come back after a power cut; otherwise the page cache is trusted, as
  // for appends. On failure
  // the file stays as it was (still complete: compaction only saves space and
  // replay time) and the compaction is due again after kCompactRetryDelay.
  // Requires: the shard's lock held throughout, so no Append interleaves.
  absl::Status CompactShard(int shard, const std::string& snapshot,
                            bool durable = false);

  // How long a failed compaction waits before ShouldCompact() asks again.
  static constexpr absl::Duration kCompactRetryDelay = absl::Seconds(5);

  // Appends to `*snapshot` the framed entries that rebuild `window` when
  // replayed in order: its turns, then its seen turn ids.
  static void SnapshotWindow(absl::string_view session_id,
                             const SessionWindow& window, absl::Time last_used,
                             std::string* snapshot);

  // Appends to `*out` the framed journal entry of `turn`.
  static void AppendEntry(const StoredTurn& turn, absl::Time received_at,
                          std::string* out);

 private:
  struct ShardFile {
    std::unique_ptr<WritableFile> file;
    uint64_t bytes = 0;
    uint64_t snapshot_bytes = 0;
    // Set when a compaction failed: retried once the clock passes
    // retry_compaction_at.
    bool compaction_due = false;
    absl::Time retry_compaction_at;
    std::string scratch;  // the entry being appended, reused
  };

  SessionJournal(Env* env, std::string dir);
  std::string ShardPath(int shard) const;
  absl::Status ReplayFile(const std::string& path, absl::Time expire_before,
                          const Replay& replay);
  absl::Status RewriteShard(int shard, const std::string& framed, bool durable);
  absl::Status AppendFramed(int shard, absl::string_view framed);

  Env* const env_;
  const std::string dir_;
  std::vector<ShardFile> shards_;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_SESSION_SESSION_JOURNAL_H_
