// wss:// end to end: the simulator serves TLS with a self-signed certificate made in memory
// at test time (no key material in the repository), the client trusts exactly that
// certificate through WsClientConfig::ca_pem, and everything ws:// does holds over TLS:
// Binance-format frames, a forced drop, reconnect with backoff, resubscription, and the
// Connectivity inputs. A certificate the client does not trust, or one issued for another
// host, is refused with an error that says which.
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "feed/binance.hpp"
#include "feed/symbol_table.hpp"
#include "net/ws_client.hpp"
#include "sim/sim_server.hpp"
#include "sim/tls_identity.hpp"
#include "tests/net/recorder.hpp"

namespace be {
namespace {

using net::WsClient;
using net::WsClientConfig;
using sim::SimConfig;
using sim::SimServer;
using sim::TlsIdentity;
using test::Recorder;

constexpr Nanos kMs = 1'000'000;
constexpr std::string_view kTrade = R"({"stream":"btcusdt@trade","data":)";

TlsIdentity identity(sim::SelfSignedOptions options = {}) {
  auto made = sim::make_self_signed_identity(options);
  EXPECT_TRUE(made) << made.error();
  return made ? *made : TlsIdentity{};
}

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
std::unique_ptr<X509, X509Free> read_cert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return std::unique_ptr<X509, X509Free>(x);
}

std::unique_ptr<SimServer> start_tls_sim(const TlsIdentity& id) {
  SimConfig config;
  config.port = 0;
  config.speed = 10;
  config.tls = id;
  sim::SyntheticConfig market;
  market.symbols = {"btcusdt"};
  market.seed = 5;
  auto server = std::make_unique<SimServer>(config, sim::make_synthetic_source(market));
  auto port = server->start();
  EXPECT_TRUE(port) << port.error();
  return server;
}

WsClientConfig wss_config(const SimServer& server, std::string_view host, std::string ca_pem) {
  WsClientConfig c;
  c.url = "wss://" + std::string(host) + ":" + std::to_string(server.port()) + "/stream";
  c.venue = VenueId{3};
  c.ca_pem = std::move(ca_pem);
  c.backoff.initial = 20 * kMs;
  c.backoff.cap = 200 * kMs;
  c.backoff.seed = 11;
  c.stale_after = 5'000 * kMs;
  c.connect_timeout = 2'000 * kMs;
  return c;
}

TEST(TlsIdentity, shouldMakeASelfSignedCertificateNamingLocalhostAndLoopback) {
  const TlsIdentity a = identity();
  const TlsIdentity b = identity();
  EXPECT_NE(a.certificate_pem, b.certificate_pem) << "a fresh key and serial each time";
  const auto cert = read_cert(a.certificate_pem);
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
  EXPECT_NE(X509_check_host(cert.get(), "exchange.example", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_issued(cert.get(), cert.get()), X509_V_OK) << "self-signed";
  EXPECT_NE(a.private_key_pem.find("PRIVATE KEY-----"), std::string::npos);
}

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/be_tls_test.XXXXXX";
    const char* made = ::mkdtemp(pattern);
    EXPECT_NE(made, nullptr);
    path_ = made != nullptr ? made : "/tmp";
  }
  ~TempDir() {
    for (const auto& f : files_)
      std::remove(f.c_str());
    ::rmdir(path_.c_str());
  }
  std::string write(const std::string& name, const std::string& text) {
    const std::string file = path_ + "/" + name;
    std::ofstream(file) << text;
    files_.push_back(file);
    return file;
  }

 private:
  std::string path_;
  std::vector<std::string> files_;
};

