#ifndef FTCAPTURE_SRC_STORAGE_EXAMPLE_ID_H_
#define FTCAPTURE_SRC_STORAGE_EXAMPLE_ID_H_

#include <string>

#include "absl/strings/string_view.h"
#include "ftcapture/v1/capture.pb.h"
#include "src/util/stable_hash.h"

namespace ftcapture {

// Example ids are part of the dataset: review, export splits and duplicate
// answers refer to them, so each is derived from what identifies the example
// and never changes between runs, builds or machines.

// "ex-" + 32 hex digits for the reply (session_id, turn_id) that was
// captured: the same reply always gets the same id, and two replies never
// share one (FieldsHash128 of the length-prefixed ids). Ids of the older
// form, "ex-" + 16 hex digits (a 64-bit hash of the ids joined by \x1f,
// which could collide), stay in the records that hold them and keep
// working: lookups go by the stored id, dedup by ReplyKey (see
// docs/hostile_input.md).
std::string ExampleIdForReply(absl::string_view session_id,
                              absl::string_view turn_id);

// The key the service dedups a reply (or a praise turn) by: the same 128
// bits as its example id.
Hash128 ReplyKey(absl::string_view session_id, absl::string_view turn_id);
// The key the service finds an example id by (any form of id).
Hash128 ExampleIdKey(absl::string_view example_id);
// The key a preference pair is credited by: one pair per (preferred,
// rejected) reply of a session.
std::string PairCreditKey(absl::string_view preferred_turn_id,
                          absl::string_view rejected_turn_id);

// "pair-" + 32 hex digits for a preference pair of a session: like
// ExampleIdForReply, FieldsHash128 of the length-prefixed ids (under a tag of
// its own), so two pairs never share an id.
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
