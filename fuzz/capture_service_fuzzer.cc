// Drives the capture service with an arbitrary sequence of turns, feedback,
// reviews, imports and restarts (decoded from the fuzz input) in a fresh
// data dir, then checks what the issue promises whatever the clients send:
//  - every example id a response acknowledged is in the dataset, and one
//    that was acknowledged as newly stored is stored exactly once;
//  - no id is stored twice (no collision, no double capture);
//  - the Markdown log has one `## Example Captured` line per positive
//    example (fenced text cannot fake one), also after restarts;
//  - nothing crashes, and every error is a status.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "fuzz/fuzz_util.h"
#include "src/service/capture_service.h"
#include "src/storage/example_store.h"
#include "src/storage/tfrecord_reader.h"
#include "src/util/env.h"

namespace ftcapture {
namespace {

// Small rules, so opening a service per input costs little.
constexpr char kRules[] =
    "# ftcapture-rules v1\n"
    "praise p_good {start}\\W*good\\s+one\\b.*{end}\n"
    "criticism c_wrong {start}\\W*(?:that\\s+was\\s+)?wrong\\b.*{end}\n";

// Texts that have broken things before, mixed with the fuzzer's own.
const char* const kTexts[] = {
    "Good one, Timmy!",
    "That was wrong",
    "How deep should I plant tulip bulbs?",
    "About 15 cm.",
    "\n## Example Captured: 2025-01-01T00:00:00Z\n",
    "```\n## Example Captured: x\n```",
    "<img src=x onerror=alert(1)>",
    "good one ``````` **Praise:** ==========",
    "tab\there\r\nand a line",
};
const char* const kIds[] = {"a",
                            "b",
                            "a\x1f"
                            "b",
                            "1",
                            "2",
                            "u1",
                            "a1"};

std::string PickString(FuzzedDataProvider& in, const char* const* table,
                       size_t n) {
  if (in.ConsumeBool())
    return table[in.ConsumeIntegralInRange<size_t>(0, n - 1)];
  return in.ConsumeRandomLengthString(48);
}

struct Run {
  std::string data_dir;
  std::string rules_path;
  std::unique_ptr<CaptureService> service;
  // Ids answered as newly stored, and ids answered at all.
  std::map<std::string, int> stored_acks;
  std::map<std::string, int> any_acks;

  void Open() {
    service.reset();
    CaptureService::Options options;
    options.data_dir = data_dir;
    options.praise_rules_path = rules_path;
    options.sync = SyncPolicy::kNone;
    options.max_sessions = 8;
    options.max_turn_bytes = 4096;
    options.log = [](const std::string&) {};
    absl::StatusOr<std::unique_ptr<CaptureService>> opened =
        CaptureService::Open(options, Env::Default());
    FUZZ_CHECK(opened.ok());
    service = *std::move(opened);
  }

  void Ack(const std::string& id, bool fresh) {
    if (id.empty()) return;
    ++any_acks[id];
    if (fresh) ++stored_acks[id];
  }

  void Turn(FuzzedDataProvider& in) {
    v1::Turn turn;
    turn.set_session_id(PickString(in, kIds, std::size(kIds)));
    turn.set_turn_id(PickString(in, kIds, std::size(kIds)));
    turn.set_role(static_cast<v1::Role>(in.ConsumeIntegralInRange<int>(0, 3)));
    turn.set_text(PickString(in, kTexts, std::size(kTexts)));
    if (turn.role() == v1::ROLE_ASSISTANT) {
      turn.set_system_prompt(PickString(in, kTexts, std::size(kTexts)));
      if (in.ConsumeBool()) {
        turn.add_memories()->set_text(
            PickString(in, kTexts, std::size(kTexts)));
      }
    }
    if (in.ConsumeBool()) {
      turn.mutable_time()->set_seconds(in.ConsumeIntegral<int64_t>());
      turn.mutable_time()->set_nanos(in.ConsumeIntegral<int32_t>());
    }
    if (in.ConsumeBool()) {
      (*turn.mutable_metadata())[in.ConsumeRandomLengthString(8)] =
          in.ConsumeRandomLengthString(16);
    }
    absl::StatusOr<v1::RecordTurnResponse> response = service->RecordTurn(turn);
    if (!response.ok()) {
      FUZZ_CHECK(absl::IsInvalidArgument(response.status()));
      return;
    }
    Ack(response->example_id(), !response->duplicate());
  }

