#include "src/service/capture_service.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/memory/memory.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/detect/praise_detector.h"
#include "src/service/example_history.h"
#include "src/session/session_journal.h"
#include "src/session/session_table.h"
#include "src/session/session_window.h"
#include "src/storage/example_filter.h"
#include "src/storage/example_id.h"
#include "src/storage/example_summary.h"
#include "src/storage/review_log.h"
#include "src/util/env.h"
#include "src/util/mutex.h"
#include "src/util/proto_time.h"
#include "src/util/stable_hash.h"

namespace ftcapture {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 1000;
constexpr int kRecentExamples = 5;
constexpr size_t kMaxIdBytes = 256;
// In CaptureServiceImpl::credited_: a capture of the reply is under way.
constexpr int64_t kCapturing = -1;

// What the in-memory maps key examples and replies by: a 128-bit
// fingerprint from two unrelated 64-bit hashes instead of the strings, so a
// million examples cost no key allocations and read back fast at start. A
// false match between two of n keys has probability about n^2 / 2^129
// (1e-27 for a million): never, in practice, unlike a 64-bit hash alone.
struct Fingerprint {
  uint64_t a = 0;
  uint64_t b = 0;
  bool operator==(const Fingerprint& other) const {
    return a == other.a && b == other.b;
  }
  template <typename H>
  friend H AbslHashValue(H h, const Fingerprint& f) {
    return H::combine(std::move(h), f.a);
  }
};

Fingerprint IdFingerprint(absl::string_view id) {
  return {absl::Hash<absl::string_view>()(id),
          StableHash64(id, 0x6a09e667f3bcc909ull)};
}

Fingerprint ReplyFingerprint(absl::string_view session_id,
                             absl::string_view turn_id) {
  return {absl::Hash<std::pair<absl::string_view, absl::string_view>>()(
              {session_id, turn_id}),
          StableHash64(turn_id, StableHash64(session_id) + session_id.size())};
}

absl::Status ValidateTurn(const v1::Turn& turn, int64_t max_turn_bytes,
                          int max_memories) {
  if (turn.session_id().empty()) {
    return absl::InvalidArgumentError("turn.session_id is required");
  }
  if (turn.session_id().size() > kMaxIdBytes ||
      turn.turn_id().size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "turn.session_id and turn.turn_id are limited to %d bytes",
        kMaxIdBytes));
  }
  if (turn.role() != v1::ROLE_USER && turn.role() != v1::ROLE_ASSISTANT) {
    return absl::InvalidArgumentError(
        "turn.role is required: ROLE_USER or ROLE_ASSISTANT");
  }
  const size_t bytes = turn.ByteSizeLong();
  if (static_cast<int64_t>(bytes) > max_turn_bytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "turn is %d bytes, over the limit of %d bytes (--max_turn_bytes)",
        bytes, max_turn_bytes));
  }
  if (turn.memories_size() > max_memories) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "turn has %d memories, over the limit of %d (--max_memories)",
        turn.memories_size(), max_memories));
  }
  if (turn.reply_to().size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("turn.reply_to is limited to %d bytes", kMaxIdBytes));
  }
  if (!turn.reply_to().empty() && turn.role() != v1::ROLE_ASSISTANT) {
    return absl::InvalidArgumentError(
        "turn.reply_to is only for assistant turns");
  }
  return ValidateContextMessages(turn);
}

// What the service remembers of each stored example; the example itself is
// read back from the dataset when asked for.
struct ExampleInfo {
  std::string id;
  uint64_t offset = 0;
  absl::Time captured_at;
  v1::Label label = v1::LABEL_UNSPECIFIED;
  v1::Source source = v1::SOURCE_UNSPECIFIED;
  v1::ReviewStatus status = v1::REVIEW_STATUS_PENDING;
  bool is_pair = false;
  // The latest review, from reviews.tfrecord.
  std::string review_note;
  absl::Time reviewed_at = absl::InfinitePast();
};

bool Matches(const ExampleInfo& info, v1::ReviewStatus status, v1::Label label,
             v1::ExampleKind kind) {
  return (status == v1::REVIEW_STATUS_UNSPECIFIED || info.status == status) &&
         (label == v1::LABEL_UNSPECIFIED || info.label == label) &&
         MatchesKind(kind, info.is_pair);
}

// What a turn of a session credits: the reply, the user turn it answers,
// the history before that, and the reply's alternatives (regenerations).
struct Credit {
  TurnPtr reply;
  TurnPtr user;
  std::vector<TurnPtr> history;
  int64_t omitted = 0;
  std::vector<TurnPtr> alternatives;
};

// Reads what crediting `reply` needs from `window` (under its lock).
Credit CreditOf(const SessionWindow& window, TurnPtr reply) {
  Credit credit;
  if (reply == nullptr) return credit;
  credit.user = window.AnsweredUserOf(*reply);
  credit.history =
      window.HistoryBefore(credit.user.get(), *reply, &credit.omitted);
  credit.alternatives = window.AlternativesTo(*reply);
  credit.reply = std::move(reply);
  return credit;
}

// Invariants: every example in the dataset has exactly one entry in
// `examples_` and `by_id_`; a reply key is in `credited_` from the moment a
// capture of it starts (value empty) until that capture fails, or forever
// once it succeeds (value: the example id). So a reply is credited at most
// once, across threads and restarts.
class CaptureServiceImpl final : public CaptureService {
 public:
  CaptureServiceImpl(const Options& options, Env* env)
      : options_(options),
        env_(env),
        sessions_(options.max_sessions, options.session_ttl, /*shards=*/64,
                  options.session_limits),
        started_at_(absl::Now()) {}

