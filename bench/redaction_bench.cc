// The cost of redaction (--redact=default) per turn, on the server
// benchmark's turn mix (bench/turn_mix.h: user turns of 40-300 bytes,
// assistant turns with a 2-4 KB prompt and 3-8 memories), as the service
// pays it: a copy of the turn, then RedactTurn. BM_RecordTurn in
// capture_bench gives the turn's total with and without it.
//
//   cmake --build build --target redaction_bench
//   ./build/bench/redaction_bench --benchmark_min_time=1

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/turn_mix.h"
#include "benchmark/benchmark.h"
#include "src/privacy/proto_redaction.h"
#include "src/privacy/redactor.h"

namespace ftcapture {
namespace {

constexpr int kTurns = 2000;

// Every `pii_every`-th turn gets an e-mail address, a phone number and a
// card number appended (0: none).
std::vector<v1::Turn> MakeTurns(int pii_every) {
  bench::TurnMix mix(7);
  std::vector<v1::Turn> turns(kTurns);
  for (int i = 0; i < kTurns; ++i) {
    bool praise = false;
    const std::string session = absl::StrCat("s", i / 2);
    if (i % 2 == 0) {
      mix.MakeUserTurn(session, absl::StrCat("t", i), &turns[i], &praise);
    } else {
      mix.MakeAssistantTurn(session, absl::StrCat("t", i), &turns[i]);
    }
    if (pii_every > 0 && i % pii_every == 0) {
      turns[i].mutable_text()->append(
          " mail me at jane.roe@example.org or call +44 20 7946 0958, card "
          "4111 1111 1111 1111");
    }
  }
  return turns;
}

void BM_RedactTurn(benchmark::State& state) {
  auto redactor = Redactor::Default();
  if (!redactor.ok()) {
    state.SkipWithError(std::string(redactor.status().message()).c_str());
    return;
  }
  const std::vector<v1::Turn> turns = MakeTurns(state.range(0));
  int64_t next = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    const v1::Turn& original = turns[next++ % turns.size()];
    v1::Turn copy = original;
    RedactTurn(**redactor, &copy);
    bytes += original.ByteSizeLong();
    benchmark::DoNotOptimize(copy);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_RedactTurn)->Arg(0)->Arg(20)->Arg(1)->ArgName("pii_every");

// The copy alone, to tell it from the rules' work.
void BM_CopyTurn(benchmark::State& state) {
  const std::vector<v1::Turn> turns = MakeTurns(0);
  int64_t next = 0;
  for (auto _ : state) {
    v1::Turn copy = turns[next++ % turns.size()];
    benchmark::DoNotOptimize(copy);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CopyTurn);

}  // namespace
}  // namespace ftcapture

BENCHMARK_MAIN();
