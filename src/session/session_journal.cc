#include "src/session/session_journal.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "src/storage/data_dir_files.h"
#include "src/storage/tfrecord_reader.h"
#include "src/storage/tfrecord_writer.h"
#include "src/util/env.h"
#include "src/util/proto_time.h"
#include "src/util/wire_format.h"

namespace ftcapture {
namespace {

// A shard's file is rewritten once it holds this much, or several times its
// last snapshot, whichever is more: rare enough to cost nothing, soon enough
// that replay at start stays short.
constexpr uint64_t kMinCompactBytes = 1 << 20;
constexpr uint64_t kCompactGrowthFactor = 4;

}  // namespace

SessionJournal::SessionJournal(Env* env, std::string dir)
    : env_(env), dir_(std::move(dir)) {}

SessionJournal::~SessionJournal() = default;

std::string SessionJournal::ShardPath(int shard) const {
  return JoinPath(dir_, SessionJournalFileName(shard));
}

absl::StatusOr<std::unique_ptr<SessionJournal>> SessionJournal::Open(
    Env* env, const std::string& data_dir, int shards, absl::Time expire_before,
    const Replay& replay) {
  std::string dir = JoinPath(data_dir, kSessionsDirName);
  absl::Status status = env->CreateDirIfMissing(dir);
  if (!status.ok()) return status;
  std::unique_ptr<SessionJournal> journal(new SessionJournal(env, dir));
  journal->shards_.resize(shards);
  for (int shard = 0; shard < shards; ++shard) {
    const std::string path = journal->ShardPath(shard);
    if (env->FileExists(path)) {
      status = journal->ReplayFile(path, expire_before, replay);
      if (!status.ok()) return status;
    }
  }
  for (int shard = 0; shard < shards; ++shard) {
    absl::StatusOr<std::unique_ptr<WritableFile>> file =
        env->NewAppendableFile(journal->ShardPath(shard));
    if (!file.ok()) return file.status();
    journal->shards_[shard].file = *std::move(file);
    absl::StatusOr<uint64_t> size = env->GetFileSize(journal->ShardPath(shard));
    if (!size.ok()) return size.status();
    journal->shards_[shard].bytes = *size;
  }
  return journal;
}

absl::Status SessionJournal::ReplayFile(const std::string& path,
                                        absl::Time expire_before,
                                        const Replay& replay) {
  // Read first, then replay: an erasure marker drops what came before it
  // for its session, so an erased session is not rebuilt even for a while.
  std::vector<v1::SessionJournalEntry> entries;
  absl::flat_hash_map<std::string, size_t> erased_at;  // last marker
  absl::StatusOr<uint64_t> read =
      ReadTFRecordFile(env_, path, [&](absl::string_view data) {
        v1::SessionJournalEntry journaled;
        if (!journaled.ParseFromArray(data.data(), data.size())) return;
        if (journaled.erased()) {
          erased_at[journaled.session_id()] = entries.size();
          return;
        }
        entries.push_back(std::move(journaled));
      });
  auto session_of =
      [](const v1::SessionJournalEntry& journaled) -> const std::string& {
    return journaled.has_turn() ? journaled.turn().session_id()
                                : journaled.session_id();
  };
  // A session expires as a whole, when its last entry is older than
  // expire_before: dropping only its older entries would cut a live window
  // (the user turn its latest reply answers, say) in two.
  absl::flat_hash_map<std::string, absl::Time> last_received;
  for (const v1::SessionJournalEntry& journaled : entries) {
    absl::Time& last =
        last_received.try_emplace(session_of(journaled), absl::InfinitePast())
            .first->second;
    last = std::max(last, FromProtoTime(journaled.received_at()));
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    const v1::SessionJournalEntry& journaled = entries[i];
    const std::string& session_id = session_of(journaled);
    auto erased = erased_at.find(session_id);
    if (erased != erased_at.end() && i < erased->second) continue;
    if (last_received[session_id] < expire_before) continue;
    const absl::Time received_at = FromProtoTime(journaled.received_at());
    if (!journaled.has_turn()) {
      std::vector<uint64_t> seen(journaled.seen_id_fingerprints().begin(),
                                 journaled.seen_id_fingerprints().end());
      replay(session_id, received_at, [&](SessionWindow& window) {
        window.RestoreSeenIds(std::move(seen), journaled.dropped_turns());
      });
      continue;
    }
    TurnPtr turn = StoredTurn::FromTurn(journaled.turn());
    replay(session_id, received_at,
           [&](SessionWindow& window) { window.Apply(turn); });
  }
  if (!read.ok()) return read.status();
  // A torn tail is the turn being written when the process died; it was
  // never acknowledged. Cut it here (truncating needs no free space), so new
  // entries follow good ones even when compaction cannot run.
  absl::StatusOr<uint64_t> size = env_->GetFileSize(path);
  if (size.ok() && *size > *read) {
    return env_->TruncateFile(path, *read);
  }
  return absl::OkStatus();
}

void SessionJournal::AppendEntry(const StoredTurn& turn, absl::Time received_at,
                                 std::string* out) {
  // A v1::SessionJournalEntry spliced from the turn's stored bytes, framed
  // in place: the turn is not copied through a proto again.
  const size_t start = out->size();
  out->resize(start + kTFRecordHeaderSize);
  AppendLengthDelimited(v1::SessionJournalEntry::kTurnFieldNumber, turn.bytes(),
                        out);
  AppendLengthDelimited(v1::SessionJournalEntry::kReceivedAtFieldNumber,
                        ToProtoTime(received_at).SerializeAsString(), out);
  FrameTFRecordInPlace(start, out);
}

absl::Status SessionJournal::Append(int shard, const StoredTurn& turn,
                                    absl::Time received_at) {
  ShardFile& file = shards_[shard];
  file.scratch.clear();
  AppendEntry(turn, received_at, &file.scratch);
  return AppendFramed(shard, file.scratch);
}

absl::Status SessionJournal::AppendErasure(int shard,
                                           absl::string_view session_id,
                                           absl::Time at) {
  v1::SessionJournalEntry marker;
  marker.set_session_id(std::string(session_id));
  marker.set_erased(true);
  *marker.mutable_received_at() = ToProtoTime(at);
  std::string framed;
  AppendTFRecord(marker.SerializeAsString(), &framed);
  return AppendFramed(shard, framed);
}

absl::Status SessionJournal::AppendFramed(int shard, absl::string_view framed) {
  ShardFile& file = shards_[shard];
  absl::Status status = file.file->Append(framed);
  if (status.ok()) {
    file.bytes += framed.size();
    return status;
  }
  // Cut a partial record so later appends stay readable.
  absl::StatusOr<uint64_t> size = env_->GetFileSize(ShardPath(shard));
  if (size.ok() && *size > file.bytes) {
    env_->TruncateFile(ShardPath(shard), file.bytes).IgnoreError();
  }
  return status;
}

bool SessionJournal::ShouldCompact(int shard) const {
  const ShardFile& file = shards_[shard];
  if (file.compaction_due) return env_->Now() >= file.retry_compaction_at;
  return file.bytes >
         std::max(kMinCompactBytes, kCompactGrowthFactor * file.snapshot_bytes);
}

absl::Status SessionJournal::CompactShard(int shard, const std::string& framed,
                                          bool durable) {
  absl::Status status = RewriteShard(shard, framed, durable);
  ShardFile& file = shards_[shard];
  file.compaction_due = !status.ok();
  if (!status.ok()) {
    file.retry_compaction_at = env_->Now() + kCompactRetryDelay;
  }
  return status;
}

absl::Status SessionJournal::RewriteShard(int shard, const std::string& framed,
                                          bool durable) {
  const std::string path = ShardPath(shard);
  const std::string tmp = path + ".tmp";
  {
    absl::StatusOr<std::unique_ptr<WritableFile>> out =
        env_->NewWritableFile(tmp);
    if (!out.ok()) return out.status();
    absl::Status status = (*out)->Append(framed);
    if (status.ok() && durable) status = (*out)->Sync();
    if (status.ok()) status = (*out)->Close();
    if (!status.ok()) {
      env_->RemoveFile(tmp).IgnoreError();
      return status;
    }
  }
  ShardFile& file = shards_[shard];
  file.file.reset();
  absl::Status status = env_->RenameFile(tmp, path);
  if (status.ok() && durable) status = env_->SyncDir(dir_);
  absl::StatusOr<std::unique_ptr<WritableFile>> reopened =
      env_->NewAppendableFile(path);
  if (!reopened.ok()) return reopened.status();
  file.file = *std::move(reopened);
  if (!status.ok()) return status;
  file.bytes = framed.size();
  file.snapshot_bytes = framed.size();
  return absl::OkStatus();
}

void SessionJournal::SnapshotWindow(absl::string_view session_id,
                                    const SessionWindow& window,
                                    absl::Time last_used,
                                    std::string* snapshot) {
  // Replaying the held turns in order rebuilds the window; the seen ids
  // (late and dropped turns' included) then replace the ones replay added.
  for (const TurnPtr& turn : window.turns()) {
    AppendEntry(*turn, last_used, snapshot);
  }
  v1::SessionJournalEntry state;
  state.set_session_id(std::string(session_id));
  *state.mutable_received_at() = ToProtoTime(last_used);
  const std::vector<uint64_t> seen = window.SeenIdsOldestFirst();
  state.mutable_seen_id_fingerprints()->Add(seen.begin(), seen.end());
  state.set_dropped_turns(window.dropped_turns());
  const size_t start = snapshot->size();
  snapshot->resize(start + kTFRecordHeaderSize);
  state.AppendToString(snapshot);
  FrameTFRecordInPlace(start, snapshot);
}

}  // namespace ftcapture