  absl::Status Start();
  // Before the first RecordTurn.
  void set_detector(std::unique_ptr<PraiseDetector> detector) {
    detector_ = std::move(detector);
  }

  absl::StatusOr<v1::RecordTurnResponse> RecordTurn(
      const v1::Turn& turn) override;
  absl::StatusOr<v1::RecordFeedbackResponse> RecordFeedback(
      const v1::RecordFeedbackRequest& request) override;
  absl::StatusOr<v1::GetStatsResponse> GetStats() override;
  absl::StatusOr<v1::ListExamplesResponse> ListExamples(
      const v1::ListExamplesRequest& request) override;
  absl::StatusOr<v1::ReviewExampleResponse> ReviewExample(
      const v1::ReviewExampleRequest& request) override;
  absl::Status ExportExamples(
      const v1::ExportExamplesRequest& request,
      const std::function<bool(const v1::Example&)>& emit) override;
  absl::StatusOr<v1::ImportExamplesResponse> ImportExamples(
      const v1::ImportExamplesRequest& request) override;

 private:
  void Log(const std::string& line) const {
    if (options_.log) {
      options_.log(line);
    } else {
      std::fprintf(stderr, "ftcapture: %s\n", line.c_str());
    }
  }

  // Remembers a stored example (recovery or a fresh append).
  void IndexExample(const ExampleSummaryView& example, uint64_t offset)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(examples_mu_);

  // Stores `example` unless its reply (or its pair) was credited already;
  // fills `response_id` or `reason`. Errors are storage errors.
  absl::Status CaptureReply(v1::Example example, std::string* response_id,
                            std::string* reason);

  // `feedback` (what was said about the reply) completed with what
  // `credit` holds: the user turn, the reply and the history before them.
  v1::Example ExampleOf(absl::string_view session_id, const Credit& credit,
                        const v1::Example& feedback) const;
  // After `reply` got `label`: when an alternative to it got the opposite
  // label, stores the preference pair (the positive one preferred) and
  // returns its id; empty when there is none.
  absl::StatusOr<std::string> CapturePairIfAny(absl::string_view session_id,
                                               const Credit& credit,
                                               v1::Label label,
                                               const v1::Example& feedback);
  // Stores the pair `preferred` over `rejected` (both answering
  // credit.user); fills `response_id` or `reason`.
  absl::Status CapturePair(absl::string_view session_id, const Credit& credit,
                           const TurnPtr& rejected, const v1::Example& feedback,
                           std::string* response_id, std::string* reason);
  // The label of the example that credited this reply, if any.
  v1::Label CreditedLabel(absl::string_view session_id,
                          absl::string_view turn_id) const;
  absl::StatusOr<v1::RecordFeedbackResponse> RecordPreference(
      const v1::RecordFeedbackRequest& request);

  absl::StatusOr<v1::Example> ReadExample(const ExampleInfo& info) const;

  // Rewrites one shard's journal as a snapshot of its live windows.
  absl::Status CompactJournalShard(int shard);

  const Options options_;
  Env* const env_;
  std::unique_ptr<PraiseDetector> detector_;  // set once, before serving
  std::unique_ptr<ExampleStore> store_;
  std::unique_ptr<ReviewLog> reviews_;
  std::unique_ptr<SessionJournal> journal_;
  SessionTable sessions_;
  const absl::Time started_at_;

  std::atomic<int64_t> turns_seen_{0};
  std::atomic<int64_t> user_turns_{0};
  std::atomic<int64_t> assistant_turns_{0};
  std::atomic<int64_t> praise_seen_{0};
  std::atomic<int64_t> criticism_seen_{0};
  std::atomic<int64_t> praise_uncredited_{0};
  std::atomic<int64_t> duplicate_turns_{0};
  std::atomic<int64_t> late_turns_{0};
  std::atomic<int64_t> auto_turn_ids_{0};

  mutable Mutex examples_mu_;
  std::vector<ExampleInfo> examples_ ABSL_GUARDED_BY(examples_mu_);
  absl::flat_hash_map<Fingerprint, int64_t> by_id_
      ABSL_GUARDED_BY(examples_mu_);
  // Reply key -> index of its example in examples_, or kCapturing.
  absl::flat_hash_map<Fingerprint, int64_t> credited_
      ABSL_GUARDED_BY(examples_mu_);
  // Reply key of a praise turn -> the example it captured, for retries.
  absl::flat_hash_map<Fingerprint, int64_t> by_feedback_turn_
      ABSL_GUARDED_BY(examples_mu_);
  std::map<std::string, int64_t> per_day_ ABSL_GUARDED_BY(examples_mu_);
  // The day IndexExample counted last, [day_start_, day_end_), and its entry
  // of per_day_ (std::map entries stay put).
  absl::Time day_start_ ABSL_GUARDED_BY(examples_mu_) = absl::InfiniteFuture();
  absl::Time day_end_ ABSL_GUARDED_BY(examples_mu_) = absl::InfinitePast();
  int64_t* day_count_ ABSL_GUARDED_BY(examples_mu_) = nullptr;
};

