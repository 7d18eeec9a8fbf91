#ifndef FTCAPTURE_SRC_TOOLS_FLAT_JSON_H_
#define FTCAPTURE_SRC_TOOLS_FLAT_JSON_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ftcapture {

// Reads one JSON object (RFC 8259, strict: no comments, no trailing commas,
// nesting at most 64 deep) and returns its top-level members in file order as
// (key, value) pairs: a string value decoded to its text, any other value as
// its JSON text with the whitespace between tokens removed (numbers keep
// their exact digits, e.g. 105 stays "105", 1.50 stays "1.50"; only "-0"
// reads "0"). Keys are decoded; strings inside nested values are re-escaped
// minimally. Parsed by nlohmann::json's SAX reader. A repeated key appears
// twice; the caller decides which wins. Anything else than one object, or
// invalid JSON: InvalidArgument naming the byte offset.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
FlattenJsonObject(absl::string_view json);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_TOOLS_FLAT_JSON_H_
