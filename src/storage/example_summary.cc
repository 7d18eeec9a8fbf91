#include "src/storage/example_summary.h"

#include <string>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "src/storage/example_id.h"
#include "src/util/proto_time.h"

namespace ftcapture {
namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

constexpr uint32_t kLengthDelimited = WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
constexpr uint32_t kVarint = WireFormatLite::WIRETYPE_VARINT;
constexpr uint32_t kFixed32 = WireFormatLite::WIRETYPE_FIXED32;

// A reader of one serialized message that hands out its length-delimited
// fields as views into `data`.
class FieldReader {
 public:
  explicit FieldReader(absl::string_view data)
      : data_(data),
        in_(reinterpret_cast<const uint8_t*>(data.data()),
            static_cast<int>(data.size())) {}

  // The next tag, 0 at the end (or on malformed input: check Done()).
  uint32_t Next() { return in_.ReadTag(); }
  bool Done() { return in_.ConsumedEntireMessage(); }

  bool Bytes(absl::string_view* out) {
    uint32_t length = 0;
    if (!in_.ReadVarint32(&length)) return false;
    const int at = in_.CurrentPosition();
    if (length > data_.size() - at) return false;
    *out = data_.substr(at, length);
    return in_.Skip(static_cast<int>(length));
  }
  bool Varint(uint64_t* out) { return in_.ReadVarint64(out); }
  bool Fixed32(uint32_t* out) { return in_.ReadLittleEndian32(out); }
  bool Skip(uint32_t tag) { return WireFormatLite::SkipField(&in_, tag); }

