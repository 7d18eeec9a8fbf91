#ifndef FTCAPTURE_CLIENT_PROTO_JSON_H_
#define FTCAPTURE_CLIENT_PROTO_JSON_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ftcapture/v1/capture.pb.h"
#include "google/protobuf/message.h"

namespace ftcapture {

// `message` in protobuf's JSON mapping (lowerCamelCase names, enums by
// name), on one line unless `pretty`. Fields at their default value are
// left out unless `with_defaults`. A Timestamp JSON cannot hold (a record
// stored before times were checked) is printed as the nearest valid one and
// `*warnings` (when given) gets a line naming the field; any other failure
// to print is an error, never a truncated line.
absl::StatusOr<std::string> ToJson(
    const google::protobuf::Message& message, bool pretty = false,
    bool with_defaults = false, std::vector<std::string>* warnings = nullptr);

// A Turn from protobuf JSON: either the Turn itself ({"sessionId": ...}) or
// a RecordTurnRequest wrapping it ({"turn": {...}}), so what is typed for
// grpcurl works here too. Unknown fields are an error.
absl::StatusOr<v1::Turn> ParseTurnJson(absl::string_view json);

}  // namespace ftcapture

#endif  // FTCAPTURE_CLIENT_PROTO_JSON_H_
