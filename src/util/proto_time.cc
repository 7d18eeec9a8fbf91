#include "src/util/proto_time.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/descriptor.h"

namespace ftcapture {
namespace {

// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in Unix seconds.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;
constexpr int32_t kMaxNanos = 999999999;

void ClampTimestampsAt(google::protobuf::Message* message,
                       const std::string& path,
                       std::vector<std::string>* replaced);

// `timestamp` as the nearest valid one; a line for `replaced` when changed.
void ClampTimestamp(google::protobuf::Timestamp* timestamp,
                    const std::string& path,
                    std::vector<std::string>* replaced) {
  if (IsValidTimestamp(*timestamp)) return;
  const int64_t seconds = timestamp->seconds();
  const int32_t nanos = timestamp->nanos();
  if (seconds < kMinTimestampSeconds) {
    timestamp->set_seconds(kMinTimestampSeconds);
    timestamp->set_nanos(0);
  } else if (seconds > kMaxTimestampSeconds) {
    timestamp->set_seconds(kMaxTimestampSeconds);
    timestamp->set_nanos(kMaxNanos);
  } else {
    timestamp->set_nanos(std::clamp(nanos, 0, kMaxNanos));
  }
  replaced->push_back(absl::StrFormat(
      "%s: seconds %d, nanos %d is outside 0001-01-01..9999-12-31; shown as "
      "%s",
      path, seconds, nanos, Rfc3339(FromProtoTime(*timestamp))));
}

void ClampField(google::protobuf::Message* message,
                const google::protobuf::FieldDescriptor* field,
                const std::string& path, std::vector<std::string>* replaced) {
  const google::protobuf::Reflection* reflection = message->GetReflection();
  if (field->is_repeated()) {
    const int n = reflection->FieldSize(*message, field);
    for (int i = 0; i < n; ++i) {
      ClampTimestampsAt(reflection->MutableRepeatedMessage(message, field, i),
                        absl::StrCat(path, "[", i, "]"), replaced);
    }
  } else if (reflection->HasField(*message, field)) {
    ClampTimestampsAt(reflection->MutableMessage(message, field), path,
                      replaced);
  }
}

void ClampTimestampsAt(google::protobuf::Message* message,
                       const std::string& path,
                       std::vector<std::string>* replaced) {
  const google::protobuf::Descriptor* descriptor = message->GetDescriptor();
  if (descriptor->full_name() == "google.protobuf.Timestamp") {
    // Generated and dynamic Timestamps alike, through reflection.
    google::protobuf::Timestamp timestamp;
    timestamp.CopyFrom(*message);
    const size_t before = replaced->size();
    ClampTimestamp(&timestamp, path, replaced);
    if (replaced->size() != before) message->CopyFrom(timestamp);
    return;
  }
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    if (field->cpp_type() !=
        google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      continue;
    }
    // A map of scalars holds no Timestamp (and walking it would turn the
    // map into its repeated form).
    if (field->is_map() &&
        field->message_type()->map_value()->cpp_type() !=
            google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      continue;
    }
    const std::string field_path =
        path.empty() ? field->name() : absl::StrCat(path, ".", field->name());
    ClampField(message, field, field_path, replaced);
  }
}

}  // namespace

bool IsValidTimestamp(const google::protobuf::Timestamp& timestamp) {
  return timestamp.seconds() >= kMinTimestampSeconds &&
         timestamp.seconds() <= kMaxTimestampSeconds &&
         timestamp.nanos() >= 0 && timestamp.nanos() <= kMaxNanos;
}

absl::Status CheckTimestamp(const google::protobuf::Timestamp& timestamp,
                            absl::string_view field) {
  if (IsValidTimestamp(timestamp)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat(
      "%s (seconds %d, nanos %d) is outside the range a timestamp can hold: "
      "0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999999Z",
      field, timestamp.seconds(), timestamp.nanos()));
}

std::vector<std::string> ClampTimestamps(google::protobuf::Message* message) {
  std::vector<std::string> replaced;
  ClampTimestampsAt(message, "", &replaced);
  return replaced;
}

absl::Time FromProtoTime(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) +
         absl::Nanoseconds(timestamp.nanos());
}

google::protobuf::Timestamp ToProtoTime(absl::Time time) {
  google::protobuf::Timestamp timestamp;
  const int64_t seconds = absl::ToUnixSeconds(time);
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))));
  return timestamp;
}

std::string UtcDate(absl::Time time) {
  return absl::FormatTime("%Y-%m-%d", time, absl::UTCTimeZone());
}

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
}

}  // namespace ftcapture
