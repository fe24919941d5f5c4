// The control API over HTTPS (api.tls, docs/CONFIG.md): a throwaway CA and a server
// certificate made with the openssl command in the test's temporary directory, the config's
// api.tls read by read_api_options, and real clients that trust only that CA: our own
// net::HttpClient and curl. Over TLS a key upload is accepted even on a non-loopback address;
// a plain-HTTP request to the HTTPS port gets no answer. Skipped when openssl or curl is not
// installed (scripts/setup.sh installs both).
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "net/http_client.hpp"
#include "runner/api/options.hpp"
#include "tests/api/api_fixture.hpp"

namespace be::api::test {
namespace {

namespace fs = std::filesystem;

bool have(const char* program) {
  return std::system((std::string("command -v ") + program + " >/dev/null 2>&1").c_str()) == 0;
}

// Runs a shell command, returns its standard output (empty on failure, with `ok` false).
std::string run(const std::string& command, bool& ok) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ok = false;
    return out;
  }
  std::array<char, 4096> buffer{};
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
    out.append(buffer.data(), n);
  ok = ::pclose(pipe) == 0;
  return out;
}

class ApiTlsTest : public ApiServerTest {
 protected:
  void SetUp() override {
    if (!have("openssl") || !have("curl")) GTEST_SKIP() << "openssl or curl is not installed";
    dir_ = fs::temp_directory_path() /
           ("be_api_tls_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // A CA, and a certificate for localhost/127.0.0.1 that it signs (EC P-256, 1 day).
    const std::string d = dir_.string();
    const std::string script =
        "cd '" + d +
        "' && "
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
        "-subj /CN=be-test-ca -keyout ca.key -out ca.pem && "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
        "-subj /CN=localhost -keyout server.key -out server.csr && "
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n' > ext "
        "&& "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 "
        "-extfile ext -out server.pem";
    bool ok = true;
    run("(" + script + ") 2>&1", ok);
    ASSERT_TRUE(ok) << "openssl could not make the test CA";
    ca_ = d + "/ca.pem";
  }
  void TearDown() override {
    ApiServerTest::TearDown();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // The API with api.tls from a deployment config, bound to `bind`.
  void start_tls(std::string_view bind) {
    const std::string config = R"({"api":{"bind":")" + std::string(bind) +
                               R"(","tls":{"cert_file":")" + (dir_ / "server.pem").string() +
                               R"(","key_file":")" + (dir_ / "server.key").string() + R"("}}})";
    auto options = read_api_options(config);
    ASSERT_TRUE(options.has_value());
    ASSERT_TRUE(options->tls.has_value());
    options->store_key = [this](std::string_view, std::string_view key,
                                std::string_view) -> Expected<std::string, std::string> {
      ++stored_;
      return hash_token(key);
    };
    start(std::move(*options));
  }

  std::string curl(const std::string& args, bool& ok) {
    return run("curl -sS --max-time 10 --cacert '" + ca_ + "' " + args + " 2>&1", ok);
  }

  fs::path dir_;
  std::string ca_;
  std::atomic<int> stored_{0};
};

TEST_F(ApiTlsTest, shouldServeHttpsToClientsThatTrustTheConfiguredCa) {
  start_tls("127.0.0.1");
  const std::string origin = "https://localhost:" + std::to_string(port_);

  // Our own client, trusting only the test CA.
  net::HttpClientOptions options;
  options.tls.ca_file = ca_;
  auto url = net::parse_http_url(origin);
  ASSERT_TRUE(url.has_value()) << url.error();
  net::HttpClient client(*url, options);
  const std::string bearer = "Bearer " + std::string(kAliceToken);
  const net::HttpHeader headers[] = {{"Authorization", bearer}};
  net::HttpRequest request;
  request.target = "/api/v1/me";
  request.headers = headers;
  auto me = client.request(request);
  ASSERT_TRUE(me.has_value()) << me.error().message;
  EXPECT_EQ(me->status, 200);
  EXPECT_EQ(me->body, R"({"user":"alice","id":2,"admin":false})");

  // curl, a client we did not write.
  bool ok = false;
  const std::string health = curl("'" + origin + "/api/v1/health'", ok);
  EXPECT_TRUE(ok) << health;
  EXPECT_NE(health.find(R"("status":"ok")"), std::string::npos) << health;
  const std::string accounts = curl("-H 'Authorization: Bearer " + std::string(kAdminToken) +
                                        "' '" + origin + "/api/v1/accounts'",
                                    ok);
  EXPECT_TRUE(ok) << accounts;
  EXPECT_NE(accounts.find(R"("accounts":[{"id":0,)"), std::string::npos) << accounts;

  // Without the CA, curl refuses the certificate: the server is not trusted by accident.
  run("curl -sS --max-time 10 '" + origin + "/api/v1/health' 2>&1", ok);
  EXPECT_FALSE(ok);
  // Plain HTTP to the HTTPS port gets no API answer.
  TestClient plain;
  ASSERT_TRUE(plain.connect(port_));
  EXPECT_FALSE(plain.request("GET", "/api/v1/health", {}, {}, false).has_value());
}

TEST_F(ApiTlsTest, shouldAcceptKeyUploadsOverHttpsOffLoopback) {
  start_tls("0.0.0.0");
  const std::string body = R"({"owner":2,"name":"main","venue":"binance","mode":"paper"})";
  bool ok = false;
  const std::string origin = "https://127.0.0.1:" + std::to_string(port_);
  const std::string auth = "-H 'Authorization: Bearer " + std::string(kAdminToken) + "' ";
  const std::string created =
      curl(auth + "-X POST --data '" + body + "' '" + origin + "/api/v1/accounts'", ok);
  ASSERT_TRUE(ok) << created;
  // Accounts 0..2 are the imported users' paper accounts.
  ASSERT_NE(created.find(R"("id":3)"), std::string::npos) << created;
  // The secret goes in a file curl reads (never in argv), as an operator would send it.
  const fs::path upload = dir_ / "upload.json";
  std::ofstream(upload) << R"({"api_key":"test-api-key-1","secret":"test-secret-never-shown"})";
  const std::string answer =
      curl(auth + "--data @'" + upload.string() + "' '" + origin + "/api/v1/accounts/3/keys'", ok);
  ASSERT_TRUE(ok) << answer;
  EXPECT_NE(answer.find(R"("key_fingerprint":")" + hash_token("test-api-key-1")), std::string::npos)
      << answer;
  EXPECT_EQ(answer.find("test-secret-never-shown"), std::string::npos);
  EXPECT_EQ(stored_.load(), 1);
  EXPECT_EQ(engine_.read_model()->find_account(AccountId{3})->key_fingerprint,
            hash_token("test-api-key-1"));
}

TEST(ApiTlsOptions, shouldNameAMissingOrUnreadableCertificate) {
  auto missing = read_api_options(R"({"api":{"tls":{"cert_file":"/nonexistent/cert.pem"}}})");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error()[0].field, "api.tls.key_file");
  auto unreadable = read_api_options(
      R"({"api":{"tls":{"cert_file":"/nonexistent/cert.pem","key_file":"/nonexistent/key.pem"}}})");
  ASSERT_FALSE(unreadable.has_value());
  EXPECT_EQ(unreadable.error()[0].field, "api.tls.cert_file");
  EXPECT_NE(unreadable.error()[0].message.find("/nonexistent/cert.pem"), std::string::npos)
      << unreadable.error()[0].message;
}

}  // namespace
}  // namespace be::api::test
