#include "client/replicas.h"

#include <fstream>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/command.h"
#include "client/rpc.h"

namespace ftcapture {
namespace {

absl::StatusOr<std::vector<std::string>> ReadServerFile(
    const std::string& path) {
  std::ifstream in(path);
  if (!in.is_open()) {
    return absl::NotFoundError(
        absl::StrCat("--server=@", path, ": cannot read the file"));
  }
  std::vector<std::string> servers;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view address = absl::StripAsciiWhitespace(line);
    if (address.empty() || address.front() == '#') continue;
    servers.emplace_back(address);
  }
  return servers;
}

// One open ExportExamples call; the stream's state between reads.
struct ExportCall {
  // A call given up before its end (the merge stopped) is cancelled and
  // finished, as gRPC requires.
  ~ExportCall() {
    if (reader == nullptr) return;
    context.TryCancel();
    reader->Finish().ok();
  }

  std::string server;
  std::unique_ptr<v1::CaptureService::Stub> stub;
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::Example>> reader;
};

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseServerList(
    absl::string_view value) {
  std::vector<std::string> servers;
  if (absl::ConsumePrefix(&value, "@")) {
    absl::StatusOr<std::vector<std::string>> from_file =
        ReadServerFile(std::string(value));
    if (!from_file.ok()) return from_file.status();
    servers = *std::move(from_file);
  } else {
    for (absl::string_view address : absl::StrSplit(value, ',')) {
      address = absl::StripAsciiWhitespace(address);
      if (!address.empty()) servers.emplace_back(address);
    }
  }
  if (servers.empty()) {
    return UsageError(absl::StrCat("--server names no server: '", value, "'"));
  }
  return servers;
}

ServerConnection WithServer(const ServerConnection& connection,
                            const std::string& server) {
  ServerConnection copy = connection;
  copy.server = server;
  return copy;
}

absl::StatusOr<v1::GetStatsResponse> FetchStats(
    const ServerConnection& connection) {
  absl::StatusOr<std::vector<std::string>> parsed =
      ParseServerList(connection.server);
  if (!parsed.ok()) return parsed.status();
  const std::vector<std::string>& servers = *parsed;
  std::vector<v1::GetStatsResponse> all(servers.size());
  for (size_t i = 0; i < servers.size(); ++i) {
    auto stub = NewCaptureStub(WithServer(connection, servers[i]));
    auto rpc = NewUnaryContext();
    grpc::Status status =
        stub->GetStats(rpc.get(), v1::GetStatsRequest(), &all[i]);
    if (!status.ok()) return RpcError("GetStats", servers[i], status);
  }
  if (all.size() == 1) return std::move(all.front());
  return MergeStats(all);
}

ExampleStream ServerExampleStream(const ServerConnection& connection,
                                  const v1::ExportExamplesRequest& request) {
  auto call = std::make_shared<ExportCall>();
  call->server = connection.server;
  call->stub = NewCaptureStub(connection);
  call->reader = call->stub->ExportExamples(&call->context, request);
  return [call](v1::Example* example) -> absl::StatusOr<bool> {
    if (call->reader == nullptr) return false;
    if (call->reader->Read(example)) return true;
    grpc::Status status = call->reader->Finish();
    call->reader.reset();
    if (!status.ok()) return RpcError("ExportExamples", call->server, status);
    return false;
  };
}

}  // namespace ftcapture
