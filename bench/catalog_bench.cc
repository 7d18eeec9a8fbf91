// ftcapture-catalog-bench: the example catalog at a million examples.
//  1. `ftcapture list --all`: every page by cursor, at each --sizes count;
//     the time should grow linearly with the count (O(page size) per page).
//  2. GetStats latency (p50/p99/max) on the largest catalog, idle and while
//     --capture_threads threads add examples as captures do (ClaimReply,
//     then Add; the store append between them is left out, so the catalog
//     lock sees more traffic than a real server gives it).
// The catalog is the library-level ExampleCatalog the server's
// ListExamples and GetStats call; reading each listed example back from the
// dataset (linear too) is not measured here.
//
//   ftcapture-catalog-bench --sizes=250000,500000,1000000

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "src/service/example_catalog.h"

ABSL_FLAG(std::string, sizes, "250000,500000,1000000",
          "catalog sizes to list, comma-separated");
ABSL_FLAG(std::vector<std::string>, page_sizes,
          std::vector<std::string>({"50", "1000"}),
          "page sizes to list with (50: the CLI's default, 1000: the most)");
ABSL_FLAG(int, capture_threads, 2, "threads adding examples during GetStats");
ABSL_FLAG(double, stats_seconds, 2.0, "how long to call GetStats each time");

