// TLS and mTLS with certificates made here by openssl: the server serves
// TLS, refuses plaintext and clients without a trusted certificate, picks
// up a renewed certificate without a restart, and the CLI connects with
// --tls_ca, --tls_cert/--tls_key and a token.

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ftcapture/v1/capture.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/running_server.h"
#include "tests/util/temp_dir.h"

namespace ftcapture {
namespace {

using ::testing::HasSubstr;

constexpr char kToken[] = "admin-token-0123456789";

// Makes, in `dir`, a CA `ca` (ca.pem, ca.key) if missing and a certificate
// `name` (name.pem, name.key) it signed for localhost and 127.0.0.1.
absl::Status MakeCertificate(const TempDir& dir, const std::string& ca,
                             const std::string& name) {
  const std::string script =
      absl::StrCat("set -e; cd '", dir.path(), "'\n", "[ -f ", ca,
                   ".pem ] || openssl req -x509 -newkey rsa:2048 -nodes "
                   "-keyout ",
                   ca, ".key -out ", ca, ".pem -days 2 -subj /CN=", ca, "\n",
                   "openssl req -newkey rsa:2048 -nodes -keyout ", name,
                   ".key -out ", name, ".csr -subj /CN=localhost\n",
                   "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ",
                   name, ".ext\n", "openssl x509 -req -in ", name, ".csr -CA ",
                   ca, ".pem -CAkey ", ca, ".key -CAcreateserial -out ", name,
                   ".pem -days 2 -extfile ", name, ".ext\n");
  auto result = RunProcess({"/bin/sh", "-c", script});
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::InternalError(absl::StrCat("openssl failed: ", result->err));
  }
  return absl::OkStatus();
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto have = RunProcess({"/bin/sh", "-c", "command -v openssl"});
    if (!have.ok() || have->exit_code != 0) GTEST_SKIP() << "no openssl";
    ASSERT_TRUE(MakeCertificate(dir_, "ca", "server").ok());
    ASSERT_TRUE(MakeCertificate(dir_, "ca", "client").ok());
    ASSERT_TRUE(MakeCertificate(dir_, "other_ca", "stranger").ok());
    std::string tokens = absl::StrCat("boss admin ", kToken, "\n");
    ASSERT_TRUE(RunProcess({"/bin/sh", "-c",
                            absl::StrCat("umask 077; printf '", tokens, "' > '",
                                         dir_.File("tokens"), "'")})
                    .ok());
  }

  void Start(std::vector<std::string> flags) {
    flags.push_back("--data_dir=" + dir_.File("data"));
    flags.push_back("--auth_tokens=" + dir_.File("tokens"));
    flags.push_back("--tls_cert=" + dir_.File("server.pem"));
    flags.push_back("--tls_key=" + dir_.File("server.key"));
    auto server = RunningServer::Start(flags, dir_.File("server.stderr"));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  // GetStats over `credentials`, as the admin token.
  grpc::Status Stats(std::shared_ptr<grpc::ChannelCredentials> credentials) {
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // fresh handshake
    auto stub = v1::CaptureService::NewStub(
        grpc::CreateCustomChannel(server_->address(), credentials, args));
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", kToken));
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    v1::GetStatsResponse stats;
    return stub->GetStats(&context, v1::GetStatsRequest(), &stats);
  }

  std::shared_ptr<grpc::ChannelCredentials> Tls(const std::string& ca,
                                                const std::string& client) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFileOrEmpty(dir_.File(ca + ".pem"));
    if (!client.empty()) {
      options.pem_cert_chain = ReadFileOrEmpty(dir_.File(client + ".pem"));
      options.pem_private_key = ReadFileOrEmpty(dir_.File(client + ".key"));
    }
    return grpc::SslCredentials(options);
  }

  TempDir dir_;
  std::unique_ptr<RunningServer> server_;
};

TEST_F(TlsTest, ServesTlsAndRefusesPlaintext) {
  Start({});
  grpc::Status status = Stats(Tls("ca", ""));
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Stats(grpc::InsecureChannelCredentials()).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // A client that trusts another CA does not accept the server.
  EXPECT_EQ(Stats(Tls("other_ca", "")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, MutualTlsNeedsATrustedClientCertificate) {
  Start({"--tls_client_ca=" + dir_.File("ca.pem")});
  grpc::Status status = Stats(Tls("ca", "client"));
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Stats(Tls("ca", "")).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Stats(Tls("ca", "stranger")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, RenewedCertificateIsServedWithoutRestart) {
  Start({"--tls_reload_interval=1s"});
  ASSERT_TRUE(Stats(Tls("ca", "")).ok());
  // The certificate is replaced by one of another CA, as a renewal from a
  // new issuer would; clients that trust it succeed once it is re-read.
  ASSERT_TRUE(MakeCertificate(dir_, "new_ca", "renewed").ok());
  ASSERT_EQ(std::rename(dir_.File("renewed.key").c_str(),
                        dir_.File("server.key").c_str()),
            0);
  ASSERT_EQ(std::rename(dir_.File("renewed.pem").c_str(),
                        dir_.File("server.pem").c_str()),
            0);
  grpc::Status status;
  for (int attempt = 0; attempt < 300; ++attempt) {
    status = Stats(Tls("new_ca", ""));
    if (status.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Stats(Tls("ca", "")).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, CliConnectsWithCertificatesAndToken) {
  Start({"--tls_client_ca=" + dir_.File("ca.pem")});
  ASSERT_TRUE(RunProcess({"/bin/sh", "-c",
                          absl::StrCat("printf '%s\\n' ", kToken, " > '",
                                       dir_.File("token"), "'")})
                  .ok());
  const std::vector<std::string> base = {
      FTCAPTURE_CLIENT_BIN,
      "--server=" + server_->address(),
      "--tls_ca=" + dir_.File("ca.pem"),
      "--tls_server_name=localhost",
      "--tls_cert=" + dir_.File("client.pem"),
      "--tls_key=" + dir_.File("client.key")};
  std::vector<std::string> with_token = base;
  with_token.push_back("--token_file=" + dir_.File("token"));
  with_token.push_back("stats");
  auto ok = RunProcess(with_token);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->exit_code, 0) << ok->err;
  EXPECT_THAT(ok->out, HasSubstr("examples"));

  std::vector<std::string> without_token = base;
  without_token.push_back("stats");
  auto refused = RunProcess(without_token);
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->exit_code, 1);
  EXPECT_THAT(refused->err, HasSubstr("UNAUTHENTICATED"));
}

TEST_F(TlsTest, UnreadableCertificateStopsTheStart) {
  auto result = RunProcess({FTCAPTURE_SERVER_BIN, "--listen=127.0.0.1:0",
                            "--data_dir=" + dir_.File("data"),
                            "--tls_cert=" + dir_.File("missing.pem"),
                            "--tls_key=" + dir_.File("server.key")});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 1);
  EXPECT_THAT(result->err, HasSubstr("missing.pem"));
}

}  // namespace
}  // namespace ftcapture
