// `ftcapture health`: grpc.health.v1.Health/Check, for container health
// checks and scripts. Exit status 0 only when the answer is SERVING.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/commands.h"
#include "client/rpc.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace ftcapture {
namespace {

class HealthCommand : public Command {
 public:
  const char* name() const override { return "health"; }
  const char* synopsis() const override {
    return "[--service=NAME] [--timeout=SECONDS]";
  }
  const char* summary() const override {
    return "check the server's health (grpc.health.v1); exit 0 when SERVING";
  }
  void DefineFlags(FlagSet* flags) override {
    flags->String("service", &service_,
                  "the service to ask about; empty: the server as a whole",
                  "NAME");
    flags->Double("timeout", &timeout_seconds_,
                  "give up (exit 1) after this many seconds");
  }

  absl::Status Run(const CommandContext& context) override {
    if (!context.args.empty()) return UsageError("health takes no arguments");
    if (!(timeout_seconds_ > 0)) {
      return UsageError("--timeout must be positive");
    }
    auto stub =
        grpc::health::v1::Health::NewStub(NewChannel(context.connection));
    grpc::ClientContext rpc;
    rpc.set_deadline(
        absl::ToChronoTime(absl::Now() + absl::Seconds(timeout_seconds_)));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service_);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = stub->Check(&rpc, request, &response);
    if (!status.ok()) return RpcError("Health/Check", context.server, status);
    const std::string name =
        grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
            response.status());
    *context.out << name << "\n";
    if (response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
      return absl::UnavailableError(absl::StrCat(context.server, " is ", name));
    }
    return absl::OkStatus();
  }

 private:
  std::string service_;
  double timeout_seconds_ = 5;
};

}  // namespace

std::unique_ptr<Command> NewHealthCommand() {
  return std::make_unique<HealthCommand>();
}

}  // namespace ftcapture
