#include "src/service/capture_service.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
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
#include "src/privacy/proto_redaction.h"
#include "src/privacy/redactor.h"
#include "src/service/erasure.h"
#include "src/service/example_catalog.h"
#include "src/service/example_history.h"
#include "src/service/input_checks.h"
#include "src/service/verdict_proto.h"
#include "src/session/session_table.h"
#include "src/session/session_window.h"
#include "src/storage/compaction.h"
#include "src/storage/example_filter.h"
#include "src/storage/example_id.h"
#include "src/storage/example_summary.h"
#include "src/storage/review_log.h"
#include "src/util/drain_gate.h"
#include "src/util/env.h"
#include "src/util/grace_period.h"
#include "src/util/mutex.h"
#include "src/util/proto_time.h"
#include "src/util/stable_hash.h"
#include "src/util/visible_text.h"

namespace ftcapture {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 1000;
constexpr size_t kMaxIdBytes = 256;

absl::Status ValidateTurn(const v1::Turn& turn,
                          const CaptureService::Options& options,
                          absl::Time now) {
  if (turn.session_id().empty()) {
    return absl::InvalidArgumentError("turn.session_id is required");
  }
  if (turn.turn_id().empty()) {
    // Retries are recognised by it; an id made up here could not be.
    return absl::InvalidArgumentError(
        "turn.turn_id is required (unique per role within the session)");
  }
  if (turn.session_id().size() > kMaxIdBytes ||
      turn.turn_id().size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "turn.session_id and turn.turn_id are limited to %d bytes",
        kMaxIdBytes));
  }
  if (absl::Status role = CheckTurnRoleAndText(turn); !role.ok()) {
    return role;
  }
  const size_t bytes = turn.ByteSizeLong();
  if (static_cast<int64_t>(bytes) > options.max_turn_bytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "turn is %d bytes, over the limit of %d bytes (--max_turn_bytes)",
        bytes, options.max_turn_bytes));
  }
  if (turn.memories_size() > options.max_memories_per_turn) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "turn has %d memories, over the limit of %d (--max_memories)",
        turn.memories_size(), options.max_memories_per_turn));
  }
  if (turn.reply_to().size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("turn.reply_to is limited to %d bytes", kMaxIdBytes));
  }
  if (!turn.reply_to().empty() && turn.role() != v1::ROLE_ASSISTANT) {
    return absl::InvalidArgumentError(
        "turn.reply_to is only for assistant turns");
  }
  if (absl::Status context = ValidateContextMessages(turn); !context.ok()) {
    return context;
  }
  if (absl::Status input = CheckTurnInput(turn); !input.ok()) return input;
  return CheckTurnTime(turn, now, options.max_clock_skew);
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

// Why crediting `credit` would make no example, or "" when it makes one:
// an example teaches a reply to a user message, so it needs both, with
// text. (The window links a reply to no user turn when the reply came
// before any, or its reply_to names none the window holds.)
std::string WhyNothingToCredit(const Credit& credit) {
  const StoredTurn& reply = *credit.reply;
  if (!reply.has_text()) {
    return absl::StrCat("reply ", reply.turn_id(), " is empty");
  }
  if (credit.user == nullptr) {
    return absl::StrCat(
        "reply ", reply.turn_id(), " answers no user message ",
        reply.reply_to_fingerprint() != 0
            ? "(its reply_to names no user turn the session still holds)"
            : "(none came before it in the session; a user message sent "
              "after its reply is late and not applied)");
  }
  if (!credit.user->has_text()) {
    return absl::StrCat("reply ", reply.turn_id(),
                        " answers an empty user message (turn ",
                        credit.user->turn_id(), ")");
  }
  return std::string();
}

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

// Invariants: every example in the dataset is in `catalog_` (which also
// keeps each reply credited at most once, across threads and restarts);
// `catalog_` holds only examples the dataset has.
class CaptureServiceImpl final : public CaptureService {
 public:
  CaptureServiceImpl(const Options& options, Env* env)
      : options_(options),
        env_(env),
        sessions_(options.max_sessions, options.max_window_bytes,
                  options.session_ttl, /*shards=*/64, options.session_limits),
        started_at_(absl::Now()) {}
  // Waits for the appends in flight: their completions use the catalog and
  // the sessions, which are destroyed before the store would be.
  ~CaptureServiceImpl() override {
    appends_.RunExclusive([this] {
      MutexLock layout(&layout_mu_);
      store_.reset();
      reviews_.reset();
      broken_ = absl::UnavailableError("the capture service is closing");
    });
  }

  absl::Status Start();
  // Before the first RecordTurn.
  void set_detector(std::unique_ptr<PraiseDetector> detector) {
    detector_ = std::move(detector);
  }
  // Before the first call; null: no redaction.
  void set_redactor(std::unique_ptr<Redactor> redactor) {
    redactor_ = std::move(redactor);
  }

  void RecordTurnAsync(const v1::Turn& turn, RecordTurnDone done) override;
  void RecordFeedbackAsync(const v1::RecordFeedbackRequest& request,
                           RecordFeedbackDone done) override;
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
  absl::StatusOr<v1::DeleteExamplesResponse> DeleteExamples(
      const v1::DeleteExamplesRequest& request) override;
  absl::Status ServingStatus() const override {
    ReaderMutexLock layout(&layout_mu_);
    if (store_ == nullptr) return broken_;
    return store_->sync_status();
  }
  bool HasLiveSession(absl::string_view session_id) override {
    return sessions_.WithExistingSession(session_id, env_->Now(),
                                         [](SessionWindow&) {});
  }

 private:
  void Log(const std::string& line) const {
    if (options_.log) {
      options_.log(line);
    } else {
      std::fprintf(stderr, "ftcapture: %s\n", line.c_str());
    }
  }

  // The steps of RecordTurn, in order.
  // What applying a turn to its session's window found.
  struct WindowOutcome {
    bool duplicate = false;  // the turn was seen already: not applied again
    bool late = false;       // older than the session's latest: not applied
    Credit credit;           // what a feedback turn credits
    // For a retried praise that is still the session's latest turn: the
    // praise as first recorded.
    TurnPtr retried_praise;
  };
  TurnPtr StoreTurn(const v1::Turn& request_turn, absl::Time now);
  WindowOutcome ApplyToWindow(absl::string_view session_id, const TurnPtr& turn,
                              const Verdict& verdict, absl::Time now);
  static void NoteRetriedFeedback(const SessionWindow& window,
                                  const StoredTurn& turn,
                                  const Verdict& verdict, WindowOutcome* seen);
  // The retry's answer; returns the feedback turn to capture again, if any.
  TurnPtr AnswerRetry(absl::string_view session_id, const StoredTurn& turn,
                      const WindowOutcome& seen, const Verdict& verdict,
                      v1::RecordTurnResponse* response);
  // Counts a new turn; returns it when it is feedback with a reply to credit.
  TurnPtr CountNewTurn(const TurnPtr& turn, const WindowOutcome& seen,
                       const Verdict& verdict,
                       v1::RecordTurnResponse* response);
  // Captures what `feedback` credits, then completes `response`.
  void CaptureFeedback(std::string session_id, TurnPtr feedback,
                       WindowOutcome seen, const Verdict& verdict,
                       absl::Time now, v1::RecordTurnResponse response,
                       RecordTurnDone done);
  // Tells the observer that a turn was answered as a duplicate.
  void NoteDuplicate() const {
    if (options_.observer != nullptr) options_.observer->OnDuplicateTurn();
  }
  // Takes back what a turn whose capture failed counted and remembered.
  void UndoTurn(absl::string_view session_id, const StoredTurn& feedback,
                bool duplicate, FeedbackKind kind, absl::Time now);

