#include "server/metrics.h"

#include <exception>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"
#include "prometheus/metric_family.h"
#include "src/util/mutex.h"

namespace ftcapture {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Seconds, from 100 µs (a fsync on a fast disk, a unary call that captures
// nothing) to 10 s (a very slow disk).
const std::vector<double>& LatencyBuckets() {
  static const auto* buckets = new std::vector<double>{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,   0.1,     0.25,   0.5,   1,      2.5,   10};
  return *buckets;
}

MetricFamily OneValue(std::string name, std::string help, MetricType type,
                      double value) {
  ClientMetric metric;
  if (type == MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return MetricFamily{std::move(name), std::move(help), type, {metric}};
}

// One series per label value, e.g. turns by role.
MetricFamily Labeled(
    std::string name, std::string help, MetricType type,
    const std::string& label,
    const std::vector<std::pair<std::string, double>>& values) {
  MetricFamily family{std::move(name), std::move(help), type, {}};
  for (const auto& [label_value, value] : values) {
    ClientMetric metric;
    metric.label.push_back({label, label_value});
    if (type == MetricType::Counter) {
      metric.counter.value = value;
    } else {
      metric.gauge.value = value;
    }
    family.metric.push_back(std::move(metric));
  }
  return family;
}

// "/ftcapture.v1.CaptureService/RecordTurn" -> service, method.
std::pair<std::string, std::string> SplitMethod(absl::string_view full) {
  if (!full.empty() && full.front() == '/') full.remove_prefix(1);
  const size_t slash = full.rfind('/');
  if (slash == absl::string_view::npos) return {"", std::string(full)};
  return {std::string(full.substr(0, slash)),
          std::string(full.substr(slash + 1))};
}

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(ServerMetrics* metrics, const char* method)
      : metrics_(metrics),
        method_(method != nullptr ? method : ""),
        start_(absl::Now()) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      metrics_->RecordCall(method_, methods->GetSendStatus().error_code(),
                           absl::Now() - start_);
    }
    methods->Proceed();
  }

 private:
  ServerMetrics* const metrics_;
  const std::string method_;
  const absl::Time start_;
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(ServerMetrics* metrics)
      : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_, info->method());
  }

 private:
  ServerMetrics* const metrics_;
};

}  // namespace

// The service's counters and the recovery report, turned into metric
// families when Prometheus scrapes.
class ServerMetrics::ServiceCollectable final : public prometheus::Collectable {
 public:
  void set_service(CaptureService* service) {
    MutexLock lock(&mu_);
    service_ = service;
  }
  void set_recovery(const RecoveryReport& report) {
    MutexLock lock(&mu_);
    recovery_ = report;
    has_recovery_ = true;
  }

  std::vector<MetricFamily> Collect() const override {
    MutexLock lock(&mu_);
    std::vector<MetricFamily> families;
    if (has_recovery_) AddRecovery(&families);
    if (service_ == nullptr) return families;
    absl::StatusOr<v1::GetStatsResponse> stats = service_->GetStats();
    if (!stats.ok()) return families;
    AddStats(*stats, &families);
    return families;
  }

