#ifndef FTCAPTURE_SRC_UTIL_PROTO_TIME_H_
#define FTCAPTURE_SRC_UTIL_PROTO_TIME_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"

namespace ftcapture {

absl::Time FromProtoTime(const google::protobuf::Timestamp& timestamp);
google::protobuf::Timestamp ToProtoTime(absl::Time time);
// "2026-11-25", UTC.
std::string UtcDate(absl::Time time);
// RFC 3339 with microseconds, UTC: "2026-11-25T06:12:03.123456Z".
std::string Rfc3339(absl::Time time);
inline std::string Rfc3339(const google::protobuf::Timestamp& time) {
  return Rfc3339(FromProtoTime(time));
}

// The range of google.protobuf.Timestamp (0001-01-01T00:00:00Z to
// 9999-12-31T23:59:59.999999999Z, nanos in 0..999999999): what its JSON
// form, and so every JSON tool (buf curl, export, `list --json`), can hold.
bool IsValidTimestamp(const google::protobuf::Timestamp& timestamp);
// INVALID_ARGUMENT naming `field` unless IsValidTimestamp().
absl::Status CheckTimestamp(const google::protobuf::Timestamp& timestamp,
                            absl::string_view field);

// Replaces every Timestamp in `message` (nested messages, repeated fields
// and maps included) that is out of that range by the nearest valid one,
// so a stored record written before the range was checked still prints.
// Returns one line per replaced field ("assistant_turn.time: seconds
// 253402300800 is outside 0001-01-01..9999-12-31; shown as ...").
std::vector<std::string> ClampTimestamps(google::protobuf::Message* message);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_UTIL_PROTO_TIME_H_
