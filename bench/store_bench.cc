// ftcapture-store-bench: what durability costs per captured example.
//
// Appends realistic examples (a ~3 KB prompt, memories, a reply) to a fresh
// ExampleStore from --threads threads and reports appends/s, latency
// percentiles and fdatasyncs per append, for:
//   always+group   --sync=always, concurrent appends share one fsync
//   always+serial  --sync=always with appends serialized by the caller, so
//                  every append pays its own fsync (group commit defeated)
//   batch, none    the other policies
//   raw fdatasync  one thread: append the same bytes to a plain file and
//                  fdatasync, the floor the store is measured against
// Plain program, not a test: numbers go to docs/durability.md.
//
//   ftcapture-store-bench [--dir=/tmp] [--threads=8] [--appends=200]

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ftcapture/v1/capture.pb.h"
#include "src/storage/example_store.h"
#include "src/storage/tfrecord_writer.h"
#include "src/util/env.h"
#include "src/util/mutex.h"

ABSL_FLAG(std::string, dir, "", "parent of the scratch dirs (default TMPDIR)");
ABSL_FLAG(int, threads, 8, "concurrent appenders");
ABSL_FLAG(int, appends, 200, "appends per thread");

namespace ftcapture {
namespace {

// Counts Sync() calls on the files it opens.
class CountingEnv : public EnvWrapper {
 public:
  explicit CountingEnv(Env* base) : EnvWrapper(base) {}
  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      absl::string_view path) override {
    auto file = target()->NewAppendableFile(path);
    if (!file.ok()) return file;
    return std::unique_ptr<WritableFile>(
        new CountingFile(std::move(*file), &syncs_));
  }
  int64_t syncs() const { return syncs_.load(); }

 private:
  class CountingFile : public WritableFile {
   public:
    CountingFile(std::unique_ptr<WritableFile> base,
                 std::atomic<int64_t>* syncs)
        : base_(std::move(base)), syncs_(syncs) {}
    absl::Status Append(absl::string_view data) override {
      return base_->Append(data);
    }
    absl::Status Flush() override { return base_->Flush(); }
    absl::Status Sync() override {
      syncs_->fetch_add(1);
      return base_->Sync();
    }
    absl::Status Close() override { return base_->Close(); }

