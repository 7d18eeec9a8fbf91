#include "src/service/example_history.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ftcapture {

absl::Status ValidateContextMessages(const v1::Turn& turn) {
  if (turn.context_messages_size() == 0) return absl::OkStatus();
  if (turn.role() != v1::ROLE_ASSISTANT) {
    return absl::InvalidArgumentError(
        "turn.context_messages is only for assistant turns");
  }
  for (int i = 0; i < turn.context_messages_size(); ++i) {
    const v1::ConversationMessage& message = turn.context_messages(i);
    if (message.role() != v1::ROLE_USER &&
        message.role() != v1::ROLE_ASSISTANT) {
      return absl::InvalidArgumentError(
          absl::StrFormat("turn.context_messages[%d].role must be ROLE_USER or "
                          "ROLE_ASSISTANT",
                          i));
    }
    if (message.text().empty()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("turn.context_messages[%d].text is empty", i));
    }
  }
  return absl::OkStatus();
}

namespace {

// What an example keeps of an earlier turn: what was said, by whom and
// when, not the prompt that produced it (that belongs to its own exchange).
void AddHeldTurn(const StoredTurn& stored, v1::Example* example) {
  v1::Turn turn;
  stored.ParseInto(&turn);
  v1::Turn* kept = example->add_history();
  kept->set_session_id(turn.session_id());
  kept->set_turn_id(turn.turn_id());
  kept->set_role(turn.role());
  kept->set_text(turn.text());
  if (turn.has_time()) *kept->mutable_time() = turn.time();
  *kept->mutable_metadata() = turn.metadata();
  *kept->mutable_redactions() = turn.redactions();
}

void MoveSuppliedMessages(v1::Example* example) {
  v1::Turn* reply = example->mutable_assistant_turn();
  int count = reply->context_messages_size();
  // The user message the reply answers is stored as user_turn; a backend
  // that lists it last has not sent it twice.
  const v1::ConversationMessage& last = reply->context_messages(count - 1);
  if (last.role() == v1::ROLE_USER &&
      last.text() == example->user_turn().text()) {
    --count;
  }
  for (int i = 0; i < count; ++i) {
    v1::Turn* kept = example->add_history();
    kept->set_role(reply->context_messages(i).role());
    kept->set_text(reply->context_messages(i).text());
  }
  reply->clear_context_messages();
}

// Cuts the oldest turns beyond the limits; returns how many.
int CutToLimits(const SessionLimits& limits, v1::Example* example) {
  auto* history = example->mutable_history();
  const int max_turns = std::max(0, 2 * limits.history_turns);
  int cut = std::max(0, history->size() - max_turns);
  int64_t bytes = 0;
  for (int i = cut; i < history->size(); ++i) {
    bytes += history->Get(i).text().size();
  }
  while (cut < history->size() && bytes > limits.history_bytes) {
    bytes -= history->Get(cut).text().size();
    ++cut;
  }
  if (cut > 0) history->DeleteSubrange(0, cut);
  return cut;
}

}  // namespace

void FillHistory(const std::vector<TurnPtr>& held, int64_t omitted,
                 const SessionLimits& limits, v1::Example* example) {
  auto& metadata = *example->mutable_metadata();
  if (example->assistant_turn().context_messages_size() > 0) {
    MoveSuppliedMessages(example);
    metadata[kHistorySourceKey] = "supplied";
  } else {
    for (const TurnPtr& turn : held) AddHeldTurn(*turn, example);
    metadata[kHistorySourceKey] = "session";
    if (omitted > 0) metadata[kHistoryOmittedKey] = absl::StrCat(omitted);
  }
  const int cut = CutToLimits(limits, example);
  if (cut > 0) metadata[kHistoryCutKey] = absl::StrCat(cut);
}

}  // namespace ftcapture
