// The library's cost per turn, without gRPC: CaptureService::RecordTurn on
// the server benchmark's turn mix (bench/turn_mix.h) over 10 000 sessions,
// with and without the session journal, with and without redaction
// (--redact=default), and from several threads at once.
// Compare with what ftcapture-server spends per turn over the no-op server
// (docs/benchmarks.md): the difference is what the library's work costs the
// server beyond its own instructions (cache misses, allocation, scheduling).

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "bench/turn_mix.h"
#include "benchmark/benchmark.h"
#include "src/service/capture_service.h"
#include "src/service/input_checks.h"

namespace ftcapture {
namespace {

constexpr int kSessions = 10000;

// Shared by the threads of BM_RecordTurnThreads, made and destroyed around
// each run by Setup/Teardown.
CaptureService* g_service = nullptr;
std::string* g_dir = nullptr;

// A user turn and its reply for each of `sessions` sessions, named
// `prefix` and a number, from the server benchmark's turn mix.
std::vector<v1::Turn> MakeExchanges(int seed, int sessions,
                                    absl::string_view prefix) {
  bench::TurnMix mix(seed);
  std::vector<v1::Turn> turns(2 * sessions);
  for (int i = 0; i < sessions; ++i) {
    bool praise = false;
    const std::string session = absl::StrFormat("%s%05d", prefix, i);
    mix.MakeUserTurn(session, "", &turns[2 * i], &praise);
    mix.MakeAssistantTurn(session, "", &turns[2 * i + 1]);
  }
  return turns;
}

void SetUpSharedService(const benchmark::State&) {
  char dir_template[] = "/tmp/ftcapture-capture-bench-XXXXXX";
  g_dir = new std::string(mkdtemp(dir_template));
  CaptureService::Options options;
  options.data_dir = *g_dir;
  options.sync = SyncPolicy::kNone;
  options.log = [](const std::string&) {};
  auto service = CaptureService::Open(options, nullptr);
  if (!service.ok()) std::abort();
  g_service = service->release();
}

void TearDownSharedService(const benchmark::State&) {
  delete g_service;
  g_service = nullptr;
  std::system(absl::StrCat("rm -rf '", *g_dir, "'").c_str());
  delete g_dir;
}

void BM_RecordTurnThreads(benchmark::State& state) {
  std::vector<v1::Turn> turns =
      MakeExchanges(state.thread_index() + 1, kSessions / state.threads(),
                    absl::StrCat("s", state.thread_index(), "-"));
  int64_t next = 0;
  for (auto _ : state) {
    v1::Turn& turn = turns[next % turns.size()];
    turn.set_turn_id(absl::StrCat("t", next++));
    auto response = g_service->RecordTurn(turn);
    benchmark::DoNotOptimize(response);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordTurnThreads)
    ->Setup(SetUpSharedService)
    ->Teardown(TearDownSharedService)
    ->Threads(1)
    ->Threads(2)
    ->Threads(8)
    ->UseRealTime();

void BM_RecordTurn(benchmark::State& state) {
  const bool journal = state.range(0) != 0;
  const bool redact = state.range(1) != 0;
  char dir_template[] = "/tmp/ftcapture-capture-bench-XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  CaptureService::Options options;
  options.data_dir = dir;
  options.sync = SyncPolicy::kNone;
  options.journal_sessions = journal;
  options.redact_default = redact;
  options.log = [](const std::string&) {};
  auto service = CaptureService::Open(options, nullptr);
  if (!service.ok()) {
    state.SkipWithError(std::string(service.status().message()).c_str());
    return;
  }
  // Pre-made turns, so the loop times RecordTurn alone.
  std::vector<v1::Turn> turns = MakeExchanges(1, kSessions, "s");
  int64_t next = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    v1::Turn& turn = turns[next % turns.size()];
    turn.set_turn_id(absl::StrCat("t", next++));
    bytes += turn.ByteSizeLong();
    auto response = (*service)->RecordTurn(turn);
    benchmark::DoNotOptimize(response);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
  service->reset();
  std::system(absl::StrCat("rm -rf '", dir, "'").c_str());
}
BENCHMARK(BM_RecordTurn)
    ->Args({1, 0})
    ->Args({1, 1})
    ->Args({0, 0})
    ->Args({0, 1})
    ->ArgNames({"journal", "redact"});

// The input checks every turn passes before anything else (UTF-8, control
// characters, timestamps), alone: they read every byte of the turn.
// range(0): 1 = CheckTurnInput (fields read directly, what RecordTurn
// runs), 0 = CheckClientInput (the reflective walk it falls back on).
void BM_CheckTurnInput(benchmark::State& state) {
  const bool direct = state.range(0) != 0;
  const std::vector<v1::Turn> turns = MakeExchanges(1, 1000, "s");
  int64_t next = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    const v1::Turn& turn = turns[next++ % turns.size()];
    bytes += turn.ByteSizeLong();
    absl::Status status =
        direct ? CheckTurnInput(turn) : CheckClientInput(turn, "turn");
    if (!status.ok()) state.SkipWithError("a bench turn failed the checks");
    benchmark::DoNotOptimize(status);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_CheckTurnInput)->Arg(1)->Arg(0)->ArgName("direct");

// Whether a turn holds unknown fields (every turn asks before it is
// stored). range(0): 1 = TurnHasUnknownFields (what RecordTurn runs), 0 =
// HasUnknownFields (the reflective walk over Turn's descriptor).
void BM_TurnHasUnknownFields(benchmark::State& state) {
  const bool direct = state.range(0) != 0;
  const std::vector<v1::Turn> turns = MakeExchanges(1, 1000, "s");
  int64_t next = 0;
  for (auto _ : state) {
    const v1::Turn& turn = turns[next++ % turns.size()];
    const bool unknown =
        direct ? TurnHasUnknownFields(turn) : HasUnknownFields(turn);
    if (unknown) state.SkipWithError("a bench turn has unknown fields");
    benchmark::DoNotOptimize(unknown);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TurnHasUnknownFields)->Arg(1)->Arg(0)->ArgName("direct");

}  // namespace
}  // namespace ftcapture

BENCHMARK_MAIN();
