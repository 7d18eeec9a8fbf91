#ifndef FTCAPTURE_CLIENT_REPLICAS_H_
#define FTCAPTURE_CLIENT_REPLICAS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/command.h"
#include "ftcapture/v1/capture.pb.h"
#include "src/tools/shard_merge.h"

namespace ftcapture {

// The servers a --server value names: one host:port, a comma-separated list
// ("a:50051,b:50051,c:50051"), or "@FILE" with one address per line (blank
// lines and # comments skipped). Each replica of a deployment holds its own
// examples, so commands that read the dataset ask all of them and merge.
// An empty list is a usage error.
absl::StatusOr<std::vector<std::string>> ParseServerList(
    absl::string_view value);

// `connection` with `server` as its address (TLS and token kept).
ServerConnection WithServer(const ServerConnection& connection,
                            const std::string& server);

// GetStats from every server of connection.server (a --server value),
// added up (MergeStats) when there are several.
absl::StatusOr<v1::GetStatsResponse> FetchStats(
    const ServerConnection& connection);

// The ExportExamples stream of connection.server (one address) as an
// ExampleStream; an RPC error (when the stream ends) names the server.
ExampleStream ServerExampleStream(const ServerConnection& connection,
                                  const v1::ExportExamplesRequest& request);

}  // namespace ftcapture

#endif  // FTCAPTURE_CLIENT_REPLICAS_H_
