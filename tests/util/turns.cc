#include "tests/util/turns.h"

namespace ftcapture {

v1::Turn BasicTurn(const std::string& session, const std::string& id,
                   v1::Role role, const std::string& text) {
  v1::Turn turn;
  turn.set_session_id(session);
  turn.set_turn_id(id);
  turn.set_role(role);
  turn.set_text(text);
  return turn;
}

v1::Turn UserTurn(const std::string& session, const std::string& id,
                  const std::string& text) {
  return BasicTurn(session, id, v1::ROLE_USER, text);
}

TurnPtr StoredUserTurn(const std::string& session, const std::string& id) {
  return StoredTurn::FromTurn(BasicTurn(session, id, v1::ROLE_USER, ""));
}

}  // namespace ftcapture