   private:
    std::unique_ptr<WritableFile> base_;
    std::atomic<int64_t>* syncs_;
  };
  std::atomic<int64_t> syncs_{0};
};

v1::Example MakeExample(int thread, int n) {
  v1::Example example;
  const std::string session = absl::StrFormat("bench-t%d", thread);
  example.set_id(absl::StrFormat("ex-bench-%d-%d", thread, n));
  example.set_session_id(session);
  example.mutable_user_turn()->set_text("What did my cat look like?");
  v1::Turn* reply = example.mutable_assistant_turn();
  reply->set_turn_id(absl::StrCat("a", n));
  reply->set_text(std::string(400, 'r'));
  reply->set_system_prompt(std::string(3000, 'p'));
  for (int m = 0; m < 5; ++m) {
    reply->add_memories()->set_text(std::string(80, 'm'));
  }
  example.mutable_praise_turn()->set_text("Good one, Timmy!");
  example.set_praise_text("Good one, Timmy!");
  example.set_rule("good_one");
  example.set_label(v1::LABEL_POSITIVE);
  example.mutable_captured_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  return example;
}

struct Result {
  double per_second = 0;
  absl::Duration p50, p99, max;
  double syncs_per_append = 0;
};

Result Summarize(std::vector<absl::Duration> latencies, absl::Duration wall,
                 int64_t syncs) {
  std::sort(latencies.begin(), latencies.end());
  Result r;
  const size_t n = latencies.size();
  r.per_second = n / absl::ToDoubleSeconds(wall);
  r.p50 = latencies[n / 2];
  r.p99 = latencies[std::min(n - 1, n * 99 / 100)];
  r.max = latencies.back();
  r.syncs_per_append = static_cast<double>(syncs) / n;
  return r;
}

void Print(const std::string& name, int threads, const Result& r) {
  std::printf(
      "%-15s threads=%-2d appends/s=%8.0f  p50=%7.3f ms  p99=%7.3f ms  "
      "max=%7.3f ms  fdatasync/append=%.3f\n",
      name.c_str(), threads, r.per_second, absl::ToDoubleMilliseconds(r.p50),
      absl::ToDoubleMilliseconds(r.p99), absl::ToDoubleMilliseconds(r.max),
      r.syncs_per_append);
  std::fflush(stdout);
}

std::string FreshDir(const std::string& parent) {
  std::string pattern = JoinPath(parent, "ftcapture-store-bench-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    std::exit(1);
  }
  return pattern;
}

int RunStore(const std::string& parent, const std::string& name,
             SyncPolicy sync, bool serialize, int threads, int appends) {
  const std::string dir = FreshDir(parent);
  CountingEnv env(Env::Default());
  ExampleStore::Options options;
  options.data_dir = dir;
  options.sync = sync;
  auto store = ExampleStore::Open(&env, options, nullptr, nullptr);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  const int64_t syncs_before = env.syncs();
  Mutex serial;
  std::vector<std::vector<absl::Duration>> latencies(threads);
  std::atomic<bool> failed{false};
  const absl::Time start = absl::Now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int n = 0; n < appends; ++n) {
        const v1::Example example = MakeExample(t, n);
        const absl::Time begin = absl::Now();
        absl::StatusOr<uint64_t> offset;
        if (serialize) {
          MutexLock lock(&serial);
          offset = (*store)->Append(example);
        } else {
          offset = (*store)->Append(example);
        }
        latencies[t].push_back(absl::Now() - begin);
        if (!offset.ok()) failed = true;
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  const absl::Duration wall = absl::Now() - start;
  const int64_t syncs = env.syncs() - syncs_before;
  store->reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  if (failed) {
    std::fprintf(stderr, "%s: an append failed\n", name.c_str());
    return 1;
  }
  std::vector<absl::Duration> all;
  for (const auto& per_thread : latencies) {
    all.insert(all.end(), per_thread.begin(), per_thread.end());
  }
  Print(name, threads, Summarize(std::move(all), wall, syncs));
  return 0;
}

// The floor: the same framed bytes appended and fdatasynced, one at a time.
int RunRawSync(const std::string& parent, int appends) {
  const std::string dir = FreshDir(parent);
  Env* env = Env::Default();
  auto file = env->NewAppendableFile(JoinPath(dir, "raw.tfrecord"));
  if (!file.ok()) return 1;
  std::string payload;
  MakeExample(0, 0).SerializeToString(&payload);
  std::vector<absl::Duration> latencies;
  const absl::Time start = absl::Now();
  for (int n = 0; n < appends; ++n) {
    std::string record;
    AppendTFRecord(payload, &record);
    const absl::Time begin = absl::Now();
    if (!(*file)->Append(record).ok() || !(*file)->Sync().ok()) return 1;
    latencies.push_back(absl::Now() - begin);
  }
  const absl::Duration wall = absl::Now() - start;
  file->reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  Print("raw fdatasync", 1, Summarize(std::move(latencies), wall, appends));
  return 0;
}

int Main() {
  std::string parent = absl::GetFlag(FLAGS_dir);
  if (parent.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    parent = tmp != nullptr ? tmp : "/tmp";
  }
  const int threads = absl::GetFlag(FLAGS_threads);
  const int appends = absl::GetFlag(FLAGS_appends);
  std::printf("ftcapture-store-bench: dir=%s, %d threads x %d appends\n",
              parent.c_str(), threads, appends);
  int failures = RunRawSync(parent, appends);
  failures += RunStore(parent, "always+group", SyncPolicy::kAlways, false,
                       threads, appends);
  failures += RunStore(parent, "always+serial", SyncPolicy::kAlways, true,
                       threads, appends);
  failures += RunStore(parent, "always 1 thread", SyncPolicy::kAlways, false, 1,
                       appends);
  failures +=
      RunStore(parent, "batch", SyncPolicy::kBatch, false, threads, appends);
  failures +=
      RunStore(parent, "none", SyncPolicy::kNone, false, threads, appends);
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace ftcapture

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return ftcapture::Main();
}
