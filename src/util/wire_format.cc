#include "src/util/wire_format.h"

#include <climits>
#include <cstddef>

#include "google/protobuf/io/coded_stream.h"

namespace ftcapture {
namespace {

using google::protobuf::io::CodedInputStream;

constexpr uint64_t kMaxFieldNumber = (uint64_t{1} << 29) - 1;

// Moves `in` past the value of a field of wire type `wire_type`; false when
// it does not fit or the type is a group's.
bool SkipValue(CodedInputStream* in, int wire_type) {
  uint64_t value = 0;
  switch (wire_type) {
    case 0:
      return in->ReadVarint64(&value);
    case 1:
      return in->Skip(8);
    case 2:
      return in->ReadVarint64(&value) && value <= INT_MAX &&
             in->Skip(static_cast<int>(value));
    case 5:
      return in->Skip(4);
    default:
      return false;
  }
}

}  // namespace

bool ForEachField(
    absl::string_view message,
    absl::FunctionRef<void(int field, absl::string_view encoded)> visit) {
  if (message.size() > INT_MAX) return false;
  const int size = static_cast<int>(message.size());
  CodedInputStream in(reinterpret_cast<const uint8_t*>(message.data()), size);
  while (in.CurrentPosition() < size) {
    const int begin = in.CurrentPosition();
    uint64_t tag = 0;
    if (!in.ReadVarint64(&tag) || (tag >> 3) == 0 ||
        (tag >> 3) > kMaxFieldNumber ||
        !SkipValue(&in, static_cast<int>(tag & 7))) {
      return false;
    }
    visit(static_cast<int>(tag >> 3),
          message.substr(begin, in.CurrentPosition() - begin));
  }
  return true;
}

}  // namespace ftcapture