namespace ftcapture {
namespace {

// Adds example number `i` the way a capture or the recovery scan does.
void AddExample(ExampleCatalog* catalog, int64_t i, absl::Time base) {
  const std::string id = absl::StrFormat("ex-%016x", i * 0x9e3779b97f4a7c15u);
  const std::string session = absl::StrFormat("sess-%07d", i / 4);
  const std::string reply = absl::StrCat("a", i);
  const std::string praise = absl::StrCat("p", i);
  ExampleSummaryView view;
  view.id = id;
  view.session_id = session;
  view.assistant_turn_id = reply;
  view.has_praise_turn = true;
  view.praise_turn_id = praise;
  // 60 days of captures, a few seconds apart.
  view.captured_at = base + absl::Seconds(5 * i);
  view.label = i % 10 == 9 ? v1::LABEL_NEGATIVE : v1::LABEL_POSITIVE;
  view.source = v1::SOURCE_IMPLICIT;
  view.status = v1::REVIEW_STATUS_PENDING;
  catalog->Add(view, static_cast<uint64_t>(i) * 4096);
}

void Fill(ExampleCatalog* catalog, int64_t from, int64_t to, absl::Time base) {
  for (int64_t i = from; i < to; ++i) AddExample(catalog, i, base);
}

// Every page by cursor; the number of entries seen.
int64_t ListAll(const ExampleCatalog& catalog, v1::ReviewStatus status,
                v1::Label label, int page_size) {
  int64_t seen = 0;
  std::string token;
  do {
    absl::StatusOr<ExampleCatalog::Page> page =
        catalog.List(status, label, token, page_size);
    if (!page.ok()) {
      std::fprintf(stderr, "List: %s\n", page.status().ToString().c_str());
      std::exit(1);
    }
    seen += static_cast<int64_t>(page->entries.size());
    token = page->next_page_token;
  } while (!token.empty());
  return seen;
}

void BenchListAll(ExampleCatalog* catalog, const std::vector<int64_t>& sizes,
                  absl::Time base) {
  std::printf("list --all (every page by cursor)\n");
  std::printf("%10s %6s %-14s %10s %12s\n", "examples", "page", "filter", "ms",
              "ns/example");
  for (int64_t size : sizes) {
    Fill(catalog, catalog->size(), size, base);
    for (const std::string& page_text : absl::GetFlag(FLAGS_page_sizes)) {
      int page_size = 0;
      if (!absl::SimpleAtoi(page_text, &page_size) || page_size <= 0) {
        std::fprintf(stderr, "bad page size %s\n", page_text.c_str());
        std::exit(2);
      }
      struct Filter {
        const char* name;
        v1::ReviewStatus status;
        v1::Label label;
        int64_t expected;
      };
      const Filter filters[] = {
          {"all", v1::REVIEW_STATUS_UNSPECIFIED, v1::LABEL_UNSPECIFIED, size},
          {"label=neg", v1::REVIEW_STATUS_UNSPECIFIED, v1::LABEL_NEGATIVE,
           size / 10}};
      for (const Filter& filter : filters) {
        const absl::Time start = absl::Now();
        const int64_t seen =
            ListAll(*catalog, filter.status, filter.label, page_size);
        const absl::Duration took = absl::Now() - start;
        if (seen != filter.expected) {
          std::fprintf(stderr, "listed %lld of %lld\n",
                       static_cast<long long>(seen),
                       static_cast<long long>(filter.expected));
          std::exit(1);
        }
        std::printf(
            "%10lld %6d %-14s %10.1f %12.1f\n", static_cast<long long>(size),
            page_size, filter.name, absl::ToDoubleMilliseconds(took),
            absl::ToDoubleNanoseconds(took) / std::max<int64_t>(seen, 1));
      }
    }
  }
}

absl::Duration Percentile(std::vector<absl::Duration>* sorted, double p) {
  const size_t at =
      std::min(sorted->size() - 1, static_cast<size_t>(p * sorted->size()));
  return (*sorted)[at];
}

// GetStats latency for --stats_seconds with `threads` adding examples.
void BenchGetStats(ExampleCatalog* catalog, int threads, absl::Time base) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> next{catalog->size()};
  std::atomic<int64_t> added{0};
  std::vector<std::thread> capturers;
  for (int t = 0; t < threads; ++t) {
    capturers.emplace_back([&] {
      std::string reason;
      while (!stop.load(std::memory_order_relaxed)) {
        const int64_t i = next.fetch_add(1);
        const std::string session = absl::StrFormat("sess-%07d", i / 4);
        const std::string reply = absl::StrCat("a", i);
        if (!catalog->ClaimReply(session, reply, &reason)) continue;
        AddExample(catalog, i, base);
        added.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::vector<absl::Duration> latencies;
  const absl::Time start = absl::Now();
  const absl::Time end =
      start + absl::Seconds(absl::GetFlag(FLAGS_stats_seconds));
  int64_t checksum = 0;
  while (absl::Now() < end) {
    const absl::Time before = absl::Now();
    ExampleCatalog::Stats stats = catalog->GetStats();
    latencies.push_back(absl::Now() - before);
    checksum += stats.total + static_cast<int64_t>(stats.per_day.size());
  }
  stop = true;
  for (std::thread& thread : capturers) thread.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::sort(latencies.begin(), latencies.end());
  std::printf("%8d %10lld %10zu %9.1f %9.1f %9.1f %12.0f\n", threads,
              static_cast<long long>(catalog->size()), latencies.size(),
              absl::ToDoubleMicroseconds(Percentile(&latencies, 0.5)),
              absl::ToDoubleMicroseconds(Percentile(&latencies, 0.99)),
              absl::ToDoubleMicroseconds(latencies.back()),
              added.load() / seconds);
  if (checksum == 0) std::printf("(no stats)\n");
}

int Run(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::vector<int64_t> sizes;
  for (absl::string_view text :
       absl::StrSplit(absl::GetFlag(FLAGS_sizes), ',', absl::SkipEmpty())) {
    int64_t size = 0;
    if (!absl::SimpleAtoi(text, &size) || size <= 0) {
      std::fprintf(stderr, "--sizes: bad size '%s'\n",
                   std::string(text).c_str());
      return 2;
    }
    sizes.push_back(size);
  }
  std::sort(sizes.begin(), sizes.end());
  if (sizes.empty()) return 2;

  const absl::Time base = absl::Now() - absl::Hours(24 * 60);
  ExampleCatalog catalog;
  catalog.Reserve(static_cast<size_t>(sizes.back()));
  BenchListAll(&catalog, sizes, base);

  std::printf("\nGetStats while captures add examples (%lld at start)\n",
              static_cast<long long>(catalog.size()));
  std::printf("%8s %10s %10s %9s %9s %9s %12s\n", "threads", "examples",
              "calls", "p50 us", "p99 us", "max us", "captures/s");
  BenchGetStats(&catalog, 0, base);
  BenchGetStats(&catalog, absl::GetFlag(FLAGS_capture_threads), base);
  return 0;
}

}  // namespace
}  // namespace ftcapture

int main(int argc, char** argv) { return ftcapture::Run(argc, argv); }
