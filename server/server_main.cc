// ftcapture-server: the gRPC front of CaptureService.
//
// Prints "ftcapture-server listening on <addr> data_dir=<dir>" on stdout once
// it serves (tests wait for that line), shuts down cleanly on SIGINT/SIGTERM
// with exit code 0, and exits 1 with a message on stderr when it cannot
// start.

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/access_control.h"
#include "server/call_policy.h"
#include "server/capture_callback_service.h"
#include "server/capture_grpc_service.h"
#include "server/metrics.h"
#include "server/process_tuning.h"
#include "server/server_security.h"
#include "server/turn_stream.h"
#include "src/detect/praise_detector.h"
#include "src/privacy/redactor.h"
#include "src/service/capture_service.h"
#include "src/storage/example_store.h"
#include "src/util/env.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "Address to serve on: host:port (port 0-65535; 0 picks a free "
          "port), [::1]:port, or unix:PATH.");
ABSL_FLAG(std::string, data_dir, "./data",
          "Directory of examples.tfrecord and the Markdown log; created if "
          "missing.");
ABSL_FLAG(std::string, persona, "Timmy",
          "The assistant's name, substituted for {persona} in praise rules.");
ABSL_FLAG(std::string, praise_rules, "",
          "Praise rule file; empty means the built-in rules.");
ABSL_FLAG(int64_t, max_turn_bytes, int64_t{1} << 20,
          "Largest turn accepted (text, prompt, memories and metadata); "
          "bigger turns get INVALID_ARGUMENT.");
ABSL_FLAG(std::string, sync, "always",
          "When captured examples reach the disk: always (fsync before "
          "acknowledging, shared by concurrent captures), batch (fsync in "
          "the background; while that fails, captures are refused and health "
          "is NOT_SERVING) or none (left to the OS).");
ABSL_FLAG(int64_t, max_sessions, 100000,
          "Session windows kept in memory; the least recently used are "
          "evicted beyond this.");
ABSL_FLAG(int64_t, max_window_bytes, int64_t{512} << 20,
          "Bytes of turns all session windows may hold in memory; the least "
          "recently used sessions are evicted beyond this.");
ABSL_FLAG(absl::Duration, session_ttl, absl::Hours(24),
          "Session windows idle for longer are forgotten.");
ABSL_FLAG(absl::Duration, max_clock_skew, absl::Minutes(10),
          "How far past this server's clock a turn's time may be; later "
          "gets INVALID_ARGUMENT (a turn from the future would make every "
          "later turn of its session late). 'inf': no limit.");
ABSL_FLAG(int32_t, max_memories, 256,
          "Most memories accepted with one assistant turn.");
ABSL_FLAG(bool, negative_markdown, false,
          "Also write criticised exchanges to "
          "fine_tuning_negative_interchanges.md.");
ABSL_FLAG(int32_t, history_turns, 8,
          "Exchanges (user turn + reply) of earlier conversation an example "
          "keeps as history; each session holds about twice as many turns");
ABSL_FLAG(int64_t, history_bytes, int64_t{64} << 10,
          "Bytes of earlier turns a session holds and an example keeps as "
          "history; the oldest are cut first");
ABSL_FLAG(int32_t, max_seen_ids, 4096,
          "Turn ids each session remembers (8 bytes each) to refuse repeats");
ABSL_FLAG(bool, journal_sessions, true,
          "Journal session windows under --data_dir so a restart keeps them.");
ABSL_FLAG(std::string, redact, "",
          "'default': redact personal data with the shipped rules (e-mail, "
          "phone, card, IBAN, IP, API keys) before anything is written; "
          "empty: off. See docs/privacy.md.");
ABSL_FLAG(std::string, redact_rules, "",
          "A redaction rule file (docs/privacy.md), applied before anything "
          "is written; with --redact=default, after the default rules.");
ABSL_FLAG(double, compact_deleted_share, 0.1,
          "Compact the data dir (rewrite the dataset, reviews, index and "
          "Markdown without deleted examples) once examples tombstoned by "
          "DeleteExamples are at least this share of all stored ones, right "
          "after the deletion and at start; 0: only when asked (`ftcapture "
          "delete --compact`, `ftcapture compact`). See docs/privacy.md.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(5),
          "On SIGINT/SIGTERM, how long in-flight calls may take to finish.");
