#ifndef FTCAPTURE_CLIENT_DISPLAY_H_
#define FTCAPTURE_CLIENT_DISPLAY_H_

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "ftcapture/v1/capture.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace ftcapture {

// Helpers the CLI commands share to show examples as text.

// "2024-05-01T12:00:00Z"; "-" for an unset timestamp.
std::string TimestampText(const google::protobuf::Timestamp& time);

// `text` on one line (newlines become spaces), cut to `max_chars` with "...".
std::string OneLine(absl::string_view text, size_t max_chars);

// Writes one "warning: example ID: ..." line to `err` for each of the
// example's read_warnings (set by the server) and of `local` (found while
// printing it).
void PrintReadWarnings(const v1::Example& example,
                       const std::vector<std::string>& local,
                       std::ostream& err);

// "positive" / "negative" / "-".
const char* LabelName(v1::Label label);
// "pending" / "approved" / "rejected" / "-".
const char* ReviewStatusName(v1::ReviewStatus status);

}  // namespace ftcapture

#endif  // FTCAPTURE_CLIENT_DISPLAY_H_
