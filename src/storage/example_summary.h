#ifndef FTCAPTURE_SRC_STORAGE_EXAMPLE_SUMMARY_H_
#define FTCAPTURE_SRC_STORAGE_EXAMPLE_SUMMARY_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ftcapture/v1/capture.pb.h"
#include "ftcapture/v1/storage.pb.h"
#include "src/util/stable_hash.h"

namespace ftcapture {

// What the service indexes of an example: its id, time, labels and the turn
// ids that dedup later captures. The strings are views into bytes owned by
// someone else (a record, an index entry, a proto), so reading a million of
// them back at start allocates nothing.
struct ExampleSummaryView {
  absl::string_view id;
  absl::string_view session_id;
  absl::string_view assistant_turn_id;
  bool has_praise_turn = false;
  absl::string_view praise_turn_id;
  // A preference pair: assistant_turn_id preferred over rejected_turn_id.
  bool is_pair = false;
  absl::string_view rejected_turn_id;
  absl::Time captured_at = absl::UnixEpoch();
  v1::Label label = v1::LABEL_UNSPECIFIED;
  v1::Source source = v1::SOURCE_UNSPECIFIED;
  v1::ReviewStatus status = v1::REVIEW_STATUS_UNSPECIFIED;
  bool redacted = false;  // a redaction rule fired on the example
  // The keys examples.index carried (ExampleSummary.keys and its version);
  // KeysOf takes them only when they are of the current version and shape.
  absl::string_view stored_keys;
  uint32_t stored_keys_version = 0;
};

// What the service keys an example by in its maps: SHA-256 fingerprints
// (src/storage/example_id.h), stored in examples.index so that a restart
// does not hash a million examples again.
struct ExampleKeys {
  Hash128 id;                 // ExampleIdKey(id)
  bool has_credit = false;    // not an import
  Hash128 credit;             // ReplyKey(session, reply or PairCreditKey)
  bool has_feedback = false;  // a single example with a praise turn
  Hash128 feedback;           // ReplyKey(session, praise turn)
};
// Bump when a key above changes meaning (a tag, a field, the hash): indexes
// with keys of another version then get them recomputed at start.
inline constexpr uint32_t kExampleKeysVersion = 1;

// True when the summary carries keys of kExampleKeysVersion, as many as
// it has.
bool HasCurrentKeys(const ExampleSummaryView& summary);
// The summary's keys: its stored ones when current, else computed.
ExampleKeys KeysOf(const ExampleSummaryView& summary);

// Views into `example`, which must outlive the result.
ExampleSummaryView SummaryOf(const v1::Example& example);
// The summary of a whole example, as a proto (for examples.index):
// ToProto(SummaryOf(example)).
v1::ExampleSummary SummarizeExample(const v1::Example& example);
// Views into `summary`, which must outlive the result.
ExampleSummaryView ViewOf(const v1::ExampleSummary& summary);
// With its keys (KeysOf) and their version.
v1::ExampleSummary ToProto(const ExampleSummaryView& view);

// The summary of a serialized v1::Example, read without parsing the turns'
// texts, prompts and memories (most of its bytes). False when `data` is not
// well-formed at the levels read.
bool SummarizeExampleRecord(absl::string_view data,
                            ExampleSummaryView* summary);

// A serialized v1::ExampleIndexEntry, read the same way (its Markdown
// states are not read).
struct IndexEntryView {
  uint64_t offset = 0;
  uint64_t length = 0;  // 0: a Markdown state marker
  uint32_t masked_crc = 0;
  ExampleSummaryView summary;
};
bool ParseIndexEntry(absl::string_view data, IndexEntryView* entry);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_STORAGE_EXAMPLE_SUMMARY_H_
