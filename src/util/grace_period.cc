#include "src/util/grace_period.h"

namespace ftcapture {

GracePeriod::Ticket GracePeriod::Begin() {
  MutexLock lock(&mu_);
  const Ticket ticket = next_++;
  active_.insert(ticket);
  return ticket;
}

void GracePeriod::End(Ticket ticket) {
  MutexLock lock(&mu_);
  active_.erase(ticket);
  ended_.SignalAll();
}

void GracePeriod::WaitForEarlier() {
  MutexLock lock(&mu_);
  const Ticket first_later = next_;
  ++waiting_;
  while (!active_.empty() && *active_.begin() < first_later) {
    ended_.Wait(&mu_);
  }
  --waiting_;
}

int64_t GracePeriod::active() const {
  MutexLock lock(&mu_);
  return static_cast<int64_t>(active_.size());
}

int64_t GracePeriod::waiting() const {
  MutexLock lock(&mu_);
  return waiting_;
}

}  // namespace ftcapture
