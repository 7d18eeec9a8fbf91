#ifndef FTCAPTURE_SRC_SERVICE_ERASURE_H_
#define FTCAPTURE_SRC_SERVICE_ERASURE_H_

// The parts of DeleteExamples that need no service state: checking a
// request and matching examples against its selector.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "ftcapture/v1/capture.pb.h"

namespace ftcapture {

// At most this many ids in one request.
inline constexpr int kMaxDeleteIds = 10000;

// OK, or INVALID_ARGUMENT naming what is wrong: no selector (and no
// compact), an empty id list or id, an empty session id, a where without
// a key or a value, anything over the id size limit.
absl::Status ValidateDeleteRequest(const v1::DeleteExamplesRequest& request,
                                   size_t max_id_bytes);

// True when the example's metadata, or that of any turn it holds, has
// `key` with exactly `value`.
bool HasMetadata(const v1::Example& example, absl::string_view key,
                 absl::string_view value);

// True when `pair` (a preference pair) holds the reply `turn_id` of its
// session, as the preferred or the rejected one.
bool PairHoldsReply(const v1::Example& pair, absl::string_view turn_id);

// "ids a,b", "session S" or "where KEY" (never the value: it may be
// personal data), for the server log.
std::string DescribeSelector(const v1::DeleteExamplesRequest& request);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_SERVICE_ERASURE_H_
