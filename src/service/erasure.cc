#include "src/service/erasure.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/service/input_checks.h"

namespace ftcapture {
namespace {

bool TurnHasMetadata(const v1::Turn& turn, absl::string_view key,
                     absl::string_view value) {
  auto it = turn.metadata().find(std::string(key));
  return it != turn.metadata().end() && it->second == value;
}

absl::Status CheckId(absl::string_view what, absl::string_view id,
                     size_t max_id_bytes) {
  if (id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is empty"));
  }
  if (id.size() > max_id_bytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s is %d bytes; at most %d", what, id.size(), max_id_bytes));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateDeleteRequest(const v1::DeleteExamplesRequest& request,
                                   size_t max_id_bytes) {
  if (absl::Status valid = CheckClientInput(request, ""); !valid.ok()) {
    return valid;
  }
  switch (request.selector_case()) {
    case v1::DeleteExamplesRequest::SELECTOR_NOT_SET:
      if (request.compact()) return absl::OkStatus();
      return absl::InvalidArgumentError(
          "DeleteExamples needs a selector: ids, session_id or where "
          "(key=value); or compact alone");
    case v1::DeleteExamplesRequest::kIds: {
      const auto& ids = request.ids().ids();
      if (ids.empty()) {
        return absl::InvalidArgumentError("ids: the list is empty");
      }
      if (ids.size() > kMaxDeleteIds) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "ids: %d ids; at most %d per request", ids.size(), kMaxDeleteIds));
      }
      for (int i = 0; i < ids.size(); ++i) {
        absl::Status s =
            CheckId(absl::StrFormat("ids[%d]", i), ids[i], max_id_bytes);
        if (!s.ok()) return s;
      }
      return absl::OkStatus();
    }
    case v1::DeleteExamplesRequest::kSessionId:
      return CheckId("session_id", request.session_id(), max_id_bytes);
    case v1::DeleteExamplesRequest::kWhere: {
      absl::Status s =
          CheckId("where.key", request.where().key(), max_id_bytes);
      if (s.ok()) {
        s = CheckId("where.value", request.where().value(), max_id_bytes);
      }
      return s;
    }
  }
  return absl::InvalidArgumentError("unknown selector");
}

bool HasMetadata(const v1::Example& example, absl::string_view key,
                 absl::string_view value) {
  auto it = example.metadata().find(std::string(key));
  if (it != example.metadata().end() && it->second == value) return true;
  for (const v1::Turn* turn :
       {&example.user_turn(), &example.assistant_turn(), &example.praise_turn(),
        &example.rejected_turn()}) {
    if (TurnHasMetadata(*turn, key, value)) return true;
  }
  for (const v1::Turn& turn : example.history()) {
    if (TurnHasMetadata(turn, key, value)) return true;
  }
  return false;
}

bool PairHoldsReply(const v1::Example& pair, absl::string_view turn_id) {
  return pair.has_rejected_turn() &&
         (pair.assistant_turn().turn_id() == turn_id ||
          pair.rejected_turn().turn_id() == turn_id);
}

std::string DescribeSelector(const v1::DeleteExamplesRequest& request) {
  switch (request.selector_case()) {
    case v1::DeleteExamplesRequest::kIds:
      return absl::StrCat(request.ids().ids_size(), " id(s)");
    case v1::DeleteExamplesRequest::kSessionId:
      return "a session";
    case v1::DeleteExamplesRequest::kWhere:
      return absl::StrCat("metadata key '", request.where().key(), "'");
    default:
      return "no selector";
  }
}

}  // namespace ftcapture
