// Throughput of PraiseDetector::Detect with the built-in rules over a
// realistic message mix: mostly ordinary chat of 20-300 bytes, ~2% praise,
// and some messages that use praise words about something else.
//
//   cmake --build build --target detector_bench
//   ./build/bench/detector_bench --benchmark_min_time=2

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench/turn_mix.h"
#include "benchmark/benchmark.h"
#include "src/detect/praise_detector.h"

namespace ftcapture {
namespace {

const char* const kOrdinary[] = {
    "Can you hear me, buddy?",
    "Okay.",
    "Tell me about the radiator in the workshop.",
    "I'm going to mute you for a moment so the recording stays clean.",
    "What was the name of my cat and what breed was he?",
    "So I just plugged the line-in signal into the microphone for our "
    "recording, I'm not sure how it's going to work. Say something.",
    "Let's check the audio output and see how that sounds.",
    "Do you remember when we talked about the heater coil last week?",
    "Your right eye should flash while you're thinking and stay red while "
    "you're listening.",
    "I think I set up a race condition by mistake, the commands arrive out "
    "of order.",
    "Summarize the last thing you said in one sentence.",
    "Hmm.",
    "We'll look at that tomorrow, it's late.",
    "My new cats are called Pixel and Byte and they are both Cornish Rexes.",
    "Can you estimate how large your context is right now?",
    "I've got the fan on now. I'm just trying to see how well this is "
    "recording and whether the video looks good if I move around a bit.",
    "Please keep your answers to one sentence unless I ask for more.",
    "Why do you think your processing speed is slower today?",
    "No, you can't restart anything. Just sit there and give me moral "
    "support while I fix the power supply.",
    "Alright little Timmy, this is a test of the new microphone, you don't "
    "need to answer, just listen while I adjust the levels on the mixer and "
    "check that nothing clips when I talk loudly.",
    "Did you watch the video I sent you?",
    "The audible levels are within optimal range. No need to adjust.",
    "Let's take a break from the hot water heating coil and talk about how "
    "I'm using artificial intelligence to improve your artificial "
    "intelligence.",
    "What's my wife's name?",
};

// Praise words that are not praise of the reply.
const char* const kLookalikes[] = {
    "Good morning, Timmy.",
    "The weather is great today, we should test outside.",
    "Great, the recording stopped again.",
    "That's a great idea for a video, let's do it later.",
    "Was that a good response? I couldn't hear the end.",
};

const char* const kPraise[] = {
    "Good one, Timmy!",
    "That was an excellent response.",
    "Nailed it. Now tell me about the radiator.",
    "I'm so impressed with you.",
    "Great response, but keep the next one shorter.",
};

std::vector<std::string> MessageMix(size_t count) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> percent(0, 99);
  std::vector<std::string> messages;
  messages.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const int roll = percent(rng);
    if (roll < 2) {
      messages.emplace_back(kPraise[rng() % std::size(kPraise)]);
    } else if (roll < 5) {
      messages.emplace_back(kLookalikes[rng() % std::size(kLookalikes)]);
    } else {
      // One or two ordinary sentences: 5 to ~300 bytes.
      std::string message = kOrdinary[rng() % std::size(kOrdinary)];
      if (percent(rng) < 30) {
        message += " ";
        message += kOrdinary[rng() % std::size(kOrdinary)];
      }
      messages.push_back(std::move(message));
    }
  }
  return messages;
}

void RunOver(benchmark::State& state,
             const std::vector<std::string>& messages) {
  absl::StatusOr<std::unique_ptr<PraiseDetector>> detector =
      PraiseDetector::CreateFromFile(getenv("FTCAPTURE_BENCH_RULES")
                                         ? getenv("FTCAPTURE_BENCH_RULES")
                                         : "",
                                     "Timmy");
  if (!detector.ok()) {
    state.SkipWithError(std::string(detector.status().message()).c_str());
    return;
  }
  size_t bytes = 0;
  for (const std::string& message : messages) bytes += message.size();
  size_t praise = 0;
  for (auto _ : state) {
    for (const std::string& message : messages) {
      Verdict verdict = (*detector)->Detect(message);
      praise += verdict.kind == FeedbackKind::kPraise;
      benchmark::DoNotOptimize(verdict);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(
      static_cast<int64_t>(state.iterations() * messages.size()));
  // Per-thread figures: averaged over threads, not summed.
  state.counters["praise_share"] = benchmark::Counter(
      static_cast<double>(praise) /
          static_cast<double>(state.iterations() * messages.size()),
      benchmark::Counter::kAvgThreads);
  state.counters["avg_bytes"] = benchmark::Counter(
      static_cast<double>(bytes) / static_cast<double>(messages.size()),
      benchmark::Counter::kAvgThreads);
}

// The realistic mix: the figure that docs/benchmarks.md records.
void BM_DetectChatMix(benchmark::State& state) {
  static const std::vector<std::string>* const kMix =
      new std::vector<std::string>(MessageMix(10000));
  RunOver(state, *kMix);
}
BENCHMARK(BM_DetectChatMix);

// The user turns the server benchmark sends (bench/turn_mix.h): random
// plain words, 40-300 bytes, 2% praise. Less template-like than the chat
// mix, so the regexes' DFA meets many more states.
void BM_DetectLoadMix(benchmark::State& state) {
  static const std::vector<std::string>* const kMix = [] {
    auto* texts = new std::vector<std::string>();
    bench::TurnMix mix(1);
    v1::Turn turn;
    bool praise = false;
    for (int i = 0; i < 10000; ++i) {
      mix.MakeUserTurn("s", "t", &turn, &praise);
      texts->push_back(turn.text());
    }
    return texts;
  }();
  RunOver(state, *kMix);
}
// Real time: with threads, the rates are then for all threads together.
BENCHMARK(BM_DetectLoadMix)->Threads(1)->Threads(2)->Threads(16)->UseRealTime();

// Only messages that carry praise: the slow path (sentence splitting, rules,
// guards), for reference.
void BM_DetectPraiseOnly(benchmark::State& state) {
  static const std::vector<std::string>* const kOnly =
      new std::vector<std::string>(std::begin(kPraise), std::end(kPraise));
  RunOver(state, *kOnly);
}
BENCHMARK(BM_DetectPraiseOnly);

}  // namespace
}  // namespace ftcapture

BENCHMARK_MAIN();