ABSL_FLAG(absl::Duration, shutdown_drain, absl::ZeroDuration(),
          "On SIGINT/SIGTERM, how long to keep serving with health "
          "NOT_SERVING before refusing new calls, so load balancers that "
          "probe health (Kubernetes readiness) stop sending first.");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port to serve Prometheus metrics on (/metrics), e.g. "
          "127.0.0.1:9464; empty: no metrics.");

// Security: see README "Running it safely".
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain to serve TLS with (with --tls_key); "
          "re-read when it changes.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert.");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA bundle: require client certificates signed by it (mTLS).");
ABSL_FLAG(absl::Duration, tls_reload_interval, absl::Seconds(10),
          "How often the TLS files are checked for changes.");
ABSL_FLAG(std::string, auth_tokens, "",
          "Token file, one 'NAME ROLE TOKEN' a line (roles ingest, read, "
          "admin); callers send 'authorization: Bearer TOKEN'. Re-read when "
          "it changes and on SIGHUP.");
ABSL_FLAG(bool, insecure, false,
          "Allow listening on a non-loopback address without --auth_tokens "
          "(anyone who reaches the port may read and change everything).");
ABSL_FLAG(std::string, grpc_api, "callback",
          "callback: every RPC on gRPC's callback API, captures answered "
          "from the store's writer after their fsync (the default); sync: "
          "the synchronous API (a thread per call in flight), for "
          "comparison. See docs/benchmarks.md.");
ABSL_FLAG(int64_t, max_streams, 10000,
          "Most StreamTurns calls open at once; more get RESOURCE_EXHAUSTED.");
ABSL_FLAG(absl::Duration, stream_idle_timeout, absl::Minutes(10),
          "A StreamTurns call that sends no turn for this long is ended "
          "with DEADLINE_EXCEEDED.");
ABSL_FLAG(absl::Duration, keepalive_time, absl::Minutes(2),
          "HTTP/2 keepalive ping interval on idle connections; a peer that "
          "does not answer within --keepalive_timeout is dropped.");
ABSL_FLAG(absl::Duration, keepalive_timeout, absl::Seconds(20),
          "How long a keepalive ping may go unanswered.");
ABSL_FLAG(absl::Duration, max_connection_idle, absl::Minutes(30),
          "A connection with no call for this long is closed (GOAWAY).");
ABSL_FLAG(
    double, max_turn_rate, 1000,
    "Turns per second per token (burst: twice that, at least 2); more get "
    "RESOURCE_EXHAUSTED. Applies with --auth_tokens.");
ABSL_FLAG(double, max_new_session_rate, 50,
          "New sessions per second per token (burst: ten times that, at least "
          "2), so "
          "one caller cannot evict the others' sessions. Applies with "
          "--auth_tokens.");
ABSL_FLAG(int64_t, max_note_bytes, 4096,
          "Longest review or feedback note; longer gets INVALID_ARGUMENT.");

