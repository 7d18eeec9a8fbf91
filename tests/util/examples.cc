#include "tests/util/examples.h"

namespace ftcapture {

v1::Example TestExample(const std::string& id, bool positive,
                        const ExampleTexts& texts) {
  v1::Example e;
  e.set_id(id);
  e.mutable_captured_at()->set_seconds(1763596820);
  e.set_session_id("session-" + id);
  e.mutable_user_turn()->set_turn_id("u-" + id);
  e.mutable_user_turn()->set_text(texts.question);
  e.mutable_assistant_turn()->set_turn_id("a-" + id);
  e.mutable_assistant_turn()->set_text(texts.reply);
  e.mutable_assistant_turn()->set_system_prompt(texts.system_prompt);
  e.set_praise_text(positive ? "Good one, Timmy!" : "That was wrong.");
  e.set_rule(positive ? "good_one" : "wrong");
  e.set_label(positive ? v1::LABEL_POSITIVE : v1::LABEL_NEGATIVE);
  return e;
}

}  // namespace ftcapture
