#include "src/tools/shard_merge.h"

#include <algorithm>
#include <map>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ftcapture/v1/storage.pb.h"
#include "src/storage/deletion_log.h"
#include "src/storage/example_filter.h"
#include "src/storage/example_store.h"
#include "src/storage/review_log.h"
#include "src/storage/tfrecord_reader.h"
#include "src/util/env.h"
#include "src/util/proto_time.h"

namespace ftcapture {
namespace {

constexpr int kRecentExamples = 5;

// The head of one stream in the merge.
struct Head {
  v1::Example example;
  absl::Time captured_at;
  bool live = false;
};

absl::Status Advance(ExampleStream& stream, Head* head) {
  absl::StatusOr<bool> more = stream(&head->example);
  if (!more.ok()) return more.status();
  head->live = *more;
  if (head->live)
    head->captured_at = FromProtoTime(head->example.captured_at());
  return absl::OkStatus();
}

// What OpenDataDirStream keeps per selected example.
struct Selected {
  absl::Time captured_at;
  uint64_t offset = 0;
};

class DataDirStream {
 public:
  DataDirStream(std::unique_ptr<RandomAccessFile> file,
                absl::flat_hash_map<std::string, v1::ReviewRecord> reviews,
                std::vector<Selected> selected)
      : file_(std::move(file)),
        reviews_(std::move(reviews)),
        selected_(std::move(selected)) {}

  absl::StatusOr<bool> Next(v1::Example* example) {
    if (next_ >= selected_.size()) return false;
    const Selected& entry = selected_[next_++];
    absl::StatusOr<std::string> data = ReadTFRecordAt(*file_, entry.offset);
    if (!data.ok()) return data.status();
    if (!example->ParseFromString(*data)) {
      return absl::DataLossError(
          absl::StrCat("record at offset ", entry.offset, " does not parse"));
    }
    auto review = reviews_.find(example->id());
    if (review != reviews_.end()) ApplyReview(review->second, example);
    return true;
  }

  static void ApplyReview(const v1::ReviewRecord& review,
                          v1::Example* example) {
    example->set_status(review.status());
    example->set_review_note(review.note());
    *example->mutable_reviewed_at() = review.reviewed_at();
  }

