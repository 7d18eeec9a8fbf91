#include "src/util/wire_format.h"

#include <climits>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

namespace ftcapture {

bool ForEachField(
    absl::string_view message,
    absl::FunctionRef<void(int field, absl::string_view encoded)> visit) {
  using google::protobuf::internal::WireFormatLite;
  if (message.size() > INT_MAX) return false;
  const int size = static_cast<int>(message.size());
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const uint8_t*>(message.data()), size);
  while (in.CurrentPosition() < size) {
    const int begin = in.CurrentPosition();
    // 0 when the tag does not parse; field number 0 is not a field.
    const uint32_t tag = in.ReadTag();
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    if (field == 0 || !WireFormatLite::SkipField(&in, tag)) return false;
    visit(field, message.substr(begin, in.CurrentPosition() - begin));
  }
  return true;
}

}  // namespace ftcapture
