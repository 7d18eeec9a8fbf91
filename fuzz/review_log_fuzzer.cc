// The review log replayed from an arbitrary file: Open never crashes, cuts
// a torn tail, and a review appended afterwards replays after the rest.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "fuzz/fuzz_util.h"
#include "src/storage/review_log.h"
#include "src/util/env.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ftcapture;
  const std::string data_dir = fuzz::ScratchDir() + "/reviews";
  fuzz::RemoveTree(data_dir);
  FUZZ_CHECK(Env::Default()->CreateDirIfMissing(data_dir).ok());
  fuzz::WriteWholeFile(
      data_dir + "/" + kReviewLogFileName,
      absl::string_view(reinterpret_cast<const char*>(data), size));

  std::vector<std::string> first;
  {
    absl::StatusOr<std::unique_ptr<ReviewLog>> log = ReviewLog::Open(
        Env::Default(), data_dir, [&](const v1::ReviewRecord& record) {
          first.push_back(record.example_id());
        });
    FUZZ_CHECK(log.ok());
    v1::ReviewRecord record;
    record.set_example_id("ex-fuzz-appended");
    record.set_status(v1::REVIEW_STATUS_APPROVED);
    FUZZ_CHECK((*log)->Append(record).ok());
  }
  std::vector<std::string> second;
  absl::StatusOr<std::unique_ptr<ReviewLog>> log = ReviewLog::Open(
      Env::Default(), data_dir, [&](const v1::ReviewRecord& record) {
        second.push_back(record.example_id());
      });
  FUZZ_CHECK(log.ok());
  first.push_back("ex-fuzz-appended");
  FUZZ_CHECK(first == second);
  return 0;
}
