// ftcapture-crash-driver: the client half of tests/crash_test.cc, a separate
// process so that killing the server never kills what it was told.
//
// N threads each run sessions one after another; a session is a user turn, an
// assistant turn carrying its own system prompt and a memory, and a praise.
// Every RecordTurn is retried with the same session and turn ids until it
// succeeds, so a request whose response was lost in a crash is sent again:
// the server must treat that as a retry, never as a second capture.
//
// The server address is read from --addr_file, and re-read whenever a call
// fails, because the test restarts the server on a fresh port after each
// kill. Each praise acknowledged with an example id is appended to --ack_log
// as one line, written with a single write(2) so lines from different
// threads never interleave:
//   ack <example_id> <session_id> <assistant_turn_id> <praise_turn_id>
// A praise answered OK but with no example id (a capture lost) is logged as
//   noid <session_id> <praise_turn_id> <not_captured_reason>
// The driver stops starting sessions once --stop_file exists, finishes the
// ones in flight, prints a summary line and exits 0. Errors that retrying
// cannot fix (INVALID_ARGUMENT, ...) exit 2.

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ftcapture/v1/capture.grpc.pb.h"
#include "grpcpp/grpcpp.h"

ABSL_FLAG(std::string, addr_file, "", "file holding the server address");
ABSL_FLAG(std::string, ack_log, "", "where acknowledged example ids go");
ABSL_FLAG(std::string, stop_file, "", "stop starting sessions once it exists");
ABSL_FLAG(std::string, prefix, "crash", "session id prefix (unique per run)");
ABSL_FLAG(int, threads, 8, "concurrent sessions");
ABSL_FLAG(int, max_sessions, 0, "sessions per thread; 0: until --stop_file");
ABSL_FLAG(absl::Duration, give_up_after, absl::Seconds(120),
          "exit 3 if one request keeps failing this long");

namespace ftcapture {
namespace {

constexpr char kPraises[][40] = {"Good one, Timmy!", "That was excellent!",
                                 "Well done, Timmy.", "Nice one!",
                                 "Great response, thanks."};

std::string ReadAddress(const std::string& path) {
  std::ifstream in(path);
  std::string address;
  std::getline(in, address);
  return std::string(absl::StripAsciiWhitespace(address));
}

bool Retryable(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::INTERNAL:  // a connection torn mid-frame
      return true;
    default:
      return false;
  }
}

struct Counters {
  std::atomic<int64_t> sessions{0};
  std::atomic<int64_t> acks{0};
  std::atomic<int64_t> retries{0};
  std::atomic<int64_t> retried_praise_acks{0};  // acked as a duplicate
  std::atomic<int64_t> lost{0};                 // praise OK, no example id
};

class Driver {
 public:
  Driver(std::string addr_file, int ack_fd, absl::Duration give_up_after,
         Counters* counters)
      : addr_file_(std::move(addr_file)),
        ack_fd_(ack_fd),
        give_up_after_(give_up_after),
        counters_(counters) {}

  // Runs sessions until the stop file appears (or max_sessions).
  void Run(int thread, const std::string& prefix, const std::string& stop_file,
           int max_sessions) {
    for (int n = 0; max_sessions == 0 || n < max_sessions; ++n) {
      if (!stop_file.empty() && access(stop_file.c_str(), F_OK) == 0) break;
      RunSession(absl::StrFormat("%s-t%d-s%d", prefix, thread, n), n);
      counters_->sessions.fetch_add(1);
    }
  }

 private:
  void RunSession(const std::string& session, int n) {
    v1::Turn user;
    user.set_session_id(session);
    user.set_turn_id(session + "-u");
    user.set_role(v1::ROLE_USER);
    user.set_text(absl::StrCat("What did my cat look like? (", session, ")"));
    Send(user);

    v1::Turn reply;
    reply.set_session_id(session);
    reply.set_turn_id(session + "-a");
    reply.set_role(v1::ROLE_ASSISTANT);
    reply.set_text(absl::StrCat("A fluffy Maine Coon named Rufus. [", session,
                                "] ``` fenced ````"));
    reply.set_system_prompt(absl::StrCat("PROMPT for ", session));
    v1::Memory* memory = reply.add_memories();
    memory->set_text("Dan's cat was a Maine Coon named Rufus.");
    memory->set_category("pets");
    memory->set_importance(7);
    (*reply.mutable_metadata())["driver"] = "crash";
    Send(reply);

    v1::Turn praise;
    praise.set_session_id(session);
    praise.set_turn_id(session + "-p");
    praise.set_role(v1::ROLE_USER);
    praise.set_text(kPraises[n % (sizeof(kPraises) / sizeof(kPraises[0]))]);
    const v1::RecordTurnResponse response = Send(praise);
    std::string line;
    if (!response.example_id().empty()) {
      line = absl::StrCat("ack ", response.example_id(), " ", session, " ",
                          reply.turn_id(), " ", praise.turn_id(), "\n");
      counters_->acks.fetch_add(1);
      if (response.duplicate()) counters_->retried_praise_acks.fetch_add(1);
    } else {
      line = absl::StrCat("noid ", session, " ", praise.turn_id(),
                          " praise=", response.praise() ? 1 : 0,
                          " duplicate=", response.duplicate() ? 1 : 0, " ",
                          response.not_captured_reason(), "\n");
      counters_->lost.fetch_add(1);
    }
    // One write per line: O_APPEND keeps concurrent lines whole, and the
    // kernel has it even if this process dies next.
    if (write(ack_fd_, line.data(), line.size()) !=
        static_cast<ssize_t>(line.size())) {
      std::perror("write ack log");
      std::exit(2);
    }
  }

