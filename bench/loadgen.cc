// ftcapture-loadgen: drives a CaptureService (the real server or the no-op
// one) with the realistic turn mix of bench/turn_mix.h and reports what it
// measured as one "result" line that bench/run.sh reads.
//
// Modes:
//   unary    --concurrency RecordTurn calls in flight (gRPC callback API),
//            each lane cycling through its share of --sessions sessions:
//            a user turn (praise on --praise_rate of them), then the
//            assistant turn with its prompt and memories.
//   stream   the same turns, one StreamTurns stream per lane, one request in
//            flight per stream.
//   capture  one session after another, sequentially: user turn, assistant
//            turn, praise; times the praise (the capture, fsync included).
//            The praise carries the ftcapture-bench-capture-bytes mark with
//            what ftcapture appends for it (bench/capture_model.h), so the
//            no-op server's --durable_dir mode appends and fdatasyncs as
//            much: against that server this times the fair limit. Also
//            times, interleaved, a bare append + fdatasync of the record's
//            bytes to a file in --fsync_dir, for context.
//
// Turns/s and latency percentiles count only calls that start after
// --warmup. With --server_pid the server's CPU time (utime + stime from
// /proc/PID/stat) is read when the measured time starts and ends, and its
// peak RSS (VmHWM) at the end. "window_bytes" is what the sessions' windows
// hold by the server's rules (SessionWindow, at --history_turns and
// --history_bytes): the latest exchange whole, the turns before it as
// history (older replies without their prompt and memories), as the
// serialized bytes the server keeps (with the time it adds to each turn).
// With --exchanges=N the run is not timed: each lane stops once every one
// of its sessions has had N exchanges (to measure memory with full
// histories).
//
//   ftcapture-loadgen --server=127.0.0.1:50051 --mode=unary --sessions=10000

#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/capture_model.h"
#include "bench/durable_capture_log.h"
#include "bench/turn_mix.h"
#include "ftcapture/v1/capture.grpc.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "src/util/mutex.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "host:port of the server");
ABSL_FLAG(std::string, mode, "unary", "unary, stream or capture");
ABSL_FLAG(std::string, label, "server", "name for the result line");
ABSL_FLAG(int, sessions, 10000, "live sessions (unary and stream)");
ABSL_FLAG(int, concurrency, 64,
          "lanes: calls in flight (unary) or open streams (stream)");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5),
          "measured time, after the warmup");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "time not measured");
ABSL_FLAG(double, praise_rate, 0.02, "share of user turns that praise");
ABSL_FLAG(uint64_t, seed, 1, "seed of the turn mix");
ABSL_FLAG(int, server_pid, 0,
          "read this process's CPU time over the measured time and its peak "
          "RSS at the end");
ABSL_FLAG(int, exchanges, 0,
          "unary and stream: instead of --duration, run until every session "
          "has had this many exchanges");
ABSL_FLAG(int, history_turns, 8, "the server's --history_turns");
ABSL_FLAG(int64_t, history_bytes, int64_t{64} << 10,
          "the server's --history_bytes");
ABSL_FLAG(int, samples, 1000, "capture mode: praises timed");
ABSL_FLAG(bool, expect_examples, true,
          "capture mode: fail when a praise comes back without an example "
          "id (false against the no-op server)");
ABSL_FLAG(std::string, capture_us_file, "",
          "capture mode: append each timed capture's latency (us), one a "
          "line, to this file, so rounds can be pooled");
ABSL_FLAG(std::string, fsync_dir, "",
          "capture mode: where the bare append+fdatasync file goes; use the "
          "filesystem of the server's data dir");

namespace ftcapture {
namespace {

using Clock = std::chrono::steady_clock;
using v1::RecordTurnRequest;
using v1::RecordTurnResponse;

int64_t MicrosSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() -
                                                               start)
      .count();
}

// p in [0, 100] of sorted `values`, nearest rank.
int64_t Percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(p / 100.0 * sorted.size() + 0.5);
  rank = std::min(std::max<size_t>(rank, 1), sorted.size());
  return sorted[rank - 1];
}

