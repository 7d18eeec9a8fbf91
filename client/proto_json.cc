#include "client/proto_json.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "src/util/proto_time.h"

namespace ftcapture {

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message,
                                   bool pretty, bool with_defaults,
                                   std::vector<std::string>* warnings) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.always_print_primitive_fields = with_defaults;
  std::string json;
  auto status =
      google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    // Out-of-range timestamps are the one thing a stored message can hold
    // that JSON cannot: print the nearest valid time and say so.
    std::unique_ptr<google::protobuf::Message> repaired(message.New());
    repaired->CopyFrom(message);
    std::vector<std::string> replaced = ClampTimestamps(repaired.get());
    json.clear();
    status =
        google::protobuf::util::MessageToJsonString(*repaired, &json, options);
    if (!status.ok()) {
      return absl::InternalError(
          absl::StrCat("cannot print ", message.GetTypeName(),
                       " as JSON: ", status.message().as_string()));
    }
    if (warnings != nullptr) {
      warnings->insert(warnings->end(), replaced.begin(), replaced.end());
    }
  }
  if (!json.empty() && json.back() == '\n') json.pop_back();
  return json;
}

absl::StatusOr<v1::Turn> ParseTurnJson(absl::string_view json) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  v1::Turn turn;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &turn, options);
  if (status.ok()) return turn;
  v1::RecordTurnRequest request;
  auto as_request = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &request,
      options);
  if (as_request.ok() && request.has_turn()) return request.turn();
  return absl::InvalidArgumentError(absl::StrCat(
      "not a Turn in protobuf JSON: ", status.message().as_string()));
}

}  // namespace ftcapture
