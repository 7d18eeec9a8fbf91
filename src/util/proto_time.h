#ifndef FTCAPTURE_SRC_UTIL_PROTO_TIME_H_
#define FTCAPTURE_SRC_UTIL_PROTO_TIME_H_

#include <string>

#include "absl/time/time.h"
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

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_UTIL_PROTO_TIME_H_