// VmHWM of `pid` in KiB, or 0.
int64_t PeakRssKb(int pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, "VmHWM:")) {
      rest = absl::StripAsciiWhitespace(
          absl::StripSuffix(absl::StripAsciiWhitespace(rest), "kB"));
      int64_t kb = 0;
      if (absl::SimpleAtoi(rest, &kb)) return kb;
    }
  }
  return 0;
}

// CPU time (user + system) of process `pid` in microseconds, from
// /proc/PID/stat, or -1.
int64_t ProcessCpuMicros(int pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(stat, line)) return -1;
  // The command name (field 2) may hold spaces; fields after it do not.
  const size_t name_end = line.rfind(')');
  if (name_end == std::string::npos) return -1;
  const std::vector<absl::string_view> fields = absl::StrSplit(
      absl::string_view(line).substr(name_end + 2), ' ', absl::SkipEmpty());
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  int64_t utime = 0;
  int64_t stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return -1;
  }
  return (utime + stime) * 1000000 / sysconf(_SC_CLK_TCK);
}

// This process's CPU time (user + system) in microseconds.
int64_t OwnCpuMicros() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000 +
         usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

// What the server adds to a turn sent without a time: a google.protobuf.
// Timestamp field (tag, length, seconds and nanos as varints: 2 + 6 + 6).
constexpr int kServerTimeBytes = 14;

// The size of length-delimited field `size` bytes long, of field number < 16.
size_t FieldBytes(size_t size) {
  return 1 + google::protobuf::io::CodedOutputStream::VarintSize64(size) + size;
}

// A turn a session window holds, by size: its bytes as the server keeps
// them, and what is left of a reply once it is history (StoredTurn::Slim).
struct HeldTurn {
  bool reply = false;
  bool slim = false;
  int32_t bytes = 0;
  int32_t slim_bytes = 0;

  int32_t held_bytes() const { return slim ? slim_bytes : bytes; }
};

// The server's limits on a session window (SessionLimits).
struct WindowLimits {
  int max_turns = 2 * 8 + 8;
  int64_t history_bytes = 64 << 10;
};

// One session, and what the server's window of it holds by SessionWindow's
// rules, for this load's turn order (a user turn, then the reply to it).
struct SessionState {
  std::string id;
  int64_t turns = 0;
  int64_t exchanges = 0;
  std::vector<HeldTurn> held;

  bool has_reply() const { return exchanges > 0; }

  // SessionWindow::Apply and DropOldTurns: the latest reply and the user
  // turn it answers (and what follows) stay whole; before them replies are
  // slim, and the oldest turns go beyond the count and byte limits.
  void Hold(const HeldTurn& turn, const WindowLimits& limits) {
    held.push_back(turn);
    int keep_from = static_cast<int>(held.size()) - 1;
    for (int i = keep_from; i >= 0; --i) {
      if (held[i].reply) {
        keep_from = std::max(0, i - 1);
        break;
      }
    }
    int64_t history = 0;
    for (int i = 0; i < keep_from; ++i) {
      if (held[i].reply) held[i].slim = true;
      history += held[i].held_bytes();
    }
    int drop = 0;
    while (drop < keep_from &&
           (static_cast<int>(held.size()) - drop > limits.max_turns ||
            history > limits.history_bytes)) {
      history -= held[drop].held_bytes();
      ++drop;
    }
    held.erase(held.begin(), held.begin() + drop);
  }

  int64_t WindowBytes() const {
    int64_t bytes = 0;
    for (const HeldTurn& turn : held) bytes += turn.held_bytes();
    return bytes;
  }
};

// Shared by the lanes of one run; each lane touches only its own entries.
struct Run {
  Clock::time_point measure_start;
  Clock::time_point measure_end;
  int exchanges = 0;  // > 0: run until every session had this many
  WindowLimits limits;
  Mutex mu;
  CondVar lanes_done;  // signalled when lanes_running reaches 0
  int lanes_running ABSL_GUARDED_BY(mu) = 0;
  std::string first_error ABSL_GUARDED_BY(mu);

