// Turns as a chatbot backend sends them, for tests.

#ifndef FTCAPTURE_TESTS_UTIL_TURNS_H_
#define FTCAPTURE_TESTS_UTIL_TURNS_H_

#include <string>

#include "ftcapture/v1/capture.pb.h"
#include "src/session/stored_turn.h"

namespace ftcapture {

// A turn with its session, id, role and text; callers add the rest
// (a reply's system prompt, memories, metadata).
v1::Turn BasicTurn(const std::string& session, const std::string& id,
                   v1::Role role, const std::string& text);

// A user message.
v1::Turn UserTurn(const std::string& session, const std::string& id,
                  const std::string& text);

// A user message without text, as the session table stores it.
TurnPtr StoredUserTurn(const std::string& session, const std::string& id);

}  // namespace ftcapture

#endif  // FTCAPTURE_TESTS_UTIL_TURNS_H_
