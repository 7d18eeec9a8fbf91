#ifndef FTCAPTURE_SERVER_METRICS_H_
#define FTCAPTURE_SERVER_METRICS_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "src/service/capture_service.h"

namespace prometheus {
class Exposer;
}

namespace ftcapture {

// The server's Prometheus metrics, served on /metrics by --metrics_listen.
//
// Three sources: gRPC calls, counted by the interceptor from
// NewInterceptorFactory() (grpc_server_handled_total and
// grpc_server_handling_seconds); the library's own events through the
// CaptureObserver interface (fsync latency, recovery, duplicates); and the
// service's counters, read from GetStats() at every scrape, so they are never
// counted twice. Thread-safe. Declared before the service that observes it and
// the gRPC server that uses its interceptor, so it outlives both.
class ServerMetrics final : public CaptureObserver {
 public:
  ServerMetrics();
  ~ServerMetrics() override;

  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  // Serves /metrics on `address` (host:port, port 0 picks one) and returns
  // the address it listens on. `service` (may be set later through
  // set_service, must outlive the exporter) supplies the service counters.
  absl::StatusOr<std::string> Serve(absl::string_view address);
  void set_service(CaptureService* service);

  // Counts the calls of a gRPC server built with it.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
  NewInterceptorFactory();

  // Records one finished call of "/package.Service/Method".
  void RecordCall(absl::string_view full_method, grpc::StatusCode code,
                  absl::Duration elapsed);

  // CaptureObserver:
  void OnRecovery(const RecoveryReport& report) override;
  void OnDatasetSync(absl::Duration latency) override;
  void OnDuplicateTurn() override;

 private:
  class ServiceCollectable;

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<ServiceCollectable> service_collectable_;
  prometheus::Family<prometheus::Counter>* handled_;
  prometheus::Family<prometheus::Histogram>* handling_seconds_;
  prometheus::Histogram* fsync_seconds_;
  prometheus::Counter* duplicate_turns_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SERVER_METRICS_H_