  // What a capture stored: the example's id, or why nothing was stored.
  struct Stored {
    std::string example_id;
    std::string reason;
  };
  // Called with Stored, or with the storage error.
  using StoredDone = absl::AnyInvocable<void(absl::StatusOr<Stored>)>;
  // Stores `example` unless its reply (or its pair) was credited already.
  // `done` runs as CaptureService's completions do.
  void CaptureReply(v1::Example example, StoredDone done);
  // `said` completed into an example of credit.reply, stored (CaptureReply),
  // then the preference pair it forms, if any (CapturePairIfAny): `done`
  // gets the example's outcome (or its storage error) and the pair's.
  using CreditedDone = absl::AnyInvocable<void(
      absl::StatusOr<Stored> example, absl::StatusOr<std::string> pair_id)>;
  void CaptureCredited(std::string session_id, Credit credit, v1::Example said,
                       CreditedDone done);

  // `feedback` (what was said about the reply) completed with what
  // `credit` holds: the user turn, the reply and the history before them.
  v1::Example ExampleOf(absl::string_view session_id, const Credit& credit,
                        const v1::Example& feedback) const;
  // After credit.reply got `label`: when an alternative to it got the
  // opposite label, stores the preference pair (the positive one preferred)
  // and gives `done` its id; empty when there is none.
  void CapturePairIfAny(
      absl::string_view session_id, const Credit& credit, v1::Label label,
      const v1::Example& feedback,
      absl::AnyInvocable<void(absl::StatusOr<std::string>)> done);
  // Stores the pair credit.reply over `rejected` (both answering
  // credit.user).
  void CapturePair(absl::string_view session_id, const Credit& credit,
                   const TurnPtr& rejected, const v1::Example& feedback,
                   StoredDone done);
  // RecordFeedback's checks: an answer when there is nothing to store,
  // else (nullopt) the reply to rate in `*credit`.
  std::optional<absl::StatusOr<v1::RecordFeedbackResponse>> FindRatedReply(
      const v1::RecordFeedbackRequest& request, Credit* credit);
  // A preference's checks: the preferred reply's credit and the rejected
  // reply, or why they cannot be paired.
  absl::Status FindPreference(const v1::RecordFeedbackRequest& request,
                              Credit* preferred, TurnPtr* rejected);
  void RecordPreference(const v1::RecordFeedbackRequest& request,
                        RecordFeedbackDone done);

  // Requires layout_mu_ (shared or exclusive), as everything below that
  // touches store_ or an offset does.
  absl::StatusOr<v1::Example> ReadExample(const CatalogEntry& entry) const
      ABSL_SHARED_LOCKS_REQUIRED(layout_mu_);
  absl::Status StoreReady() const ABSL_SHARED_LOCKS_REQUIRED(layout_mu_) {
    return store_ != nullptr ? absl::OkStatus() : broken_;
  }
  // Appends `example` and, once it is as durable as the sync policy says,
  // adds it to the catalog and calls `done` with its offset (or with the
  // error, adding nothing): on the store's writer thread, or on this one
  // when it is refused at once. Never waits on the disk. Counted by
  // `appends_`, so a compaction cannot move the files between the append
  // and its catalog entry.
  using OffsetDone = absl::AnyInvocable<void(absl::StatusOr<uint64_t>)>;
  void AppendToStoreAsync(v1::Example example, OffsetDone done);
  // The same, waiting (not from a completion).
  absl::StatusOr<uint64_t> AppendToStore(v1::Example example) {
    ResultSlot<absl::StatusOr<uint64_t>> result;
    AppendToStoreAsync(std::move(example),
                       [&result](absl::StatusOr<uint64_t> offset) {
                         result.Set(std::move(offset));
                       });
    return result.Wait();
  }
  // Opens store_ (adding its records to the catalog through `loader`, may
  // be null) and reviews_ (replaying into the catalog when
  // `replay_reviews`).
  absl::Status OpenFiles(ExampleCatalog::Loader* loader, bool replay_reviews,
                         RecoveryReport* report)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(layout_mu_);

  // Erasure's steps. An example to erase and what finding its pairs and
  // its session needs.
  struct Victim {
    CatalogEntry entry;
    std::string session_id;
    std::string reply_turn_id;
  };
  absl::StatusOr<std::vector<Victim>> SelectVictims(
      const v1::DeleteExamplesRequest& request) const
      ABSL_SHARED_LOCKS_REQUIRED(layout_mu_);
  // Adds the example of `entry` when it matches the request's selector.
  absl::Status AddVictim(const CatalogEntry& entry,
                         const v1::DeleteExamplesRequest& request,
                         std::vector<Victim>* victims) const
      ABSL_SHARED_LOCKS_REQUIRED(layout_mu_);
  // Adds the preference pairs that hold a victim's reply.
  absl::Status AddPairsOf(std::vector<Victim>* victims) const
      ABSL_SHARED_LOCKS_REQUIRED(layout_mu_);
  // Under layout_mu_ shared: tombstones and forgets `victims`.
  absl::Status Tombstone(const std::vector<Victim>& victims)
      ABSL_SHARED_LOCKS_REQUIRED(layout_mu_);
  // True when tombstoned examples reached compact_deleted_share.
  bool CompactionDue() const;
  // Once the appends in flight have completed (new ones wait in
  // appends_'s queue), takes layout_mu_ exclusively: closes the store,
  // compacts, reopens. Not from an append's completion.
  absl::StatusOr<CompactionResult> Compact();
  absl::StatusOr<CompactionResult> CompactDrained();

  const Options options_;
  Env* const env_;
  std::unique_ptr<PraiseDetector> detector_;  // set once, before serving
  std::unique_ptr<Redactor> redactor_;        // set once, before serving
  // Appends in flight, from AppendToStoreAsync to their catalog entry; a
  // compaction (and closing) runs as its exclusive section, so it starts
  // only once they have completed, and appends that arrive meanwhile are
  // queued until it ends. Taken before layout_mu_, never after.
  DrainGate appends_;
  // Held shared by whatever uses store_, reviews_ or a catalog offset (a
  // read by offset, an append while it queues), exclusively by a
  // compaction, which closes the files, switches them and reopens them.
  mutable Mutex layout_mu_;
  // Bumped by every deletion and compaction, so a long export notices.
  std::atomic<uint64_t> layout_generation_{0};
  // Null only after a compaction failed so badly the files could not be
  // reopened; then every use answers broken_.
  std::unique_ptr<ExampleStore> store_ ABSL_GUARDED_BY(layout_mu_);
  std::unique_ptr<ReviewLog> reviews_ ABSL_GUARDED_BY(layout_mu_);
  absl::Status broken_ ABSL_GUARDED_BY(layout_mu_) = absl::UnavailableError(
      "the dataset is closed after a failed compaction; restart the server");
  // Captures that may have read a session window and are not finished
  // (their example not yet in the catalog, or not yet given up): begun
  // before the window is read, ended as the RPC is answered. Erasing a
  // session drops its window, then waits for these, so an example of the
  // session still being written is erased with the rest.
  GracePeriod captures_;
  // RPC answer `done` that first ends `ticket` of captures_.
  template <typename Response>
  absl::AnyInvocable<void(absl::StatusOr<Response>)> EndingCapture(
      GracePeriod::Ticket ticket,
      absl::AnyInvocable<void(absl::StatusOr<Response>)> done) {
    return [this, ticket,
            done = std::move(done)](absl::StatusOr<Response> result) mutable {
      captures_.End(ticket);
      done(std::move(result));
    };
  }
  // Drops `session_id`'s window and journal (logged on failure), counting it
  // in `response` when it was live.
  void DropSession(const std::string& session_id,
                   v1::DeleteExamplesResponse* response);
  // One DeleteExamples at a time.
  Mutex erase_mu_;
  SessionTable sessions_;
  const absl::Time started_at_;

