#include "src/util/drain_gate.h"

#include <utility>

namespace ftcapture {

void DrainGate::Enter(Operation operation) {
  {
    MutexLock lock(&mu_);
    if (exclusive_) {
      queued_.push_back(std::move(operation));
      return;
    }
    ++in_flight_;
  }
  std::move(operation)();
}

void DrainGate::Leave() {
  MutexLock lock(&mu_);
  if (--in_flight_ == 0) drained_.SignalAll();
}

void DrainGate::RunExclusive(absl::FunctionRef<void()> section) {
  {
    MutexLock lock(&mu_);
    while (exclusive_) opened_.Wait(&mu_);
    exclusive_ = true;
    while (in_flight_ > 0) drained_.Wait(&mu_);
  }
  section();
  std::vector<Operation> queued;
  {
    MutexLock lock(&mu_);
    exclusive_ = false;
    queued.swap(queued_);
    opened_.SignalAll();
  }
  // In arrival order; one that meets a later section is queued again.
  for (Operation& operation : queued) Enter(std::move(operation));
}

int64_t DrainGate::in_flight() const {
  MutexLock lock(&mu_);
  return in_flight_;
}

}  // namespace ftcapture
