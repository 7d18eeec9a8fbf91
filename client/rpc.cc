#include "client/rpc.h"

#include <grpcpp/support/client_interceptor.h>

#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/text_file.h"

namespace ftcapture {
namespace {

// Adds `authorization: Bearer TOKEN` to every call's metadata. Unlike call
// credentials it works on plaintext too (a server behind a TLS proxy).
class BearerTokenInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit BearerTokenInterceptor(const std::string* header)
      : header_(header) {}
  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::
                PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace("authorization", *header_);
    }
    methods->Proceed();
  }

 private:
  const std::string* const header_;
};

class BearerTokenInterceptorFactory
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit BearerTokenInterceptorFactory(const std::string& token)
      : header_(absl::StrCat("Bearer ", token)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* /*info*/) override {
    return new BearerTokenInterceptor(&header_);
  }

 private:
  const std::string header_;  // the channel owns the factory
};

absl::Status ReadPem(absl::string_view flag, const std::string& path,
                     std::string* pem) {
  if (path.empty()) return absl::OkStatus();
  absl::StatusOr<std::string> text = ReadTextFile(path);
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", text.status().message()));
  }
  *pem = *std::move(text);
  return absl::OkStatus();
}

}  // namespace

absl::Status LoadConnectionSecrets(const std::string& token_file,
                                   ServerConnection* connection) {
  if (absl::Status s =
          ReadPem("--tls_ca", connection->tls_ca, &connection->tls_ca_pem);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadPem("--tls_cert", connection->tls_cert,
                               &connection->tls_cert_pem);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          ReadPem("--tls_key", connection->tls_key, &connection->tls_key_pem);
      !s.ok()) {
    return s;
  }
  if (connection->tls_cert.empty() != connection->tls_key.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  if (!token_file.empty()) {
    absl::StatusOr<std::string> token = ReadTextFile(token_file);
    if (!token.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--token_file: ", token.status().message()));
    }
    connection->token = std::string(absl::StripAsciiWhitespace(*token));
  } else if (const char* env = std::getenv("FTCAPTURE_TOKEN"); env != nullptr) {
    connection->token = std::string(absl::StripAsciiWhitespace(env));
  }
  return absl::OkStatus();
}

std::unique_ptr<v1::CaptureService::Stub> NewCaptureStub(
    const ServerConnection& connection) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  const bool tls = !connection.tls_ca.empty() || !connection.tls_cert.empty() ||
                   !connection.tls_server_name.empty();
  if (tls) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = connection.tls_ca_pem;  // empty: system roots
    ssl.pem_cert_chain = connection.tls_cert_pem;
    ssl.pem_private_key = connection.tls_key_pem;
    credentials = grpc::SslCredentials(ssl);
    if (!connection.tls_server_name.empty()) {
      args.SetSslTargetNameOverride(connection.tls_server_name);
    }
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  std::vector<
      std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
      interceptors;
  if (!connection.token.empty()) {
    interceptors.push_back(
        std::make_unique<BearerTokenInterceptorFactory>(connection.token));
  }
  return v1::CaptureService::NewStub(
      grpc::experimental::CreateCustomChannelWithInterceptors(
          connection.server, credentials, args, std::move(interceptors)));
}

std::unique_ptr<grpc::ClientContext> NewUnaryContext() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + kUnaryRpcTimeout));
  return context;
}

absl::Status RpcError(absl::string_view rpc, absl::string_view server,
                      const grpc::Status& status) {
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  return absl::Status(code, absl::StrCat(rpc, " on ", server, ": ",
                                         absl::StatusCodeToString(code), ": ",
                                         status.error_message()));
}

}  // namespace ftcapture