  std::atomic<int64_t> turns_seen_{0};
  std::atomic<int64_t> user_turns_{0};
  std::atomic<int64_t> assistant_turns_{0};
  std::atomic<int64_t> praise_seen_{0};
  std::atomic<int64_t> criticism_seen_{0};
  std::atomic<int64_t> praise_uncredited_{0};
  std::atomic<int64_t> captured_since_start_{0};
  std::atomic<int64_t> late_turns_{0};

  ExampleCatalog catalog_;
};

absl::Status CaptureServiceImpl::Start() {
  absl::Status status = env_->CreateDirIfMissing(options_.data_dir);
  if (!status.ok()) return status;
  // Sized for the dataset up front (a typical example is a few KB), so a
  // large one is not rehashed over and over while it is read back.
  const std::string dataset_path =
      JoinPath(options_.data_dir, kDatasetFileName);
  if (env_->FileExists(dataset_path)) {
    absl::StatusOr<uint64_t> bytes = env_->GetFileSize(dataset_path);
    if (bytes.ok()) {
      const size_t expected =
          static_cast<size_t>(std::min<uint64_t>(*bytes / 4096, 50000000));
      catalog_.Reserve(expected);
    }
  }
  RecoveryReport report;
  {
    MutexLock layout(&layout_mu_);
    ExampleCatalog::Loader loader(&catalog_);
    status = OpenFiles(&loader, /*replay_reviews=*/true, &report);
  }
  if (!status.ok()) return status;
  Log(absl::StrCat("dataset: ", report.ToString(), " (",
                   absl::FormatDuration(absl::Now() - started_at_), ")"));
  if (options_.observer != nullptr) options_.observer->OnRecovery(report);
  if (CompactionDue()) {
    // Tombstones past the share (a compaction that failed or was not run):
    // compact before serving. A failure (a full disk) is logged and the
    // server serves from the old files, the deleted examples still hidden.
    absl::StatusOr<CompactionResult> compacted = Compact();
    if (!compacted.ok()) {
      MutexLock layout(&layout_mu_);
      if (store_ == nullptr) return compacted.status();
    }
  }

  if (options_.journal_sessions) {
    int64_t replayed = 0;
    absl::Status compaction;
    status = sessions_.OpenJournal(env_, options_.data_dir,
                                   env_->Now() - options_.session_ttl,
                                   &replayed, &compaction);
    if (!status.ok()) return status;
    if (!compaction.ok()) {
      // On a full disk the server must still start and serve.
      Log(absl::StrCat("session journal: compaction skipped, retried later: ",
                       compaction.ToString()));
    }
    Log(absl::StrFormat("sessions: %d journaled turns replayed, %d live (%s)",
                        replayed, sessions_.size(),
                        absl::FormatDuration(absl::Now() - started_at_)));
  }
  return absl::OkStatus();
}

absl::Status CaptureServiceImpl::OpenFiles(ExampleCatalog::Loader* loader,
                                           bool replay_reviews,
                                           RecoveryReport* report) {
  ExampleStore::Options store_options;
  store_options.data_dir = options_.data_dir;
  store_options.sync = options_.sync;
  store_options.negative_markdown = options_.negative_markdown;
  if (options_.observer != nullptr) {
    CaptureObserver* observer = options_.observer;
    store_options.on_dataset_sync = [observer](absl::Duration latency) {
      observer->OnDatasetSync(latency);
    };
  }
  store_options.log = [this](const std::string& line) { Log(line); };
  ExampleStore::Visitor visit;
  if (loader != nullptr) {
    visit = [loader](uint64_t offset, const ExampleSummaryView& example) {
      loader->Add(example, offset);
    };
  }
  absl::StatusOr<std::unique_ptr<ExampleStore>> store =
      ExampleStore::Open(env_, store_options, visit, report);
  // The visits are over (the scan joined its thread): the catalog must be
  // complete before the reviews are applied to it.
  if (loader != nullptr) loader->Finish();
  if (!store.ok()) return store.status();
  absl::StatusOr<std::unique_ptr<ReviewLog>> reviews =
      ReviewLog::Open(env_, options_.data_dir,
                      [this, replay_reviews](const v1::ReviewRecord& review) {
                        if (!replay_reviews) return;
                        catalog_.ApplyReview(
                            review.example_id(), review.status(), review.note(),
                            FromProtoTime(review.reviewed_at()), nullptr);
                      });
  if (!reviews.ok()) return reviews.status();
  store_ = *std::move(store);
  reviews_ = *std::move(reviews);
  return absl::OkStatus();
}

void CaptureServiceImpl::RecordTurnAsync(const v1::Turn& request_turn,
                                         RecordTurnDone done) {
  const absl::Time now = env_->Now();
  absl::Status valid = ValidateTurn(request_turn, options_, now);
  if (!valid.ok()) {
    done(std::move(valid));
    return;
  }

  // The window, the journal and any example see only the redacted turn;
  // the verdict below is computed on the original text.
  v1::Turn redacted_turn;
  const v1::Turn* stored_turn = &request_turn;
  if (redactor_ != nullptr || !request_turn.redactions().empty()) {
    redacted_turn = request_turn;
    redacted_turn.clear_redactions();
    if (redactor_ != nullptr) RedactTurn(*redactor_, &redacted_turn);
    stored_turn = &redacted_turn;
  }
  TurnPtr turn = StoreTurn(*stored_turn, now);
  Verdict verdict;
  if (turn->role() == v1::ROLE_USER) {
    verdict = detector_->Detect(request_turn.text());
  }
  // Only feedback can capture; it is a few percent of turns.
  if (verdict.kind != FeedbackKind::kNone) {
    done = EndingCapture(captures_.Begin(), std::move(done));
  }
  WindowOutcome seen =
      ApplyToWindow(request_turn.session_id(), turn, verdict, now);

  v1::RecordTurnResponse response;
  if (seen.late) {
    // Older than what the session already moved on to: crediting it now
    // would credit a later reply. Kept only as "seen".
    late_turns_.fetch_add(1, std::memory_order_relaxed);
    response.set_late(true);
    done(std::move(response));
    return;
  }
  TurnPtr feedback;
  if (seen.duplicate) {
    feedback =
        AnswerRetry(request_turn.session_id(), *turn, seen, verdict, &response);
  } else {
    feedback = CountNewTurn(turn, seen, verdict, &response);
  }
  if (feedback == nullptr) {
    if (seen.duplicate) NoteDuplicate();
    done(std::move(response));
    return;
  }
  CaptureFeedback(request_turn.session_id(), std::move(feedback),
                  std::move(seen), verdict, now, std::move(response),
                  std::move(done));
}

TurnPtr CaptureServiceImpl::StoreTurn(const v1::Turn& request_turn,
                                      absl::Time now) {
  // Fields this build does not know are not stored (a careless client could
  // fill the dataset with them); only such a turn pays for a copy.
  if (TurnHasUnknownFields(request_turn)) {
    v1::Turn known_fields_only = request_turn;
    known_fields_only.DiscardUnknownFields();
    return StoredTurn::FromTurn(known_fields_only, now, absl::string_view());
  }
  // The one copy of the turn: what the window keeps and the journal writes.
  return StoredTurn::FromTurn(request_turn, now, absl::string_view());
}

CaptureServiceImpl::WindowOutcome CaptureServiceImpl::ApplyToWindow(
    absl::string_view session_id, const TurnPtr& turn, const Verdict& verdict,
    absl::Time now) {
  // Under the session's lock: retry check, what the turn credits, and the
  // window update, so concurrent turns of one session see a single order.
  WindowOutcome seen;
  TurnPtr latest_reply;
  absl::Status journaled = sessions_.ApplyTurn(
      session_id, now, turn,
      [&](const SessionWindow& window) {
        if (window.Seen(turn->role(), turn->turn_id())) {
          seen.duplicate = true;
          NoteRetriedFeedback(window, *turn, verdict, &seen);
          return false;
        }
        latest_reply = window.latest_assistant();
        return true;
      },
      [&](const SessionWindow& window, ApplyResult result) {
        seen.late = result == ApplyResult::kLate;
        if (!seen.late && verdict.kind != FeedbackKind::kNone) {
          seen.credit = CreditOf(window, std::move(latest_reply));
        }
      });
  if (!journaled.ok()) {
    // The turn still counts; only its survival of a restart is at risk.
    Log(absl::StrCat("session journal: ", journaled.ToString()));
  }
  return seen;
}