namespace ftcapture {
namespace {

constexpr char kProgram[] = "ftcapture-server";
// gRPC's own default limit; raised only when --max_turn_bytes needs it.
constexpr int kDefaultMaxMessageBytes = 4 << 20;

absl::StatusOr<CaptureService::Options> OptionsFromFlags() {
  CaptureService::Options options;
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.persona = absl::GetFlag(FLAGS_persona);
  options.praise_rules_path = absl::GetFlag(FLAGS_praise_rules);
  options.max_turn_bytes = absl::GetFlag(FLAGS_max_turn_bytes);
  options.max_memories_per_turn = absl::GetFlag(FLAGS_max_memories);
  options.negative_markdown = absl::GetFlag(FLAGS_negative_markdown);
  options.max_sessions = absl::GetFlag(FLAGS_max_sessions);
  options.max_window_bytes = absl::GetFlag(FLAGS_max_window_bytes);
  options.session_ttl = absl::GetFlag(FLAGS_session_ttl);
  options.max_clock_skew = absl::GetFlag(FLAGS_max_clock_skew);
  options.journal_sessions = absl::GetFlag(FLAGS_journal_sessions);
  const std::string redact = absl::GetFlag(FLAGS_redact);
  if (!redact.empty() && redact != "default") {
    return absl::InvalidArgumentError(
        absl::StrCat("--redact must be 'default' or empty, not '", redact,
                     "' (a rule file goes to --redact_rules)"));
  }
  options.redact_default = redact == "default";
  options.redact_rules_path = absl::GetFlag(FLAGS_redact_rules);
  options.compact_deleted_share = absl::GetFlag(FLAGS_compact_deleted_share);
  if (!(options.compact_deleted_share >= 0 &&
        options.compact_deleted_share <= 1)) {
    return absl::InvalidArgumentError(
        "--compact_deleted_share must be between 0 and 1");
  }
  options.session_limits.history_turns = absl::GetFlag(FLAGS_history_turns);
  options.session_limits.history_bytes = absl::GetFlag(FLAGS_history_bytes);
  options.session_limits.max_seen_ids = absl::GetFlag(FLAGS_max_seen_ids);

  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("--data_dir must not be empty");
  }
  if (options.persona.empty()) {
    return absl::InvalidArgumentError("--persona must not be empty");
  }
  if (options.max_turn_bytes <= 0 || options.max_turn_bytes > (1 << 30)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_turn_bytes must be in 1..1073741824, got ",
                     options.max_turn_bytes));
  }
  if (options.max_memories_per_turn < 0) {
    return absl::InvalidArgumentError("--max_memories must not be negative");
  }
  if (options.max_sessions <= 0) {
    return absl::InvalidArgumentError("--max_sessions must be positive");
  }
  if (options.session_limits.history_turns < 0 ||
      options.session_limits.history_turns > 1000) {
    return absl::InvalidArgumentError("--history_turns must be in [0, 1000]");
  }
  if (options.session_limits.history_bytes < 0 ||
      options.session_limits.history_bytes > (int64_t{1} << 30)) {
    return absl::InvalidArgumentError("--history_bytes must be in [0, 1 GiB]");
  }
  if (options.session_limits.max_seen_ids < 1 ||
      options.session_limits.max_seen_ids > (1 << 20)) {
    return absl::InvalidArgumentError("--max_seen_ids must be in [1, 1048576]");
  }
  if (options.max_window_bytes <= 0) {
    return absl::InvalidArgumentError("--max_window_bytes must be positive");
  }
  if (options.session_ttl <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--session_ttl must be positive");
  }
  if (options.max_clock_skew <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "--max_clock_skew must be positive (e.g. 10m; 'inf' for no limit): "
        "hosts' clocks differ a little, and a turn stamped by its backend "
        "just after the server's now must not fail");
  }
  absl::StatusOr<SyncPolicy> sync = ParseSyncPolicy(absl::GetFlag(FLAGS_sync));
  if (!sync.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--sync: ", sync.status().message()));
  }
  options.sync = *sync;
  return options;
}

// "127.0.0.1:0" + 43117 -> "127.0.0.1:43117"; a Unix socket's address as
// it is (gRPC reports its port as 1).
std::string WithPort(const std::string& address, int port) {
  if (absl::StartsWith(address, "unix:") ||
      absl::StartsWith(address, "unix-abstract:")) {
    return address;
  }
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return absl::StrCat(address, ":", port);
  return absl::StrCat(address.substr(0, colon + 1), port);
}

// What CaptureService::Open failed on, `status`, said of the flag behind
// it: a rule file (whose message names it) or else the data dir. The rules
// are compiled again to tell, only on this failure path.
absl::Status OpenFailure(const CaptureService::Options& options,
                         const absl::Status& status) {
  if (!options.praise_rules_path.empty() &&
      !PraiseDetector::CreateFromFile(options.praise_rules_path,
                                      options.persona)
           .ok()) {
    return absl::Status(status.code(),
                        absl::StrCat("--praise_rules: ", status.message()));
  }
  if (!options.redact_rules_path.empty() &&
      !Redactor::FromOptions(options.redact_default, options.redact_rules_path)
           .ok()) {
    return absl::Status(status.code(),
                        absl::StrCat("--redact_rules: ", status.message()));
  }
  return absl::Status(status.code(),
                      absl::StrCat("cannot open data dir '", options.data_dir,
                                   "': ", status.message()));
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "%s: %s\n", kProgram,
               std::string(status.message()).c_str());
  return 1;
}

