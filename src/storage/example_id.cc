#include "src/storage/example_id.h"

#include "absl/strings/str_cat.h"
#include "src/util/stable_hash.h"

namespace ftcapture {

namespace {
// Domain tags keep the two kinds of key apart.
constexpr absl::string_view kReplyTag = "ftcapture reply v2";
constexpr absl::string_view kIdTag = "ftcapture example id";
constexpr absl::string_view kPairTag = "ftcapture preference pair";
}  // namespace

Hash128 ReplyKey(absl::string_view session_id, absl::string_view turn_id) {
  return FieldsHash128({kReplyTag, session_id, turn_id});
}

Hash128 ExampleIdKey(absl::string_view example_id) {
  return FieldsHash128({kIdTag, example_id});
}

std::string ExampleIdForReply(absl::string_view session_id,
                              absl::string_view turn_id) {
  return absl::StrCat("ex-", ReplyKey(session_id, turn_id).Hex());
}

std::string PairCreditKey(absl::string_view preferred_turn_id,
                          absl::string_view rejected_turn_id) {
  // \x1e cannot start a turn id a backend sends as text, so no single
  // reply's key equals a pair's.
  return absl::StrCat("\x1epair\x1f", preferred_turn_id, "\x1f",
                      rejected_turn_id);
}

std::string ExampleIdForPair(absl::string_view session_id,
                             absl::string_view preferred_turn_id,
                             absl::string_view rejected_turn_id) {
  return absl::StrCat(
      "pair-",
      FieldsHash128({kPairTag, session_id, preferred_turn_id, rejected_turn_id})
          .Hex());
}

std::string ImportedExampleId(const v1::Example& example) {
  StableHasher128 hasher;
  hasher.AddField(example.user_turn().text());
  hasher.AddField(example.assistant_turn().system_prompt());
  hasher.AddField(example.assistant_turn().text());
  hasher.AddField(example.praise_text());
  if (example.has_rejected_turn()) {
    hasher.AddField(example.rejected_turn().system_prompt());
    hasher.AddField(example.rejected_turn().text());
  }
  return absl::StrCat("imp-", hasher.HexDigest());
}

}  // namespace ftcapture