void CaptureServiceImpl::NoteRetriedFeedback(const SessionWindow& window,
                                             const StoredTurn& turn,
                                             const Verdict& verdict,
                                             WindowOutcome* seen) {
  // A crash after the praise reached the journal but before its example was
  // durable leaves the praise "seen" with nothing captured; while nothing
  // newer happened in the session, the window still says what it credited,
  // so the retry can capture it (CaptureReply dedups). (A reply that came
  // after the praise has the praise as its answered_user; then the window no
  // longer shows what it credited.)
  if (verdict.kind != FeedbackKind::kNone && window.latest_user() != nullptr &&
      window.latest_user()->turn_id() == turn.turn_id() &&
      window.answered_user() != window.latest_user()) {
    seen->retried_praise = window.latest_user();
    seen->credit = CreditOf(window, window.latest_assistant());
  }
}

TurnPtr CaptureServiceImpl::AnswerRetry(absl::string_view session_id,
                                        const StoredTurn& turn,
                                        const WindowOutcome& seen,
                                        const Verdict& verdict,
                                        v1::RecordTurnResponse* response) {
  response->set_duplicate(true);
  std::string captured_id =
      catalog_.ExampleOfFeedbackTurn(session_id, turn.turn_id());
  if (!captured_id.empty()) {
    response->set_example_id(std::move(captured_id));
    return nullptr;
  }
  if (seen.retried_praise == nullptr || seen.credit.reply == nullptr ||
      !WhyNothingToCredit(seen.credit).empty()) {
    return nullptr;
  }
  // Capture what the first attempt should have (see NoteRetriedFeedback).
  SetVerdictFields(verdict, response);
  return seen.retried_praise;
}

