#include "server/server_security.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace ftcapture {
namespace {

absl::Status CheckPemFile(absl::string_view flag, const std::string& path,
                          absl::string_view marker) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": cannot read '", path, "'"));
  }
  std::stringstream text;
  text << in.rdbuf();
  if (!absl::StrContains(text.str(), marker)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": '", path, "' has no PEM ", marker, " block"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files) {
  if (files.cert.empty() && files.key.empty()) {
    if (!files.client_ca.empty()) {
      return absl::InvalidArgumentError(
          "--tls_client_ca needs --tls_cert and --tls_key");
    }
    return grpc::InsecureServerCredentials();
  }
  if (files.cert.empty() || files.key.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  if (absl::Status s = CheckPemFile("--tls_cert", files.cert, "CERTIFICATE");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckPemFile("--tls_key", files.key, "PRIVATE KEY");
      !s.ok()) {
    return s;
  }
  if (!files.client_ca.empty()) {
    if (absl::Status s =
            CheckPemFile("--tls_client_ca", files.client_ca, "CERTIFICATE");
        !s.ok()) {
      return s;
    }
  }
  const auto interval = static_cast<unsigned int>(
      std::max<int64_t>(1, absl::ToInt64Seconds(files.reload_interval)));
  auto provider =
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          files.key, files.cert, files.client_ca, interval);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (files.client_ca.empty()) {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    options.watch_root_certs();
    options.set_cert_request_type(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

bool IsLoopbackAddress(absl::string_view listen) {
  if (absl::StartsWith(listen, "unix:") ||
      absl::StartsWith(listen, "unix-abstract:")) {
    return true;
  }
  absl::ConsumePrefix(&listen, "ipv4:");
  absl::ConsumePrefix(&listen, "ipv6:");
  absl::string_view host = listen;
  if (absl::ConsumePrefix(&host, "[")) {
    host = host.substr(0, host.find(']'));
  } else if (size_t colon = host.rfind(':'); colon != absl::string_view::npos) {
    host = host.substr(0, colon);
  }
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

absl::Status CheckListenAddress(absl::string_view flag,
                                absl::string_view address, AddressKinds kinds) {
  const bool unix_allowed = kinds == AddressKinds::kHostPortOrUnix;
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, "='", address, "' is not a valid address (", why,
        "): expected HOST:PORT with a port of 0-65535 (0 picks a free one), "
        "[IPV6]:PORT",
        unix_allowed ? " or unix:PATH" : "", ", e.g. 127.0.0.1:50051"));
  };
  if (unix_allowed) {
    for (absl::string_view scheme : {"unix:", "unix-abstract:"}) {
      if (!absl::StartsWith(address, scheme)) continue;
      if (address.size() == scheme.size()) return invalid("no socket path");
      return absl::OkStatus();
    }
  }
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return invalid("no port");
  absl::string_view host = address.substr(0, colon);
  const absl::string_view port = address.substr(colon + 1);
  if (absl::ConsumePrefix(&host, "[")) {
    if (!absl::ConsumeSuffix(&host, "]")) return invalid("no ']'");
  } else if (absl::StrContains(host, ':')) {
    return invalid("an IPv6 host goes in brackets");
  }
  if (host.empty()) return invalid("no host");
  int port_number = -1;
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(port, &port_number) || port_number > 65535) {
    return invalid("the port is not a number of 0-65535");
  }
  return absl::OkStatus();
}

}  // namespace ftcapture