  // True when a lane whose sessions all had `lane_exchanges` exchanges
  // should send no more.
  bool Over(int64_t lane_exchanges, Clock::time_point now) const {
    if (exchanges > 0) return lane_exchanges >= exchanges;
    return now >= measure_end;
  }
  void LaneDone(const std::string& error) {
    MutexLock lock(&mu);
    if (!error.empty() && first_error.empty()) first_error = error;
    if (--lanes_running == 0) lanes_done.SignalAll();
  }
  void WaitForLanes() {
    MutexLock lock(&mu);
    while (lanes_running > 0) lanes_done.Wait(&mu);
  }
};

// The turn sequence of one lane: for each of its sessions in turn, a user
// turn then the reply; the window bookkeeping follows what was answered.
class TurnSequence {
 public:
  TurnSequence(uint64_t seed, double praise_rate, const Run* run,
               std::vector<SessionState>* sessions)
      : mix_(seed, praise_rate), run_(run), sessions_(sessions) {}

  void Next(RecordTurnRequest* request) {
    SessionState& session = (*sessions_)[cursor_];
    const std::string turn_id = absl::StrCat("t", session.turns);
    v1::Turn* turn = request->mutable_turn();
    turn_ = HeldTurn();
    if (!reply_next_) {
      mix_.MakeUserTurn(session.id, turn_id, turn, &praise_);
    } else {
      praise_ = false;
      mix_.MakeAssistantTurn(session.id, turn_id, turn);
      turn_.reply = true;
    }
    turn_.bytes = static_cast<int32_t>(turn->ByteSizeLong()) + kServerTimeBytes;
    turn_.slim_bytes = turn_.bytes;
    if (turn_.reply) {
      // Slim drops the prompt and the memories (field numbers < 16).
      turn_.slim_bytes -=
          static_cast<int32_t>(turn->system_prompt().empty()
                                   ? 0
                                   : FieldBytes(turn->system_prompt().size()));
      for (const v1::Memory& memory : turn->memories()) {
        turn_.slim_bytes -=
            static_cast<int32_t>(FieldBytes(memory.GetCachedSize()));
      }
    }
  }

  // The server acknowledged the turn made by Next().
  void Acknowledged() {
    SessionState& session = (*sessions_)[cursor_];
    ++session.turns;
    session.Hold(turn_, run_->limits);
    if (!reply_next_) {
      if (praise_) {
        ++praise_sent_;
        // A praise credits the session's latest reply, if it has one.
        // (In this sequence every reply is followed by one user turn.)
        if (session.has_reply()) ++creditable_;
      }
      reply_next_ = true;
    } else {
      ++session.exchanges;
      reply_next_ = false;
      cursor_ = (cursor_ + 1) % sessions_->size();
      if (cursor_ == 0) ++rounds_;
    }
  }

  // Exchanges every session of this lane has had.
  int64_t rounds() const { return rounds_; }
  int64_t praise_sent() const { return praise_sent_; }
  // Praise sent while its session had a reply to credit: each of these
  // must come back with an example id from the real server.
  int64_t creditable() const { return creditable_; }

 private:
  bench::TurnMix mix_;
  const Run* const run_;
  std::vector<SessionState>* sessions_;
  size_t cursor_ = 0;
  bool reply_next_ = false;
  bool praise_ = false;
  HeldTurn turn_;
  int64_t rounds_ = 0;
  int64_t praise_sent_ = 0;
  int64_t creditable_ = 0;
};

// What a lane measured.
struct LaneStats {
  std::vector<int64_t> latencies_us;
  int64_t examples = 0;
};

// One lane: RecordTurn calls back to back, one in flight.
class UnaryLane {
 public:
  UnaryLane(Run* run, v1::CaptureService::Stub* stub, uint64_t seed,
            double praise_rate, std::vector<SessionState>* sessions)
      : run_(run), stub_(stub), sequence_(seed, praise_rate, run, sessions) {}

  void Start() { Send(); }
  const LaneStats& stats() const { return stats_; }
  int64_t praise_sent() const { return sequence_.praise_sent(); }
  int64_t creditable() const { return sequence_.creditable(); }