TurnPtr CaptureServiceImpl::CountNewTurn(const TurnPtr& turn,
                                         const WindowOutcome& seen,
                                         const Verdict& verdict,
                                         v1::RecordTurnResponse* response) {
  turns_seen_.fetch_add(1, std::memory_order_relaxed);
  if (turn->role() == v1::ROLE_ASSISTANT) {
    assistant_turns_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  user_turns_.fetch_add(1, std::memory_order_relaxed);
  response->set_rule(verdict.rule);
  response->set_veto(verdict.veto);
  if (verdict.kind == FeedbackKind::kNone) return nullptr;

  const bool praise = verdict.kind == FeedbackKind::kPraise;
  SetVerdictFields(verdict, response);
  (praise ? praise_seen_ : criticism_seen_)
      .fetch_add(1, std::memory_order_relaxed);
  if (seen.credit.reply == nullptr) {
    praise_uncredited_.fetch_add(1, std::memory_order_relaxed);
    response->set_not_captured_reason(
        "no assistant reply in this session yet: nothing to credit");
    return nullptr;
  }
  if (std::string why = WhyNothingToCredit(seen.credit); !why.empty()) {
    praise_uncredited_.fetch_add(1, std::memory_order_relaxed);
    response->set_not_captured_reason(absl::StrCat(why, ": nothing to credit"));
    return nullptr;
  }
  return turn;
}

void CaptureServiceImpl::CaptureFeedback(std::string session_id,
                                         TurnPtr feedback, WindowOutcome seen,
                                         const Verdict& verdict, absl::Time now,
                                         v1::RecordTurnResponse response,
                                         RecordTurnDone done) {
  v1::Example said;
  feedback->ParseInto(said.mutable_praise_turn());
  said.set_praise_text(said.praise_turn().text());
  said.set_rule(verdict.rule);
  *said.mutable_metadata() = said.praise_turn().metadata();
  said.set_label(verdict.kind == FeedbackKind::kPraise ? v1::LABEL_POSITIVE
                                                       : v1::LABEL_NEGATIVE);
  said.set_source(v1::SOURCE_IMPLICIT);
  RecordVerdictOnExample(verdict, &said);
  // What UndoTurn needs should the capture fail.
  const bool duplicate = seen.duplicate;
  const FeedbackKind kind = verdict.kind;
  CaptureCredited(
      session_id, std::move(seen.credit), std::move(said),
      [this, session_id, feedback = std::move(feedback), duplicate, kind, now,
       response = std::move(response),
       done = std::move(done)](absl::StatusOr<Stored> stored,
                               absl::StatusOr<std::string> pair) mutable {
        if (!stored.ok()) {
          UndoTurn(session_id, *feedback, duplicate, kind, now);
          done(stored.status());
          return;
        }
        if (duplicate) NoteDuplicate();
        response.set_example_id(std::move(stored->example_id));
        response.set_not_captured_reason(std::move(stored->reason));
        if (pair.ok()) {
          response.set_pair_example_id(*std::move(pair));
        } else {
          // The example is stored; only the pair is missing, and
          // RecordFeedback with the preferred and rejected ids can still
          // store it.
          Log(absl::StrCat("preference pair: ", pair.status().ToString()));
        }
        done(std::move(response));
      });
}

void CaptureServiceImpl::CaptureCredited(std::string session_id, Credit credit,
                                         v1::Example said, CreditedDone done) {
  v1::Example example = ExampleOf(session_id, credit, said);
  CaptureReply(std::move(example),
               [this, session_id = std::move(session_id),
                credit = std::move(credit), said = std::move(said),
                done = std::move(done)](absl::StatusOr<Stored> stored) mutable {
                 if (!stored.ok()) {
                   done(std::move(stored), std::string());
                   return;
                 }
                 const v1::Label label = said.label();
                 CapturePairIfAny(
                     session_id, credit, label, said,
                     [stored = *std::move(stored), done = std::move(done)](
                         absl::StatusOr<std::string> pair) mutable {
                       done(std::move(stored), std::move(pair));
                     });
               });
}

void CaptureServiceImpl::UndoTurn(absl::string_view session_id,
                                  const StoredTurn& feedback, bool duplicate,
                                  FeedbackKind kind, absl::Time now) {
  // A failed RecordTurn changes nothing the caller can see: undo the counts,
  // and let a retry of this turn try again once storage works.
  if (!duplicate) {
    turns_seen_.fetch_sub(1, std::memory_order_relaxed);
    user_turns_.fetch_sub(1, std::memory_order_relaxed);
    (kind == FeedbackKind::kPraise ? praise_seen_ : criticism_seen_)
        .fetch_sub(1, std::memory_order_relaxed);
  }
  sessions_.WithSession(session_id, now, [&](SessionWindow& window) {
    window.ForgetId(feedback.role(), feedback.turn_id());
  });
}

v1::Example CaptureServiceImpl::ExampleOf(absl::string_view session_id,
                                          const Credit& credit,
                                          const v1::Example& feedback) const {
  v1::Example example = feedback;
  example.set_session_id(std::string(session_id));
  if (credit.user != nullptr) {
    credit.user->ParseInto(example.mutable_user_turn());
  }
  credit.reply->ParseInto(example.mutable_assistant_turn());
  FillHistory(credit.history, credit.omitted, options_.session_limits,
              &example);
  return example;
}

void CaptureServiceImpl::CapturePairIfAny(
    absl::string_view session_id, const Credit& credit, v1::Label label,
    const v1::Example& feedback,
    absl::AnyInvocable<void(absl::StatusOr<std::string>)> done) {
  const v1::Label opposite =
      label == v1::LABEL_POSITIVE ? v1::LABEL_NEGATIVE : v1::LABEL_POSITIVE;
  // The newest alternative with the opposite verdict.
  for (auto it = credit.alternatives.rbegin(); it != credit.alternatives.rend();
       ++it) {
    if (catalog_.CreditedLabel(session_id, (*it)->turn_id()) != opposite) {
      continue;
    }
    Credit preferred = credit;
    TurnPtr rejected = *it;
    if (label != v1::LABEL_POSITIVE) std::swap(preferred.reply, rejected);
    CapturePair(
        session_id, preferred, rejected, feedback,
        [done = std::move(done)](absl::StatusOr<Stored> stored) mutable {
          if (!stored.ok()) {
            done(stored.status());
          } else {
            done(std::move(stored->example_id));
          }
        });
    return;
  }
  done(std::string());
}

void CaptureServiceImpl::CapturePair(absl::string_view session_id,
                                     const Credit& credit,
                                     const TurnPtr& rejected,
                                     const v1::Example& feedback,
                                     StoredDone done) {
  v1::Example example = ExampleOf(session_id, credit, feedback);
  rejected->ParseInto(example.mutable_rejected_turn());
  example.set_rule(absl::StrCat("pair:", feedback.rule()));
  example.set_label(v1::LABEL_POSITIVE);
  CaptureReply(std::move(example), std::move(done));
}

void CaptureServiceImpl::CaptureReply(v1::Example example, StoredDone done) {
  const std::string& reply_id = example.assistant_turn().turn_id();
  const bool is_pair = example.has_rejected_turn();
  const std::string& rejected_id = example.rejected_turn().turn_id();
  const std::string key =
      is_pair ? PairCreditKey(reply_id, rejected_id) : reply_id;
  const std::string what =
      is_pair ? absl::StrCat("pair of reply ", reply_id, " over ", rejected_id)
              : absl::StrCat("reply ", reply_id);
  Stored not_stored;
  if (!catalog_.ClaimCredit(example.session_id(), key, what,
                            &not_stored.reason)) {
    done(std::move(not_stored));
    return;
  }
  // The turns were redacted as they arrived; the example counts what fired
  // on any turn it holds.
  AddTurnRedactions(&example);
  example.set_id(
      is_pair ? ExampleIdForPair(example.session_id(), reply_id, rejected_id)
              : ExampleIdForReply(example.session_id(), reply_id));
  *example.mutable_captured_at() = ToProtoTime(absl::Now());
  example.set_status(v1::REVIEW_STATUS_PENDING);

  std::string example_id = example.id();
  std::string session_id = example.session_id();
  AppendToStoreAsync(
      std::move(example),
      [this, example_id = std::move(example_id),
       session_id = std::move(session_id), key,
       done = std::move(done)](absl::StatusOr<uint64_t> offset) mutable {
        if (!offset.ok()) {
          catalog_.AbandonReply(session_id, key);
          done(offset.status());
          return;
        }
        captured_since_start_.fetch_add(1, std::memory_order_relaxed);
        done(Stored{std::move(example_id), std::string()});
      });
}

void CaptureServiceImpl::AppendToStoreAsync(v1::Example example,
                                            OffsetDone done) {
  appends_.Enter(
      [this, example = std::move(example), done = std::move(done)]() mutable {
        ExampleStore* store = nullptr;
        absl::Status ready;
        {
          // Only to read store_: it stays open until this append has left
          // appends_, as a compaction waits for that.
          ReaderMutexLock layout(&layout_mu_);
          store = store_.get();
          ready = StoreReady();
        }
        if (store == nullptr) {
          done(std::move(ready));
          appends_.Leave();
          return;
        }
        // The store's summary carries the keys it hashed for the index, which
        // the catalog then takes instead of hashing again.
        store->AppendAsync(
            example, [this, done = std::move(done)](
                         absl::StatusOr<ExampleStore::Stored> stored) mutable {
              if (!stored.ok()) {
                done(stored.status());
              } else {
                catalog_.Add(ViewOf(stored->summary), stored->offset);
                done(stored->offset);
              }
              appends_.Leave();
            });
      });
}

std::optional<absl::StatusOr<v1::RecordFeedbackResponse>>
CaptureServiceImpl::FindRatedReply(const v1::RecordFeedbackRequest& request,
                                   Credit* found) {
  if (request.session_id().empty()) {
    return absl::InvalidArgumentError("session_id is required");
  }
  if (static_cast<int64_t>(request.ByteSizeLong()) > options_.max_turn_bytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "feedback is over the limit of %d bytes (--max_turn_bytes)",
        options_.max_turn_bytes));
  }
  if (absl::Status valid = CheckClientInput(request, ""); !valid.ok()) {
    return valid;
  }
  Credit& credit = *found;
  const bool known = sessions_.WithExistingSession(
      request.session_id(), env_->Now(), [&](SessionWindow& window) {
        credit = CreditOf(window, request.turn_id().empty()
                                      ? window.latest_assistant()
                                      : window.FindReply(request.turn_id()));
      });
  v1::RecordFeedbackResponse response;
  if (!request.turn_id().empty() && credit.reply == nullptr) {
    // Not a reply of the session's latest exchange: fine if it was credited
    // already, else gone.
    const std::string credited_id =
        catalog_.CreditedExampleId(request.session_id(), request.turn_id());
    if (!credited_id.empty()) {
      response.set_not_captured_reason(
          absl::StrCat("reply ", request.turn_id(),
                       " was already credited (example ", credited_id, ")"));
      return response;
    }
    return absl::FailedPreconditionError(
        absl::StrCat("turn ", request.turn_id(), " is not a reply to the ",
                     "latest user turn of session ", request.session_id(),
                     "; only those can be rated"));
  }
  if (!known || credit.reply == nullptr) {
    return absl::NotFoundError(absl::StrCat("session ", request.session_id(),
                                            " has no assistant reply to rate"));
  }
  if (std::string why = WhyNothingToCredit(credit); !why.empty()) {
    return absl::NotFoundError(absl::StrCat("session ", request.session_id(),
                                            " has no reply to rate: ", why));
  }
  return std::nullopt;
}

void CaptureServiceImpl::RecordFeedbackAsync(
    const v1::RecordFeedbackRequest& request, RecordFeedbackDone done) {
  done = EndingCapture(captures_.Begin(), std::move(done));
  if (!request.preferred_turn_id().empty() ||
      !request.rejected_turn_id().empty()) {
    RecordPreference(request, std::move(done));
    return;
  }
  Credit credit;
  if (auto answered = FindRatedReply(request, &credit); answered.has_value()) {
    done(*std::move(answered));
    return;
  }
  v1::Example said;
  said.set_praise_text(request.note());
  if (redactor_ != nullptr) {
    RedactExampleText(*redactor_, said.mutable_praise_text(), &said);
  }
  said.set_rule(request.positive() ? "explicit:thumbs-up"
                                   : "explicit:thumbs-down");
  said.set_label(request.positive() ? v1::LABEL_POSITIVE : v1::LABEL_NEGATIVE);
  said.set_source(v1::SOURCE_EXPLICIT);
  CaptureCredited(
      request.session_id(), std::move(credit), std::move(said),
      [done = std::move(done)](absl::StatusOr<Stored> stored,
                               absl::StatusOr<std::string> pair) mutable {
        if (!stored.ok()) {
          done(stored.status());
          return;
        }
        if (!pair.ok()) {
          done(pair.status());
          return;
        }
        v1::RecordFeedbackResponse response;
        response.set_example_id(std::move(stored->example_id));
        response.set_not_captured_reason(std::move(stored->reason));
        response.set_pair_example_id(*std::move(pair));
        done(std::move(response));
      });
}

