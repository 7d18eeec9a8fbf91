// Memory of conversation history: fills 10 000 live sessions with 8
// exchanges each (the realistic turn mix of bench/turn_mix.h: 40-300 byte
// user turns, 100-800 byte replies with a 2-4 KB system prompt and 3-8
// memories, praise on 2%) through CaptureService, as the server would with
// the default --history_turns=8, and prints the process's RSS before and
// after. docs/benchmarks.md records the figures.
//
//   build/bench/history_rss [--sessions=10000] [--exchanges=8] [--data_dir=D]

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "bench/turn_mix.h"
#include "src/service/capture_service.h"

ABSL_FLAG(int, sessions, 10000, "live sessions");
ABSL_FLAG(int, exchanges, 8, "exchanges (user turn + reply) per session");
ABSL_FLAG(std::string, data_dir, "/tmp/ftcapture-history-rss",
          "scratch data directory (emptied first)");

namespace {

// A "VmRSS:" / "VmHWM:" line of /proc/self/status in MiB, or -1.
double StatusMiB(absl::string_view key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, key)) continue;
    rest = absl::StripSuffix(absl::StripAsciiWhitespace(rest), "kB");
    int64_t kb = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(rest), &kb)) {
      return kb / 1024.0;
    }
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int sessions = absl::GetFlag(FLAGS_sessions);
  const int exchanges = absl::GetFlag(FLAGS_exchanges);
  const std::string dir = absl::GetFlag(FLAGS_data_dir);
  std::system(absl::StrCat("rm -rf '", dir, "'").c_str());

  ftcapture::CaptureService::Options options;
  options.data_dir = dir;
  options.sync = ftcapture::SyncPolicy::kNone;
  options.max_sessions = sessions * 2;
  options.log = [](const std::string&) {};
  auto service = ftcapture::CaptureService::Open(options, nullptr);
  if (!service.ok()) {
    std::fprintf(stderr, "%s\n", service.status().ToString().c_str());
    return 1;
  }
  ftcapture::bench::TurnMix mix(/*seed=*/12);
  const double before = StatusMiB("VmRSS:");
  const absl::Time start = absl::Now();
  int64_t turns = 0, examples = 0;
  // Round by round, as live conversations interleave.
  for (int round = 0; round < exchanges; ++round) {
    for (int s = 0; s < sessions; ++s) {
      const std::string session = absl::StrCat("session-", s);
      ftcapture::v1::Turn turn;
      bool praise = false;
      mix.MakeUserTurn(session, absl::StrCat("u", round), &turn, &praise);
      auto response = (*service)->RecordTurn(turn);
      if (!response.ok()) return 1;
      examples += !response->example_id().empty();
      turn.Clear();
      mix.MakeAssistantTurn(session, absl::StrCat("a", round), &turn);
      if (!(*service)->RecordTurn(turn).ok()) return 1;
      turns += 2;
    }
  }
  const double after = StatusMiB("VmRSS:");
  auto stats = (*service)->GetStats();
  std::printf(
      "%d sessions x %d exchanges (%lld turns, %lld examples) in %s: "
      "RSS %.1f MB before, %.1f MB after (+%.1f MB, %.1f KB/session), "
      "peak %.1f MB, live sessions %lld\n",
      sessions, exchanges, static_cast<long long>(turns),
      static_cast<long long>(examples),
      absl::FormatDuration(absl::Now() - start).c_str(), before, after,
      after - before, (after - before) * 1024 / sessions, StatusMiB("VmHWM:"),
      static_cast<long long>(stats.ok() ? stats->live_sessions() : -1));
  service->reset();
  std::system(absl::StrCat("rm -rf '", dir, "'").c_str());
  return 0;
}
