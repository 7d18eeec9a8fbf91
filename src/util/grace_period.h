// Lets one thread wait for the operations other threads began before it
// asked, and only for those: the wait cannot be starved by operations that
// keep beginning. The capture service uses it so that erasing a session
// includes the captures that had already read the session's window when the
// erasure dropped it (their examples are still being written).

#ifndef FTCAPTURE_SRC_UTIL_GRACE_PERIOD_H_
#define FTCAPTURE_SRC_UTIL_GRACE_PERIOD_H_

#include <cstdint>

#include "absl/container/btree_set.h"
#include "src/util/mutex.h"

namespace ftcapture {

// Invariants (under `mu_`): `active_` holds the ticket of every operation
// begun and not yet ended; tickets are handed out in increasing order from
// `next_`, so the operations begun before a given moment are exactly those
// with a ticket below `next_` as it was then.
class GracePeriod {
 public:
  using Ticket = uint64_t;

  GracePeriod() = default;
  GracePeriod(const GracePeriod&) = delete;
  GracePeriod& operator=(const GracePeriod&) = delete;

  // Marks an operation begun; pass the ticket to End() exactly once, from
  // any thread.
  Ticket Begin();
  void End(Ticket ticket);

  // Waits until every operation whose Begin() returned before this call
  // has ended. Must not be called from inside such an operation.
  void WaitForEarlier();

  // Operations begun and not yet ended, and threads in WaitForEarlier (for
  // tests).
  int64_t active() const;
  int64_t waiting() const;

 private:
  mutable Mutex mu_;
  CondVar ended_;
  Ticket next_ ABSL_GUARDED_BY(mu_) = 0;
  absl::btree_set<Ticket> active_ ABSL_GUARDED_BY(mu_);
  int64_t waiting_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_UTIL_GRACE_PERIOD_H_
