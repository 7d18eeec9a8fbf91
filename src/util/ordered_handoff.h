#ifndef FTCAPTURE_SRC_UTIL_ORDERED_HANDOFF_H_
#define FTCAPTURE_SRC_UTIL_ORDERED_HANDOFF_H_

#include <deque>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "src/util/mutex.h"

namespace ftcapture {

// Hands items from one producer to a consumer thread in batches, in order,
// so that a sequential read (the producer) and what is done with each item
// (`consume`) run on two cores at once. At most `max_batches` full batches
// wait, bounding memory. Finish() (or the destructor) delivers the rest and
// joins the consumer; `consume` runs only on the consumer thread.
template <typename T>
class OrderedHandoff {
 public:
  explicit OrderedHandoff(std::function<void(T&)> consume,
                          size_t batch_size = 512, size_t max_batches = 8)
      : consume_(std::move(consume)),
        batch_size_(batch_size),
        max_batches_(max_batches),
        consumer_([this] { Run(); }) {
    current_.reserve(batch_size_);
  }
  OrderedHandoff(const OrderedHandoff&) = delete;
  OrderedHandoff& operator=(const OrderedHandoff&) = delete;
  ~OrderedHandoff() { Finish(); }

  void Push(T item) {
    current_.push_back(std::move(item));
    if (current_.size() >= batch_size_) Flush();
  }

  // Waits until every pushed item was consumed.
  void Finish() {
    if (!consumer_.joinable()) return;
    Flush();
    {
      MutexLock lock(&mu_);
      done_ = true;
    }
    changed_.SignalAll();
    consumer_.join();
  }

 private:
  void Flush() {
    if (current_.empty()) return;
    MutexLock lock(&mu_);
    while (queue_.size() >= max_batches_) changed_.Wait(&mu_);
    queue_.push_back(std::move(current_));
    current_ = std::vector<T>();
    current_.reserve(batch_size_);
    changed_.SignalAll();
  }

  void Run() {
    while (true) {
      std::vector<T> batch;
      {
        MutexLock lock(&mu_);
        while (queue_.empty() && !done_) changed_.Wait(&mu_);
        if (queue_.empty()) return;
        batch = std::move(queue_.front());
        queue_.pop_front();
      }
      changed_.SignalAll();
      for (T& item : batch) consume_(item);
    }
  }

  const std::function<void(T&)> consume_;
  const size_t batch_size_;
  const size_t max_batches_;
  std::vector<T> current_;  // producer-only
  Mutex mu_;
  CondVar changed_;
  std::deque<std::vector<T>> queue_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::thread consumer_;  // last: starts once the rest is constructed
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_UTIL_ORDERED_HANDOFF_H_