 private:
  absl::string_view data_;
  CodedInputStream in_;
};

int Field(uint32_t tag) { return WireFormatLite::GetTagFieldNumber(tag); }
uint32_t Type(uint32_t tag) { return WireFormatLite::GetTagWireType(tag); }

// A google.protobuf.Timestamp.
bool ReadTime(absl::string_view data, absl::Time* time) {
  FieldReader in(data);
  int64_t seconds = 0;
  int64_t nanos = 0;
  while (uint32_t tag = in.Next()) {
    uint64_t value = 0;
    if ((Field(tag) == 1 || Field(tag) == 2) && Type(tag) == kVarint) {
      if (!in.Varint(&value)) return false;
      (Field(tag) == 1 ? seconds : nanos) = static_cast<int64_t>(value);
    } else if (!in.Skip(tag)) {
      return false;
    }
  }
  *time = absl::FromUnixSeconds(seconds) +
          absl::Nanoseconds(static_cast<int32_t>(nanos));
  return in.Done();
}

// The turn_id of a serialized v1::Turn.
bool ReadTurnId(absl::string_view turn, absl::string_view* turn_id) {
  FieldReader in(turn);
  while (uint32_t tag = in.Next()) {
    if (Field(tag) == v1::Turn::kTurnIdFieldNumber &&
        Type(tag) == kLengthDelimited) {
      if (!in.Bytes(turn_id)) return false;  // the last one wins
    } else if (!in.Skip(tag)) {
      return false;
    }
  }
  return in.Done();
}

// Where a message keeps what a summary needs; 0 where it has no such field.
// An ExampleSummary holds the turn ids itself, an Example inside its turns.
struct SummaryFields {
  int id, captured_at, session_id;
  int assistant_turn_id, praise_turn_id, has_praise_turn;  // ExampleSummary
  int rejected_turn_id, is_pair;                           // ExampleSummary
  int assistant_turn, praise_turn, rejected_turn;          // Example
  int label, source, status;
  int redactions;  // Example: a map, present when something was redacted
  int redacted;    // ExampleSummary: a bool
  int keys, keys_version;  // ExampleSummary
};

constexpr SummaryFields kExampleFields = {
    v1::Example::kIdFieldNumber,
    v1::Example::kCapturedAtFieldNumber,
    v1::Example::kSessionIdFieldNumber,
    0,
    0,
    0,
    0,
    0,
    v1::Example::kAssistantTurnFieldNumber,
    v1::Example::kPraiseTurnFieldNumber,
    v1::Example::kRejectedTurnFieldNumber,
    v1::Example::kLabelFieldNumber,
    v1::Example::kSourceFieldNumber,
    v1::Example::kStatusFieldNumber,
    v1::Example::kRedactionsFieldNumber,
    0,
    0,
    0};

constexpr SummaryFields kSummaryFields = {
    v1::ExampleSummary::kIdFieldNumber,
    v1::ExampleSummary::kCapturedAtFieldNumber,
    v1::ExampleSummary::kSessionIdFieldNumber,
    v1::ExampleSummary::kAssistantTurnIdFieldNumber,
    v1::ExampleSummary::kPraiseTurnIdFieldNumber,
    v1::ExampleSummary::kHasPraiseTurnFieldNumber,
    v1::ExampleSummary::kRejectedTurnIdFieldNumber,
    v1::ExampleSummary::kIsPairFieldNumber,
    0,
    0,
    0,
    v1::ExampleSummary::kLabelFieldNumber,
    v1::ExampleSummary::kSourceFieldNumber,
    v1::ExampleSummary::kStatusFieldNumber,
    0,
    v1::ExampleSummary::kRedactedFieldNumber,
    v1::ExampleSummary::kKeysFieldNumber,
    v1::ExampleSummary::kKeysVersionFieldNumber};

// Reads the summary out of a serialized message laid out as `f` says,
// skipping every other field unread.
bool ReadSummaryFields(absl::string_view data, const SummaryFields& f,
                       ExampleSummaryView* summary) {
  FieldReader in(data);
  while (uint32_t tag = in.Next()) {
    const int field = Field(tag);
    bool ok = true;
    if (Type(tag) == kLengthDelimited) {
      absl::string_view bytes;
      if (field == f.id) {
        ok = in.Bytes(&summary->id);
      } else if (field == f.session_id) {
        ok = in.Bytes(&summary->session_id);
      } else if (field == f.assistant_turn_id) {
        ok = in.Bytes(&summary->assistant_turn_id);
      } else if (field == f.praise_turn_id) {
        ok = in.Bytes(&summary->praise_turn_id);
      } else if (field == f.rejected_turn_id) {
        ok = in.Bytes(&summary->rejected_turn_id);
      } else if (field == f.rejected_turn) {
        summary->is_pair = true;
        ok = in.Bytes(&bytes) && ReadTurnId(bytes, &summary->rejected_turn_id);
      } else if (field == f.captured_at) {
        ok = in.Bytes(&bytes) && ReadTime(bytes, &summary->captured_at);
      } else if (field == f.assistant_turn) {
        ok = in.Bytes(&bytes) && ReadTurnId(bytes, &summary->assistant_turn_id);
      } else if (field == f.praise_turn) {
        summary->has_praise_turn = true;
        ok = in.Bytes(&bytes) && ReadTurnId(bytes, &summary->praise_turn_id);
      } else if (field == f.keys) {
        ok = in.Bytes(&summary->stored_keys);
      } else if (field == f.redactions) {
        summary->redacted = true;
        ok = in.Skip(tag);
      } else {
        ok = in.Skip(tag);
      }
    } else if (Type(tag) == kVarint &&
               (field == f.has_praise_turn || field == f.is_pair ||
                field == f.label || field == f.source || field == f.status ||
                field == f.redacted || field == f.keys_version)) {
      uint64_t value = 0;
      ok = in.Varint(&value);
      const int number = static_cast<int>(value);
      if (field == f.keys_version) {
        summary->stored_keys_version = static_cast<uint32_t>(value);
      } else if (field == f.has_praise_turn) {
        summary->has_praise_turn = value != 0;
      } else if (field == f.is_pair) {
        summary->is_pair = value != 0;
      } else if (field == f.label) {
        summary->label = static_cast<v1::Label>(number);
      } else if (field == f.source) {
        summary->source = static_cast<v1::Source>(number);
      } else if (field == f.redacted) {
        summary->redacted = value != 0;
      } else {
        summary->status = static_cast<v1::ReviewStatus>(number);
      }
    } else {
      ok = in.Skip(tag);
    }
    if (!ok) return false;
  }
  return in.Done();
}

constexpr size_t kKeyBytes = 16;

void AppendKey(const Hash128& key, std::string* out) {
  for (int i = 7; i >= 0; --i)
    out->push_back(static_cast<char>(key.high >> (8 * i)));
  for (int i = 7; i >= 0; --i)
    out->push_back(static_cast<char>(key.low >> (8 * i)));
}

// The key at `*bytes`' front, which it consumes.
Hash128 TakeKey(absl::string_view* bytes) {
  Hash128 key;
  for (size_t i = 0; i < 8; ++i) {
    key.high = (key.high << 8) | static_cast<unsigned char>((*bytes)[i]);
    key.low = (key.low << 8) | static_cast<unsigned char>((*bytes)[8 + i]);
  }
  bytes->remove_prefix(kKeyBytes);
  return key;
}

// Which keys `summary` has, none computed yet.
ExampleKeys KeyShapeOf(const ExampleSummaryView& summary) {
  ExampleKeys keys;
  keys.has_credit = summary.source != v1::SOURCE_IMPORTED;
  keys.has_feedback =
      keys.has_credit && !summary.is_pair && summary.has_praise_turn;
  return keys;
}

std::string EncodeKeys(const ExampleKeys& keys) {
  std::string bytes;
  AppendKey(keys.id, &bytes);
  if (keys.has_credit) AppendKey(keys.credit, &bytes);
  if (keys.has_feedback) AppendKey(keys.feedback, &bytes);
  return bytes;
}

}  // namespace