  v1::RecordTurnResponse Send(const v1::Turn& turn) {
    v1::RecordTurnRequest request;
    *request.mutable_turn() = turn;
    const absl::Time give_up = absl::Now() + give_up_after_;
    for (int attempt = 0;; ++attempt) {
      Connect(attempt > 0);
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
      v1::RecordTurnResponse response;
      grpc::Status status = stub_->RecordTurn(&context, request, &response);
      if (status.ok()) return response;
      if (!Retryable(status.error_code())) {
        std::fprintf(stderr, "crash-driver: %s/%s: fatal %d: %s\n",
                     turn.session_id().c_str(), turn.turn_id().c_str(),
                     status.error_code(), status.error_message().c_str());
        std::exit(2);
      }
      if (absl::Now() > give_up) {
        std::fprintf(stderr, "crash-driver: %s/%s: still failing: %s\n",
                     turn.session_id().c_str(), turn.turn_id().c_str(),
                     status.error_message().c_str());
        std::exit(3);
      }
      counters_->retries.fetch_add(1);
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  // (Re)creates the stub when the address file names a new server.
  void Connect(bool after_failure) {
    if (stub_ != nullptr && !after_failure) return;
    const std::string address = ReadAddress(addr_file_);
    if (address.empty() || (stub_ != nullptr && address == address_)) return;
    address_ = address;
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
    stub_ = v1::CaptureService::NewStub(grpc::CreateCustomChannel(
        address, grpc::InsecureChannelCredentials(), args));
  }

  const std::string addr_file_;
  const int ack_fd_;
  const absl::Duration give_up_after_;
  Counters* const counters_;
  std::string address_;
  std::unique_ptr<v1::CaptureService::Stub> stub_;
};

int Main() {
  const std::string addr_file = absl::GetFlag(FLAGS_addr_file);
  const std::string ack_log = absl::GetFlag(FLAGS_ack_log);
  if (addr_file.empty() || ack_log.empty()) {
    std::fprintf(stderr, "crash-driver: --addr_file and --ack_log needed\n");
    return 2;
  }
  const int ack_fd =
      open(ack_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (ack_fd < 0) {
    std::perror(ack_log.c_str());
    return 2;
  }
  // Flags are read here, before any thread starts.
  const std::string prefix = absl::GetFlag(FLAGS_prefix);
  const std::string stop_file = absl::GetFlag(FLAGS_stop_file);
  const int max_sessions = absl::GetFlag(FLAGS_max_sessions);
  const absl::Duration give_up_after = absl::GetFlag(FLAGS_give_up_after);
  Counters counters;
  std::vector<std::thread> threads;
  for (int t = 0; t < absl::GetFlag(FLAGS_threads); ++t) {
    threads.emplace_back([&, t] {
      // Each thread has its own channel, like independent backends.
      Driver driver(addr_file, ack_fd, give_up_after, &counters);
      driver.Run(t, prefix, stop_file, max_sessions);
    });
  }
  for (std::thread& thread : threads) thread.join();
  close(ack_fd);
  std::printf(
      "crash-driver: sessions=%lld acks=%lld retried_praise_acks=%lld "
      "lost=%lld retries=%lld\n",
      static_cast<long long>(counters.sessions.load()),
      static_cast<long long>(counters.acks.load()),
      static_cast<long long>(counters.retried_praise_acks.load()),
      static_cast<long long>(counters.lost.load()),
      static_cast<long long>(counters.retries.load()));
  return 0;
}

}  // namespace
}  // namespace ftcapture

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return ftcapture::Main();
}
