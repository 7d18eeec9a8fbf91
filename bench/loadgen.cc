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
//            turn, praise; times the praise (the capture, fsync included)
//            and, interleaved with it, a bare append + fdatasync of the same
//            record bytes to a file in --fsync_dir: the floor a capture is
//            measured against.
//
// Turns/s and latency percentiles count only calls that start after
// --warmup. With --server_pid the server's peak RSS (VmHWM) is read from
// /proc at the end, and "window_bytes" is what the sessions' windows hold:
// per session its latest user turn, its latest reply and the user turn that
// reply answered, as serialized bytes.
//
//   ftcapture-loadgen --server=127.0.0.1:50051 --mode=unary --sessions=10000

#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/turn_mix.h"
#include "ftcapture/v1/capture.grpc.pb.h"
#include "src/storage/tfrecord_writer.h"

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
ABSL_FLAG(int, server_pid, 0, "read this process's peak RSS at the end");
ABSL_FLAG(int, samples, 1000, "capture mode: praises timed");
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

// What the server's window of one session holds, in serialized bytes.
struct SessionState {
  std::string id;
  int64_t turns = 0;
  size_t latest_user = 0;
  size_t latest_reply = 0;
  size_t answered_user = 0;
  bool answered_is_latest = false;

  size_t WindowBytes() const {
    return latest_user + latest_reply +
           (answered_is_latest ? 0 : answered_user);
  }
};

// Shared by the lanes of one run; each lane touches only its own entries.
struct Run {
  Clock::time_point measure_start;
  Clock::time_point measure_end;
  absl::Mutex mu;
  int lanes_running ABSL_GUARDED_BY(mu) = 0;
  std::string first_error ABSL_GUARDED_BY(mu);

  void LaneDone(const std::string& error) {
    absl::MutexLock lock(&mu);
    if (!error.empty() && first_error.empty()) first_error = error;
    --lanes_running;
  }
  void WaitForLanes() {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](int* running) { return *running == 0; }, &lanes_running));
  }
};

// The turn sequence of one lane: for each of its sessions in turn, a user
// turn then the reply; the window bookkeeping follows what was answered.
class TurnSequence {
 public:
  TurnSequence(uint64_t seed, double praise_rate,
               std::vector<SessionState>* sessions)
      : mix_(seed, praise_rate), sessions_(sessions) {}

  void Next(RecordTurnRequest* request) {
    SessionState& session = (*sessions_)[cursor_];
    const std::string turn_id = absl::StrCat("t", session.turns);
    v1::Turn* turn = request->mutable_turn();
    if (!reply_next_) {
      mix_.MakeUserTurn(session.id, turn_id, turn, &praise_);
    } else {
      praise_ = false;
      mix_.MakeAssistantTurn(session.id, turn_id, turn);
    }
    bytes_ = turn->ByteSizeLong();
  }

  // The server acknowledged the turn made by Next().
  void Acknowledged() {
    SessionState& session = (*sessions_)[cursor_];
    ++session.turns;
    if (!reply_next_) {
      session.latest_user = bytes_;
      session.answered_is_latest = false;
      if (praise_) {
        ++praise_sent_;
        // A praise credits the session's latest reply, if it has one.
        // (In this sequence every reply is followed by one user turn.)
        if (session.latest_reply > 0) ++creditable_;
      }
      reply_next_ = true;
    } else {
      session.answered_user = session.latest_user;
      session.answered_is_latest = true;
      session.latest_reply = bytes_;
      reply_next_ = false;
      cursor_ = (cursor_ + 1) % sessions_->size();
    }
  }

  int64_t praise_sent() const { return praise_sent_; }
  // Praise sent while its session had a reply to credit: each of these
  // must come back with an example id from the real server.
  int64_t creditable() const { return creditable_; }

