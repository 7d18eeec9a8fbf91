// ftcapture-compaction-bench: the speed of compaction (src/storage/
// compaction.h) on a data dir, e.g. one of ftcapture-make-dataset:
// tombstones --delete_share of its examples spread evenly over the file,
// then times CompactDataDir (read every record, rewrite the dataset, the
// index, the reviews and the Markdown, fsync, switch) and the store's open
// on the result (what the server does right after).
//
//   ftcapture-make-dataset --data_dir=/tmp/big --examples=1000000
//   ftcapture-compaction-bench --data_dir=/tmp/big --delete_share=0.01
//
// The data dir is changed: the deleted examples are gone afterwards.

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "src/storage/compaction.h"
#include "src/storage/example_store.h"
#include "src/util/env.h"

ABSL_FLAG(std::string, data_dir, "", "the data dir to compact (changed!)");
ABSL_FLAG(double, delete_share, 0.01,
          "share of the examples to delete, spread evenly over the file");

namespace ftcapture {
namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "compaction-bench: %s\n", status.ToString().c_str());
  return 1;
}

int Run(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string dir = absl::GetFlag(FLAGS_data_dir);
  const double share = absl::GetFlag(FLAGS_delete_share);
  if (dir.empty() || !(share > 0 && share < 1)) {
    std::fprintf(stderr,
                 "compaction-bench: --data_dir and --delete_share in (0, 1) "
                 "are required\n");
    return 2;
  }
  ExampleStore::Options options;
  options.data_dir = dir;
  std::vector<std::pair<uint64_t, std::string>> records;
  absl::Time start = absl::Now();
  {
    auto store = ExampleStore::Open(
        Env::Default(), options,
        [&records](uint64_t offset, const ExampleSummaryView& summary) {
          records.emplace_back(offset, std::string(summary.id));
        },
        nullptr);
    if (!store.ok()) return Fail(store.status());
    const size_t every = static_cast<size_t>(1 / share);
    std::vector<v1::Tombstone> tombstones;
    for (size_t i = every / 2; i < records.size(); i += every) {
      v1::Tombstone& tombstone = tombstones.emplace_back();
      tombstone.set_example_id(records[i].second);
      tombstone.set_offset(records[i].first);
    }
    absl::Status deleted = (*store)->Delete(tombstones);
    if (!deleted.ok()) return Fail(deleted);
    absl::PrintF("open + tombstone %d of %d examples: %.1f s\n",
                 tombstones.size(), records.size(),
                 absl::ToDoubleSeconds(absl::Now() - start));
  }
  auto result = CompactDataDir(Env::Default(), dir, CompactionOptions());
  if (!result.ok()) return Fail(result.status());
  const double seconds = absl::ToDoubleSeconds(result->elapsed);
  const int64_t examples = result->kept + result->removed;
  absl::PrintF(
      "compaction: %d examples read, %d removed, %d kept; dataset %.1f MB -> "
      "%.1f MB\n"
      "            %.1f s total, %.0f examples/s, %.1f MB/s of dataset read\n",
      examples, result->removed, result->kept, result->bytes_before / 1e6,
      result->bytes_after / 1e6, seconds, examples / seconds,
      result->bytes_before / 1e6 / seconds);
  start = absl::Now();
  RecoveryReport report;
  auto reopened = ExampleStore::Open(Env::Default(), options, nullptr, &report);
  if (!reopened.ok()) return Fail(reopened.status());
  absl::PrintF("reopen after compaction: %.1f s (%s)\n",
               absl::ToDoubleSeconds(absl::Now() - start), report.ToString());
  return 0;
}

}  // namespace
}  // namespace ftcapture

int main(int argc, char** argv) { return ftcapture::Run(argc, argv); }