 private:
  void Send() {
    sequence_.Next(&request_);
    context_ = std::make_unique<grpc::ClientContext>();
    response_.Clear();
    started_ = Clock::now();
    stub_->async()->RecordTurn(context_.get(), &request_, &response_,
                               [this](grpc::Status status) { Done(status); });
  }

  void Done(const grpc::Status& status) {
    if (!status.ok()) {
      run_->LaneDone(absl::StrCat("RecordTurn: ", status.error_message()));
      return;
    }
    const Clock::time_point now = Clock::now();
    if (started_ >= run_->measure_start) {
      stats_.latencies_us.push_back(MicrosSince(started_));
    }
    if (!response_.example_id().empty()) ++stats_.examples;
    sequence_.Acknowledged();
    if (run_->Over(sequence_.rounds(), now)) {
      run_->LaneDone("");
      return;
    }
    Send();
  }

  Run* const run_;
  v1::CaptureService::Stub* const stub_;
  TurnSequence sequence_;
  LaneStats stats_;
  std::unique_ptr<grpc::ClientContext> context_;
  RecordTurnRequest request_;
  RecordTurnResponse response_;
  Clock::time_point started_;
};

// One lane: a StreamTurns stream, one request in flight. The next request
// goes out once both the write and the read of the last one completed.
class StreamLane final
    : public grpc::ClientBidiReactor<RecordTurnRequest, RecordTurnResponse> {
 public:
  StreamLane(Run* run, v1::CaptureService::Stub* stub, uint64_t seed,
             double praise_rate, std::vector<SessionState>* sessions)
      : run_(run), stub_(stub), sequence_(seed, praise_rate, run, sessions) {}

  void Start() {
    stub_->async()->StreamTurns(&context_, this);
    Send();
    StartCall();
  }
  const LaneStats& stats() const { return stats_; }
  int64_t praise_sent() const { return sequence_.praise_sent(); }
  int64_t creditable() const { return sequence_.creditable(); }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      error_ = "StreamTurns: write failed";
      return;  // OnDone follows
    }
    Step();
  }
  void OnReadDone(bool ok) override {
    if (!ok) {
      if (error_.empty()) error_ = "StreamTurns: stream ended early";
      return;
    }
    if (started_ >= run_->measure_start) {
      stats_.latencies_us.push_back(MicrosSince(started_));
    }
    if (response_.error_code() != 0) {
      error_ = absl::StrCat("StreamTurns: ", response_.error_message());
      StartWritesDone();
      return;
    }
    if (!response_.example_id().empty()) ++stats_.examples;
    sequence_.Acknowledged();
    Step();
  }
  void OnWritesDoneDone(bool) override {}
  void OnDone(const grpc::Status& status) override {
    if (error_.empty() && !status.ok()) {
      error_ = absl::StrCat("StreamTurns: ", status.error_message());
    }
    run_->LaneDone(error_);
  }

 private:
  void Send() {
    sequence_.Next(&request_);
    pending_.store(2);
    started_ = Clock::now();
    StartRead(&response_);
    StartWrite(&request_);
  }
  // Called when the write or the read completes; the second one moves on.
  void Step() {
    if (pending_.fetch_sub(1) != 1) return;
    if (run_->Over(sequence_.rounds(), Clock::now())) {
      StartWritesDone();
      return;
    }
    Send();
  }

  Run* const run_;
  v1::CaptureService::Stub* const stub_;
  TurnSequence sequence_;
  LaneStats stats_;
  grpc::ClientContext context_;
  RecordTurnRequest request_;
  RecordTurnResponse response_;
  Clock::time_point started_;
  std::atomic<int> pending_{0};
  std::string error_;
};

std::shared_ptr<grpc::Channel> Connect(const std::string& server) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(16 << 20);
  auto channel = grpc::CreateCustomChannel(
      server, grpc::InsecureChannelCredentials(), args);
  if (!channel->WaitForConnected(
          absl::ToChronoTime(absl::Now() + absl::Seconds(10)))) {
    return nullptr;
  }
  return channel;
}

// CPU time of the server and of this client over the measured time.
struct CpuSample {
  int64_t server_us = -1;  // -1: no --server_pid or /proc unreadable
  int64_t client_us = 0;
};

