// The hand-written decoders of stored records: the example summary read
// without parsing the turns, the examples.index entry, and a stored turn
// (journal bytes). Invariants: no crash on any bytes; wherever protobuf
// itself accepts a serialized Example, the summary decoder accepts it too
// and reads the same ids and labels, so the index never dedups or finds
// examples differently from the dataset.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "ftcapture/v1/capture.pb.h"
#include "fuzz/fuzz_util.h"
#include "src/session/stored_turn.h"
#include "src/storage/example_summary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ftcapture;
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);

  ExampleSummaryView summary;
  const bool summarized = SummarizeExampleRecord(bytes, &summary);
  v1::Example example;
  if (example.ParseFromArray(data, static_cast<int>(size))) {
    FUZZ_CHECK(summarized);
    const ExampleSummaryView expected = SummaryOf(example);
    FUZZ_CHECK(summary.id == expected.id);
    FUZZ_CHECK(summary.session_id == expected.session_id);
    FUZZ_CHECK(summary.assistant_turn_id == expected.assistant_turn_id);
    FUZZ_CHECK(summary.has_praise_turn == expected.has_praise_turn);
    FUZZ_CHECK(summary.praise_turn_id == expected.praise_turn_id);
    FUZZ_CHECK(summary.label == expected.label);
    FUZZ_CHECK(summary.source == expected.source);
    FUZZ_CHECK(summary.status == expected.status);
  }

  IndexEntryView entry;
  if (ParseIndexEntry(bytes, &entry)) {
    // Stored keys are taken only when their count fits the summary; any
    // others are computed.
    const ExampleKeys keys = KeysOf(entry.summary);
    FUZZ_CHECK(keys.has_feedback ? keys.has_credit : true);
  }

  absl::StatusOr<TurnPtr> turn = StoredTurn::FromBytes(std::string(bytes));
  if (turn.ok()) {
    const v1::Turn parsed = (*turn)->ToProto();
    FUZZ_CHECK(parsed.turn_id() == (*turn)->turn_id());
    FUZZ_CHECK(parsed.role() == (*turn)->role());
  } else {
    FUZZ_CHECK(absl::IsDataLoss(turn.status()));
  }
  return 0;
}
