#include "src/util/wire_format.h"

#include <cstddef>

namespace ftcapture {
namespace {

// Reads a varint at `*pos`, advancing it; false when it runs past the end
// or past 10 bytes.
bool ReadVarint(absl::string_view data, size_t* pos, uint64_t* value) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && *pos < data.size(); shift += 7) {
    const uint8_t byte = static_cast<uint8_t>(data[(*pos)++]);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

// Moves `*pos` past the value of a field of wire type `wire_type` that
// starts there; false when it does not fit or the type is a group's.
bool SkipValue(absl::string_view data, int wire_type, size_t* pos) {
  uint64_t size = 0;
  switch (wire_type) {
    case 0:
      return ReadVarint(data, pos, &size);
    case 1:
      size = 8;
      break;
    case 2:
      if (!ReadVarint(data, pos, &size)) return false;
      break;
    case 5:
      size = 4;
      break;
    default:
      return false;
  }
  if (size > data.size() - *pos) return false;
  *pos += size;
  return true;
}

}  // namespace

bool ForEachField(
    absl::string_view message,
    absl::FunctionRef<void(int field, absl::string_view encoded)> visit) {
  size_t pos = 0;
  while (pos < message.size()) {
    const size_t begin = pos;
    uint64_t tag = 0;
    if (!ReadVarint(message, &pos, &tag) || (tag >> 3) == 0 ||
        (tag >> 3) > 536870911 ||
        !SkipValue(message, static_cast<int>(tag & 7), &pos)) {
      return false;
    }
    visit(static_cast<int>(tag >> 3), message.substr(begin, pos - begin));
  }
  return true;
}

}  // namespace ftcapture