bool HasCurrentKeys(const ExampleSummaryView& summary) {
  const ExampleKeys shape = KeyShapeOf(summary);
  const size_t count = 1 + shape.has_credit + shape.has_feedback;
  return summary.stored_keys_version == kExampleKeysVersion &&
         summary.stored_keys.size() == count * kKeyBytes;
}

ExampleKeys KeysOf(const ExampleSummaryView& summary) {
  ExampleKeys keys = KeyShapeOf(summary);
  absl::string_view stored = summary.stored_keys;
  if (HasCurrentKeys(summary)) {
    keys.id = TakeKey(&stored);
    if (keys.has_credit) keys.credit = TakeKey(&stored);
    if (keys.has_feedback) keys.feedback = TakeKey(&stored);
    return keys;
  }
  keys.id = ExampleIdKey(summary.id);
  if (keys.has_credit && summary.is_pair) {
    keys.credit = ReplyKey(
        summary.session_id,
        PairCreditKey(summary.assistant_turn_id, summary.rejected_turn_id));
  } else if (keys.has_credit) {
    keys.credit = ReplyKey(summary.session_id, summary.assistant_turn_id);
  }
  if (keys.has_feedback) {
    keys.feedback = ReplyKey(summary.session_id, summary.praise_turn_id);
  }
  return keys;
}

ExampleSummaryView SummaryOf(const v1::Example& example) {
  ExampleSummaryView view;
  view.id = example.id();
  view.session_id = example.session_id();
  view.assistant_turn_id = example.assistant_turn().turn_id();
  view.has_praise_turn = example.has_praise_turn();
  view.praise_turn_id = example.praise_turn().turn_id();
  view.is_pair = example.has_rejected_turn();
  view.rejected_turn_id = example.rejected_turn().turn_id();
  view.captured_at = FromProtoTime(example.captured_at());
  view.label = example.label();
  view.source = example.source();
  view.status = example.status();
  view.redacted = !example.redactions().empty();
  return view;
}

v1::ExampleSummary SummarizeExample(const v1::Example& example) {
  return ToProto(SummaryOf(example));
}

ExampleSummaryView ViewOf(const v1::ExampleSummary& summary) {
  ExampleSummaryView view;
  view.id = summary.id();
  view.session_id = summary.session_id();
  view.assistant_turn_id = summary.assistant_turn_id();
  view.has_praise_turn = summary.has_praise_turn();
  view.praise_turn_id = summary.praise_turn_id();
  view.is_pair = summary.is_pair();
  view.rejected_turn_id = summary.rejected_turn_id();
  view.captured_at = FromProtoTime(summary.captured_at());
  view.label = summary.label();
  view.source = summary.source();
  view.status = summary.status();
  view.redacted = summary.redacted();
  view.stored_keys = summary.keys();
  view.stored_keys_version = summary.keys_version();
  return view;
}

v1::ExampleSummary ToProto(const ExampleSummaryView& view) {
  v1::ExampleSummary summary;
  summary.set_id(std::string(view.id));
  *summary.mutable_captured_at() = ToProtoTime(view.captured_at);
  summary.set_session_id(std::string(view.session_id));
  summary.set_assistant_turn_id(std::string(view.assistant_turn_id));
  summary.set_has_praise_turn(view.has_praise_turn);
  summary.set_praise_turn_id(std::string(view.praise_turn_id));
  summary.set_is_pair(view.is_pair);
  summary.set_rejected_turn_id(std::string(view.rejected_turn_id));
  summary.set_label(view.label);
  summary.set_source(view.source);
  summary.set_status(view.status);
  summary.set_redacted(view.redacted);
  summary.set_keys(EncodeKeys(KeysOf(view)));
  summary.set_keys_version(kExampleKeysVersion);
  return summary;
}

bool SummarizeExampleRecord(absl::string_view data,
                            ExampleSummaryView* summary) {
  *summary = ExampleSummaryView();
  return ReadSummaryFields(data, kExampleFields, summary);
}

bool ParseIndexEntry(absl::string_view data, IndexEntryView* entry) {
  using I = v1::ExampleIndexEntry;
  *entry = IndexEntryView();
  FieldReader in(data);
  while (uint32_t tag = in.Next()) {
    const int field = Field(tag);
    bool ok = true;
    if ((field == I::kOffsetFieldNumber || field == I::kLengthFieldNumber) &&
        Type(tag) == kVarint) {
      ok = in.Varint(field == I::kOffsetFieldNumber ? &entry->offset
                                                    : &entry->length);
    } else if (field == I::kMaskedCrcFieldNumber && Type(tag) == kFixed32) {
      ok = in.Fixed32(&entry->masked_crc);
    } else if (field == I::kSummaryFieldNumber &&
               Type(tag) == kLengthDelimited) {
      absl::string_view bytes;
      ok = in.Bytes(&bytes) &&
           ReadSummaryFields(bytes, kSummaryFields, &entry->summary);
    } else {
      ok = in.Skip(tag);
    }
    if (!ok) return false;
  }
  return in.Done();
}

}  // namespace ftcapture
