#include "src/service/input_checks.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/unknown_field_set.h"
#include "src/util/proto_time.h"
#include "src/util/visible_text.h"

namespace ftcapture {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool IsTimestamp(const Message& message) {
  return message.GetDescriptor()->full_name() == "google.protobuf.Timestamp";
}

absl::Status CheckText(absl::string_view text, const std::string& field) {
  // Parsing checks this for requests from the wire; a caller of the
  // library hands over protos that were never parsed, and a stored record
  // that is not UTF-8 would never parse again.
  const size_t invalid = FindInvalidUtf8(text);
  if (invalid != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: byte %d is not UTF-8", field, invalid));
  }
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<uint8_t>(text[i]);
    if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') continue;
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: byte %d is the control character U+%04X; text may hold no "
        "control characters but tab, newline and carriage return",
        field, i, c));
  }
  return absl::OkStatus();
}

absl::Status CheckMessage(const Message& message, const std::string& name);

absl::Status CheckField(const Message& message, const FieldDescriptor* field,
                        const std::string& path) {
  const Reflection* reflection = message.GetReflection();
  std::string scratch;
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    if (field->type() == FieldDescriptor::TYPE_BYTES) return absl::OkStatus();
    if (!field->is_repeated()) {
      return CheckText(reflection->GetStringReference(message, field, &scratch),
                       path);
    }
    for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
      absl::Status status = CheckText(
          reflection->GetRepeatedStringReference(message, field, i, &scratch),
          absl::StrCat(path, "[", i, "]"));
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  }
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
    return absl::OkStatus();
  }
  if (!field->is_repeated()) {
    return CheckMessage(reflection->GetMessage(message, field), path);
  }
  for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
    // Map entries are named by position; their key and value by name.
    absl::Status status =
        CheckMessage(reflection->GetRepeatedMessage(message, field, i),
                     absl::StrCat(path, "[", i, "]"));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status CheckMessage(const Message& message, const std::string& name) {
  if (IsTimestamp(message)) {
    google::protobuf::Timestamp timestamp;
    timestamp.CopyFrom(message);
    return CheckTimestamp(timestamp, name);
  }
  std::vector<const FieldDescriptor*> fields;
  message.GetReflection()->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    absl::Status status = CheckField(
        message, field,
        name.empty() ? field->name() : absl::StrCat(name, ".", field->name()));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckClientInput(const Message& message, absl::string_view name) {
  return CheckMessage(message, std::string(name));
}

bool HasUnknownFields(const Message& message) {
  const Reflection* reflection = message.GetReflection();
  if (!reflection->GetUnknownFields(message).empty()) return true;
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    // Map entries are parsed into the map: whatever unknown they held is
    // gone already.
    if (field->is_map()) continue;
    if (!field->is_repeated()) {
      if (HasUnknownFields(reflection->GetMessage(message, field))) return true;
      continue;
    }
    for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
      if (HasUnknownFields(reflection->GetRepeatedMessage(message, field, i))) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace ftcapture
