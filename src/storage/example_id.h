#ifndef FTCAPTURE_SRC_STORAGE_EXAMPLE_ID_H_
#define FTCAPTURE_SRC_STORAGE_EXAMPLE_ID_H_

#include <string>

#include "absl/strings/string_view.h"
#include "ftcapture/v1/capture.pb.h"

namespace ftcapture {

// Example ids are part of the dataset: review, export splits and duplicate
// answers refer to them, so each is derived from what identifies the example
// and never changes between runs, builds or machines.

// "ex-" + 16 hex digits for the reply (session_id, turn_id) that was
// captured: the same reply always gets the same id.
std::string ExampleIdForReply(absl::string_view session_id,
                              absl::string_view turn_id);

// The key a preference pair is credited by: one pair per (preferred,
// rejected) reply of a session.
std::string PairCreditKey(absl::string_view preferred_turn_id,
                          absl::string_view rejected_turn_id);

// "pair-" + 16 hex digits for a preference pair of a session.
std::string ExampleIdForPair(absl::string_view session_id,
                             absl::string_view preferred_turn_id,
                             absl::string_view rejected_turn_id);

// "imp-" + 32 hex digits: a stable 128-bit hash of the user message, system
// prompt, assistant reply and praise text (and a pair's rejected reply and
// its prompt), so importing the same exchange
// twice (from the same file or from a copy) yields the same id.
std::string ImportedExampleId(const v1::Example& example);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_STORAGE_EXAMPLE_ID_H_
