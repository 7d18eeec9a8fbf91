#include "src/session_journal.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "src/env.h"
#include "src/proto_time.h"
#include "src/tfrecord_reader.h"
#include "src/tfrecord_writer.h"

namespace ftcapture {
namespace {

// A shard's file is rewritten once it holds this much, or several times its
// last snapshot, whichever is more: rare enough to cost nothing, soon enough
// that replay at start stays short.
constexpr uint64_t kMinCompactBytes = 1 << 20;
constexpr uint64_t kCompactGrowthFactor = 4;

}  // namespace

SessionJournal::~SessionJournal() = default;

std::string SessionJournal::ShardPath(int shard) const {
  return JoinPath(dir_, absl::StrFormat("shard-%03d.journal", shard));
}

absl::StatusOr<std::unique_ptr<SessionJournal>> SessionJournal::Open(
    Env* env, const std::string& data_dir, int shards, absl::Time expire_before,
    const Replay& replay) {
  std::string dir = JoinPath(data_dir, "sessions");
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
  // A torn tail is the turn being written when the process died; it was
  // never acknowledged. Compaction after replay rewrites the file without it.
  absl::StatusOr<uint64_t> read =
      ReadTFRecordFile(env_, path, [&](absl::string_view data) {
        v1::SessionJournalEntry journaled;
        if (!journaled.ParseFromArray(data.data(), data.size())) return;
        const absl::Time received_at = FromProtoTime(journaled.received_at());
        if (received_at < expire_before) return;
        replay(std::make_shared<v1::Turn>(std::move(*journaled.mutable_turn())),
               received_at);
      });
  return read.status();
}

absl::Status SessionJournal::Append(int shard, const v1::Turn& turn,
                                    absl::Time received_at) {
  v1::SessionJournalEntry entry;
  *entry.mutable_turn() = turn;
  *entry.mutable_received_at() = ToProtoTime(received_at);
  const std::string payload = entry.SerializeAsString();
  std::string framed;
  framed.reserve(TFRecordFramedSize(payload.size()));
  AppendTFRecord(payload, &framed);
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
  return file.bytes >
         std::max(kMinCompactBytes, kCompactGrowthFactor * file.snapshot_bytes);
}

absl::Status SessionJournal::CompactShard(
    int shard, const std::vector<v1::SessionJournalEntry>& entries) {
  std::string framed;
  for (const v1::SessionJournalEntry& entry : entries) {
    AppendTFRecord(entry.SerializeAsString(), &framed);
  }
  const std::string path = ShardPath(shard);
  const std::string tmp = path + ".tmp";
  {
    absl::StatusOr<std::unique_ptr<WritableFile>> out =
        env_->NewWritableFile(tmp);
    if (!out.ok()) return out.status();
    absl::Status status = (*out)->Append(framed);
    if (status.ok()) status = (*out)->Close();
    if (!status.ok()) {
      env_->RemoveFile(tmp).IgnoreError();
      return status;
    }
  }
  ShardFile& file = shards_[shard];
  file.file.reset();
  absl::Status status = env_->RenameFile(tmp, path);
  absl::StatusOr<std::unique_ptr<WritableFile>> reopened =
      env_->NewAppendableFile(path);
  if (!reopened.ok()) return reopened.status();
  file.file = *std::move(reopened);
  if (!status.ok()) return status;
  file.bytes = framed.size();
  file.snapshot_bytes = framed.size();
  return absl::OkStatus();
}

void SessionJournal::SnapshotWindow(
    const SessionWindow& window, absl::Time last_used,
    std::vector<v1::SessionJournalEntry>* entries) {
  auto add = [&](const TurnPtr& turn) {
    if (turn == nullptr) return;
    v1::SessionJournalEntry& entry = entries->emplace_back();
    *entry.mutable_turn() = *turn;
    *entry.mutable_received_at() = ToProtoTime(last_used);
  };
  // Replaying answered user -> reply -> newest user rebuilds the window.
  add(window.answered_user());
  add(window.latest_assistant());
  if (window.latest_user() != window.answered_user()) {
    add(window.latest_user());
  }
}

}  // namespace ftcapture