 private:
  std::unique_ptr<RandomAccessFile> file_;
  absl::flat_hash_map<std::string, v1::ReviewRecord> reviews_;
  std::vector<Selected> selected_;
  size_t next_ = 0;
};

}  // namespace

absl::Status MergeExampleStreams(
    std::vector<ExampleStream> streams,
    const std::function<absl::Status(const v1::Example&)>& emit,
    int64_t* duplicates) {
  std::vector<Head> heads(streams.size());
  for (size_t i = 0; i < streams.size(); ++i) {
    absl::Status status = Advance(streams[i], &heads[i]);
    if (!status.ok()) return status;
  }
  absl::flat_hash_set<std::string> seen;
  while (true) {
    int oldest = -1;
    for (size_t i = 0; i < heads.size(); ++i) {
      if (heads[i].live &&
          (oldest < 0 || heads[i].captured_at < heads[oldest].captured_at)) {
        oldest = static_cast<int>(i);
      }
    }
    if (oldest < 0) return absl::OkStatus();
    Head& head = heads[oldest];
    if (seen.insert(head.example.id()).second) {
      absl::Status status = emit(head.example);
      if (!status.ok()) return status;
    } else if (duplicates != nullptr) {
      ++*duplicates;
    }
    absl::Status status = Advance(streams[oldest], &head);
    if (!status.ok()) return status;
  }
}

absl::StatusOr<ExampleStream> OpenDataDirStream(
    Env* env, const std::string& data_dir,
    const v1::ExportExamplesRequest& request) {
  const std::string dataset_path = JoinPath(data_dir, kDatasetFileName);
  if (!env->FileExists(dataset_path)) {
    return absl::NotFoundError(
        absl::StrCat("no ", kDatasetFileName, " in '", data_dir, "'"));
  }
  // The latest review of each example, as the server applies them.
  absl::flat_hash_map<std::string, v1::ReviewRecord> reviews;
  const std::string reviews_path = JoinPath(data_dir, kReviewLogFileName);
  if (env->FileExists(reviews_path)) {
    absl::StatusOr<uint64_t> read =
        ReadTFRecordFile(env, reviews_path, [&reviews](absl::string_view data) {
          v1::ReviewRecord review;
          if (review.ParseFromString(std::string(data))) {
            std::string id = review.example_id();
            reviews[id] = std::move(review);
          }
        });
    if (!read.ok()) return read.status();
  }

  // Erased examples stay in the files until a compaction; their
  // tombstones hide them here as the server hides them.
  absl::StatusOr<DeletionState> deletions = LoadDeletions(env, data_dir);
  if (!deletions.ok()) return deletions.status();
  absl::StatusOr<uint64_t> size = env->GetFileSize(dataset_path);
  if (!size.ok()) return size.status();
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> file =
      env->NewRandomAccessFile(dataset_path);
  if (!file.ok()) return file.status();
  // One pass for what the filters and the order need; the examples are
  // read again one at a time as the stream is consumed.
  std::vector<Selected> selected;
  TFRecordReader reader(file->get(), *size);
  TFRecordEntry entry;
  v1::Example example;
  while (true) {
    absl::Status status = reader.Next(&entry);
    if (!status.ok()) return status;
    if (entry.kind == TFRecordEntry::Kind::kEnd ||
        entry.kind == TFRecordEntry::Kind::kTornTail) {
      break;  // a tail being written, or left by a crash
    }
    if (entry.kind != TFRecordEntry::Kind::kRecord) continue;
    if (!example.ParseFromString(entry.data)) continue;
    if (deletions->tombstones.Hides(example.id(), entry.offset)) continue;
    auto review = reviews.find(example.id());
    if (review != reviews.end()) {
      DataDirStream::ApplyReview(review->second, &example);
    }
    if (!MatchesExportFilter(request, example)) continue;
    selected.push_back({FromProtoTime(example.captured_at()), entry.offset});
  }
  std::stable_sort(selected.begin(), selected.end(),
                   [](const Selected& a, const Selected& b) {
                     return a.captured_at < b.captured_at;
                   });
  auto stream = std::make_shared<DataDirStream>(
      *std::move(file), std::move(reviews), std::move(selected));
  return ExampleStream(
      [stream](v1::Example* out) { return stream->Next(out); });
}

v1::GetStatsResponse MergeStats(const std::vector<v1::GetStatsResponse>& all) {
  v1::GetStatsResponse merged;
  std::map<std::string, int64_t> per_day;
  std::vector<const v1::Example*> recent;
  absl::Time first = absl::InfiniteFuture(), last = absl::InfinitePast();
  absl::Time started = absl::InfiniteFuture();
  for (const v1::GetStatsResponse& s : all) {
    merged.set_examples_total(merged.examples_total() + s.examples_total());
    merged.set_turns_seen(merged.turns_seen() + s.turns_seen());
    merged.set_praise_seen(merged.praise_seen() + s.praise_seen());
    merged.set_praise_uncredited(merged.praise_uncredited() +
                                 s.praise_uncredited());
    merged.set_dataset_bytes(merged.dataset_bytes() + s.dataset_bytes());
    merged.set_markdown_bytes(merged.markdown_bytes() + s.markdown_bytes());
    merged.set_user_turns_seen(merged.user_turns_seen() + s.user_turns_seen());
    merged.set_assistant_turns_seen(merged.assistant_turns_seen() +
                                    s.assistant_turns_seen());
    merged.set_criticism_seen(merged.criticism_seen() + s.criticism_seen());
    merged.set_positive_examples(merged.positive_examples() +
                                 s.positive_examples());
    merged.set_negative_examples(merged.negative_examples() +
                                 s.negative_examples());
    merged.set_live_sessions(merged.live_sessions() + s.live_sessions());
    merged.set_markdown_lines(merged.markdown_lines() + s.markdown_lines());
    merged.set_imported_examples(merged.imported_examples() +
                                 s.imported_examples());
    merged.set_pending_examples(merged.pending_examples() +
                                s.pending_examples());
    merged.set_approved_examples(merged.approved_examples() +
                                 s.approved_examples());
    merged.set_rejected_examples(merged.rejected_examples() +
                                 s.rejected_examples());
    merged.set_live_window_bytes(merged.live_window_bytes() +
                                 s.live_window_bytes());
    merged.set_redacted_examples(merged.redacted_examples() +
                                 s.redacted_examples());
    merged.set_deleted_examples(merged.deleted_examples() +
                                s.deleted_examples());
    merged.set_deleted_pending_compaction(merged.deleted_pending_compaction() +
                                          s.deleted_pending_compaction());
    merged.set_compactions(merged.compactions() + s.compactions());
    merged.set_examples_captured_since_start(
        merged.examples_captured_since_start() +
        s.examples_captured_since_start());
    for (const v1::DayCount& day : s.examples_per_day()) {
      per_day[day.date()] += day.examples();
    }
    for (const v1::Example& example : s.recent_examples()) {
      recent.push_back(&example);
    }
    if (s.examples_total() > 0) {
      first = std::min(first, FromProtoTime(s.first_example_at()));
      last = std::max(last, FromProtoTime(s.last_example_at()));
    }
    if (s.has_started_at()) {
      started = std::min(started, FromProtoTime(s.started_at()));
    }
  }
  for (const auto& [date, count] : per_day) {
    v1::DayCount* day = merged.add_examples_per_day();
    day->set_date(date);
    day->set_examples(count);
  }
  std::stable_sort(recent.begin(), recent.end(),
                   [](const v1::Example* a, const v1::Example* b) {
                     return FromProtoTime(a->captured_at()) >
                            FromProtoTime(b->captured_at());
                   });
  absl::flat_hash_set<std::string> seen;
  for (const v1::Example* example : recent) {
    if (merged.recent_examples_size() >= kRecentExamples) break;
    if (seen.insert(example->id()).second) {
      *merged.add_recent_examples() = *example;
    }
  }
  if (first != absl::InfiniteFuture()) {
    *merged.mutable_first_example_at() = ToProtoTime(first);
    *merged.mutable_last_example_at() = ToProtoTime(last);
  }
  if (started != absl::InfiniteFuture()) {
    *merged.mutable_started_at() = ToProtoTime(started);
  }
  return merged;
}

}  // namespace ftcapture