TEST(TlsIdentity, shouldLoadPemFilesAndNameTheFileItCannotUse) {
  const TlsIdentity id = identity();
  TempDir dir;
  const std::string cert = dir.write("cert.pem", id.certificate_pem);
  const std::string key = dir.write("key.pem", id.private_key_pem);
  const std::string junk = dir.write("junk.pem", "not a pem file\n");
  const auto loaded = sim::load_tls_identity(cert, key);
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ(loaded->certificate_pem, id.certificate_pem);
  EXPECT_EQ(loaded->private_key_pem, id.private_key_pem);

  const auto missing = sim::load_tls_identity(cert, "/nonexistent/key.pem");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("/nonexistent/key.pem"), std::string::npos) << missing.error();
  const auto bad_cert = sim::load_tls_identity(junk, key);
  ASSERT_FALSE(bad_cert);
  EXPECT_NE(bad_cert.error().find("holds no PEM certificate"), std::string::npos);
  const auto bad_key = sim::load_tls_identity(cert, junk);
  ASSERT_FALSE(bad_key);
  EXPECT_NE(bad_key.error().find("holds no PEM private key"), std::string::npos);

  // The server reads the files itself when given paths (the CLI's --tls-cert/--tls-key).
  SimConfig config;
  config.port = 0;
  config.tls_certificate_file = cert;
  config.tls_private_key_file = key;
  SimServer from_files(config, sim::make_synthetic_source({}));
  const auto port = from_files.start();
  EXPECT_TRUE(port) << port.error();
  SimConfig half;
  half.port = 0;
  half.tls_certificate_file = cert;
  SimServer half_server(half, sim::make_synthetic_source({}));
  const auto refused = half_server.start();
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("both"), std::string::npos) << refused.error();
}

TEST(SimTls, shouldRefuseToStartWithAKeyThatDoesNotMatchTheCertificate) {
  const TlsIdentity a = identity(), b = identity();
  SimConfig config;
  config.port = 0;
  config.tls = TlsIdentity{a.certificate_pem, b.private_key_pem};
  SimServer server(config, sim::make_synthetic_source({}));
  const auto port = server.start();
  ASSERT_FALSE(port);
  EXPECT_NE(port.error().find("key values mismatch"), std::string::npos) << port.error();
  EXPECT_NE(port.error().find("private key of the certificate"), std::string::npos);
}