constexpr char kUsage[] =
    "Captures praised chatbot exchanges as fine-tuning examples.\n"
    "Usage: ftcapture-server [--listen=HOST:PORT] [--data_dir=DIR] ...";

bool IsHelpFlag(absl::string_view arg) {
  return arg == "--help" || arg == "-help" || arg == "-h" ||
         arg == "--helpfull" || arg == "--helpshort";
}

// --help: this program's own flags, sorted, exit status 0. (absl's built-in
// --help looks for flags in a file named after the program, finds none in
// server_main.cc and exits 1.)
void PrintHelp() {
  std::vector<const absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (absl::EndsWith(flag->Filename(), "server_main.cc")) {
      flags.push_back(flag);
    }
  }
  std::sort(flags.begin(), flags.end(),
            [](const auto* a, const auto* b) { return a->Name() < b->Name(); });
  std::printf("%s\n\nFlags:\n", kUsage);
  for (const absl::CommandLineFlag* flag : flags) {
    std::printf("  --%s (default: %s)\n      %s\n",
                std::string(flag->Name()).c_str(), flag->DefaultValue().c_str(),
                flag->Help().c_str());
  }
}

int MillisArg(absl::Duration duration) {
  return static_cast<int>(
      std::min<int64_t>(absl::ToInt64Milliseconds(duration), INT32_MAX));
}

// Keepalive both ways and an idle-connection limit, so dead peers and
// abandoned connections do not hold the server's memory forever.
void AddConnectionLimits(grpc::ServerBuilder& builder) {
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             MillisArg(absl::GetFlag(FLAGS_keepalive_time)));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             MillisArg(absl::GetFlag(FLAGS_keepalive_timeout)));
  builder.AddChannelArgument(
      GRPC_ARG_MAX_CONNECTION_IDLE_MS,
      MillisArg(absl::GetFlag(FLAGS_max_connection_idle)));
  // Clients may ping an idle connection every 10 s (keepalive of
  // long-lived StreamTurns callers) without being told to go away.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
}

absl::StatusOr<CallLimits> CallLimitsFromFlags() {
  CallLimits limits;
  limits.turns_per_second = absl::GetFlag(FLAGS_max_turn_rate);
  // Bursts of at least 2, so a tiny rate still lets a call through.
  limits.turn_burst = std::max(2.0, 2 * limits.turns_per_second);
  limits.new_sessions_per_second = absl::GetFlag(FLAGS_max_new_session_rate);
  limits.new_session_burst = std::max(2.0, 10 * limits.new_sessions_per_second);
  limits.max_note_bytes = absl::GetFlag(FLAGS_max_note_bytes);
  if (!(limits.turns_per_second > 0) || !(limits.new_sessions_per_second > 0)) {
    return absl::InvalidArgumentError(
        "--max_turn_rate and --max_new_session_rate must be positive");
  }
  if (limits.max_note_bytes < 0) {
    return absl::InvalidArgumentError("--max_note_bytes must not be negative");
  }
  return limits;
}

absl::StatusOr<TurnStreamLimits> StreamLimitsFromFlags() {
  TurnStreamLimits limits;
  limits.max_streams = absl::GetFlag(FLAGS_max_streams);
  limits.idle_timeout = absl::GetFlag(FLAGS_stream_idle_timeout);
  if (limits.max_streams <= 0) {
    return absl::InvalidArgumentError("--max_streams must be positive");
  }
  if (limits.idle_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--stream_idle_timeout must be positive");
  }
  return limits;
}

