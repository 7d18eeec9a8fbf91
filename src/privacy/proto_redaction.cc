#include "src/privacy/proto_redaction.h"

namespace ftcapture {
namespace {

void AddCounts(const RedactionCounts& counts,
               google::protobuf::Map<std::string, int64_t>* into) {
  for (const auto& [rule, count] : counts) (*into)[rule] += count;
}

void AddCounts(const google::protobuf::Map<std::string, int64_t>& counts,
               google::protobuf::Map<std::string, int64_t>* into) {
  for (const auto& [rule, count] : counts) (*into)[rule] += count;
}

void RedactMetadataValues(const Redactor& redactor,
                          google::protobuf::Map<std::string, std::string>* map,
                          RedactionCounts* counts) {
  for (auto& [key, value] : *map) redactor.Redact(&value, counts);
}

}  // namespace

void RedactTurn(const Redactor& redactor, v1::Turn* turn) {
  turn->clear_redactions();
  RedactionCounts counts;
  redactor.Redact(turn->mutable_text(), &counts);
  redactor.Redact(turn->mutable_system_prompt(), &counts);
  for (v1::Memory& memory : *turn->mutable_memories()) {
    redactor.Redact(memory.mutable_text(), &counts);
  }
  // The conversation a backend sends with a reply is stored as history.
  for (v1::ConversationMessage& message : *turn->mutable_context_messages()) {
    redactor.Redact(message.mutable_text(), &counts);
  }
  RedactMetadataValues(redactor, turn->mutable_metadata(), &counts);
  AddCounts(counts, turn->mutable_redactions());
}

void RedactExampleText(const Redactor& redactor, std::string* text,
                       v1::Example* example) {
  RedactionCounts counts;
  if (redactor.Redact(text, &counts)) {
    AddCounts(counts, example->mutable_redactions());
  }
}

void AddTurnRedactions(v1::Example* example) {
  for (const v1::Turn* turn :
       {&example->user_turn(), &example->assistant_turn(),
        &example->praise_turn(), &example->rejected_turn()}) {
    AddCounts(turn->redactions(), example->mutable_redactions());
  }
  for (const v1::Turn& turn : example->history()) {
    AddCounts(turn.redactions(), example->mutable_redactions());
  }
}

void RedactExample(const Redactor& redactor, v1::Example* example) {
  example->clear_redactions();
  // Only the turns it has: a mutable_ call would add an empty one.
  if (example->has_user_turn()) {
    RedactTurn(redactor, example->mutable_user_turn());
  }
  if (example->has_assistant_turn()) {
    RedactTurn(redactor, example->mutable_assistant_turn());
  }
  if (example->has_praise_turn()) {
    RedactTurn(redactor, example->mutable_praise_turn());
  }
  if (example->has_rejected_turn()) {
    RedactTurn(redactor, example->mutable_rejected_turn());
  }
  for (v1::Turn& turn : *example->mutable_history()) {
    RedactTurn(redactor, &turn);
  }
  AddTurnRedactions(example);
  RedactExampleText(redactor, example->mutable_praise_text(), example);
  RedactExampleText(redactor, example->mutable_review_note(), example);
  RedactionCounts counts;
  RedactMetadataValues(redactor, example->mutable_metadata(), &counts);
  AddCounts(counts, example->mutable_redactions());
}

}  // namespace ftcapture
