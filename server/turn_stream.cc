#include "server/turn_stream.h"

#include <grpcpp/impl/codegen/proto_utils.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "server/grpc_status.h"
#include "server/raw_messages.h"
#include "server/reused_messages.h"

namespace ftcapture {

// Raw bytes both ways, so a request that does not parse can be answered in
// place instead of ending the stream.
using TurnReactor = grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>;
using ReusedTurnRequest = ReusedMessage<v1::RecordTurnRequest>;

namespace {

// The caller's rate and session limits, charged for `turn`.
absl::Status ChargeTurn(CaptureService* service, CallPolicy* policy,
                        const Caller& caller, const v1::Turn& turn) {
  return policy->ChargeTurn(
      caller, [&] { return !service->HasLiveSession(turn.session_id()); },
      absl::Now());
}

}  // namespace

void RecordTurnForCaller(CaptureService* service, CallPolicy* policy,
                         const Caller& caller, const v1::Turn& turn,
                         CaptureService::RecordTurnDone done) {
  if (absl::Status charged = ChargeTurn(service, policy, caller, turn);
      !charged.ok()) {
    done(std::move(charged));
    return;
  }
  service->RecordTurnAsync(turn, std::move(done));
}

absl::StatusOr<v1::RecordTurnResponse> RecordTurnForCaller(
    CaptureService* service, CallPolicy* policy, const Caller& caller,
    const v1::Turn& turn) {
  if (absl::Status charged = ChargeTurn(service, policy, caller, turn);
      !charged.ok()) {
    return charged;
  }
  return service->RecordTurn(turn);
}

namespace {

// A StreamTurns call refused before it starts (no access, too many open).
class RefusedStream final : public TurnReactor {
 public:
  explicit RefusedStream(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

// One open StreamTurns call: read a turn, answer it, read the next. A turn
// that fails, or a request that does not parse, is answered in place
// (error_code, error_message) and the stream goes on.
//
// A turn that captures may be answered from another thread once its
// example is durable. A Finish asked for meanwhile (the reaper) waits for
// that answer, so the reactor outlives every pending answer (OnDone, which
// deletes it, comes only after Finish).
//
// Invariants: at most one of a read, an answer or a write is outstanding;
// no read or write is started after Finish, nor Finish called while an
// answer is pending (all three decided under `mu_`; Finish itself is called
// outside it, because OnDone may delete the reactor as soon as Finish is
// called). `pins_` and `done_` belong to the owner's lock (see TurnStreams).
class TurnStreamReactor final : public TurnReactor {
 public:
  TurnStreamReactor(TurnStreams* owner, Caller caller)
      : owner_(owner), caller_(std::move(caller)) {
    Touch();
    MutexLock lock(&mu_);
    StartReadLocked();
  }

  void OnReadDone(bool ok) override {
    HandoffScope reaction(this);
    if (!ok) {  // the client half-closed, or the call is gone
      FinishOnce(grpc::Status::OK);
      return;
    }
    Touch();
    ++position_;
    // Parsed onto a reused arena; the library needs the turn only during
    // the call.
    ReusedTurnRequest* reused = ReusedTurnRequest::Take();
    v1::RecordTurnRequest& request = *reused->message();
    if (!grpc::SerializationTraits<v1::RecordTurnRequest>::Deserialize(
             &request_bytes_, &request)
             .ok()) {
      reused->Release();
      Write(absl::InvalidArgumentError(absl::StrFormat(
          "request %d of this stream is not a RecordTurnRequest (it does not "
          "parse); nothing was recorded for it, the stream goes on",
          position_)));
      return;
    }
    {
      MutexLock lock(&mu_);
      answering_ = true;
    }
    RecordTurnForCaller(owner_->service_, owner_->policy_, caller_,
                        request.turn(),
                        [this](absl::StatusOr<v1::RecordTurnResponse> result) {
                          Write(std::move(result));
                        });
    reused->Release();
  }

  void OnWriteDone(bool ok) override {
    HandoffScope reaction(this);
    if (!ok) {
      FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED,
                              "the client stopped reading"));
      return;
    }
    MutexLock lock(&mu_);
    if (!finished_) StartReadLocked();
  }

  void OnDone() override {
    HandoffAcquired(this);
    owner_->Closed(this);
  }

  // Finishes the call unless it is finished already; while an answer is
  // pending, once it arrives instead of sending it.
  void FinishOnce(grpc::Status status) {
    {
      MutexLock lock(&mu_);
      if (finished_) return;
      if (answering_) {
        if (!finish_after_answer_.has_value()) {
          finish_after_answer_ = std::move(status);
        }
        return;
      }
      finished_ = true;
    }
    FinishNow(std::move(status));
  }

  bool IdleSince(absl::Time cutoff) const {
    return absl::FromUnixNanos(last_turn_nanos_.load()) < cutoff;
  }

 private:
  friend class TurnStreams;
  void Touch() { last_turn_nanos_.store(absl::ToUnixNanos(absl::Now())); }

