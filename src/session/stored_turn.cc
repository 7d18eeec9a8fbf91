#include "src/session/stored_turn.h"

#include <utility>

#include "absl/status/status.h"
#include "src/util/proto_time.h"
#include "src/util/stable_hash.h"
#include "src/util/visible_text.h"
#include "src/util/wire_format.h"

namespace ftcapture {

StoredTurn::StoredTurn(std::string bytes, const v1::Turn& turn,
                       std::string turn_id, absl::Time time)
    : bytes_(std::move(bytes)),
      turn_id_(std::move(turn_id)),
      role_(turn.role()),
      has_text_(!IsBlankText(turn.text())),
      time_(turn.has_time() ? FromProtoTime(turn.time()) : time),
      reply_to_fingerprint_(
          turn.reply_to().empty() ? 0 : TurnIdFingerprint(turn.reply_to())) {}

StoredTurn::StoredTurn(std::string bytes, const StoredTurn& same_turn)
    : bytes_(std::move(bytes)),
      turn_id_(same_turn.turn_id_),
      role_(same_turn.role_),
      has_text_(same_turn.has_text_),
      time_(same_turn.time_),
      reply_to_fingerprint_(same_turn.reply_to_fingerprint_) {}

uint64_t TurnIdFingerprint(absl::string_view turn_id) {
  // 0 marks "none", so no id may hash to it.
  const uint64_t hash = StableHash64(turn_id);
  return hash == 0 ? 1 : hash;
}

TurnPtr StoredTurn::FromTurn(const v1::Turn& turn, absl::Time time,
                             absl::string_view turn_id) {
  std::string time_bytes;
  if (!turn.has_time()) time_bytes = ToProtoTime(time).SerializeAsString();
  const bool add_id = turn.turn_id().empty() && !turn_id.empty();
  // Reserved exactly: windows hold many of these, and growing the string
  // for the appended fields would double its capacity.
  const size_t size = turn.ByteSizeLong();
  std::string bytes;
  bytes.reserve(size + time_bytes.size() + turn_id.size() + 8);
  bytes.resize(size);
  turn.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(&bytes[0]));
  if (!time_bytes.empty()) {
    AppendLengthDelimited(v1::Turn::kTimeFieldNumber, time_bytes, &bytes);
  }
  std::string id = turn.turn_id();
  if (add_id) {
    AppendLengthDelimited(v1::Turn::kTurnIdFieldNumber, turn_id, &bytes);
    id = std::string(turn_id);
  }
  return std::make_shared<const StoredTurn>(std::move(bytes), turn,
                                            std::move(id), time);
}

TurnPtr StoredTurn::FromTurn(const v1::Turn& turn) {
  return std::make_shared<const StoredTurn>(
      turn.SerializeAsString(), turn, turn.turn_id(), absl::InfinitePast());
}

absl::StatusOr<TurnPtr> StoredTurn::FromBytes(std::string bytes) {
  v1::Turn turn;
  if (!turn.ParseFromString(bytes)) {
    return absl::DataLossError("stored turn does not parse");
  }
  return std::make_shared<const StoredTurn>(
      std::move(bytes), turn, turn.turn_id(), absl::InfinitePast());
}

namespace {

// What only a turn's own exchange needs.
bool OnlyForItsExchange(int field) {
  return field == v1::Turn::kSystemPromptFieldNumber ||
         field == v1::Turn::kMemoriesFieldNumber ||
         field == v1::Turn::kContextMessagesFieldNumber;
}

// The parsed way, for bytes ForEachField cannot walk (never seen: stored
// bytes come from a serialization).
TurnPtr SlimByParsing(const TurnPtr& turn) {
  v1::Turn parsed = turn->ToProto();
  parsed.clear_system_prompt();
  parsed.clear_memories();
  parsed.clear_context_messages();
  return std::make_shared<const StoredTurn>(parsed.SerializeAsString(), parsed,
                                            turn->turn_id(), turn->time());
}

}  // namespace

TurnPtr StoredTurn::Slim(const TurnPtr& turn) {
  // The other fields' bytes are copied as they are, without a parse and a
  // serialization of the whole turn (one per reply that leaves the credited
  // exchange; the parse of its memories was most of it).
  size_t kept = 0;
  const bool walked =
      ForEachField(turn->bytes(), [&](int field, absl::string_view encoded) {
        if (!OnlyForItsExchange(field)) kept += encoded.size();
      });
  if (!walked) return SlimByParsing(turn);
  if (kept == turn->bytes().size()) return turn;
  std::string bytes;
  bytes.reserve(kept);  // exactly: windows hold many of these
  ForEachField(turn->bytes(), [&](int field, absl::string_view encoded) {
    if (!OnlyForItsExchange(field))
      bytes.append(encoded.data(), encoded.size());
  });
  return std::make_shared<const StoredTurn>(std::move(bytes), *turn);
}

v1::Turn StoredTurn::ToProto() const {
  v1::Turn turn;
  ParseInto(&turn);
  return turn;
}

void StoredTurn::ParseInto(v1::Turn* turn) const {
  // Cannot fail: the bytes were serialized from a Turn or checked to parse.
  turn->ParseFromString(bytes_);
}

int64_t StoredTurn::SpaceUsed() const {
  return static_cast<int64_t>(sizeof(*this) + bytes_.capacity() +
                              (turn_id_.size() > 15 ? turn_id_.capacity() : 0));
}

}  // namespace ftcapture
