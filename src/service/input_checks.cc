#include "src/service/input_checks.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
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

// A field's name for an error message ("turn.memories[2].text"), built
// only when there is an error: the checks below run on every turn, and a
// turn has dozens of fields. Each level points at its parent's path.
struct FieldPath {
  const FieldPath* parent = nullptr;
  absl::string_view name;  // of the field; empty for the root's prefix
  int index = -1;          // >= 0: element `index` of the parent's field

  std::string ToString() const {
    if (parent == nullptr) return std::string(name);
    std::string path = parent->ToString();
    if (index >= 0) {
      absl::StrAppend(&path, "[", index, "]");
    } else {
      absl::StrAppend(&path, path.empty() ? "" : ".", name);
    }
    return path;
  }
};

absl::Status CheckText(absl::string_view text, const FieldPath& field) {
  // Parsing checks this for requests from the wire; a caller of the
  // library hands over protos that were never parsed, and a stored record
  // that is not UTF-8 would never parse again.
  const size_t invalid = FindInvalidUtf8(text);
  if (invalid != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: byte %d is not UTF-8", field.ToString(), invalid));
  }
  const size_t control = FindControlCharacter(text);
  if (control != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: byte %d is the control character U+%04X; text may hold no "
        "control characters but tab, newline and carriage return",
        field.ToString(), control, static_cast<uint8_t>(text[control])));
  }
  return absl::OkStatus();
}

absl::Status CheckMessage(const Message& message, const FieldPath& path);

absl::Status CheckField(const Message& message, const FieldDescriptor* field,
                        const FieldPath& path) {
  const Reflection* reflection = message.GetReflection();
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    if (field->type() == FieldDescriptor::TYPE_BYTES) return absl::OkStatus();
    std::string scratch;  // unused by generated messages (no copy)
    if (!field->is_repeated()) {
      return CheckText(reflection->GetStringReference(message, field, &scratch),
                       path);
    }
    for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
      absl::Status status = CheckText(
          reflection->GetRepeatedStringReference(message, field, i, &scratch),
          FieldPath{&path, {}, i});
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
                     FieldPath{&path, {}, i});
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

// True when `field` is set (singular) or not empty (repeated): what
// Reflection::ListFields lists, without the vector it allocates.
bool IsPresent(const Message& message, const FieldDescriptor* field) {
  const Reflection* reflection = message.GetReflection();
  return field->is_repeated() ? reflection->FieldSize(message, field) > 0
                              : reflection->HasField(message, field);
}

