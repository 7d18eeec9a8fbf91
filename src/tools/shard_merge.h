// Working across replicas: every replica (shard) of ftcapture keeps its own
// data dir, and an example lives in exactly one of them. These merge what
// the shards hold into one view, by example id.

#ifndef FTCAPTURE_SRC_TOOLS_SHARD_MERGE_H_
#define FTCAPTURE_SRC_TOOLS_SHARD_MERGE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ftcapture/v1/capture.pb.h"

namespace ftcapture {

class Env;

// A source of examples in capture-time order (oldest first, as
// ExportExamples streams them): fills `*example` and returns true, returns
// false once done, or an error.
using ExampleStream = std::function<absl::StatusOr<bool>(v1::Example*)>;

// Interleaves `streams` by capture time (ties: the earlier stream first) and
// calls `emit` once per example id: an id seen again is skipped and counted
// in `*duplicates` (optional). Stops at the first error of a stream or of
// `emit`. Holds one example per stream and the ids seen.
absl::Status MergeExampleStreams(
    std::vector<ExampleStream> streams,
    const std::function<absl::Status(const v1::Example&)>& emit,
    int64_t* duplicates = nullptr);

// Reads the examples of a data dir offline, without a server (it need not be
// stopped: the dataset is append-only and a half-written tail is left
// out): those passing `request`'s filters, oldest first, with the review
// decisions of reviews.tfrecord applied as the server applies them. Keeps
// only offsets and filter fields in memory; examples are read one at a time.
absl::StatusOr<ExampleStream> OpenDataDirStream(
    Env* env, const std::string& data_dir,
    const v1::ExportExamplesRequest& request);

// One GetStatsResponse for several shards: counters and sizes added up,
// per-day counts merged by date, the 5 newest recent examples of all (each
// id once), first/last example and start time the extremes.
v1::GetStatsResponse MergeStats(const std::vector<v1::GetStatsResponse>& all);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_TOOLS_SHARD_MERGE_H_