// Sleeps until `start`, samples, sleeps until `end`, samples: the CPU both
// processes spent in the measured time.
CpuSample SampleCpu(int pid, Clock::time_point start, Clock::time_point end) {
  std::this_thread::sleep_until(start);
  const int64_t server_start = pid > 0 ? ProcessCpuMicros(pid) : -1;
  const int64_t client_start = OwnCpuMicros();
  std::this_thread::sleep_until(end);
  const int64_t server_end = pid > 0 ? ProcessCpuMicros(pid) : -1;
  CpuSample sample;
  sample.client_us = OwnCpuMicros() - client_start;
  if (server_start >= 0 && server_end >= 0) {
    sample.server_us = server_end - server_start;
  }
  return sample;
}

// What the sessions' windows hold, by the client's model and by the
// server's GetStats (0 from the no-op server).
struct WindowTotals {
  int64_t bytes = 0;
  int64_t live = 0;
  int64_t min_exchanges = 0;
  int64_t server_bytes = 0;
  int64_t server_live = 0;
};

WindowTotals SumWindows(
    const std::vector<std::vector<SessionState>>& lane_sessions,
    v1::CaptureService::Stub* stub) {
  WindowTotals totals;
  totals.min_exchanges = std::numeric_limits<int64_t>::max();
  for (const auto& list : lane_sessions) {
    for (const SessionState& session : list) {
      totals.bytes += session.WindowBytes();
      if (session.turns > 0) ++totals.live;
      totals.min_exchanges = std::min(totals.min_exchanges, session.exchanges);
    }
  }
  grpc::ClientContext context;
  v1::GetStatsResponse stats;
  if (stub->GetStats(&context, v1::GetStatsRequest(), &stats).ok()) {
    totals.server_bytes = stats.live_window_bytes();
    totals.server_live = stats.live_sessions();
  }
  return totals;
}

template <typename Lane>
int RunLoad(const std::string& mode) {
  auto channel = Connect(absl::GetFlag(FLAGS_server));
  if (channel == nullptr) {
    std::fprintf(stderr, "loadgen: cannot connect to %s\n",
                 absl::GetFlag(FLAGS_server).c_str());
    return 1;
  }
  auto stub = v1::CaptureService::NewStub(channel);
  const int lanes = std::max(1, absl::GetFlag(FLAGS_concurrency));
  const int sessions = std::max(lanes, absl::GetFlag(FLAGS_sessions));
  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  const double praise_rate = absl::GetFlag(FLAGS_praise_rate);
  const int pid = absl::GetFlag(FLAGS_server_pid);

  std::vector<std::vector<SessionState>> lane_sessions(lanes);
  for (int i = 0; i < sessions; ++i) {
    SessionState& session = lane_sessions[i % lanes].emplace_back();
    session.id = absl::StrFormat("bench-%d-%s-%06d", seed, mode, i);
  }
  Run run;
  run.exchanges = absl::GetFlag(FLAGS_exchanges);
  run.limits.max_turns = 2 * absl::GetFlag(FLAGS_history_turns) + 8;
  run.limits.history_bytes = absl::GetFlag(FLAGS_history_bytes);
  const Clock::time_point now = Clock::now();
  run.measure_start =
      run.exchanges > 0
          ? now
          : now + absl::ToChronoNanoseconds(absl::GetFlag(FLAGS_warmup));
  run.measure_end = run.measure_start +
                    absl::ToChronoNanoseconds(absl::GetFlag(FLAGS_duration));
  std::vector<std::unique_ptr<Lane>> lane_list;
  for (int i = 0; i < lanes; ++i) {
    lane_list.push_back(std::make_unique<Lane>(
        &run, stub.get(), seed * 1000003 + i, praise_rate, &lane_sessions[i]));
  }
  {
    MutexLock lock(&run.mu);
    run.lanes_running = lanes;
  }
  for (auto& lane : lane_list) lane->Start();
  CpuSample cpu;
  if (run.exchanges == 0) {
    cpu = SampleCpu(pid, run.measure_start, run.measure_end);
  }
  run.WaitForLanes();
  const double seconds =
      std::chrono::duration<double>(Clock::now() - run.measure_start).count();

  std::vector<int64_t> latencies;
  int64_t examples = 0;
  int64_t praise = 0;
  int64_t creditable = 0;
  for (auto& lane : lane_list) {
    creditable += lane->creditable();
    latencies.insert(latencies.end(), lane->stats().latencies_us.begin(),
                     lane->stats().latencies_us.end());
    examples += lane->stats().examples;
    praise += lane->praise_sent();
  }
  std::sort(latencies.begin(), latencies.end());
  const WindowTotals windows = SumWindows(lane_sessions, stub.get());
  std::string error;
  {
    MutexLock lock(&run.mu);
    error = run.first_error;
  }
  const double turns = std::max<double>(1, latencies.size());
  absl::PrintF(
      "result label=%s mode=%s lanes=%d turns=%d seconds=%.3f "
      "turns_per_s=%.0f p50_us=%d p90_us=%d p99_us=%d examples=%d "
      "praise_sent=%d creditable=%d sessions_live=%d min_exchanges=%d "
      "window_bytes=%d server_window_bytes=%d server_live_sessions=%d "
      "peak_rss_kb=%d server_cpu_us_per_turn=%.1f "
      "client_cpu_us_per_turn=%.1f errors=%d\n",
      absl::GetFlag(FLAGS_label), mode, lanes, latencies.size(), seconds,
      latencies.size() / seconds, Percentile(latencies, 50),
      Percentile(latencies, 90), Percentile(latencies, 99), examples, praise,
      creditable, windows.live, windows.min_exchanges, windows.bytes,
      windows.server_bytes, windows.server_live, pid > 0 ? PeakRssKb(pid) : 0,
      cpu.server_us >= 0 ? cpu.server_us / turns : -1.0, cpu.client_us / turns,
      error.empty() ? 0 : 1);
  if (!error.empty()) {
    std::fprintf(stderr, "loadgen: %s\n", error.c_str());
    return 1;
  }
  return 0;
}

