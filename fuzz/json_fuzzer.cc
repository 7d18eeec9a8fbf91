// The JSON readers: the flat metadata reader of import-markdown and the
// Turn reader of `push --json` / `replay`. Invariants: no crash on any
// bytes; a Turn that parses prints as JSON that parses back to the same Turn.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "client/proto_json.h"
#include "fuzz/fuzz_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "src/tools/flat_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ftcapture;
  const absl::string_view json(reinterpret_cast<const char*>(data), size);
  auto members = FlattenJsonObject(json);
  if (!members.ok()) FUZZ_CHECK(absl::IsInvalidArgument(members.status()));

  absl::StatusOr<v1::Turn> turn = ParseTurnJson(json);
  if (!turn.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(turn.status()));
    return 0;
  }
  absl::StatusOr<std::string> printed = ToJson(*turn);
  FUZZ_CHECK(printed.ok());
  absl::StatusOr<v1::Turn> again = ParseTurnJson(*printed);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(*turn, *again));
  return 0;
}
