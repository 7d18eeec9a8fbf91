#ifndef FTCAPTURE_SRC_SERVICE_CAPTURE_SERVICE_H_
#define FTCAPTURE_SRC_SERVICE_CAPTURE_SERVICE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ftcapture/v1/capture.pb.h"
#include "src/session/session_window.h"
#include "src/storage/example_store.h"

namespace ftcapture {

class Env;

// What the service reports as it works, for metrics; implemented outside
// the library (the server's Prometheus exporter). Methods may be called from
// any thread, concurrently, and must not call back into the service.
class CaptureObserver {
 public:
  virtual ~CaptureObserver() = default;
  // Recovery at start found `report` (called once, before serving).
  virtual void OnRecovery(const RecoveryReport& report) = 0;
  // One fsync of the dataset took `latency`.
  virtual void OnDatasetSync(absl::Duration latency) = 0;
  // A turn the session had already seen was answered as a duplicate. It is
  // traffic, not data: it changes none of GetStats' figures.
  virtual void OnDuplicateTurn() = 0;
};

// The whole capture logic behind the gRPC API, with no gRPC in it: the
// server translates protos in and out and maps absl::Status codes to gRPC
// status codes one to one. Every method is thread-safe; RecordTurn takes no
// lock shared by all sessions and touches no disk unless it captures.
class CaptureService {
 public:
  struct Options {
    std::string data_dir = "./data";
    std::string persona = "Timmy";
    std::string praise_rules_path;  // empty: the built-in rules
    int64_t max_turn_bytes = 1 << 20;
    int max_memories_per_turn = 256;
    SyncPolicy sync = SyncPolicy::kAlways;
    bool negative_markdown = false;
    int64_t max_sessions = 100000;
    // Bytes of turns all session windows may hold; least recently used
    // sessions are evicted beyond it.
    int64_t max_window_bytes = int64_t{512} << 20;
    absl::Duration session_ttl = absl::Hours(24);
    // How far past the clock (Env::Now) a turn's time may be; later is
    // INVALID_ARGUMENT, since a turn from the future would make every later
    // turn of its session late. Wide enough for the skew of NTP-synced
    // hosts; absl::InfiniteDuration() accepts any time.
    absl::Duration max_clock_skew = absl::Minutes(10);
    // How many earlier turns a session keeps for its examples' history, and
    // how many turn ids it remembers to refuse repeats.
    SessionLimits session_limits;
    // Journal session windows so a restart keeps them.
    bool journal_sessions = true;
    // Redaction before anything is written (docs/privacy.md): the shipped
    // default rules, and/or a rule file. Neither: texts are stored verbatim.
    bool redact_default = false;
    std::string redact_rules_path;
    // Compact automatically once tombstoned examples are at least this
    // share of all stored ones (after a DeleteExamples, and at start);
    // 0: only when asked (DeleteExamplesRequest.compact).
    double compact_deleted_share = 0.1;
    // Reports what recovery found; default: stderr.
    std::function<void(const std::string&)> log;
    // Told about recovery and fsyncs; may be null; must outlive the service.
    CaptureObserver* observer = nullptr;
  };

  static absl::StatusOr<std::unique_ptr<CaptureService>> Open(
      const Options& options, Env* env);
  virtual ~CaptureService() = default;

  // The asynchronous calls: `done` runs exactly once, once the answer is
  // known. A turn that captures nothing is answered on the calling thread
  // before the call returns; a capture returns at once and is answered on
  // the example store's writer thread when the group commit's fsync has
  // returned (or, when it fails before reaching the store, on the thread
  // that tried). So no caller's thread waits on the disk. `done` must not wait
  // for the service (it may call it asynchronously). The request needs to live
  // only during the call. Destroying the service waits for the answers
  // still pending.
  using RecordTurnDone =
      absl::AnyInvocable<void(absl::StatusOr<v1::RecordTurnResponse>)>;
  virtual void RecordTurnAsync(const v1::Turn& turn, RecordTurnDone done) = 0;
  using RecordFeedbackDone =
      absl::AnyInvocable<void(absl::StatusOr<v1::RecordFeedbackResponse>)>;
  virtual void RecordFeedbackAsync(const v1::RecordFeedbackRequest& request,
                                   RecordFeedbackDone done) = 0;

  // The same, waiting for the result (the CLI, tests, benches).
  absl::StatusOr<v1::RecordTurnResponse> RecordTurn(const v1::Turn& turn);
  absl::StatusOr<v1::RecordFeedbackResponse> RecordFeedback(
      const v1::RecordFeedbackRequest& request);
  virtual absl::StatusOr<v1::GetStatsResponse> GetStats() = 0;
  virtual absl::StatusOr<v1::ListExamplesResponse> ListExamples(
      const v1::ListExamplesRequest& request) = 0;
  virtual absl::StatusOr<v1::ReviewExampleResponse> ReviewExample(
      const v1::ReviewExampleRequest& request) = 0;
  // Calls `emit` for every matching example, oldest first; stops early and
  // returns OK when `emit` returns false (the client went away).
  virtual absl::Status ExportExamples(
      const v1::ExportExamplesRequest& request,
      const std::function<bool(const v1::Example&)>& emit) = 0;
  virtual absl::StatusOr<v1::ImportExamplesResponse> ImportExamples(
      const v1::ImportExamplesRequest& request) = 0;
  // Erasure (docs/privacy.md, v1::DeleteExamplesRequest): tombstones the
  // selected examples durably, forgets them and their sessions, and
  // compacts when asked or past compact_deleted_share. Captures, reads and
  // health checks wait while a compaction switches the files.
  virtual absl::StatusOr<v1::DeleteExamplesResponse> DeleteExamples(
      const v1::DeleteExamplesRequest& request) = 0;
  // OK while captures are accepted; otherwise why not (a failed background
  // fsync with --sync=batch): the server reports NOT_SERVING on health.
  virtual absl::Status ServingStatus() const = 0;
  // Whether `session_id` has a live (known, unexpired) window, so the
  // server can charge a caller for the sessions it opens.
  virtual bool HasLiveSession(absl::string_view session_id) = 0;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_SERVICE_CAPTURE_SERVICE_H_