// Refuses to serve everyone on the network without tokens unless told to.
absl::Status CheckExposure(const std::string& listen, bool has_tokens) {
  if (has_tokens || IsLoopbackAddress(listen)) return absl::OkStatus();
  if (!absl::GetFlag(FLAGS_insecure)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to listen on '", listen,
        "' without --auth_tokens: anyone who reaches the port could read "
        "the dataset and change it. Give --auth_tokens=FILE, listen on "
        "127.0.0.1, or pass --insecure if a proxy in front authenticates"));
  }
  std::fprintf(stderr,
               "%s: WARNING: --insecure: serving %s without tokens; anyone "
               "who reaches it may read and change the dataset\n",
               kProgram, listen.c_str());
  return absl::OkStatus();
}

// Keeps the gRPC health status in step with the service: NOT_SERVING while
// it refuses captures (a failed background fsync with --sync=batch), SERVING
// again once it accepts them. Polls, so the storage layer knows no gRPC.
class HealthWatcher {
 public:
  HealthWatcher(const CaptureService* service,
                grpc::HealthCheckServiceInterface* health)
      : service_(service), health_(health), thread_([this] { Loop(); }) {}
  ~HealthWatcher() {
    stop_.Notify();
    thread_.join();
  }

 private:
  static constexpr absl::Duration kInterval = absl::Milliseconds(100);

  void Loop() {
    bool serving = true;
    while (!stop_.WaitForNotificationWithTimeout(kInterval)) {
      const absl::Status status = service_->ServingStatus();
      if (status.ok() == serving) continue;
      serving = status.ok();
      health_->SetServingStatus(serving);  // "" and every service
      std::fprintf(stderr, "%s: health %s%s\n", kProgram,
                   serving ? "SERVING" : "NOT_SERVING: ",
                   serving ? "" : std::string(status.message()).c_str());
    }
  }

  const CaptureService* const service_;
  grpc::HealthCheckServiceInterface* const health_;
  absl::Notification stop_;
  std::thread thread_;  // last: starts once the rest is set
};