absl::Status CaptureServiceImpl::FindPreference(
    const v1::RecordFeedbackRequest& request, Credit* preferred,
    TurnPtr* rejected_reply) {
  if (request.preferred_turn_id().empty() ||
      request.rejected_turn_id().empty()) {
    return absl::InvalidArgumentError(
        "preferred_turn_id and rejected_turn_id go together");
  }
  if (request.preferred_turn_id() == request.rejected_turn_id()) {
    return absl::InvalidArgumentError(
        "preferred_turn_id and rejected_turn_id must differ");
  }
  Credit& credit = *preferred;
  TurnPtr& rejected = *rejected_reply;
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
      return absl::FailedPreconditionError(absl::StrCat(
          "turn ", *id, " is not a reply to the latest user turn of session ",
          request.session_id()));
    }
  }
  if (!alternatives) {
    return absl::FailedPreconditionError(absl::StrCat(
        "replies ", request.preferred_turn_id(), " and ",
        request.rejected_turn_id(), " do not answer the same user turn"));
  }
  // The rejected reply answers the same user message: only its own text is
  // left to check.
  std::string why = WhyNothingToCredit(credit);
  if (why.empty() && !rejected->has_text()) {
    why = absl::StrCat("reply ", rejected->turn_id(), " is empty");
  }
  if (!why.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no preference to store in session ", request.session_id(), ": ", why));
  }
  return absl::OkStatus();
}

void CaptureServiceImpl::RecordPreference(
    const v1::RecordFeedbackRequest& request, RecordFeedbackDone done) {
  Credit credit;
  TurnPtr rejected;
  if (absl::Status found = FindPreference(request, &credit, &rejected);
      !found.ok()) {
    done(std::move(found));
    return;
  }
  v1::Example said;
  said.set_praise_text(request.note());
  if (redactor_ != nullptr) {
    RedactExampleText(*redactor_, said.mutable_praise_text(), &said);
  }
  said.set_rule("explicit:preference");
  said.set_source(v1::SOURCE_EXPLICIT);
  CapturePair(request.session_id(), credit, rejected, said,
              [done = std::move(done)](absl::StatusOr<Stored> stored) mutable {
                if (!stored.ok()) {
                  done(stored.status());
                  return;
                }
                v1::RecordFeedbackResponse response;
                response.set_example_id(stored->example_id);
                response.set_pair_example_id(std::move(stored->example_id));
                response.set_not_captured_reason(std::move(stored->reason));
                done(std::move(response));
              });
}

absl::StatusOr<v1::Example> CaptureServiceImpl::ReadExample(
    const CatalogEntry& entry) const {
  absl::StatusOr<v1::Example> example = store_->ReadAt(entry.offset);
  if (!example.ok()) return example;
  // A record stored before times were checked must still read (and print
  // as JSON): show the nearest valid time and say so.
  for (std::string& warning : ClampTimestamps(&*example)) {
    example->add_read_warnings(std::move(warning));
  }
  example->set_status(entry.status);
  if (entry.reviewed_at != absl::InfinitePast()) {
    example->set_review_note(entry.review_note);
    *example->mutable_reviewed_at() = ToProtoTime(entry.reviewed_at);
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
  stats.set_late_turns(late_turns_.load());
  stats.set_live_sessions(sessions_.size());
  stats.set_examples_captured_since_start(captured_since_start_.load());
  int64_t window_bytes = 0;
  sessions_.ForEach(
      [&](absl::string_view, absl::Time, const SessionWindow& window) {
        window_bytes += window.ApproximateBytes();
      });
  stats.set_live_window_bytes(window_bytes);
  *stats.mutable_started_at() = ToProtoTime(started_at_);
  ReaderMutexLock layout(&layout_mu_);
  if (absl::Status ready = StoreReady(); !ready.ok()) return ready;
  stats.set_dataset_bytes(store_->dataset_bytes());
  stats.set_markdown_bytes(store_->markdown_bytes());
  stats.set_markdown_lines(store_->markdown_lines());
  const ExampleStore::DeletionCounts deleted = store_->deletion_counts();
  stats.set_deleted_examples(deleted.pending + deleted.compacted);
  stats.set_deleted_pending_compaction(deleted.pending);
  stats.set_compactions(deleted.compactions);

  const ExampleCatalog::Stats examples = catalog_.GetStats();
  stats.set_examples_total(examples.total);
  stats.set_positive_examples(examples.positive);
  stats.set_negative_examples(examples.negative);
  stats.set_imported_examples(examples.imported);
  stats.set_redacted_examples(examples.redacted);
  stats.set_pair_examples(examples.pairs);
  stats.set_approved_examples(examples.approved);
  stats.set_rejected_examples(examples.rejected);
  stats.set_pending_examples(examples.pending);
  for (const auto& [date, count] : examples.per_day) {
    v1::DayCount* day = stats.add_examples_per_day();
    day->set_date(date);
    day->set_examples(count);
  }
  if (examples.total > 0) {
    *stats.mutable_first_example_at() = ToProtoTime(examples.first_at);
    *stats.mutable_last_example_at() = ToProtoTime(examples.last_at);
  }
  for (const CatalogEntry& entry : examples.recent) {
    absl::StatusOr<v1::Example> example = ReadExample(entry);
    if (!example.ok()) return example.status();
    *stats.add_recent_examples() = *std::move(example);
  }
  // first/last_example_at of records stored before times were checked.
  ClampTimestamps(&stats);
  return stats;
}

absl::StatusOr<v1::ListExamplesResponse> CaptureServiceImpl::ListExamples(
    const v1::ListExamplesRequest& request) {
  if (request.page_size() < 0) {
    return absl::InvalidArgumentError("page_size must not be negative");
  }
  if (absl::Status filters = CheckEnumFields(request); !filters.ok()) {
    return filters;
  }
  const int page_size = request.page_size() == 0
                            ? kDefaultPageSize
                            : std::min(request.page_size(), kMaxPageSize);
  ReaderMutexLock layout(&layout_mu_);
  if (absl::Status ready = StoreReady(); !ready.ok()) return ready;
  absl::StatusOr<ExampleCatalog::Page> page =
      catalog_.List(request.status(), request.label(), request.kind(),
                    request.page_token(), page_size);
  if (!page.ok()) return page.status();
  v1::ListExamplesResponse response;
  response.set_total_size(page->total_size);
  response.set_next_page_token(page->next_page_token);
  for (const CatalogEntry& entry : page->entries) {
    absl::StatusOr<v1::Example> example = ReadExample(entry);
    if (!example.ok()) return example.status();
    *response.add_examples() = *std::move(example);
  }
  return response;
}

absl::StatusOr<v1::ReviewExampleResponse> CaptureServiceImpl::ReviewExample(
    const v1::ReviewExampleRequest& request) {
  if (request.example_id().empty()) {
    return absl::InvalidArgumentError("example_id is required");
  }
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
  if (absl::Status valid = CheckClientInput(request, ""); !valid.ok()) {
    return valid;
  }
  ReaderMutexLock layout(&layout_mu_);
  if (absl::Status ready = StoreReady(); !ready.ok()) return ready;
  CatalogEntry entry;
  if (!catalog_.Find(request.example_id(), &entry)) {
    return absl::NotFoundError(
        absl::StrCat("no example with id '", request.example_id(), "'"));
  }
  v1::ReviewRecord record;
  record.set_example_id(request.example_id());
  record.set_status(request.status());
  record.set_note(request.note());
  if (redactor_ != nullptr) redactor_->Redact(record.mutable_note(), nullptr);
  *record.mutable_reviewed_at() = ToProtoTime(absl::Now());
  absl::Status logged = reviews_->Append(record);
  if (!logged.ok()) return logged;
  catalog_.ApplyReview(record.example_id(), record.status(), record.note(),
                       FromProtoTime(record.reviewed_at()), &entry);
  absl::StatusOr<v1::Example> example = ReadExample(entry);
  if (!example.ok()) return example.status();
  v1::ReviewExampleResponse response;
  *response.mutable_example() = *std::move(example);
  return response;
}

absl::Status CaptureServiceImpl::ExportExamples(
    const v1::ExportExamplesRequest& request,
    const std::function<bool(const v1::Example&)>& emit) {
  if (absl::Status filters = CheckEnumFields(request); !filters.ok()) {
    return filters;
  }
  // Filter on what is in memory before reading anything from disk.
  const uint64_t generation = layout_generation_.load();
  const std::vector<CatalogEntry> selected =
      catalog_.Select([&](const CatalogEntry& entry) {
        v1::Example summary;
        *summary.mutable_captured_at() = ToProtoTime(entry.captured_at);
        summary.set_status(entry.status);
        summary.set_label(entry.label);
        if (entry.is_pair) summary.mutable_rejected_turn();
        return MatchesExportFilter(request, summary);
      });
  for (CatalogEntry entry : selected) {
    absl::StatusOr<v1::Example> example;
    {
      // The lock only per example: a slow client must not hold off a
      // compaction (and the captures queued behind it).
      ReaderMutexLock layout(&layout_mu_);
      if (absl::Status ready = StoreReady(); !ready.ok()) return ready;
      // Erased since the selection: left out; compacted: read where it is.
      if (layout_generation_.load() != generation &&
          !catalog_.Find(entry.id, &entry)) {
        continue;
      }
      example = ReadExample(entry);
    }
    if (!example.ok()) return example.status();
    if (!MatchesConfidenceFilter(request, *example)) continue;
    if (!emit(*example)) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ImportExamplesResponse> CaptureServiceImpl::ImportExamples(
    const v1::ImportExamplesRequest& request) {
  // Validate everything first, so a bad request stores nothing.
  for (int i = 0; i < request.examples_size(); ++i) {
    const v1::Example& example = request.examples(i);
    if (IsBlankText(example.assistant_turn().text())) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "examples[%d]: assistant_turn.text (the reply, n-1) is required "
          "and not only whitespace",
          i));
    }
    if (IsBlankText(example.user_turn().text())) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "examples[%d]: user_turn.text (the user message the reply answers, "
          "n-3) is required and not only whitespace",
          i));
    }
    if (example.has_rejected_turn() &&
        IsBlankText(example.rejected_turn().text())) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "examples[%d]: rejected_turn.text (the rejected reply of a pair) "
          "is required and not only whitespace",
          i));
    }
    if (static_cast<int64_t>(example.ByteSizeLong()) >
        options_.max_turn_bytes * 4) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "examples[%d] is over the limit of 4 x --max_turn_bytes", i));
    }
    absl::Status valid =
        CheckClientInput(example, absl::StrFormat("examples[%d]", i));
    if (!valid.ok()) return valid;
  }
  v1::ImportExamplesResponse response;
  for (const v1::Example& incoming : request.examples()) {
    v1::Example example = incoming;
    example.DiscardUnknownFields();
    example.clear_read_warnings();
    // The id is of the original, so a re-import is still recognised.
    example.set_id(ImportedExampleId(example));
    if (redactor_ != nullptr) RedactExample(*redactor_, &example);
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
    // The claim keeps two imports of the same example from both storing
    // it, without holding the catalog across the (fsynced) append.
    if (!catalog_.ClaimImport(example.id())) {
      response.set_already_present(response.already_present() + 1);
      response.add_example_ids(example.id());
      continue;
    }
    absl::StatusOr<uint64_t> offset = AppendToStore(example);
    catalog_.FinishImport(example.id());
    if (!offset.ok()) return offset.status();
    response.set_imported(response.imported() + 1);
    response.add_example_ids(example.id());
  }
  return response;
}

