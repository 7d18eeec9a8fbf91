#ifndef FTCAPTURE_SERVER_TURN_STREAM_H_
#define FTCAPTURE_SERVER_TURN_STREAM_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_callback.h>

#include <cstdint>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "ftcapture/v1/capture.pb.h"
#include "server/call_policy.h"
#include "src/service/capture_service.h"
#include "src/util/mutex.h"

namespace ftcapture {

class TurnStreamReactor;

struct TurnStreamLimits {
  // Open StreamTurns calls beyond this get RESOURCE_EXHAUSTED at once.
  int64_t max_streams = 10000;
  // A stream that sends no turn for this long is finished with
  // DEADLINE_EXCEEDED (the client opens a new one).
  absl::Duration idle_timeout = absl::Minutes(10);
};

// The open StreamTurns calls: enforces the limit on their number and
// finishes those idle for too long, from one background thread.
//
// StreamTurns uses gRPC's callback API, so an open stream holds no thread
// while it waits for its client: thousands of idle streams cost memory
// only, and the synchronous RPCs keep their threads.
//
// Thread-safe. Invariants: every reactor in `open_` is alive (a reactor
// leaves `open_` in OnDone, before it is deleted, and is not deleted while
// the reaper has it pinned); the count of `open_` never exceeds
// max_streams.
class TurnStreams {
 public:
  TurnStreams(CaptureService* service, CallPolicy* policy,
              const TurnStreamLimits& limits);
  // Stops the reaper. The server must have shut down first (no reactors).
  ~TurnStreams();
  TurnStreams(const TurnStreams&) = delete;
  TurnStreams& operator=(const TurnStreams&) = delete;

  // A reactor for a new StreamTurns call (it deletes itself when done).
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Open(
      grpc::CallbackServerContext* context);

  int64_t open_streams() const;

 private:
  friend class TurnStreamReactor;
  void Closed(TurnStreamReactor* reactor);
  void ReapIdle();

  CaptureService* const service_;
  CallPolicy* const policy_;
  const TurnStreamLimits limits_;
  mutable Mutex mu_;
  absl::flat_hash_set<TurnStreamReactor*> open_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread reaper_;
};

// Answers one turn as StreamTurns and RecordTurn both do: charges the
// caller's rates, then records it. Shared by the unary and stream paths;
// `done` runs as CaptureService::RecordTurnAsync says.
void RecordTurnForCaller(CaptureService* service, CallPolicy* policy,
                         const Caller& caller, const v1::Turn& turn,
                         CaptureService::RecordTurnDone done);
// The same, waiting for the answer (the synchronous gRPC API).
absl::StatusOr<v1::RecordTurnResponse> RecordTurnForCaller(
    CaptureService* service, CallPolicy* policy, const Caller& caller,
    const v1::Turn& turn);

}  // namespace ftcapture

#endif  // FTCAPTURE_SERVER_TURN_STREAM_H_
