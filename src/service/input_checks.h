#ifndef FTCAPTURE_SRC_SERVICE_INPUT_CHECKS_H_
#define FTCAPTURE_SRC_SERVICE_INPUT_CHECKS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ftcapture/v1/capture.pb.h"
#include "google/protobuf/message.h"

namespace ftcapture {

// What the capture API accepts from clients, in every field of a request
// (docs/hostile_input.md), so nothing stored can break a tool that reads it
// later:
//  - strings are UTF-8 and hold no NUL and no other C0 control character
//    but tab, newline and carriage return;
//  - timestamps lie within
//  0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999999Z,
//    the range of google.protobuf.Timestamp and its JSON form.
// Anything else is INVALID_ARGUMENT naming the field (`name` is its prefix,
// e.g. "turn") and, for text, the byte offset and the character.
absl::Status CheckClientInput(const google::protobuf::Message& message,
                              absl::string_view name);

// CheckClientInput(turn, "turn"), with the same answers, for the one
// message every turn brings: its fields are read directly, and only a turn
// that fails goes through the reflective walk that names the field (which
// cost more than the bytes it checks: 2.8 us of a ~2 KB turn).
absl::Status CheckTurnInput(const v1::Turn& turn);

// What a turn's role decides, checked before anything is kept: the role is
// ROLE_USER or ROLE_ASSISTANT; the text is not empty or only whitespace
// (it would be stored as an empty message of the training data); and a
// user turn has no system_prompt or memories (assistant turns only).
// INVALID_ARGUMENT naming the field otherwise.
absl::Status CheckTurnRoleAndText(const v1::Turn& turn);

// A turn's time, when set, is at most `max_ahead` past `now` (the server's
// clock): a turn from the future would make every later turn of its
// session late (older than the session's latest), so nothing of it would
// be captured again. absl::InfiniteDuration() accepts any time. Call after
// CheckTurnInput (the time is a valid timestamp).
absl::Status CheckTurnTime(const v1::Turn& turn, absl::Time now,
                           absl::Duration max_ahead);

// Every enum field of `request` itself (not of messages inside it) holds a
// value its enum defines: an unknown one, as a filter, would silently
// match nothing. INVALID_ARGUMENT naming the field, the value and the
// known names otherwise.
absl::Status CheckEnumFields(const google::protobuf::Message& request);

// True when `message` or a message inside it holds fields this build does
// not know (a newer or careless client): those are dropped before storing.
bool HasUnknownFields(const google::protobuf::Message& message);

// HasUnknownFields(turn), reading Turn's message fields directly instead of
// walking its descriptor (~1.5 us a turn under load). input_checks_test
// holds it to HasUnknownFields for every message inside a Turn.
bool TurnHasUnknownFields(const v1::Turn& turn);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_SERVICE_INPUT_CHECKS_H_
