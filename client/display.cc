#include "client/display.h"

#include "absl/time/time.h"
#include "src/util/proto_time.h"

namespace ftcapture {

std::string TimestampText(const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", FromProtoTime(time),
                          absl::UTCTimeZone());
}

std::string OneLine(absl::string_view text, size_t max_chars) {
  std::string line;
  line.reserve(text.size());
  for (char c : text) line.push_back(c == '\n' || c == '\r' ? ' ' : c);
  if (line.size() > max_chars && max_chars > 3) {
    // Do not cut a UTF-8 sequence in half.
    size_t cut = max_chars - 3;
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    line = line.substr(0, cut) + "...";
  }
  return line;
}

void PrintReadWarnings(const v1::Example& example,
                       const std::vector<std::string>& local,
                       std::ostream& err) {
  for (const std::string& warning : example.read_warnings()) {
    err << "warning: example " << example.id() << ": " << warning << "\n";
  }
  for (const std::string& warning : local) {
    err << "warning: example " << example.id() << ": " << warning << "\n";
  }
}

const char* LabelName(v1::Label label) {
  switch (label) {
    case v1::LABEL_POSITIVE:
      return "positive";
    case v1::LABEL_NEGATIVE:
      return "negative";
    default:
      return "-";
  }
}

const char* ReviewStatusName(v1::ReviewStatus status) {
  switch (status) {
    case v1::REVIEW_STATUS_PENDING:
      return "pending";
    case v1::REVIEW_STATUS_APPROVED:
      return "approved";
    case v1::REVIEW_STATUS_REJECTED:
      return "rejected";
    default:
      return "-";
  }
}

}  // namespace ftcapture
