#include "src/util/drain_gate.h"

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/util/mutex.h"

namespace ftcapture {
namespace {

using ::testing::ElementsAre;

// What happened, in order, across threads.
class Events {
 public:
  void Add(const std::string& event) {
    MutexLock lock(&mu_);
    events_.push_back(event);
  }
  std::vector<std::string> Get() {
    MutexLock lock(&mu_);
    return events_;
  }

 private:
  Mutex mu_;
  std::vector<std::string> events_ ABSL_GUARDED_BY(mu_);
};

// Runs an exclusive section (which records "section") on a thread of its
// own, and gives it every chance to run too early.
std::thread SectionOnAnotherThread(DrainGate* gate, Events* events) {
  std::thread section([gate, events] {
    gate->RunExclusive([events] { events->Add("section"); });
  });
  absl::SleepFor(absl::Milliseconds(50));
  return section;
}

TEST(DrainGateTest, OperationsStartAtOnceOnTheCallingThread) {
  DrainGate gate;
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id ran_on;
  gate.Enter([&] { ran_on = std::this_thread::get_id(); });
  gate.Enter([] {});
  EXPECT_EQ(ran_on, caller);
  EXPECT_EQ(gate.in_flight(), 2);
  gate.Leave();
  gate.Leave();
  EXPECT_EQ(gate.in_flight(), 0);
}

TEST(DrainGateTest, SectionRunsOnlyOnceOperationsInFlightHaveLeft) {
  DrainGate gate;
  Events events;
  gate.Enter([] {});
  std::thread section = SectionOnAnotherThread(&gate, &events);
  events.Add("left");
  gate.Leave();  // completes on another thread than the section's
  section.join();
  EXPECT_THAT(events.Get(), ElementsAre("left", "section"));
}

TEST(DrainGateTest, ArrivalsDuringASectionAreQueuedAndStartAfterIt) {
  DrainGate gate;
  Events events;
  gate.RunExclusive([&] {
    // From the section's own thread: it must not wait (nor deadlock).
    gate.Enter([&] {
      events.Add("queued operation");
      gate.Leave();
    });
    EXPECT_EQ(gate.in_flight(), 0);
    events.Add("section");
  });
  EXPECT_THAT(events.Get(), ElementsAre("section", "queued operation"));
  EXPECT_EQ(gate.in_flight(), 0);
}

// A completion that starts another operation while a section waits for
// it (a preference pair appended from its example's completion): the new
// one is queued, the completion finishes, the section runs, then the new
// operation.
TEST(DrainGateTest, OperationStartedFromACompletionDoesNotBlockTheSection) {
  DrainGate gate;
  Events events;
  gate.Enter([] {});
  std::thread section = SectionOnAnotherThread(&gate, &events);
  // The completion of the first operation, on this thread.
  gate.Enter([&] {
    events.Add("second operation");
    gate.Leave();
  });
  events.Add("first completed");
  gate.Leave();
  section.join();
  // The second started before the section only if the section had not yet
  // closed the gate; either way the section never ran with it in flight.
  const std::vector<std::string> got = events.Get();
  EXPECT_TRUE(got == std::vector<std::string>(
                         {"second operation", "first completed", "section"}) ||
              got == std::vector<std::string>(
                         {"first completed", "section", "second operation"}))
      << ::testing::PrintToString(got);
  EXPECT_EQ(gate.in_flight(), 0);
}

TEST(DrainGateTest, SectionsRunOneAtATime) {
  DrainGate gate;
  Mutex mu;
  int inside = 0;
  int most_inside = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 50; ++j) {
        gate.RunExclusive([&] {
          {
            MutexLock lock(&mu);
            most_inside = std::max(most_inside, ++inside);
          }
          std::this_thread::yield();
          MutexLock lock(&mu);
          --inside;
        });
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(most_inside, 1);
}

}  // namespace
}  // namespace ftcapture