TEST(ClientTls, shouldReceiveBinanceDataOverWssAndResubscribeOverTlsAfterADrop) {
  const TlsIdentity id = identity();
  auto server = start_tls_sim(id);
  Recorder rec;
  WsClient client(wss_config(*server, "localhost", id.certificate_pem), rec.handlers());
  std::string error;
  ASSERT_TRUE(client.start(&error)) << error;
  client.subscribe("BTCUSDT", "trade");
  ASSERT_TRUE(rec.wait([](const Recorder& r) { return r.count_prefix(kTrade) >= 3; }));
  sim::Fault drop;
  drop.kind = sim::Fault::Kind::kDrop;
  server->inject(drop);
  ASSERT_TRUE(rec.wait([](const Recorder& r) { return r.resumed_after_drop(kTrade, 3); }));
  client.stop();

  // The Connectivity inputs are those of ws:// (client_sim_test.cpp), outage included.
  const auto& st = rec.statuses();
  ASSERT_GE(st.size(), 4u);
  EXPECT_EQ(st[0].state, ConnectivityState::kConnected);
  EXPECT_EQ(st[1].state, ConnectivityState::kDisconnected);
  EXPECT_EQ(st[2].state, ConnectivityState::kConnected);
  EXPECT_EQ(st.back().state, ConnectivityState::kDisconnected) << "stop() reports";
  const Nanos outage = st[2].time - st[1].time;
  EXPECT_GE(outage, 18 * kMs) << "the first retry waits the initial backoff, -10 % jitter";
  EXPECT_LT(outage, 3'000 * kMs);
  EXPECT_EQ(client.stats().connects, 2u);
  EXPECT_EQ(client.stats().connect_failures, 0u);

  const sim::SimStats ss = server->stats();
  EXPECT_GE(ss.tls_handshakes, 2u) << "both connections were TLS";
  EXPECT_EQ(ss.tls_handshake_failures, 0u);
  EXPECT_EQ(ss.last_server_name, "localhost") << "the client sends SNI";

  // Binance's wire format, through the production parser, on both sides of the outage.
  feed::SymbolTable symbols(feed::UnknownSymbolPolicy::kAutoIntern);
  feed::BinanceParser parser(VenueId{3}, symbols);
  std::size_t trades = 0;
  std::uint64_t last_id = 0;
  for (const auto& f : rec.frames()) {
    if (!f.starts_with(kTrade)) continue;
    Trade t{};
    const auto r = parser.parse(f, 1, [&](const Event& e) {
      ASSERT_TRUE(e.is<Trade>());
      t = e.as<Trade>();
    });
    ASSERT_TRUE(r.ok()) << f;
    EXPECT_EQ(r.events, 1u);
    EXPECT_GT(t.price, 0);
    EXPECT_GT(t.quantity, 0);
    EXPECT_GT(t.trade_id, last_id) << "trade ids only move forward across the reconnect";
    last_id = t.trade_id;
    ++trades;
  }
  EXPECT_GE(trades, 6u);
}

TEST(ClientTls, shouldRefuseAServerWhoseCertificateItDoesNotTrust) {
  const TlsIdentity served = identity(), trusted = identity();
  auto server = start_tls_sim(served);
  Recorder rec;
  WsClient client(wss_config(*server, "localhost", trusted.certificate_pem), rec.handlers());
  ASSERT_TRUE(client.start());
  client.subscribe("btcusdt", "trade");
  ASSERT_TRUE(rec.wait([](const Recorder& r) { return r.retries().size() >= 2; }));
  client.stop();
  const std::string& reason = rec.retries().front().first;
  EXPECT_NE(reason.find("certificate verify failed: self"), std::string::npos) << reason;
  EXPECT_NE(reason.find("signed certificate"), std::string::npos) << reason;
  EXPECT_NE(reason.find("localhost:" + std::to_string(server->port())), std::string::npos)
      << reason;
  EXPECT_TRUE(rec.frames().empty());
  EXPECT_EQ(rec.count_state(ConnectivityState::kConnected), 0u);
  EXPECT_EQ(client.stats().connects, 0u);
  EXPECT_GE(client.stats().connect_failures, 2u) << "refused, then retried on the schedule";
  EXPECT_GE(server->stats().tls_handshake_failures, 1u);
  EXPECT_EQ(server->stats().connections, 0u) << "no WebSocket session was opened";
}

TEST(ClientTls, shouldRefuseACertificateIssuedForAnotherHost) {
  sim::SelfSignedOptions other;
  other.common_name = "exchange.example";
  other.dns_names = {"exchange.example"};
  other.ip_addresses = {};
  const TlsIdentity id = identity(other);
  auto server = start_tls_sim(id);
  for (const std::string_view host : {"localhost", "127.0.0.1"}) {
    Recorder rec;
    WsClient client(wss_config(*server, host, id.certificate_pem), rec.handlers());
    ASSERT_TRUE(client.start());
    ASSERT_TRUE(rec.wait([](const Recorder& r) { return !r.retries().empty(); }));
    client.stop();
    const std::string& reason = rec.retries().front().first;
    const std::string_view expected =
        host == "localhost" ? "hostname mismatch" : "IP address mismatch";
    EXPECT_NE(reason.find(std::string("certificate verify failed: ") + std::string(expected)),
              std::string::npos)
        << reason;
    EXPECT_EQ(rec.count_state(ConnectivityState::kConnected), 0u);
  }
}

TEST(ClientTls, shouldRefuseToStartWithCaPemThatIsNotACertificate) {
  WsClientConfig c;
  c.url = "wss://localhost:1/stream";
  c.ca_pem = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
  Recorder rec;
  WsClient client(c, rec.handlers());
  std::string error;
  EXPECT_FALSE(client.start(&error));
  EXPECT_NE(error.find("ca_pem"), std::string::npos) << error;
}

}  // namespace
}  // namespace be
