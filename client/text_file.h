#ifndef FTCAPTURE_CLIENT_TEXT_FILE_H_
#define FTCAPTURE_CLIENT_TEXT_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace ftcapture {

// The whole contents of `path`, or of stdin for "-". NotFound names the
// path when it cannot be read.
absl::StatusOr<std::string> ReadTextFile(const std::string& path);

}  // namespace ftcapture

#endif  // FTCAPTURE_CLIENT_TEXT_FILE_H_
