#ifndef FTCAPTURE_SRC_UTIL_WIRE_FORMAT_H_
#define FTCAPTURE_SRC_UTIL_WIRE_FORMAT_H_

#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"

namespace ftcapture {

// Protobuf wire format by hand, for the few places that splice serialized
// messages together instead of copying them through a parsed proto.

inline void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// A length-delimited field (string, bytes or message) numbered `field`.
inline void AppendLengthDelimited(int field, absl::string_view data,
                                  std::string* out) {
  AppendVarint((static_cast<uint64_t>(field) << 3) | 2, out);
  AppendVarint(data.size(), out);
  out->append(data.data(), data.size());
}

// Calls `visit` with the number and the whole encoding (tag, length, data)
// of each top-level field of the serialized message `message`, in order.
// False, after visiting the fields before it, at the first field that does
// not parse (a truncated one, a stray end of group, field number 0).
bool ForEachField(
    absl::string_view message,
    absl::FunctionRef<void(int field, absl::string_view encoded)> visit);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_UTIL_WIRE_FORMAT_H_