  // Sends what RecordTurn would return, with a failure carried in
  // error_code / error_message.
  void Write(absl::StatusOr<v1::RecordTurnResponse> result) {
    v1::RecordTurnResponse failed;
    if (!result.ok()) {
      failed.set_error_code(result.status().raw_code());
      failed.set_error_message(std::string(result.status().message()));
    }
    grpc::Status serialized =
        SerializeMessage(result.ok() ? *result : failed, &response_bytes_);
    grpc::Status finish;
    {
      MutexLock lock(&mu_);
      answering_ = false;
      if (finished_) return;
      if (serialized.ok() && !finish_after_answer_.has_value()) {
        HandoffReleased(this);
        StartWrite(&response_bytes_);
        return;
      }
      finished_ = true;
      finish = serialized.ok() ? *std::move(finish_after_answer_) : serialized;
    }
    FinishNow(std::move(finish));
  }

  // gRPC runs the callback these lead to on any of its threads, through a
  // queue TSan cannot see into (see HandoffReleased): each On*() acquires
  // what was released here.
  void StartReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    HandoffReleased(this);
    StartRead(&request_bytes_);
  }
  // Called once `finished_` is set, outside `mu_`: OnDone, which may
  // delete this reactor, can run on another thread as soon as Finish is
  // called, so nothing here touches the reactor after it.
  void FinishNow(grpc::Status status) ABSL_LOCKS_EXCLUDED(mu_) {
    HandoffReleased(this);
    Finish(std::move(status));
  }

  TurnStreams* const owner_;
  const Caller caller_;
  // When the stream opened or last sent a turn.
  std::atomic<int64_t> last_turn_nanos_{0};
  Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool answering_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> finish_after_answer_ ABSL_GUARDED_BY(mu_);
  grpc::ByteBuffer request_bytes_;
  grpc::ByteBuffer response_bytes_;
  int64_t position_ = 0;  // requests read so far, for error messages
  int pins_ = 0;          // owner_->mu_
  bool done_ = false;     // owner_->mu_
};

TurnStreams::TurnStreams(CaptureService* service, CallPolicy* policy,
                         const TurnStreamLimits& limits)
    : service_(service), policy_(policy), limits_(limits) {
  const absl::Duration interval = std::clamp(
      limits_.idle_timeout / 10, absl::Milliseconds(10), absl::Seconds(1));
  reaper_ = std::thread([this, interval] {
    while (!stop_.WaitForNotificationWithTimeout(interval)) ReapIdle();
  });
}

TurnStreams::~TurnStreams() {
  stop_.Notify();
  reaper_.join();
}

TurnReactor* TurnStreams::Open(grpc::CallbackServerContext* context) {
  absl::StatusOr<Caller> caller =
      policy_->Admit(*context, RequiredRole::kIngest);
  if (!caller.ok()) return new RefusedStream(ToGrpcStatus(caller.status()));
  {
    MutexLock lock(&mu_);
    if (static_cast<int64_t>(open_.size()) >= limits_.max_streams) {
      return new RefusedStream(grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          absl::StrCat(
              open_.size(),
              " StreamTurns calls are open, the most "
              "allowed (--max_streams); close one or use RecordTurn")));
    }
  }
  // Created outside the lock: its constructor starts the first read.
  auto* reactor = new TurnStreamReactor(this, *std::move(caller));
  MutexLock lock(&mu_);
  open_.insert(reactor);
  return reactor;
}

int64_t TurnStreams::open_streams() const {
  MutexLock lock(&mu_);
  return static_cast<int64_t>(open_.size());
}

void TurnStreams::Closed(TurnStreamReactor* reactor) {
  bool delete_now = false;
  {
    MutexLock lock(&mu_);
    open_.erase(reactor);
    reactor->done_ = true;
    delete_now = reactor->pins_ == 0;
  }
  if (delete_now) delete reactor;
}

void TurnStreams::ReapIdle() {
  const absl::Time cutoff = absl::Now() - limits_.idle_timeout;
  std::vector<TurnStreamReactor*> idle;
  {
    MutexLock lock(&mu_);
    for (TurnStreamReactor* reactor : open_) {
      if (!reactor->IdleSince(cutoff)) continue;
      ++reactor->pins_;  // keeps it alive while finished outside the lock
      idle.push_back(reactor);
    }
  }
  if (idle.empty()) return;
  const std::string message =
      absl::StrCat("no turn for ", absl::FormatDuration(limits_.idle_timeout),
                   " (--stream_idle_timeout); open a new stream");
  for (TurnStreamReactor* reactor : idle) {
    reactor->FinishOnce(
        grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, message));
  }
  std::vector<TurnStreamReactor*> finished;
  {
    MutexLock lock(&mu_);
    for (TurnStreamReactor* reactor : idle) {
      if (--reactor->pins_ == 0 && reactor->done_) finished.push_back(reactor);
    }
  }
  for (TurnStreamReactor* reactor : finished) delete reactor;
}

}  // namespace ftcapture