void CaptureServiceImpl::IndexExample(const ExampleSummaryView& example,
                                      uint64_t offset) {
  ExampleInfo info;
  info.id = std::string(example.id);
  info.offset = offset;
  info.captured_at = example.captured_at;
  info.label = example.label;
  info.source = example.source;
  info.status = example.status == v1::REVIEW_STATUS_UNSPECIFIED
                    ? v1::REVIEW_STATUS_PENDING
                    : example.status;
  info.is_pair = example.is_pair;
  const int64_t index = static_cast<int64_t>(examples_.size());
  by_id_[IdFingerprint(info.id)] = index;
  if (example.source != v1::SOURCE_IMPORTED && example.is_pair) {
    // A pair credits only itself: its replies keep their own examples.
    credited_[ReplyFingerprint(
        example.session_id, PairCreditKey(example.assistant_turn_id,
                                          example.rejected_turn_id))] = index;
  } else if (example.source != v1::SOURCE_IMPORTED) {
    credited_[ReplyFingerprint(example.session_id, example.assistant_turn_id)] =
        index;
    if (example.has_praise_turn) {
      by_feedback_turn_[ReplyFingerprint(example.session_id,
                                         example.praise_turn_id)] = index;
    }
  }
  // Examples come mostly in time order: format a day once, not per example.
  if (info.captured_at < day_start_ || info.captured_at >= day_end_) {
    day_start_ =
        absl::UnixEpoch() +
        absl::Floor(info.captured_at - absl::UnixEpoch(), absl::Hours(24));
    day_end_ = day_start_ + absl::Hours(24);
    day_count_ = &per_day_[UtcDate(info.captured_at)];
  }
  ++*day_count_;
  examples_.push_back(std::move(info));
}

absl::Status CaptureServiceImpl::Start() {
  absl::Status status = env_->CreateDirIfMissing(options_.data_dir);
  if (!status.ok()) return status;

  ExampleStore::Options store_options;
  store_options.data_dir = options_.data_dir;
  store_options.sync = options_.sync;
  store_options.negative_markdown = options_.negative_markdown;
  RecoveryReport report;
  // Sized for the dataset up front (a typical example is a few KB), so a
  // large one is not rehashed over and over while it is read back.
  const std::string dataset_path =
      JoinPath(options_.data_dir, kDatasetFileName);
  if (env_->FileExists(dataset_path)) {
    absl::StatusOr<uint64_t> bytes = env_->GetFileSize(dataset_path);
    if (bytes.ok()) {
      const size_t expected =
          static_cast<size_t>(std::min<uint64_t>(*bytes / 4096, 50000000));
      MutexLock lock(&examples_mu_);
      examples_.reserve(expected);
      by_id_.reserve(expected);
      credited_.reserve(expected);
      by_feedback_turn_.reserve(expected);
    }
  }
  absl::StatusOr<std::unique_ptr<ExampleStore>> store = ExampleStore::Open(
      env_, store_options,
      [this](uint64_t offset, const ExampleSummaryView& example) {
        MutexLock lock(&examples_mu_);
        IndexExample(example, offset);
      },
      &report);
  if (!store.ok()) return store.status();
  store_ = *std::move(store);
  Log(absl::StrCat("dataset: ", report.ToString(), " (",
                   absl::FormatDuration(absl::Now() - started_at_), ")"));

  absl::StatusOr<std::unique_ptr<ReviewLog>> reviews = ReviewLog::Open(
      env_, options_.data_dir, [this](const v1::ReviewRecord& review) {
        MutexLock lock(&examples_mu_);
        auto it = by_id_.find(IdFingerprint(review.example_id()));
        if (it == by_id_.end()) return;
        ExampleInfo& info = examples_[it->second];
        info.status = review.status();
        info.review_note = review.note();
        info.reviewed_at = FromProtoTime(review.reviewed_at());
      });
  if (!reviews.ok()) return reviews.status();
  reviews_ = *std::move(reviews);

  if (options_.journal_sessions) {
    int64_t replayed = 0;
    const absl::Time now = env_->Now();
    absl::StatusOr<std::unique_ptr<SessionJournal>> journal =
        SessionJournal::Open(
            env_, options_.data_dir, sessions_.shard_count(),
            now - options_.session_ttl,
            [this, &replayed](absl::string_view session_id,
                              absl::Time received_at,
                              absl::FunctionRef<void(SessionWindow&)> apply) {
              ++replayed;
              sessions_.WithSession(session_id, received_at, apply);
            });
    if (!journal.ok()) return journal.status();
    journal_ = *std::move(journal);
    // Write the windows back compactly (dropping expired and torn entries).
    for (int shard = 0; shard < sessions_.shard_count(); ++shard) {
      status = CompactJournalShard(shard);
      if (!status.ok()) return status;
    }
    Log(absl::StrFormat("sessions: %d journaled turns replayed, %d live (%s)",
                        replayed, sessions_.size(),
                        absl::FormatDuration(absl::Now() - started_at_)));
  }
  return absl::OkStatus();
}

absl::Status CaptureServiceImpl::CompactJournalShard(int shard) {
  std::string snapshot;
  absl::Status status;
  sessions_.ForEachInShard(
      shard,
      [&](absl::string_view session_id, absl::Time last_used,
          const SessionWindow& w) {
        SessionJournal::SnapshotWindow(session_id, w, last_used, &snapshot);
      },
      [&] { status = journal_->CompactShard(shard, snapshot); });
  return status;
}

