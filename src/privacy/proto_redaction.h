#ifndef FTCAPTURE_SRC_PRIVACY_PROTO_REDACTION_H_
#define FTCAPTURE_SRC_PRIVACY_PROTO_REDACTION_H_

#include <string>

#include "ftcapture/v1/capture.pb.h"
#include "src/privacy/redactor.h"

namespace ftcapture {

// Redaction of the API's messages: which of their fields are texts that
// reach the disk. Keys (metadata keys, ids, categories) are left as they
// are, so erasure by `user_id=42` still finds them.

// Redacts the turn's text, system prompt, memory texts and metadata values,
// and sets turn.redactions to what fired (cleared first: input never sets
// it).
void RedactTurn(const Redactor& redactor, v1::Turn* turn);

// Redacts one text and adds what fired to example.redactions.
void RedactExampleText(const Redactor& redactor, std::string* text,
                       v1::Example* example);

// Adds the redactions of the example's turns to example.redactions.
void AddTurnRedactions(v1::Example* example);

// Redacts a whole example from elsewhere (an import): its turns, praise
// text, review note and metadata values; example.redactions says what fired.
void RedactExample(const Redactor& redactor, v1::Example* example);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_PRIVACY_PROTO_REDACTION_H_