 private:
  bench::TurnMix mix_;
  std::vector<SessionState>* sessions_;
  size_t cursor_ = 0;
  bool reply_next_ = false;
  bool praise_ = false;
  size_t bytes_ = 0;
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
      : run_(run), stub_(stub), sequence_(seed, praise_rate, sessions) {}

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
    if (now >= run_->measure_end) {
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
      : run_(run), stub_(stub), sequence_(seed, praise_rate, sessions) {}

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
    if (Clock::now() >= run_->measure_end) {
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

  std::vector<std::vector<SessionState>> lane_sessions(lanes);
  for (int i = 0; i < sessions; ++i) {
    SessionState& session = lane_sessions[i % lanes].emplace_back();
    session.id = absl::StrFormat("bench-%d-%s-%06d", seed, mode, i);
  }
  Run run;
  const Clock::time_point now = Clock::now();
  run.measure_start =
      now + absl::ToChronoNanoseconds(absl::GetFlag(FLAGS_warmup));
  run.measure_end = run.measure_start +
                    absl::ToChronoNanoseconds(absl::GetFlag(FLAGS_duration));
  std::vector<std::unique_ptr<Lane>> lane_list;
  for (int i = 0; i < lanes; ++i) {
    lane_list.push_back(std::make_unique<Lane>(
        &run, stub.get(), seed * 1000003 + i, praise_rate, &lane_sessions[i]));
  }
  {
    absl::MutexLock lock(&run.mu);
    run.lanes_running = lanes;
  }
  for (auto& lane : lane_list) lane->Start();
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
  int64_t window_bytes = 0;
  int64_t live = 0;
  for (const auto& list : lane_sessions) {
    for (const SessionState& session : list) {
      window_bytes += static_cast<int64_t>(session.WindowBytes());
      if (session.turns > 0) ++live;
    }
  }
  const int pid = absl::GetFlag(FLAGS_server_pid);
  std::string error;
  {
    absl::MutexLock lock(&run.mu);
    error = run.first_error;
  }
  absl::PrintF(
      "result label=%s mode=%s lanes=%d turns=%d seconds=%.3f "
      "turns_per_s=%.0f p50_us=%d p90_us=%d p99_us=%d examples=%d "
      "praise_sent=%d creditable=%d sessions_live=%d window_bytes=%d "
      "peak_rss_kb=%d "
      "errors=%d\n",
      absl::GetFlag(FLAGS_label), mode, lanes, latencies.size(), seconds,
      latencies.size() / seconds, Percentile(latencies, 50),
      Percentile(latencies, 90), Percentile(latencies, 99), examples, praise,
      creditable, live, window_bytes, pid > 0 ? PeakRssKb(pid) : 0,
      error.empty() ? 0 : 1);
  if (!error.empty()) {
    std::fprintf(stderr, "loadgen: %s\n", error.c_str());
    return 1;
  }
  return 0;
}

// The record the server appends for a capture of these turns, framed: the
// same bytes the bare fdatasync baseline writes.
std::string FramedExample(const v1::Turn& user, const v1::Turn& reply,
                          const v1::Turn& praise) {
  v1::Example example;
  example.set_id("ex-0123456789abcdef");
  example.mutable_captured_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  example.set_session_id(praise.session_id());
  *example.mutable_user_turn() = user;
  *example.mutable_assistant_turn() = reply;
  *example.mutable_praise_turn() = praise;
  example.set_praise_text(praise.text());
  example.set_rule("that_was_adj");
  example.set_label(v1::LABEL_POSITIVE);
  example.set_source(v1::SOURCE_IMPLICIT);
  example.set_status(v1::REVIEW_STATUS_PENDING);
  std::string framed;
  AppendTFRecord(example.SerializeAsString(), &framed);
  return framed;
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
  auto call = [&](const v1::Turn& turn, RecordTurnResponse* response) {
    grpc::ClientContext context;
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
    const std::string framed = FramedExample(user, reply, praise);
    // Alternate which goes first so neither always follows the other.
    if (i % 2 == 1) bare_fsync(framed);
    const Clock::time_point start = Clock::now();
    if (!call(praise, &response)) break;
    capture_us.push_back(MicrosSince(start));
    if (response.example_id().empty()) ++missing;
    if (i % 2 == 0) bare_fsync(framed);
  }
  close(fd);
  unlink(path.c_str());
  std::sort(capture_us.begin(), capture_us.end());
  std::sort(fsync_us.begin(), fsync_us.end());
  std::sort(plain_us.begin(), plain_us.end());
  const int64_t capture_p99 = Percentile(capture_us, 99);
  const int64_t fsync_p99 = Percentile(fsync_us, 99);
  absl::PrintF(
      "result label=%s mode=capture samples=%d capture_p50_us=%d "
      "capture_p99_us=%d fsync_p50_us=%d fsync_p99_us=%d "
      "plain_rpc_p50_us=%d plain_rpc_p99_us=%d "
      "capture_p99_ratio=%.3f not_captured=%d errors=%d\n",
      absl::GetFlag(FLAGS_label), capture_us.size(), Percentile(capture_us, 50),
      capture_p99, Percentile(fsync_us, 50), fsync_p99,
      Percentile(plain_us, 50), Percentile(plain_us, 99),
      fsync_p99 > 0 ? double(capture_p99) / fsync_p99 : 0.0, missing,
      error.empty() ? 0 : 1);
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