absl::StatusOr<v1::RecordTurnResponse> CaptureServiceImpl::RecordTurn(
    const v1::Turn& request_turn) {
  absl::Status valid = ValidateTurn(request_turn, options_.max_turn_bytes,
                                    options_.max_memories_per_turn);
  if (!valid.ok()) return valid;

  const absl::Time now = env_->Now();
  std::string auto_turn_id;
  if (request_turn.turn_id().empty()) {
    auto_turn_id =
        absl::StrFormat("auto-%d-%d", absl::ToUnixMicros(now),
                        auto_turn_ids_.fetch_add(1, std::memory_order_relaxed));
  }
  // The one copy of the turn: what the window keeps and the journal writes.
  TurnPtr turn = StoredTurn::FromTurn(request_turn, now, auto_turn_id);
  const std::string& session_id = request_turn.session_id();

  v1::RecordTurnResponse response;
  Verdict verdict;
  if (turn->role() == v1::ROLE_USER) {
    verdict = detector_->Detect(request_turn.text());
  }

  // Under the session's lock: retry check, what the turn credits, and the
  // window update, so concurrent turns of one session see a single order.
  bool duplicate = false;
  bool late = false;
  Credit credit;
  // For a retried praise that is still the session's latest turn: the
  // praise as first recorded.
  TurnPtr retried_praise;
  absl::Status journaled;
  bool compact_journal = false;
  const int shard = sessions_.ShardOf(session_id);
  sessions_.WithSession(session_id, now, [&](SessionWindow& window) {
    if (window.Seen(turn->turn_id())) {
      duplicate = true;
      // A crash after the praise reached the journal but before its example
      // was durable leaves the praise "seen" with nothing captured; while
      // nothing newer happened in the session, the window still says what
      // it credited, so the retry can capture it (CaptureReply dedups).
      // (A reply that came after the praise has the praise as its
      // answered_user; then the window no longer shows what it credited.)
      if (verdict.kind != FeedbackKind::kNone &&
          window.latest_user() != nullptr &&
          window.latest_user()->turn_id() == turn->turn_id() &&
          window.answered_user() != window.latest_user()) {
        retried_praise = window.latest_user();
        credit = CreditOf(window, window.latest_assistant());
      }
      return;
    }
    if (journal_ != nullptr) {
      journaled = journal_->Append(shard, *turn, now);
      compact_journal = journal_->ShouldCompact(shard);
    }
    TurnPtr latest_reply = window.latest_assistant();
    if (window.Apply(turn) == ApplyResult::kLate) {
      late = true;
      return;
    }
    if (verdict.kind != FeedbackKind::kNone) {
      credit = CreditOf(window, std::move(latest_reply));
    }
  });
  if (compact_journal && journaled.ok()) journaled = CompactJournalShard(shard);
  if (!journaled.ok()) {
    // The turn still counts; only its survival of a restart is at risk.
    Log(absl::StrCat("session journal: ", journaled.ToString()));
  }
  if (late) {
    // Older than what the session already moved on to: crediting it now
    // would credit a later reply. Kept only as "seen".
    late_turns_.fetch_add(1, std::memory_order_relaxed);
    response.set_late(true);
    return response;
  }

  if (duplicate) {
    duplicate_turns_.fetch_add(1, std::memory_order_relaxed);
    response.set_duplicate(true);
    {
      MutexLock lock(&examples_mu_);
      auto it =
          by_feedback_turn_.find(ReplyFingerprint(session_id, turn->turn_id()));
      if (it != by_feedback_turn_.end()) {
        response.set_example_id(examples_[it->second].id);
        return response;
      }
    }
    if (retried_praise == nullptr || credit.reply == nullptr) {
      return response;
    }
    // Capture what the first attempt should have (see above).
    response.set_rule(verdict.rule);
    response.set_praise(verdict.kind == FeedbackKind::kPraise);
    response.set_verdict(verdict.kind == FeedbackKind::kPraise
                             ? v1::VERDICT_PRAISE
                             : v1::VERDICT_CRITICISM);
    turn = retried_praise;
  } else {
    turns_seen_.fetch_add(1, std::memory_order_relaxed);
    if (turn->role() == v1::ROLE_ASSISTANT) {
      assistant_turns_.fetch_add(1, std::memory_order_relaxed);
      return response;
    }
    user_turns_.fetch_add(1, std::memory_order_relaxed);
    response.set_rule(verdict.rule);
    response.set_veto(verdict.veto);
    if (verdict.kind == FeedbackKind::kNone) return response;

    const bool praise = verdict.kind == FeedbackKind::kPraise;
    response.set_praise(praise);
    response.set_verdict(praise ? v1::VERDICT_PRAISE : v1::VERDICT_CRITICISM);
    (praise ? praise_seen_ : criticism_seen_)
        .fetch_add(1, std::memory_order_relaxed);
    if (credit.reply == nullptr) {
      praise_uncredited_.fetch_add(1, std::memory_order_relaxed);
      response.set_not_captured_reason(
          "no assistant reply in this session yet: nothing to credit");
      return response;
    }
  }
  const bool praise = verdict.kind == FeedbackKind::kPraise;

  v1::Example feedback;
  turn->ParseInto(feedback.mutable_praise_turn());
  feedback.set_praise_text(feedback.praise_turn().text());
  feedback.set_rule(verdict.rule);
  *feedback.mutable_metadata() = feedback.praise_turn().metadata();
  feedback.set_label(praise ? v1::LABEL_POSITIVE : v1::LABEL_NEGATIVE);
  feedback.set_source(v1::SOURCE_IMPLICIT);
  v1::Example example = ExampleOf(session_id, credit, feedback);
  std::string example_id;
  std::string reason;
  absl::Status captured =
      CaptureReply(std::move(example), &example_id, &reason);
  if (!captured.ok()) {
    // A failed RecordTurn changes nothing the caller can see: undo the
    // counts, and let a retry of this turn try again once storage works.
    if (duplicate) {
      duplicate_turns_.fetch_sub(1, std::memory_order_relaxed);
    } else {
      turns_seen_.fetch_sub(1, std::memory_order_relaxed);
      user_turns_.fetch_sub(1, std::memory_order_relaxed);
      (praise ? praise_seen_ : criticism_seen_)
          .fetch_sub(1, std::memory_order_relaxed);
    }
    sessions_.WithSession(session_id, now, [&](SessionWindow& window) {
      window.ForgetId(turn->turn_id());
    });
    return captured;
  }
  response.set_example_id(example_id);
  response.set_not_captured_reason(reason);
  absl::StatusOr<std::string> pair =
      CapturePairIfAny(session_id, credit, feedback.label(), feedback);
  if (pair.ok()) {
    response.set_pair_example_id(*pair);
  } else {
    // The example is stored; only the pair is missing, and RecordFeedback
    // with preferred and rejected ids can still store it.
    Log(absl::StrCat("preference pair: ", pair.status().ToString()));
  }
  return response;
}