absl::StatusOr<v1::DeleteExamplesResponse> CaptureServiceImpl::DeleteExamples(
    const v1::DeleteExamplesRequest& request) {
  if (absl::Status valid = ValidateDeleteRequest(request, kMaxIdBytes);
      !valid.ok()) {
    return valid;
  }
  MutexLock erasing(&erase_mu_);
  v1::DeleteExamplesResponse response;
  if (request.selector_case() == v1::DeleteExamplesRequest::kSessionId) {
    // First, even with no example: once its window is gone no capture can
    // read it, and those that already did are then waited for, so their
    // examples are in the catalog when the victims are selected.
    DropSession(request.session_id(), &response);
    captures_.WaitForEarlier();
  }
  // The victims' other sessions; ordered, so they are dropped in the same
  // order every time.
  std::set<std::string> sessions;
  if (request.selector_case() != v1::DeleteExamplesRequest::SELECTOR_NOT_SET) {
    ReaderMutexLock layout(&layout_mu_);
    if (absl::Status ready = StoreReady(); !ready.ok()) return ready;
    absl::StatusOr<std::vector<Victim>> victims = SelectVictims(request);
    if (!victims.ok()) return victims.status();
    absl::Status s = AddPairsOf(&*victims);
    if (s.ok()) s = Tombstone(*victims);
    if (!s.ok()) return s;
    for (const Victim& victim : *victims) {
      response.add_example_ids(victim.entry.id);
      if (request.selector_case() != v1::DeleteExamplesRequest::kSessionId) {
        sessions.insert(victim.session_id);
      }
    }
    response.set_deleted(static_cast<int64_t>(victims->size()));
  }
  for (const std::string& session_id : sessions) {
    DropSession(session_id, &response);
  }
  if (request.selector_case() != v1::DeleteExamplesRequest::SELECTOR_NOT_SET) {
    Log(
        absl::StrFormat("erasure: %d example(s) deleted by %s, %d live "
                        "session(s) dropped",
                        response.deleted(), DescribeSelector(request),
                        response.sessions_dropped()));
  }
  if (request.compact() || CompactionDue()) {
    absl::StatusOr<CompactionResult> compacted = Compact();
    if (compacted.ok()) {
      response.set_compacted(true);
      response.set_compacted_examples(compacted->removed);
    } else if (request.compact()) {
      // The deletion itself stands (its tombstones are durable): say so.
      return absl::Status(
          compacted.status().code(),
          absl::StrCat(response.deleted(),
                       " example(s) deleted (hidden "
                       "everywhere), but the compaction failed, so their "
                       "bytes are still in the files: ",
                       compacted.status().message()));
    }
    // An automatic compaction that failed was logged; the next one retries.
  }
  return response;
}

void CaptureServiceImpl::DropSession(const std::string& session_id,
                                     v1::DeleteExamplesResponse* response) {
  bool existed = false;
  absl::Status erased =
      sessions_.EraseSession(session_id, env_->Now(), &existed);
  if (!erased.ok()) {
    // The window is gone and the journal has the erasure marker; only
    // the rewrite without the session's turns is late (retried).
    Log(absl::StrCat("erasure: session journal: ", erased.ToString()));
  }
  if (existed) response->set_sessions_dropped(response->sessions_dropped() + 1);
}

absl::StatusOr<std::vector<CaptureServiceImpl::Victim>>
CaptureServiceImpl::SelectVictims(
    const v1::DeleteExamplesRequest& request) const {
  std::vector<Victim> victims;
  std::vector<CatalogEntry> entries;
  switch (request.selector_case()) {
    case v1::DeleteExamplesRequest::kIds:
      for (const std::string& id : request.ids().ids()) {
        CatalogEntry entry;
        if (!catalog_.Find(id, &entry)) {
          return absl::NotFoundError(
              absl::StrCat("no example with id '", id, "'; nothing deleted"));
        }
        entries.push_back(std::move(entry));
      }
      break;
    case v1::DeleteExamplesRequest::kSessionId: {
      const uint64_t key = ExampleCatalog::SessionKey(request.session_id());
      entries = catalog_.Select([&key](const CatalogEntry& entry) {
        return entry.session_key == key;
      });
      break;
    }
    default:
      entries = catalog_.Select([](const CatalogEntry&) { return true; });
      break;
  }
  absl::flat_hash_set<uint64_t> seen;
  for (const CatalogEntry& entry : entries) {
    if (!seen.insert(entry.offset).second) continue;  // an id given twice
    absl::Status s = AddVictim(entry, request, &victims);
    if (!s.ok()) return s;
  }
  return victims;
}

