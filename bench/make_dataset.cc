// ftcapture-make-dataset: writes a data dir of N captured examples of the
// benchmark's turn mix (a 2-4 KB prompt, 3-8 memories, a reply, the user
// turn it answered and the praise), through ExampleStore as the server
// would, so both the dataset and the Markdown log are real. bench/run.sh
// then times ftcapture-server's restart on it.
//
//   ftcapture-make-dataset --data_dir=/tmp/big --examples=1000000

#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/turn_mix.h"
#include "src/storage/example_store.h"
#include "src/util/env.h"
#include "src/util/proto_time.h"
#include "src/util/stable_hash.h"

ABSL_FLAG(std::string, data_dir, "", "the data dir to create (must be new)");
ABSL_FLAG(int64_t, examples, 1000000, "examples to write");
ABSL_FLAG(uint64_t, seed, 1, "seed of the turn mix");

namespace ftcapture {
namespace {

int Run(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string dir = absl::GetFlag(FLAGS_data_dir);
  if (dir.empty() || Env::Default()->FileExists(dir)) {
    std::fprintf(stderr, "make-dataset: --data_dir must name a new dir\n");
    return 2;
  }
  ExampleStore::Options options;
  options.data_dir = dir;
  options.sync = SyncPolicy::kNone;  // fsynced once at the end
  auto store = ExampleStore::Open(Env::Default(), options, nullptr, nullptr);
  if (!store.ok()) {
    std::fprintf(stderr, "make-dataset: %s\n",
                 store.status().ToString().c_str());
    return 1;
  }
  bench::TurnMix mix(absl::GetFlag(FLAGS_seed));
  const int64_t count = absl::GetFlag(FLAGS_examples);
  // Spread over the last 60 days, like a dataset grown over weeks.
  const absl::Time end = absl::Now();
  const absl::Duration step =
      absl::Hours(24 * 60) / std::max<int64_t>(count, 1);
  const absl::Time start_time = absl::Now();
  for (int64_t i = 0; i < count; ++i) {
    const std::string session = absl::StrFormat("sess-%07d", i / 4);
    const absl::Time at = end - (count - i) * step;
    v1::Example example;
    bool praise = false;
    mix.MakeUserTurn(session, absl::StrCat("u", i), example.mutable_user_turn(),
                     &praise);
    mix.MakeAssistantTurn(session, absl::StrCat("a", i),
                          example.mutable_assistant_turn());
    mix.MakePraiseTurn(session, absl::StrCat("p", i),
                       example.mutable_praise_turn());
    *example.mutable_user_turn()->mutable_time() = ToProtoTime(at);
    *example.mutable_assistant_turn()->mutable_time() = ToProtoTime(at);
    *example.mutable_praise_turn()->mutable_time() = ToProtoTime(at);
    example.set_id(absl::StrFormat(
        "ex-%016x", StableHash64(absl::StrCat(session, "\x1f", "a", i))));
    *example.mutable_captured_at() = ToProtoTime(at);
    example.set_session_id(session);
    example.set_praise_text(example.praise_turn().text());
    example.set_rule("that_was_adj");
    // One in ten criticised, as a dataset with preference data would be.
    example.set_label(i % 10 == 9 ? v1::LABEL_NEGATIVE : v1::LABEL_POSITIVE);
    example.set_source(v1::SOURCE_IMPLICIT);
    example.set_status(v1::REVIEW_STATUS_PENDING);
    absl::StatusOr<uint64_t> appended = (*store)->Append(example);
    if (!appended.ok()) {
      std::fprintf(stderr, "make-dataset: %s\n",
                   appended.status().ToString().c_str());
      return 1;
    }
    if ((i + 1) % 100000 == 0) {
      std::fprintf(stderr, "make-dataset: %lld examples\n",
                   static_cast<long long>(i + 1));
    }
  }
  const int64_t dataset_bytes = (*store)->dataset_bytes();
  const int64_t markdown_bytes = (*store)->markdown_bytes();
  store->reset();
  absl::PrintF(
      "made %d examples in %s: dataset %d bytes, Markdown %d bytes, %.1f s\n",
      count, dir, dataset_bytes, markdown_bytes,
      absl::ToDoubleSeconds(absl::Now() - start_time));
  return 0;
}

}  // namespace
}  // namespace ftcapture

int main(int argc, char** argv) { return ftcapture::Run(argc, argv); }
