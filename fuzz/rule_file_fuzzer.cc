// Rule files: parsing must never crash, and whatever parses must compile
// into a detector (or fail with a status) that judges messages safely.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "fuzz/fuzz_util.h"
#include "src/detect/praise_detector.h"
#include "src/detect/rule_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ftcapture;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<RuleFile> parsed = ParseRuleFile(text, "Timmy");
  if (!parsed.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(parsed.status()));
    return 0;
  }
  absl::StatusOr<std::unique_ptr<PraiseDetector>> detector =
      PraiseDetector::Create(text, "Timmy");
  if (!detector.ok()) return 0;
  for (absl::string_view message :
       {"Good one, Timmy!", "That was not a good one. Thanks though!",
        "That was a hallucination", ""}) {
    (*detector)->Detect(message);
  }
  (*detector)->Detect(text);
  return 0;
}