// Appends `values` to the file at `path`, one a line; true when `path` is
// empty.
bool AppendLines(const std::string& path, const std::vector<int64_t>& values) {
  if (path.empty()) return true;
  std::ofstream out(path, std::ios::app);
  for (int64_t value : values) out << value << '\n';
  out.flush();
  return out.good();
}

int RunCapture() {
  auto channel = Connect(absl::GetFlag(FLAGS_server));
  if (channel == nullptr) {
    std::fprintf(stderr, "loadgen: cannot connect\n");
    return 1;
  }
  auto stub = v1::CaptureService::NewStub(channel);
  const std::string dir = absl::GetFlag(FLAGS_fsync_dir);
  if (dir.empty()) {
    std::fprintf(stderr, "loadgen: capture mode needs --fsync_dir\n");
    return 2;
  }
  const std::string path =
      absl::StrCat(dir, "/loadgen-fsync-", getpid(), ".tfrecord");
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);
  if (fd < 0) {
    std::perror(path.c_str());
    return 1;
  }
  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  bench::TurnMix mix(seed);
  std::vector<int64_t> capture_us;
  std::vector<int64_t> fsync_us;
  // The same RPC for a turn that captures nothing: the floor a capture's
  // latency stands on besides the fsync.
  std::vector<int64_t> plain_us;
  int missing = 0;
  std::string error;
  const int samples = absl::GetFlag(FLAGS_samples);
  const bool expect_examples = absl::GetFlag(FLAGS_expect_examples);
  // Bytes ftcapture appends per capture, summed (bench/capture_model.h).
  bench::CaptureBytes appended;
  // `mark`: the praise's capture bytes, for the durable no-op server.
  auto call = [&](const v1::Turn& turn, RecordTurnResponse* response,
                  const bench::CaptureBytes* mark = nullptr) {
    grpc::ClientContext context;
    if (mark != nullptr) {
      context.AddMetadata(bench::kCaptureBytesHeader,
                          bench::FormatCaptureBytes(*mark));
    }
    RecordTurnRequest request;
    *request.mutable_turn() = turn;
    grpc::Status status = stub->RecordTurn(&context, request, response);
    if (!status.ok()) error = status.error_message();
    return status.ok();
  };
  auto bare_fsync = [&](const std::string& bytes) {
    const Clock::time_point start = Clock::now();
    if (write(fd, bytes.data(), bytes.size()) !=
            static_cast<ssize_t>(bytes.size()) ||
        fdatasync(fd) != 0) {
      error = "bare append+fdatasync failed";
      return;
    }
    fsync_us.push_back(MicrosSince(start));
  };
  for (int i = 0; i < samples && error.empty(); ++i) {
    const std::string session = absl::StrFormat("capture-%d-%06d", seed, i);
    v1::Turn user, reply, praise;
    bool is_praise = false;
    mix.MakeUserTurn(session, "u1", &user, &is_praise);
    if (is_praise) mix.MakeUserTurn(session, "u1", &user, &is_praise);
    mix.MakeAssistantTurn(session, "a1", &reply);
    mix.MakePraiseTurn(session, "u2", &praise);
    RecordTurnResponse response;
    const Clock::time_point plain_start = Clock::now();
    if (!call(user, &response)) break;
    plain_us.push_back(MicrosSince(plain_start));
    if (!call(reply, &response)) break;
    const v1::Example example = bench::ModelExample(user, reply, praise);
    const bench::CaptureBytes bytes = bench::CaptureBytesOf(example);
    appended.record += bytes.record;
    appended.markdown += bytes.markdown;
    appended.index += bytes.index;
    const std::string framed = bench::FramedRecord(example);
    // Alternate which goes first so neither always follows the other.
    if (i % 2 == 1) bare_fsync(framed);
    const Clock::time_point start = Clock::now();
    if (!call(praise, &response, &bytes)) break;
    capture_us.push_back(MicrosSince(start));
    if (expect_examples && response.example_id().empty()) ++missing;
    if (i % 2 == 0) bare_fsync(framed);
  }
  close(fd);
  unlink(path.c_str());
  if (!AppendLines(absl::GetFlag(FLAGS_capture_us_file), capture_us)) {
    error = "cannot append to --capture_us_file";
  }
  std::sort(capture_us.begin(), capture_us.end());
  std::sort(fsync_us.begin(), fsync_us.end());
  std::sort(plain_us.begin(), plain_us.end());
  const int64_t capture_p99 = Percentile(capture_us, 99);
  const int64_t fsync_p99 = Percentile(fsync_us, 99);
  const int64_t captures = std::max<int64_t>(1, capture_us.size());
  absl::PrintF(
      "result label=%s mode=capture samples=%d capture_p50_us=%d "
      "capture_p99_us=%d fsync_p50_us=%d fsync_p99_us=%d "
      "plain_rpc_p50_us=%d plain_rpc_p99_us=%d "
      "capture_p99_to_fsync=%.3f capture_bytes_sent=%d "
      "record_bytes_per_capture=%d markdown_bytes_per_capture=%d "
      "index_bytes_per_capture=%d not_captured=%d errors=%d\n",
      absl::GetFlag(FLAGS_label), capture_us.size(), Percentile(capture_us, 50),
      capture_p99, Percentile(fsync_us, 50), fsync_p99,
      Percentile(plain_us, 50), Percentile(plain_us, 99),
      fsync_p99 > 0 ? double(capture_p99) / fsync_p99 : 0.0,
      appended.record + appended.markdown + appended.index,
      appended.record / captures, appended.markdown / captures,
      appended.index / captures, missing, error.empty() ? 0 : 1);
  if (!error.empty()) {
    std::fprintf(stderr, "loadgen: %s\n", error.c_str());
    return 1;
  }
  return missing == 0 ? 0 : 1;
}

int Main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode == "unary") return RunLoad<UnaryLane>(mode);
  if (mode == "stream") return RunLoad<StreamLane>(mode);
  if (mode == "capture") return RunCapture();
  std::fprintf(stderr, "loadgen: --mode must be unary, stream or capture\n");
  return 2;
}

}  // namespace
}  // namespace ftcapture

int main(int argc, char** argv) { return ftcapture::Main(argc, argv); }