 private:
  void AddRecovery(std::vector<MetricFamily>* out) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const RecoveryReport& r = recovery_;
    out->push_back(OneValue("ftcapture_recovery_records",
                            "Good dataset records read at start.",
                            MetricType::Gauge, r.records));
    out->push_back(OneValue("ftcapture_recovery_torn_tail_bytes",
                            "Bytes of a torn dataset tail cut at start.",
                            MetricType::Gauge, r.torn_tail_bytes));
    out->push_back(OneValue("ftcapture_recovery_corrupt_records",
                            "Corrupt dataset records set aside at start.",
                            MetricType::Gauge, r.corrupt_records));
    out->push_back(OneValue("ftcapture_recovery_corrupt_bytes",
                            "Bytes of the corrupt stretches set aside.",
                            MetricType::Gauge, r.corrupt_bytes));
    out->push_back(
        OneValue("ftcapture_recovery_markdown_appended",
                 "Examples the Markdown log was missing and got at start.",
                 MetricType::Gauge, r.markdown_appended));
    out->push_back(OneValue("ftcapture_recovery_markdown_torn_bytes",
                            "Bytes of a half-written Markdown block cut.",
                            MetricType::Gauge, r.markdown_torn_bytes));
    out->push_back(OneValue("ftcapture_recovery_repaired",
                            "1 when recovery at start repaired anything.",
                            MetricType::Gauge, r.repaired() ? 1 : 0));
  }

  static void AddStats(const v1::GetStatsResponse& s,
                       std::vector<MetricFamily>* out) {
    out->push_back(Labeled("ftcapture_turns_total",
                           "Turns recorded since start, by role.",
                           MetricType::Counter, "role",
                           {{"user", double(s.user_turns_seen())},
                            {"assistant", double(s.assistant_turns_seen())}}));
    out->push_back(OneValue("ftcapture_praise_total",
                            "User turns judged praise since start.",
                            MetricType::Counter, s.praise_seen()));
    out->push_back(OneValue("ftcapture_criticism_total",
                            "User turns judged criticism since start.",
                            MetricType::Counter, s.criticism_seen()));
    out->push_back(OneValue(
        "ftcapture_praise_uncredited_total",
        "Praise with no reply to credit (e.g. a session moved replicas).",
        MetricType::Counter, s.praise_uncredited()));
    out->push_back(OneValue("ftcapture_examples_captured_total",
                            "Examples captured since start (not imports).",
                            MetricType::Counter,
                            s.examples_captured_since_start()));
    out->push_back(Labeled("ftcapture_dataset_examples",
                           "Examples in the dataset, by label.",
                           MetricType::Gauge, "label",
                           {{"positive", double(s.positive_examples())},
                            {"negative", double(s.negative_examples())}}));
    out->push_back(OneValue("ftcapture_live_sessions",
                            "Session windows held in memory.",
                            MetricType::Gauge, s.live_sessions()));
    out->push_back(OneValue("ftcapture_session_window_bytes",
                            "Bytes of turn data the session windows hold.",
                            MetricType::Gauge, s.live_window_bytes()));
    out->push_back(OneValue("ftcapture_dataset_bytes",
                            "Size of examples.tfrecord.", MetricType::Gauge,
                            s.dataset_bytes()));
    out->push_back(OneValue("ftcapture_markdown_bytes",
                            "Size of the Markdown log.", MetricType::Gauge,
                            s.markdown_bytes()));
  }

  mutable Mutex mu_;
  CaptureService* service_ ABSL_GUARDED_BY(mu_) = nullptr;
  RecoveryReport recovery_ ABSL_GUARDED_BY(mu_);
  bool has_recovery_ ABSL_GUARDED_BY(mu_) = false;
};

ServerMetrics::ServerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      service_collectable_(std::make_shared<ServiceCollectable>()) {
  handled_ = &prometheus::BuildCounter()
                  .Name("grpc_server_handled_total")
                  .Help("RPCs completed on the server, by method and code.")
                  .Register(*registry_);
  handling_seconds_ =
      &prometheus::BuildHistogram()
           .Name("grpc_server_handling_seconds")
           .Help("Time from the start of an RPC to its status, by method.")
           .Register(*registry_);
  fsync_seconds_ = &prometheus::BuildHistogram()
                        .Name("ftcapture_dataset_fsync_seconds")
                        .Help("Latency of each fsync of examples.tfrecord.")
                        .Register(*registry_)
                        .Add({}, LatencyBuckets());
  duplicate_turns_ = &prometheus::BuildCounter()
                          .Name("ftcapture_duplicate_turns_total")
                          .Help("Resent turns answered as duplicates.")
                          .Register(*registry_)
                          .Add({});
}

ServerMetrics::~ServerMetrics() = default;

absl::StatusOr<std::string> ServerMetrics::Serve(absl::string_view address) {
  // prometheus-cpp reports a failed bind by throwing (civetweb); this is the
  // one place the server meets that, so it becomes a status here.
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(std::string(address), 2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on '", address, "': ", e.what()));
  }
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(service_collectable_);
  const std::vector<int> ports = exposer_->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on '", address, "'"));
  }
  const size_t colon = address.rfind(':');
  return absl::StrCat(
      address.substr(0,
                     colon == absl::string_view::npos ? address.size() : colon),
      ":", ports.front());
}

void ServerMetrics::set_service(CaptureService* service) {
  service_collectable_->set_service(service);
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
ServerMetrics::NewInterceptorFactory() {
  return std::make_unique<MetricsInterceptorFactory>(this);
}

void ServerMetrics::RecordCall(absl::string_view full_method,
                               grpc::StatusCode code, absl::Duration elapsed) {
  auto [service, method] = SplitMethod(full_method);
  const std::string code_name =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  handled_
      ->Add({{"grpc_service", service},
             {"grpc_method", method},
             {"grpc_code", code_name}})
      .Increment();
  handling_seconds_
      ->Add({{"grpc_service", service}, {"grpc_method", method}},
            LatencyBuckets())
      .Observe(absl::ToDoubleSeconds(elapsed));
}

void ServerMetrics::OnRecovery(const RecoveryReport& report) {
  service_collectable_->set_recovery(report);
}

void ServerMetrics::OnDatasetSync(absl::Duration latency) {
  fsync_seconds_->Observe(absl::ToDoubleSeconds(latency));
}

void ServerMetrics::OnDuplicateTurn() { duplicate_turns_->Increment(); }

}  // namespace ftcapture