absl::Status CaptureServiceImpl::AddVictim(
    const CatalogEntry& entry, const v1::DeleteExamplesRequest& request,
    std::vector<Victim>* victims) const {
  absl::StatusOr<v1::Example> example = store_->ReadAt(entry.offset);
  if (!example.ok()) return example.status();
  // Read back, the example decides: its session's own id (the catalog
  // only has a hash), its metadata.
  if (request.selector_case() == v1::DeleteExamplesRequest::kSessionId &&
      example->session_id() != request.session_id()) {
    return absl::OkStatus();
  }
  if (request.selector_case() == v1::DeleteExamplesRequest::kWhere &&
      !HasMetadata(*example, request.where().key(), request.where().value())) {
    return absl::OkStatus();
  }
  Victim victim;
  victim.entry = entry;
  victim.session_id = example->session_id();
  if (!example->has_rejected_turn()) {
    victim.reply_turn_id = example->assistant_turn().turn_id();
  }
  victims->push_back(std::move(victim));
  return absl::OkStatus();
}

absl::Status CaptureServiceImpl::AddPairsOf(
    std::vector<Victim>* victims) const {
  absl::flat_hash_set<uint64_t> chosen;
  absl::flat_hash_set<uint64_t> sessions;
  for (const Victim& victim : *victims) {
    chosen.insert(victim.entry.offset);
    if (!victim.reply_turn_id.empty()) {
      sessions.insert(ExampleCatalog::SessionKey(victim.session_id));
    }
  }
  if (sessions.empty()) return absl::OkStatus();
  const std::vector<CatalogEntry> pairs =
      catalog_.Select([&](const CatalogEntry& entry) {
        return entry.is_pair && sessions.contains(entry.session_key) &&
               !chosen.contains(entry.offset);
      });
  const size_t singles = victims->size();
  for (const CatalogEntry& entry : pairs) {
    absl::StatusOr<v1::Example> pair = store_->ReadAt(entry.offset);
    if (!pair.ok()) return pair.status();
    for (size_t i = 0; i < singles; ++i) {
      const Victim& victim = (*victims)[i];
      if (victim.reply_turn_id.empty() ||
          victim.session_id != pair->session_id() ||
          !PairHoldsReply(*pair, victim.reply_turn_id)) {
        continue;
      }
      victims->push_back(Victim{entry, pair->session_id(), std::string()});
      break;
    }
  }
  return absl::OkStatus();
}

absl::Status CaptureServiceImpl::Tombstone(const std::vector<Victim>& victims) {
  if (victims.empty()) return absl::OkStatus();
  std::vector<v1::Tombstone> tombstones;
  absl::flat_hash_set<uint64_t> offsets;
  for (const Victim& victim : victims) {
    v1::Tombstone& tombstone = tombstones.emplace_back();
    tombstone.set_example_id(victim.entry.id);
    tombstone.set_offset(victim.entry.offset);
    offsets.insert(victim.entry.offset);
  }
  // Durable first: an acknowledged deletion survives any crash.
  absl::Status s = store_->Delete(tombstones);
  if (!s.ok()) return s;
  catalog_.Remove(offsets);
  layout_generation_.fetch_add(1);
  return absl::OkStatus();
}

bool CaptureServiceImpl::CompactionDue() const {
  if (options_.compact_deleted_share <= 0) return false;
  ReaderMutexLock layout(&layout_mu_);
  if (store_ == nullptr) return false;
  const int64_t pending = store_->deletion_counts().pending;
  if (pending == 0) return false;
  const double stored = static_cast<double>(pending + catalog_.size());
  return static_cast<double>(pending) >=
         options_.compact_deleted_share * stored;
}

absl::StatusOr<CompactionResult> CaptureServiceImpl::Compact() {
  absl::StatusOr<CompactionResult> result;
  appends_.RunExclusive([this, &result] { result = CompactDrained(); });
  return result;
}

absl::StatusOr<CompactionResult> CaptureServiceImpl::CompactDrained() {
  MutexLock layout(&layout_mu_);
  if (absl::Status ready = StoreReady(); !ready.ok()) return ready;
  // Reads wait on layout_mu_, appends in appends_'s queue; closing the
  // store releases the data dir's lock for CompactDataDir, which takes it
  // itself.
  store_.reset();
  reviews_.reset();
  CompactionOptions compaction;
  compaction.negative_markdown = options_.negative_markdown;
  absl::StatusOr<CompactionResult> result =
      CompactDataDir(env_, options_.data_dir, compaction);
  if (!result.ok() && env_->FileExists(JoinPath(options_.data_dir,
                                                kCompactionManifestFileName))) {
    // Switched in part: the next start finishes it, but the catalog's
    // offsets would not match until then.
    broken_ = absl::UnavailableError(absl::StrCat(
        "compaction failed while switching its files (",
        result.status().ToString(), "); restart the server to finish it"));
    Log(std::string(broken_.message()));
    return broken_;
  }
  RecoveryReport report;
  absl::Status reopened = OpenFiles(nullptr, /*replay_reviews=*/false, &report);
  if (!reopened.ok()) {
    store_.reset();
    reviews_.reset();
    broken_ = absl::UnavailableError(
        absl::StrCat("could not reopen the dataset after a compaction (",
                     reopened.ToString(), "); restart the server"));
    Log(std::string(broken_.message()));
    return broken_;
  }
  if (!result.ok()) {
    Log(absl::StrCat("compaction failed, nothing changed: ",
                     result.status().ToString()));
    return result.status();
  }
  catalog_.MoveOffsets(result->moved);
  layout_generation_.fetch_add(1);
  Log(absl::StrFormat(
      "compaction: %d deleted example(s) removed, %d kept, %d -> %d bytes "
      "(%s)",
      result->removed, result->kept, result->bytes_before, result->bytes_after,
      absl::FormatDuration(result->elapsed)));
  return result;
}

}  // namespace

absl::StatusOr<v1::RecordTurnResponse> CaptureService::RecordTurn(
    const v1::Turn& turn) {
  ResultSlot<absl::StatusOr<v1::RecordTurnResponse>> result;
  RecordTurnAsync(turn, [&result](absl::StatusOr<v1::RecordTurnResponse> r) {
    result.Set(std::move(r));
  });
  return result.Wait();
}

absl::StatusOr<v1::RecordFeedbackResponse> CaptureService::RecordFeedback(
    const v1::RecordFeedbackRequest& request) {
  ResultSlot<absl::StatusOr<v1::RecordFeedbackResponse>> result;
  RecordFeedbackAsync(request,
                      [&result](absl::StatusOr<v1::RecordFeedbackResponse> r) {
                        result.Set(std::move(r));
                      });
  return result.Wait();
}

absl::StatusOr<std::unique_ptr<CaptureService>> CaptureService::Open(
    const Options& options, Env* env) {
  if (env == nullptr) env = Env::Default();
  if (options.max_turn_bytes <= 0 || options.max_sessions <= 0 ||
      options.max_window_bytes <= 0 || options.max_memories_per_turn < 0 ||
      options.session_ttl <= absl::ZeroDuration() ||
      !(options.compact_deleted_share >= 0 &&
        options.compact_deleted_share <= 1)) {
    return absl::InvalidArgumentError(
        "max_turn_bytes, max_sessions, max_window_bytes and session_ttl "
        "must be positive, compact_deleted_share in [0, 1]");
  }
  std::unique_ptr<Redactor> redactor;
  if (options.redact_default || !options.redact_rules_path.empty()) {
    absl::StatusOr<std::unique_ptr<Redactor>> loaded = Redactor::FromOptions(
        options.redact_default, options.redact_rules_path);
    if (!loaded.ok()) return loaded.status();
    redactor = *std::move(loaded);
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
  service->set_redactor(std::move(redactor));
  return service;
}

}  // namespace ftcapture