absl::Status CheckMessage(const Message& message, const FieldPath& path) {
  const google::protobuf::Descriptor* descriptor = message.GetDescriptor();
  if (descriptor == google::protobuf::Timestamp::descriptor()) {
    google::protobuf::Timestamp timestamp;
    timestamp.CopyFrom(message);
    if (IsValidTimestamp(timestamp)) return absl::OkStatus();
    return CheckTimestamp(timestamp, path.ToString());
  }
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (!IsPresent(message, field)) continue;
    absl::Status status =
        CheckField(message, field, FieldPath{&path, field->name()});
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckClientInput(const Message& message, absl::string_view name) {
  return CheckMessage(message, FieldPath{nullptr, name});
}

namespace {

bool IsAcceptedText(absl::string_view text) {
  return FindInvalidUtf8(text) == absl::string_view::npos &&
         FindControlCharacter(text) == absl::string_view::npos;
}

// Every string and timestamp field of a Turn, read directly.
// input_checks_test sets each field that Turn's descriptor lists to a
// control character (and each timestamp out of range) and expects this to
// refuse it, so a field added to the proto cannot slip past.
bool TurnPassesChecks(const v1::Turn& turn) {
  for (absl::string_view text :
       {absl::string_view(turn.session_id()), absl::string_view(turn.turn_id()),
        absl::string_view(turn.text()), absl::string_view(turn.system_prompt()),
        absl::string_view(turn.reply_to())}) {
    if (!IsAcceptedText(text)) return false;
  }
  if (turn.has_time() && !IsValidTimestamp(turn.time())) return false;
  for (const v1::Memory& memory : turn.memories()) {
    if (!IsAcceptedText(memory.text()) || !IsAcceptedText(memory.category())) {
      return false;
    }
    if (memory.has_created_at() && !IsValidTimestamp(memory.created_at())) {
      return false;
    }
  }
  for (const auto& [key, value] : turn.metadata()) {
    if (!IsAcceptedText(key) || !IsAcceptedText(value)) return false;
  }
  for (const auto& [key, count] : turn.redactions()) {
    if (!IsAcceptedText(key)) return false;
  }
  for (const v1::ConversationMessage& message : turn.context_messages()) {
    if (!IsAcceptedText(message.text())) return false;
  }
  return true;
}

}  // namespace

absl::Status CheckTurnInput(const v1::Turn& turn) {
  if (TurnPassesChecks(turn)) return absl::OkStatus();
  return CheckClientInput(turn, "turn");
}

absl::Status CheckTurnRoleAndText(const v1::Turn& turn) {
  if (turn.role() == v1::ROLE_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        "turn.role is required: ROLE_USER or ROLE_ASSISTANT");
  }
  if (turn.role() != v1::ROLE_USER && turn.role() != v1::ROLE_ASSISTANT) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "turn.role %d is not a known role (ROLE_USER or ROLE_ASSISTANT)",
        turn.role()));
  }
  if (turn.text().empty()) {
    return absl::InvalidArgumentError("turn.text is required");
  }
  if (IsBlankText(turn.text())) {
    return absl::InvalidArgumentError(
        "turn.text is only whitespace; a turn needs text");
  }
  if (turn.role() == v1::ROLE_USER) {
    // The prompt and memories an example keeps are its reply's.
    if (!turn.system_prompt().empty()) {
      return absl::InvalidArgumentError(
          "turn.system_prompt is only for assistant turns");
    }
    if (turn.memories_size() > 0) {
      return absl::InvalidArgumentError(
          "turn.memories is only for assistant turns");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTurnTime(const v1::Turn& turn, absl::Time now,
                           absl::Duration max_ahead) {
  if (!turn.has_time()) return absl::OkStatus();
  const absl::Duration ahead = FromProtoTime(turn.time()) - now;
  if (ahead <= max_ahead) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat(
      "turn.time %s is %s ahead of the server's clock (%s); at most %s is "
      "accepted (--max_clock_skew): a turn from the future would make every "
      "later turn of its session late",
      Rfc3339(turn.time()),
      absl::FormatDuration(absl::Trunc(ahead, absl::Milliseconds(1))),
      Rfc3339(now), absl::FormatDuration(max_ahead)));
}

absl::Status CheckEnumFields(const Message& request) {
  const google::protobuf::Descriptor* descriptor = request.GetDescriptor();
  const Reflection* reflection = request.GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_ENUM ||
        field->is_repeated()) {
      continue;
    }
    const google::protobuf::EnumDescriptor* type = field->enum_type();
    const int value = reflection->GetEnumValue(request, field);
    if (type->FindValueByNumber(value) != nullptr) continue;
    std::vector<std::string> known;
    for (int v = 0; v < type->value_count(); ++v) {
      known.push_back(type->value(v)->name());
    }
    return absl::InvalidArgumentError(
        absl::StrFormat("%s %d is not a known %s (%s)", field->name(), value,
                        type->name(), absl::StrJoin(known, ", ")));
  }
  return absl::OkStatus();
}

bool HasUnknownFields(const Message& message) {
  const Reflection* reflection = message.GetReflection();
  if (!reflection->GetUnknownFields(message).empty()) return true;
  const google::protobuf::Descriptor* descriptor = message.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (!IsPresent(message, field)) continue;
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

namespace {

// `message`'s own unknown fields, not those of messages inside it.
bool HasOwnUnknownFields(const Message& message) {
  return !message.GetReflection()->GetUnknownFields(message).empty();
}

}  // namespace

bool TurnHasUnknownFields(const v1::Turn& turn) {
  if (HasOwnUnknownFields(turn)) return true;
  if (turn.has_time() && HasOwnUnknownFields(turn.time())) return true;
  for (const v1::Memory& memory : turn.memories()) {
    if (HasOwnUnknownFields(memory)) return true;
    if (memory.has_created_at() && HasOwnUnknownFields(memory.created_at())) {
      return true;
    }
  }
  for (const v1::ConversationMessage& message : turn.context_messages()) {
    if (HasOwnUnknownFields(message)) return true;
  }
  // metadata and redactions: map entries keep no unknown fields (see
  // HasUnknownFields).
  return false;
}

}  // namespace ftcapture