v1::Example CaptureServiceImpl::ExampleOf(absl::string_view session_id,
                                          const Credit& credit,
                                          const v1::Example& feedback) const {
  v1::Example example = feedback;
  example.set_session_id(std::string(session_id));
  if (credit.user != nullptr)
    credit.user->ParseInto(example.mutable_user_turn());
  credit.reply->ParseInto(example.mutable_assistant_turn());
  FillHistory(credit.history, credit.omitted, options_.session_limits,
              &example);
  return example;
}

v1::Label CaptureServiceImpl::CreditedLabel(absl::string_view session_id,
                                            absl::string_view turn_id) const {
  MutexLock lock(&examples_mu_);
  auto it = credited_.find(ReplyFingerprint(session_id, turn_id));
  if (it == credited_.end() || it->second == kCapturing) {
    return v1::LABEL_UNSPECIFIED;
  }
  return examples_[it->second].label;
}

absl::StatusOr<std::string> CaptureServiceImpl::CapturePairIfAny(
    absl::string_view session_id, const Credit& credit, v1::Label label,
    const v1::Example& feedback) {
  const v1::Label opposite =
      label == v1::LABEL_POSITIVE ? v1::LABEL_NEGATIVE : v1::LABEL_POSITIVE;
  // The newest alternative with the opposite verdict.
  for (auto it = credit.alternatives.rbegin(); it != credit.alternatives.rend();
       ++it) {
    if (CreditedLabel(session_id, (*it)->turn_id()) != opposite) continue;
    Credit preferred = credit;
    TurnPtr rejected = *it;
    if (label != v1::LABEL_POSITIVE) std::swap(preferred.reply, rejected);
    std::string pair_id;
    std::string reason;
    absl::Status stored = CapturePair(session_id, preferred, rejected, feedback,
                                      &pair_id, &reason);
    if (!stored.ok()) return stored;
    return pair_id;
  }
  return std::string();
}

absl::Status CaptureServiceImpl::CapturePair(absl::string_view session_id,
                                             const Credit& credit,
                                             const TurnPtr& rejected,
                                             const v1::Example& feedback,
                                             std::string* response_id,
                                             std::string* reason) {
  v1::Example example = ExampleOf(session_id, credit, feedback);
  rejected->ParseInto(example.mutable_rejected_turn());
  example.set_rule(absl::StrCat("pair:", feedback.rule()));
  example.set_label(v1::LABEL_POSITIVE);
  return CaptureReply(std::move(example), response_id, reason);
}

absl::Status CaptureServiceImpl::CaptureReply(v1::Example example,
                                              std::string* response_id,
                                              std::string* reason) {
  const std::string& reply_id = example.assistant_turn().turn_id();
  const bool is_pair = example.has_rejected_turn();
  const std::string& rejected_id = example.rejected_turn().turn_id();
  const Fingerprint reply_key = ReplyFingerprint(
      example.session_id(),
      is_pair ? PairCreditKey(reply_id, rejected_id) : reply_id);
  const std::string what =
      is_pair ? absl::StrCat("pair of reply ", reply_id, " over ", rejected_id)
              : absl::StrCat("reply ", reply_id);
  {
    MutexLock lock(&examples_mu_);
    auto [it, claimed] = credited_.try_emplace(reply_key, kCapturing);
    if (!claimed) {
      *reason =
          it->second == kCapturing
              ? absl::StrCat(what, " is being captured by another request")
              : absl::StrCat(what, " was already credited (example ",
                             examples_[it->second].id, ")");
      return absl::OkStatus();
    }
  }
  example.set_id(
      is_pair ? ExampleIdForPair(example.session_id(), reply_id, rejected_id)
              : ExampleIdForReply(example.session_id(), reply_id));
  *example.mutable_captured_at() = ToProtoTime(absl::Now());
  example.set_status(v1::REVIEW_STATUS_PENDING);

  absl::StatusOr<uint64_t> offset = store_->Append(example);
  MutexLock lock(&examples_mu_);
  if (!offset.ok()) {
    credited_.erase(reply_key);
    return offset.status();
  }
  IndexExample(SummaryOf(example), *offset);
  *response_id = example.id();
  return absl::OkStatus();
}

