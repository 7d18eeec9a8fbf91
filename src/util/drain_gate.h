// A barrier between operations that complete asynchronously (on some other
// thread, later) and a section that must run while none of them is in
// flight: the capture service's appends, whose completions add the catalog
// entry on the example store's writer thread, and a compaction, which
// closes that store and moves every record.
//
// Why not a reader/writer lock: an operation would have to hold it from its
// start until its completion, across threads, and a completion that starts
// another operation (a preference pair appended after its example) would
// then wait on the lock while the section holding it joins the very thread
// the completion runs on. Here nobody waits to start: an operation that
// arrives during an exclusive section is queued and started after it.

#ifndef FTCAPTURE_SRC_UTIL_DRAIN_GATE_H_
#define FTCAPTURE_SRC_UTIL_DRAIN_GATE_H_

#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "src/util/mutex.h"

namespace ftcapture {

// Invariants (under `mu_`): `in_flight_` counts operations started and not
// yet Left; while `exclusive_`, no operation starts (arrivals wait in
// `queued_`), and the section itself runs only once `in_flight_` is 0.
class DrainGate {
 public:
  using Operation = absl::AnyInvocable<void() &&>;

  DrainGate() = default;
  DrainGate(const DrainGate&) = delete;
  DrainGate& operator=(const DrainGate&) = delete;

  // Starts `operation` now, on this thread, or, while an exclusive section
  // runs, queues it; it then starts on the section's thread right after
  // the section. Never waits. The operation must call Leave() exactly once,
  // from any thread, when it has completed.
  void Enter(Operation operation);
  void Leave();

  // Waits for an exclusive section already running, stops operations from
  // starting, waits until those in flight have left, runs `section`, then
  // starts the operations queued meanwhile. Must not be called from an
  // operation (it would wait for itself).
  void RunExclusive(absl::FunctionRef<void()> section);

  // Operations started and not yet left (for tests and metrics).
  int64_t in_flight() const;

 private:
  mutable Mutex mu_;
  CondVar drained_;  // in_flight_ reached 0
  CondVar opened_;   // an exclusive section ended
  int64_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool exclusive_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Operation> queued_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_UTIL_DRAIN_GATE_H_