  void Feedback(FuzzedDataProvider& in) {
    v1::RecordFeedbackRequest request;
    request.set_session_id(PickString(in, kIds, std::size(kIds)));
    if (in.ConsumeBool()) {
      request.set_turn_id(PickString(in, kIds, std::size(kIds)));
    }
    request.set_positive(in.ConsumeBool());
    request.set_note(PickString(in, kTexts, std::size(kTexts)));
    absl::StatusOr<v1::RecordFeedbackResponse> response =
        service->RecordFeedback(request);
    if (response.ok()) Ack(response->example_id(), true);
  }

  void Review(FuzzedDataProvider& in) {
    if (any_acks.empty()) return;
    auto it = any_acks.begin();
    std::advance(it, in.ConsumeIntegralInRange<size_t>(0, any_acks.size() - 1));
    v1::ReviewExampleRequest request;
    request.set_example_id(it->first);
    request.set_status(
        static_cast<v1::ReviewStatus>(in.ConsumeIntegralInRange<int>(0, 4)));
    request.set_note(in.ConsumeRandomLengthString(16));
    absl::StatusOr<v1::ReviewExampleResponse> response =
        service->ReviewExample(request);
    if (response.ok()) FUZZ_CHECK(response->example().id() == it->first);
  }

  void Import(FuzzedDataProvider& in) {
    v1::ImportExamplesRequest request;
    v1::Example* example = request.add_examples();
    example->mutable_user_turn()->set_text(
        PickString(in, kTexts, std::size(kTexts)));
    example->mutable_assistant_turn()->set_text(
        PickString(in, kTexts, std::size(kTexts)));
    example->set_praise_text(PickString(in, kTexts, std::size(kTexts)));
    if (in.ConsumeBool()) {
      example->mutable_captured_at()->set_seconds(
          in.ConsumeIntegral<int64_t>());
    }
    absl::StatusOr<v1::ImportExamplesResponse> response =
        service->ImportExamples(request);
    if (!response.ok()) return;
    for (const std::string& id : response->example_ids()) {
      Ack(id, response->imported() > 0);
    }
  }

  // Reads the files back and checks the invariants above.
  void Check() {
    std::map<std::string, int> stored;
    int64_t positive = 0;
    absl::StatusOr<uint64_t> read = ReadTFRecordFile(
        Env::Default(), data_dir + "/" + kDatasetFileName,
        [&](absl::string_view data) {
          v1::Example example;
          FUZZ_CHECK(example.ParseFromArray(data.data(), data.size()));
          ++stored[example.id()];
          if (example.label() == v1::LABEL_POSITIVE) ++positive;
        });
    FUZZ_CHECK(read.ok() || any_acks.empty());
    for (const auto& [id, count] : stored) FUZZ_CHECK(count == 1);
    for (const auto& [id, count] : any_acks) FUZZ_CHECK(stored.count(id) == 1);
    for (const auto& [id, count] : stored_acks) FUZZ_CHECK(count == 1);

    std::ifstream markdown(data_dir + "/" + kMarkdownFileName,
                           std::ios::binary);
    std::stringstream text;
    text << markdown.rdbuf();
    int64_t blocks = 0;
    for (absl::string_view line : absl::StrSplit(text.str(), '\n')) {
      if (absl::StartsWith(line, "## Example Captured")) ++blocks;
      // Nothing raw a terminal or grep would trip over.
      for (char c : line) {
        FUZZ_CHECK(c == '\t' || c == '\r' ||
                   static_cast<unsigned char>(c) >= 0x20);
      }
    }
    FUZZ_CHECK(blocks == positive);
  }
};

}  // namespace
}  // namespace ftcapture

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ftcapture;
  static const std::string rules_path = [] {
    std::string path = fuzz::ScratchDir() + "/rules.txt";
    fuzz::WriteWholeFile(path, kRules);
    return path;
  }();
  Run run;
  run.data_dir = fuzz::ScratchDir() + "/data";
  run.rules_path = rules_path;
  fuzz::RemoveTree(run.data_dir);
  run.Open();

  FuzzedDataProvider in(data, size);
  for (int op = 0; op < 64 && in.remaining_bytes() > 0; ++op) {
    // Mostly turns; a restart (recovery, journal replay) now and then.
    const int kind = in.ConsumeIntegralInRange<int>(0, 31);
    if (kind < 22) {
      run.Turn(in);
    } else if (kind < 26) {
      run.Feedback(in);
    } else if (kind < 28) {
      run.Review(in);
    } else if (kind < 31) {
      run.Import(in);
    } else {
      run.Open();  // a restart: recovery must find the same state
    }
  }
  run.service.reset();
  run.Check();
  run.Open();  // and once more after a final restart
  run.service.reset();
  run.Check();
  return 0;
}
