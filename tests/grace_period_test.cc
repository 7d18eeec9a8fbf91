#include "src/util/grace_period.h"

#include <atomic>
#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace ftcapture {
namespace {

// Waits on its own thread; finished() tells whether WaitForEarlier returned.
class Waiter {
 public:
  explicit Waiter(GracePeriod* period)
      : thread_([this, period] {
          period->WaitForEarlier();
          finished_ = true;
        }) {}
  ~Waiter() { thread_.join(); }
  bool finished() const { return finished_; }
  // Long enough for a wait that should end to end on a loaded machine.
  bool FinishesSoon() const {
    for (int i = 0; i < 5000 && !finished_; ++i) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    return finished_;
  }

 private:
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

TEST(GracePeriodTest, WaitReturnsAtOnceWithNothingBegun) {
  GracePeriod period;
  period.WaitForEarlier();
  const GracePeriod::Ticket ticket = period.Begin();
  period.End(ticket);
  period.WaitForEarlier();
  EXPECT_EQ(period.active(), 0);
}

TEST(GracePeriodTest, WaitsUntilEveryEarlierOperationHasEnded) {
  GracePeriod period;
  const GracePeriod::Ticket first = period.Begin();
  const GracePeriod::Ticket second = period.Begin();
  Waiter waiter(&period);
  while (period.waiting() == 0) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_FALSE(waiter.finished());
  period.End(second);  // out of order: the first is still running
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_FALSE(waiter.finished());
  period.End(first);
  EXPECT_TRUE(waiter.FinishesSoon());
}

TEST(GracePeriodTest, DoesNotWaitForOperationsBegunAfterIt) {
  GracePeriod period;
  const GracePeriod::Ticket earlier = period.Begin();
  GracePeriod::Ticket later = 0;
  {
    Waiter waiter(&period);
    while (period.waiting() == 0) absl::SleepFor(absl::Milliseconds(1));
    later = period.Begin();
    period.End(earlier);
    EXPECT_TRUE(waiter.FinishesSoon());
  }
  EXPECT_EQ(period.active(), 1);
  period.End(later);
  EXPECT_EQ(period.active(), 0);
}

}  // namespace
}  // namespace ftcapture