absl::StatusOr<v1::RecordFeedbackResponse> CaptureServiceImpl::RecordFeedback(
    const v1::RecordFeedbackRequest& request) {
  if (request.session_id().empty()) {
    return absl::InvalidArgumentError("session_id is required");
  }
  if (static_cast<int64_t>(request.ByteSizeLong()) > options_.max_turn_bytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "feedback is over the limit of %d bytes (--max_turn_bytes)",
        options_.max_turn_bytes));
  }
  if (!request.preferred_turn_id().empty() ||
      !request.rejected_turn_id().empty()) {
    return RecordPreference(request);
  }
  const absl::Time now = env_->Now();
  Credit credit;
  const bool known = sessions_.WithExistingSession(
      request.session_id(), now, [&](SessionWindow& window) {
        credit = CreditOf(window, request.turn_id().empty()
                                      ? window.latest_assistant()
                                      : window.FindReply(request.turn_id()));
      });
  v1::RecordFeedbackResponse response;
  if (!request.turn_id().empty() && credit.reply == nullptr) {
    // Not a reply the session still holds: fine if it was credited
    // already, else gone.
    MutexLock lock(&examples_mu_);
    auto it = credited_.find(
        ReplyFingerprint(request.session_id(), request.turn_id()));
    if (it != credited_.end() && it->second != kCapturing) {
      response.set_not_captured_reason(absl::StrCat(
          "reply ", request.turn_id(), " was already credited (example ",
          examples_[it->second].id, ")"));
      return response;
    }
    return absl::FailedPreconditionError(
        absl::StrCat("turn ", request.turn_id(), " is not a reply session ",
                     request.session_id(),
                     " still holds; only recent replies can be rated"));
  }
  if (!known || credit.reply == nullptr) {
    return absl::NotFoundError(absl::StrCat("session ", request.session_id(),
                                            " has no assistant reply to rate"));
  }

  v1::Example feedback;
  feedback.set_praise_text(request.note());
  feedback.set_rule(request.positive() ? "explicit:thumbs-up"
                                       : "explicit:thumbs-down");
  feedback.set_label(request.positive() ? v1::LABEL_POSITIVE
                                        : v1::LABEL_NEGATIVE);
  feedback.set_source(v1::SOURCE_EXPLICIT);
  std::string example_id;
  std::string reason;
  absl::Status captured = CaptureReply(
      ExampleOf(request.session_id(), credit, feedback), &example_id, &reason);
  if (!captured.ok()) return captured;
  response.set_example_id(example_id);
  response.set_not_captured_reason(reason);
  absl::StatusOr<std::string> pair = CapturePairIfAny(
      request.session_id(), credit, feedback.label(), feedback);
  if (!pair.ok()) return pair.status();
  response.set_pair_example_id(*pair);
  return response;
}

absl::StatusOr<v1::RecordFeedbackResponse> CaptureServiceImpl::RecordPreference(
    const v1::RecordFeedbackRequest& request) {
  if (request.preferred_turn_id().empty() ||
      request.rejected_turn_id().empty()) {
    return absl::InvalidArgumentError(
        "preferred_turn_id and rejected_turn_id go together");
  }
  if (request.preferred_turn_id() == request.rejected_turn_id()) {
    return absl::InvalidArgumentError(
        "preferred_turn_id and rejected_turn_id must differ");
  }
  Credit credit;
  TurnPtr rejected;
  bool alternatives = false;
  const bool known = sessions_.WithExistingSession(
      request.session_id(), env_->Now(), [&](SessionWindow& window) {
        credit =
            CreditOf(window, window.FindReply(request.preferred_turn_id()));
        rejected = window.FindReply(request.rejected_turn_id());
        for (const TurnPtr& other : credit.alternatives) {
          alternatives = alternatives || other == rejected;
        }
      });
  if (!known) {
    return absl::NotFoundError(
        absl::StrCat("session ", request.session_id(), " is not known"));
  }
  for (const auto& [turn, id] :
       {std::make_pair(credit.reply, &request.preferred_turn_id()),
        std::make_pair(rejected, &request.rejected_turn_id())}) {
    if (turn == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("turn ", *id, " is not a reply session ",
                       request.session_id(), " still holds"));
    }
  }
  if (!alternatives) {
    return absl::FailedPreconditionError(absl::StrCat(
        "replies ", request.preferred_turn_id(), " and ",
        request.rejected_turn_id(), " do not answer the same user turn"));
  }
  v1::Example feedback;
  feedback.set_praise_text(request.note());
  feedback.set_rule("explicit:preference");
  feedback.set_source(v1::SOURCE_EXPLICIT);
  v1::RecordFeedbackResponse response;
  std::string pair_id;
  std::string reason;
  absl::Status stored = CapturePair(request.session_id(), credit, rejected,
                                    feedback, &pair_id, &reason);
  if (!stored.ok()) return stored;
  response.set_example_id(pair_id);
  response.set_pair_example_id(pair_id);
  response.set_not_captured_reason(reason);
  return response;
}

absl::StatusOr<v1::Example> CaptureServiceImpl::ReadExample(
    const ExampleInfo& info) const {
  absl::StatusOr<v1::Example> example = store_->ReadAt(info.offset);
  if (!example.ok()) return example;
  example->set_status(info.status);
  if (info.reviewed_at != absl::InfinitePast()) {
    example->set_review_note(info.review_note);
    *example->mutable_reviewed_at() = ToProtoTime(info.reviewed_at);
  }
  return example;
}