int Run(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (absl::string_view(argv[i]) == "--") break;
    if (IsHelpFlag(argv[i])) {
      PrintHelp();
      return 0;
    }
  }
  TuneProcessForServing();
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", rest[1],
                     "' (flags take the form --name=value)")));
  }

  // SIGINT/SIGTERM are taken synchronously by sigwait() below. They are
  // blocked before any thread exists so every thread inherits the mask and
  // none of them is interrupted by the signal.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);  // reload, not stop
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  absl::StatusOr<CaptureService::Options> options = OptionsFromFlags();
  if (!options.ok()) return Fail(options.status());
  absl::StatusOr<CallLimits> call_limits = CallLimitsFromFlags();
  if (!call_limits.ok()) return Fail(call_limits.status());
  absl::StatusOr<TurnStreamLimits> stream_limits = StreamLimitsFromFlags();
  if (!stream_limits.ok()) return Fail(stream_limits.status());
  const std::string grpc_api = absl::GetFlag(FLAGS_grpc_api);
  if (grpc_api != "callback" && grpc_api != "sync") {
    return Fail(absl::InvalidArgumentError(absl::StrCat(
        "--grpc_api must be callback or sync, not '", grpc_api, "'")));
  }
  const std::string listen = absl::GetFlag(FLAGS_listen);
  if (absl::Status s =
          CheckListenAddress("--listen", listen, AddressKinds::kHostPortOrUnix);
      !s.ok()) {
    return Fail(s);
  }
  const std::string metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  if (!metrics_listen.empty()) {
    if (absl::Status s = CheckListenAddress("--metrics_listen", metrics_listen,
                                            AddressKinds::kHostPort);
        !s.ok()) {
      return Fail(s);
    }
  }
  TlsFiles tls{absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key),
               absl::GetFlag(FLAGS_tls_client_ca),
               absl::GetFlag(FLAGS_tls_reload_interval)};
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials(tls);
  if (!credentials.ok()) return Fail(credentials.status());

  std::unique_ptr<TokenStore> tokens;
  if (const std::string path = absl::GetFlag(FLAGS_auth_tokens);
      !path.empty()) {
    absl::StatusOr<std::unique_ptr<TokenStore>> loaded = TokenStore::Load(path);
    if (!loaded.ok()) return Fail(loaded.status());
    tokens = *std::move(loaded);
  }
  if (absl::Status s = CheckExposure(listen, tokens != nullptr); !s.ok()) {
    return Fail(s);
  }
  if (absl::Status s = PreparePrivateDir(options->data_dir); !s.ok()) {
    return Fail(s);
  }

  // Before the service, so its recovery is counted, and outliving it.
  ServerMetrics metrics;
  if (!metrics_listen.empty()) {
    absl::StatusOr<std::string> metrics_address = metrics.Serve(metrics_listen);
    if (!metrics_address.ok()) return Fail(metrics_address.status());
    std::printf("%s metrics on http://%s/metrics\n", kProgram,
                metrics_address->c_str());
    options->observer = &metrics;
  }

  absl::StatusOr<std::unique_ptr<CaptureService>> service =
      CaptureService::Open(*options, /*env=*/nullptr);
  if (!service.ok()) return Fail(OpenFailure(*options, service.status()));

  CallPolicy policy(tokens.get(), *call_limits);
  TurnStreams streams(service->get(), &policy, *stream_limits);
  CaptureGrpcService sync_service(service->get(), &policy, &streams);
  CaptureCallbackService callback_service(service->get(), &policy, &streams);
  // Health and reflection stay open: probes and tools carry no token.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(listen, *credentials, &selected_port);
  AddConnectionLimits(builder);
  // Room for a turn at the limit plus the rest of the request, so an
  // oversized turn reaches the service and gets its INVALID_ARGUMENT.
  const int64_t max_message =
      std::max<int64_t>(kDefaultMaxMessageBytes,
                        2 * options->max_turn_bytes + (int64_t{1} << 20));
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(std::min<int64_t>(max_message, INT32_MAX)));
  // gRPC sets SO_REUSEPORT by default, which would let a second server on
  // the same port start and silently take half the traffic.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  if (grpc_api == "sync") {
    builder.RegisterService(&sync_service);
  } else {
    builder.RegisterService(&callback_service);
  }
  if (!metrics_listen.empty()) {
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(metrics.NewInterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
    metrics.set_service(service->get());
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || selected_port == 0) {
    return Fail(absl::UnavailableError(absl::StrCat(
        "cannot listen on '", listen, "' (address in use or not valid?)")));
  }

  // The default health service knows only "" until told; probes that name
  // the service (grpc_health_probe -service=...) would get NOT_FOUND.
  server->GetHealthCheckService()->SetServingStatus(
      v1::CaptureService::service_full_name(), true);

  auto health_watcher = std::make_unique<HealthWatcher>(
      service->get(), server->GetHealthCheckService());

  std::printf("%s listening on %s data_dir=%s\n", kProgram,
              WithPort(listen, selected_port).c_str(),
              options->data_dir.c_str());
  std::fflush(stdout);

  // The token file is re-read when it changes (checked every second) and
  // at once on SIGHUP.
  absl::Notification stop_watching;
  std::thread token_watcher([&] {
    while (tokens != nullptr &&
           !stop_watching.WaitForNotificationWithTimeout(absl::Seconds(1))) {
      tokens->ReloadIfChanged();
    }
  });
  int signal_number = 0;
  while (true) {
    if (sigwait(&stop_signals, &signal_number) != 0) continue;
    if (signal_number != SIGHUP) break;
    if (tokens != nullptr) tokens->ReloadIfChanged(/*force=*/true);
  }
  stop_watching.Notify();
  token_watcher.join();
  std::fprintf(stderr, "%s: %s received, shutting down\n", kProgram,
               strsignal(signal_number));
  // The health watcher goes first, before the server and service it
  // watches, so it cannot set SERVING again during the shutdown.
  health_watcher.reset();
  // Health first, so whatever probes it stops sending new calls; then new
  // calls are refused and in-flight ones get the grace period.
  server->GetHealthCheckService()->Shutdown();
  absl::SleepFor(absl::GetFlag(FLAGS_shutdown_drain));
  server->Shutdown(
      absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_shutdown_grace)));
  server->Wait();
  server.reset();
  metrics.set_service(nullptr);
  service->reset();  // flushes and closes the files
  std::fprintf(stderr, "%s: stopped\n", kProgram);
  return 0;
}

}  // namespace
}  // namespace ftcapture

int main(int argc, char** argv) { return ftcapture::Run(argc, argv); }