absl::StatusOr<v1::GetStatsResponse> CaptureServiceImpl::GetStats() {
  v1::GetStatsResponse stats;
  stats.set_turns_seen(turns_seen_.load());
  stats.set_user_turns_seen(user_turns_.load());
  stats.set_assistant_turns_seen(assistant_turns_.load());
  stats.set_praise_seen(praise_seen_.load());
  stats.set_criticism_seen(criticism_seen_.load());
  stats.set_praise_uncredited(praise_uncredited_.load());
  stats.set_duplicate_turns(duplicate_turns_.load());
  stats.set_late_turns(late_turns_.load());
  stats.set_live_sessions(sessions_.size());
  *stats.mutable_started_at() = ToProtoTime(started_at_);
  stats.set_dataset_bytes(store_->dataset_bytes());
  stats.set_markdown_bytes(store_->markdown_bytes());
  stats.set_markdown_lines(store_->markdown_lines());

  std::vector<ExampleInfo> recent;
  {
    MutexLock lock(&examples_mu_);
    stats.set_examples_total(examples_.size());
    for (const ExampleInfo& info : examples_) {
      if (info.label == v1::LABEL_POSITIVE) {
        stats.set_positive_examples(stats.positive_examples() + 1);
      } else if (info.label == v1::LABEL_NEGATIVE) {
        stats.set_negative_examples(stats.negative_examples() + 1);
      }
      if (info.source == v1::SOURCE_IMPORTED) {
        stats.set_imported_examples(stats.imported_examples() + 1);
      }
      if (info.is_pair) stats.set_pair_examples(stats.pair_examples() + 1);
      switch (info.status) {
        case v1::REVIEW_STATUS_APPROVED:
          stats.set_approved_examples(stats.approved_examples() + 1);
          break;
        case v1::REVIEW_STATUS_REJECTED:
          stats.set_rejected_examples(stats.rejected_examples() + 1);
          break;
        default:
          stats.set_pending_examples(stats.pending_examples() + 1);
      }
    }
    for (const auto& [date, count] : per_day_) {
      v1::DayCount* day = stats.add_examples_per_day();
      day->set_date(date);
      day->set_examples(count);
    }
    if (!examples_.empty()) {
      auto [first, last] =
          std::minmax_element(examples_.begin(), examples_.end(),
                              [](const ExampleInfo& a, const ExampleInfo& b) {
                                return a.captured_at < b.captured_at;
                              });
      *stats.mutable_first_example_at() = ToProtoTime(first->captured_at);
      *stats.mutable_last_example_at() = ToProtoTime(last->captured_at);
      recent = examples_;
    }
  }
  const size_t keep = std::min<size_t>(kRecentExamples, recent.size());
  std::partial_sort(recent.begin(), recent.begin() + keep, recent.end(),
                    [](const ExampleInfo& a, const ExampleInfo& b) {
                      return a.captured_at > b.captured_at;
                    });
  for (size_t i = 0; i < keep; ++i) {
    absl::StatusOr<v1::Example> example = ReadExample(recent[i]);
    if (!example.ok()) return example.status();
    *stats.add_recent_examples() = *std::move(example);
  }
  return stats;
}

absl::StatusOr<v1::ListExamplesResponse> CaptureServiceImpl::ListExamples(
    const v1::ListExamplesRequest& request) {
  if (request.page_size() < 0) {
    return absl::InvalidArgumentError("page_size must not be negative");
  }
  const int page_size = request.page_size() == 0
                            ? kDefaultPageSize
                            : std::min(request.page_size(), kMaxPageSize);
  size_t start = 0;
  if (!request.page_token().empty() &&
      !absl::SimpleAtoi(request.page_token(), &start)) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token '", request.page_token(),
                     "' is not a token ListExamples returned"));
  }
  std::vector<ExampleInfo> page;
  v1::ListExamplesResponse response;
  {
    MutexLock lock(&examples_mu_);
    if (start > examples_.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("page_token '", request.page_token(),
                       "' is past the end of the examples"));
    }
    int64_t total = 0;
    size_t next = examples_.size();
    for (size_t i = 0; i < examples_.size(); ++i) {
      if (!Matches(examples_[i], request.status(), request.label(),
                   request.kind())) {
        continue;
      }
      ++total;
      if (i < start) continue;
      if (static_cast<int>(page.size()) < page_size) {
        page.push_back(examples_[i]);
      } else if (next == examples_.size()) {
        next = i;
      }
    }
    response.set_total_size(total);
    if (next < examples_.size()) {
      response.set_next_page_token(absl::StrCat(next));
    }
  }
  for (const ExampleInfo& info : page) {
    absl::StatusOr<v1::Example> example = ReadExample(info);
    if (!example.ok()) return example.status();
    *response.add_examples() = *std::move(example);
  }
  return response;
}

absl::StatusOr<v1::ReviewExampleResponse> CaptureServiceImpl::ReviewExample(
    const v1::ReviewExampleRequest& request) {
  if (request.status() == v1::REVIEW_STATUS_UNSPECIFIED ||
      !v1::ReviewStatus_IsValid(request.status())) {
    return absl::InvalidArgumentError(
        "status must be REVIEW_STATUS_APPROVED, REVIEW_STATUS_REJECTED or "
        "REVIEW_STATUS_PENDING");
  }
  if (static_cast<int64_t>(request.ByteSizeLong()) > options_.max_turn_bytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "review is over the limit of %d bytes (--max_turn_bytes)",
        options_.max_turn_bytes));
  }
  ExampleInfo info;
  {
    MutexLock lock(&examples_mu_);
    auto it = by_id_.find(IdFingerprint(request.example_id()));
    if (it == by_id_.end()) {
      return absl::NotFoundError(
          absl::StrCat("no example with id '", request.example_id(), "'"));
    }
    info = examples_[it->second];
  }
  v1::ReviewRecord record;
  record.set_example_id(request.example_id());
  record.set_status(request.status());
  record.set_note(request.note());
  *record.mutable_reviewed_at() = ToProtoTime(absl::Now());
  absl::Status logged = reviews_->Append(record);
  if (!logged.ok()) return logged;
  {
    MutexLock lock(&examples_mu_);
    ExampleInfo& stored =
        examples_[by_id_[IdFingerprint(request.example_id())]];
    stored.status = record.status();
    stored.review_note = record.note();
    stored.reviewed_at = FromProtoTime(record.reviewed_at());
    info = stored;
  }
  absl::StatusOr<v1::Example> example = ReadExample(info);
  if (!example.ok()) return example.status();
  v1::ReviewExampleResponse response;
  *response.mutable_example() = *std::move(example);
  return response;
}

absl::Status CaptureServiceImpl::ExportExamples(
    const v1::ExportExamplesRequest& request,
    const std::function<bool(const v1::Example&)>& emit) {
  std::vector<ExampleInfo> selected;
  {
    MutexLock lock(&examples_mu_);
    for (const ExampleInfo& info : examples_) {
      // Filter on what is in memory before reading anything from disk.
      v1::Example summary;
      *summary.mutable_captured_at() = ToProtoTime(info.captured_at);
      summary.set_status(info.status);
      summary.set_label(info.label);
      if (info.is_pair) summary.mutable_rejected_turn();
      if (MatchesExportFilter(request, summary)) selected.push_back(info);
    }
  }
  std::stable_sort(selected.begin(), selected.end(),
                   [](const ExampleInfo& a, const ExampleInfo& b) {
                     return a.captured_at < b.captured_at;
                   });
  for (const ExampleInfo& info : selected) {
    absl::StatusOr<v1::Example> example = ReadExample(info);
    if (!example.ok()) return example.status();
    if (!emit(*example)) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ImportExamplesResponse> CaptureServiceImpl::ImportExamples(
    const v1::ImportExamplesRequest& request) {
  // Validate everything first, so a bad request stores nothing.
  for (int i = 0; i < request.examples_size(); ++i) {
    const v1::Example& example = request.examples(i);
    if (example.assistant_turn().text().empty()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "examples[%d]: assistant_turn.text (the reply, n-1) is required", i));
    }
    if (static_cast<int64_t>(example.ByteSizeLong()) >
        options_.max_turn_bytes * 4) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "examples[%d] is over the limit of 4 x --max_turn_bytes", i));
    }
  }
  v1::ImportExamplesResponse response;
  for (const v1::Example& incoming : request.examples()) {
    v1::Example example = incoming;
    example.set_id(ImportedExampleId(example));
    example.set_source(v1::SOURCE_IMPORTED);
    if (example.label() == v1::LABEL_UNSPECIFIED) {
      example.set_label(v1::LABEL_POSITIVE);
    }
    if (example.status() == v1::REVIEW_STATUS_UNSPECIFIED) {
      example.set_status(v1::REVIEW_STATUS_PENDING);
    }
    if (example.rule().empty()) example.set_rule("imported");
    if (!example.has_captured_at()) {
      *example.mutable_captured_at() = ToProtoTime(absl::Now());
    }
    {
      // Imports are rare and small: holding the lock across the append keeps
      // two imports of the same file from both storing an example.
      MutexLock lock(&examples_mu_);
      if (by_id_.contains(IdFingerprint(example.id()))) {
        response.set_already_present(response.already_present() + 1);
        response.add_example_ids(example.id());
        continue;
      }
      absl::StatusOr<uint64_t> offset = store_->Append(example);
      if (!offset.ok()) return offset.status();
      IndexExample(SummaryOf(example), *offset);
    }
    response.set_imported(response.imported() + 1);
    response.add_example_ids(example.id());
  }
  return response;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CaptureService>> CaptureService::Open(
    const Options& options, Env* env) {
  if (env == nullptr) env = Env::Default();
  if (options.max_turn_bytes <= 0 || options.max_sessions <= 0 ||
      options.max_memories_per_turn < 0 ||
      options.session_ttl <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "max_turn_bytes, max_sessions and session_ttl must be positive");
  }
  // Compiling the rules and reading the data dir take similar time on a
  // large dataset; they are independent, so they run side by side.
  absl::StatusOr<std::unique_ptr<PraiseDetector>> detector;
  std::thread compile([&] {
    detector = PraiseDetector::CreateFromFile(options.praise_rules_path,
                                              options.persona);
  });
  auto service = absl::make_unique<CaptureServiceImpl>(options, env);
  absl::Status started = service->Start();
  compile.join();
  if (!detector.ok()) return detector.status();
  if (!started.ok()) return started;
  service->set_detector(*std::move(detector));
  return service;
}

}  // namespace ftcapture
