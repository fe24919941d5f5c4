// The server scaffold's request rules (net/server/http_rules.hpp) and its connection reserve,
// over real sockets: every case is raw bytes written to a loopback Server, and the answer read
// back off the wire. The rules' pure functions are checked on their own first.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/server/http_rules.hpp"
#include "net/server/server.hpp"
#include "sim/market.hpp"
#include "sim/sim_server.hpp"
#include "tests/net/server_raw_client.hpp"

namespace be::net::server {
namespace {

using test::RawClient;
using test::status_of;

constexpr std::string_view kGoodKey = "dGhlIHNhbXBsZSBub25jZQ==";  // RFC 6455's example

// Answers every request with its body; upgrades every WebSocket; counts refusals by rule.
// Through the reserve: "/probe" once, "/admin" with keep-alive, anything else refused.
class EchoHandler final : public Handler {
 public:
  Response handle(const Request& request) override {
    return Response{200, "text/plain", std::string(request.body), {}};
  }
  Upgrade upgrade(const Request& /*request*/) override {
    Upgrade answer;
    answer.handler = std::make_shared<WsHandler>();
    return answer;
  }
  std::optional<Response> refuse(const Refused& refused) override {
    if (refused.why == Refusal::kMalformed) {
      by_rule[static_cast<std::size_t>(refused.violation)].fetch_add(1);
    } else {
      limits.fetch_add(1);
    }
    if (refused.why == Refusal::kReservedOnly) reserve_refusals.fetch_add(1);
    return Handler::refuse(refused);
  }
  ReserveUse reserve_use(const Request& request) override {
    if (request.path() == "/probe") return ReserveUse::kOnce;
    return request.path() == "/admin" ? ReserveUse::kKeep : ReserveUse::kRefuse;
  }

  std::uint64_t malformed_total() const {
    std::uint64_t n = 0;
    for (const auto& count : by_rule)
      n += count.load();
    return n;
  }

  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Violation::kCount)> by_rule{};
  std::atomic<std::uint64_t> limits{0};
  std::atomic<std::uint64_t> reserve_refusals{0};
};

class ServerRulesTest : public ::testing::Test {
 protected:
  void start(ServerOptions options = {}) {
    options.port = 0;
    options.io_threads = 2;
    server_ = std::make_unique<Server>(std::move(options), handler_);
    auto port = server_->start();
    ASSERT_TRUE(port.has_value()) << port.error();
    port_ = *port;
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  // Writes `bytes` on a new connection and returns what the server sent until it closed.
  std::string exchange(std::string_view bytes) {
    RawClient client(port_);
    EXPECT_TRUE(client.connected());
    EXPECT_TRUE(client.send(bytes));
    std::string answer = client.read_to_close();
    EXPECT_FALSE(client.timed_out()) << "the server neither answered nor closed";
    return answer;
  }

  EchoHandler handler_;
  std::unique_ptr<Server> server_;
  std::uint16_t port_ = 0;
};

// ---- The pure rules ---------------------------------------------------------------------------

TEST(HttpRules, shouldAcceptOnlyRfc3986BytesInTheRequestTarget) {
  for (std::string_view good : {"/", "/a-._~!$&'()*+,;=:@/?x=%41%2f&y=/?", "*",
                                "http://[::1]:8080/x", "/ws/btcusdt@trade"}) {
    EXPECT_TRUE(valid_request_target(good)) << good;
  }
  for (std::string_view bad :
       {"", "/a b", "/a\xff", "/a\x01", "/a\x7f", "/a\"b", "/a<b", "/a\\b", "/a{b}", "/a|b", "/a^b",
        "/a`b", "/a#frag", "/a%zz", "/a%4", "/a%", "/[::1]"}) {
    EXPECT_FALSE(valid_request_target(bad)) << bad;
  }
}

TEST(HttpRules, shouldAcceptOnlyCanonicalBase64Of16BytesAsTheWebSocketKey) {
  EXPECT_TRUE(valid_websocket_key(kGoodKey));
  EXPECT_TRUE(valid_websocket_key("AAAAAAAAAAAAAAAAAAAAAA=="));
  EXPECT_TRUE(valid_websocket_key("+/+/+/+/+/+/+/+/+/+/+w=="));
  for (std::string_view bad :
       {"", "dGhlIHNhbXBsZSBub25jZQ", "AAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAA=",
        "AAAAAAAAAAAAAAAAAAAAAB==", "!!!!!!!!!!!!!!!!!!!!!!==", "AAAAAAAAAAAAAAAAAAAAAA=A",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "dGhlIHNhbXBsZSBub25jZQ==="}) {
    EXPECT_FALSE(valid_websocket_key(bad)) << bad;
  }
}

TEST(HttpRules, shouldAnswer505OnlyForAnotherMajorVersion) {
  struct Case {
    std::string_view head;
    int status;
    Violation violation;
  };
  for (const Case& c : {Case{"GET / HTTP/9.9\r\n\r\n", 505, Violation::kVersion},
                        Case{"GET / HTTP/2.0\r\n", 505, Violation::kVersion},
                        Case{"GET / HTTP/0.9\r\n", 505, Violation::kVersion},
                        Case{"GET / HTTP/1.2\r\n", 400, Violation::kVersion},
                        Case{"GET / http/1.1\r\n", 400, Violation::kVersion},
                        Case{"GET / HTTP/1.10\r\n", 400, Violation::kVersion},
                        Case{"GET /a b HTTP/1.1\r\n", 400, Violation::kTarget},
                        Case{"GET /a  HTTP/1.1\r\n", 400, Violation::kTarget}}) {
    const Rejection r = classify_bad_version(c.head);
    EXPECT_EQ(r.status, c.status) << c.head;
    EXPECT_EQ(r.violation, c.violation) << c.head;
    EXPECT_FALSE(r.detail.empty()) << c.head;
  }
}

// ---- Over the wire ----------------------------------------------------------------------------

template <class Case>
std::string case_name(const ::testing::TestParamInfo<Case>& test) {
  return std::string(test.param.name);
}

struct Refuse {
  std::string_view name;
  std::string_view bytes;
  int status;
  Violation violation;
};

#define BE_GET(target) "GET " target " HTTP/1.1\r\nHost: x\r\n"
#define BE_POST "POST /echo HTTP/1.1\r\nHost: x\r\n"
#define BE_UPGRADE "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"

constexpr Refuse kRefusals[] = {
    {"te_gzip", BE_POST "Transfer-Encoding: gzip\r\n\r\n", 400, Violation::kTransferEncoding},
    {"te_chunked_then_gzip", BE_POST "Transfer-Encoding: chunked, gzip\r\n\r\n", 400,
     Violation::kTransferEncoding},
    {"te_gzip_then_chunked",
     BE_POST "Transfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 400,
     Violation::kTransferEncoding},
    {"te_chunked_twice_in_a_list",
     BE_POST "Transfer-Encoding: chunked, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 400,
     Violation::kTransferEncoding},
    {"te_two_fields", BE_POST "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
     400, Violation::kTransferEncoding},
    {"te_gzip_then_length", BE_POST "Transfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc", 400,
     Violation::kTransferEncoding},
    {"length_then_te", BE_POST "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc", 400,
     Violation::kTransferEncoding},
    {"te_then_length", BE_POST "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc", 400,
     Violation::kTransferEncoding},
    {"length_twice_equal", BE_POST "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400,
     Violation::kContentLength},
    {"length_list_equal", BE_POST "Content-Length: 3, 3\r\n\r\nabc", 400,
     Violation::kContentLength},
    {"length_conflicting", BE_POST "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400,
     Violation::kContentLength},
    {"length_not_a_number", BE_POST "Content-Length: zz\r\n\r\n", 400, Violation::kContentLength},
    {"target_raw_0xff", BE_GET("/a\xff") "\r\n", 400, Violation::kTarget},
    {"target_control", BE_GET("/a\x01z") "\r\n", 400, Violation::kTarget},
    {"target_del", BE_GET("/a\x7fz") "\r\n", 400, Violation::kTarget},
    {"target_space", BE_GET("/a b") "\r\n", 400, Violation::kTarget},
    {"target_quote", BE_GET("/a\"b") "\r\n", 400, Violation::kTarget},
    {"target_fragment", BE_GET("/a#b") "\r\n", 400, Violation::kTarget},
    {"target_bad_percent", BE_GET("/a%zz") "\r\n", 400, Violation::kTarget},
    {"version_9_9", "GET / HTTP/9.9\r\nHost: x\r\n\r\n", 505, Violation::kVersion},
    {"version_2_0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, Violation::kVersion},
    {"version_1_2", "GET / HTTP/1.2\r\nHost: x\r\n\r\n", 400, Violation::kVersion},
    {"version_lower_case", "GET / http/1.1\r\nHost: x\r\n\r\n", 400, Violation::kVersion},
    {"header_name_space", BE_GET("/") "Bad Name: x\r\n\r\n", 400, Violation::kHeaderField},
    {"header_name_brace", BE_GET("/") "Bad{Name}: x\r\n\r\n", 400, Violation::kHeaderField},
    {"header_name_0xff", BE_GET("/") "X\xff: y\r\n\r\n", 400, Violation::kHeaderField},
    {"header_name_space_before_colon", BE_GET("/") "X-A : y\r\n\r\n", 400, Violation::kHeaderField},
    {"header_without_colon", BE_GET("/") "Bad Header\r\n\r\n", 400, Violation::kHeaderField},
    {"header_value_control", BE_GET("/") "X-A: a\x01z\r\n\r\n", 400, Violation::kHeaderField},
    {"host_missing", "GET / HTTP/1.1\r\n\r\n", 400, Violation::kHost},
    {"host_twice", BE_GET("/") "Host: y\r\n\r\n", 400, Violation::kHost},
    {"not_http", "NOT HTTP AT ALL\r\n\r\n", 400, Violation::kVersion},
    {"ws_key_missing", BE_UPGRADE "Sec-WebSocket-Version: 13\r\n\r\n", 400,
     Violation::kWebSocketKey},
    {"ws_key_empty", BE_UPGRADE "Sec-WebSocket-Key: \r\nSec-WebSocket-Version: 13\r\n\r\n", 400,
     Violation::kWebSocketKey},
    {"ws_key_not_base64",
     BE_UPGRADE "Sec-WebSocket-Key: !!!!not~base64!!!!!!!==\r\nSec-WebSocket-Version: 13\r\n\r\n",
     400, Violation::kWebSocketKey},
    {"ws_key_15_bytes",
     BE_UPGRADE "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA\r\nSec-WebSocket-Version: 13\r\n\r\n", 400,
     Violation::kWebSocketKey},
    {"ws_key_17_bytes",
     BE_UPGRADE "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAA=\r\nSec-WebSocket-Version: 13\r\n\r\n",
     400, Violation::kWebSocketKey},
    {"ws_key_twice",
     BE_UPGRADE "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: "
                "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
     400, Violation::kWebSocketKey},
    {"ws_version_8",
     BE_UPGRADE "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
     426, Violation::kWebSocketVersion},
    {"ws_version_missing", BE_UPGRADE "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", 426,
     Violation::kWebSocketVersion},
};

class RefusedRequest : public ServerRulesTest, public ::testing::WithParamInterface<Refuse> {};

TEST_P(RefusedRequest, shouldBeAnsweredWithTheRfcStatusCountedByRuleAndClosed) {
  const Refuse& c = GetParam();
  start();
  const std::string answer = exchange(c.bytes);
  EXPECT_EQ(status_of(answer), c.status) << answer;
  EXPECT_NE(answer.find("Connection: close\r\n"), std::string::npos) << answer;
  EXPECT_EQ(answer.find("Upgrade: websocket"), std::string::npos) << answer;
  EXPECT_EQ(handler_.by_rule[static_cast<std::size_t>(c.violation)].load(), 1u)
      << name_of(kViolationNames, c.violation);
  EXPECT_EQ(handler_.malformed_total(), 1u);
  const bool wants_version = c.status == 426;
  EXPECT_EQ(answer.find("Sec-WebSocket-Version: 13\r\n") != std::string::npos, wants_version)
      << answer;
  // The server is still fine.
  EXPECT_EQ(status_of(exchange(BE_GET("/") "Connection: close\r\n\r\n")), 200);
}

INSTANTIATE_TEST_SUITE_P(Rfc9112And6455, RefusedRequest, ::testing::ValuesIn(kRefusals),
                         case_name<Refuse>);

struct Accept {
  std::string_view name;
  std::string_view bytes;
  int status;
  std::string_view body;  // the echo, for 200s
};

constexpr Accept kAccepted[] = {
    {"chunked_body",
     BE_POST "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
             "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
     200, "abcde"},
    {"chunked_any_case",
     BE_POST "Transfer-Encoding: Chunked\r\nConnection: close\r\n\r\n"
             "3\r\nabc\r\n0\r\n\r\n",
     200, "abc"},
    {"one_length", BE_POST "Content-Length: 3\r\nConnection: close\r\n\r\nabc", 200, "abc"},
    {"every_allowed_target_byte",
     BE_GET("/a-._~!$&'()*+,;=:@/?x=%41%2f&y=/?") "Connection: close\r\n\r\n", 200, ""},
    {"http_1_0_without_host", "GET / HTTP/1.0\r\n\r\n", 200, ""},
    {"upgrade_tokens_any_case",
     "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\nConnection: keep-alive, UPGRADE\r\n"
     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
     101, ""},
    {"upgrade_lower_case_fields",
     "GET /ws HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: upgrade\r\n"
     "sec-websocket-key: AAAAAAAAAAAAAAAAAAAAAA==\r\nsec-websocket-version: 13\r\n\r\n",
     101, ""},
};

#undef BE_GET
#undef BE_POST
#undef BE_UPGRADE

class AcceptedRequest : public ServerRulesTest, public ::testing::WithParamInterface<Accept> {};

TEST_P(AcceptedRequest, shouldBeServed) {
  const Accept& c = GetParam();
  start();
  RawClient client(port_);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(c.bytes));
  const std::string answer = c.status == 101 ? client.read_head() : client.read_to_close();
  EXPECT_EQ(status_of(answer), c.status) << answer;
  if (c.status == 200) {
    EXPECT_TRUE(answer.ends_with("\r\n\r\n" + std::string(c.body))) << answer;
  }
  if (c.status == 101) {
    // RFC 6455 §1.3's example key and its answer; any other key has its own accept value.
    EXPECT_NE(answer.find("Upgrade: websocket\r\n"), std::string::npos) << answer;
    if (c.bytes.find(kGoodKey) != std::string_view::npos) {
      EXPECT_NE(answer.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
                std::string::npos)
          << answer;
    }
  }
  EXPECT_EQ(handler_.malformed_total(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Rfc9112And6455, AcceptedRequest, ::testing::ValuesIn(kAccepted),
                         case_name<Accept>);

// The rules are the scaffold's, so a server that words no refusals of its own (the exchange
// simulator) refuses alike, with the scaffold's plain-text answer.
TEST(HttpRulesOnEveryServer, shouldRefuseBadFramingOnTheSimulatorToo) {
  sim::SimConfig config;
  config.port = 0;
  sim::SyntheticConfig market;
  market.symbols = {"btcusdt"};
  sim::SimServer sim(config, sim::make_synthetic_source(market));
  auto port = sim.start();
  ASSERT_TRUE(port.has_value()) << port.error();
  RawClient client(*port);
  ASSERT_TRUE(
      client.send("POST /sim/fault HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"));
  const std::string answer = client.read_to_close();
  EXPECT_EQ(status_of(answer), 400) << answer;
  EXPECT_NE(answer.find("Content-Type: text/plain; charset=utf-8\r\n"), std::string::npos)
      << answer;
  EXPECT_NE(answer.find("Transfer-Encoding must be exactly `chunked`"), std::string::npos)
      << answer;
  sim.stop();
}

// ---- The connection reserve --------------------------------------------------------------------

TEST_F(ServerRulesTest, shouldRefuseAReserveLargerThanTheLimit) {
  ServerOptions options;
  options.max_connections = 2;
  options.reserved_connections = 2;
  Server server(options, handler_);
  auto port = server.start();
  ASSERT_FALSE(port.has_value());
  EXPECT_NE(port.error().find("reserved_connections"), std::string::npos) << port.error();
}

TEST_F(ServerRulesTest, shouldServeOnlyWhatTheHandlerAdmitsOnTheReservedConnections) {
  ServerOptions options;
  // Room in the reserve for every client below at once, so that each lands in the reserve
  // whatever the server has yet to see of the closes before it.
  options.max_connections = 6;
  options.reserved_connections = 4;
  start(options);
  // Two ordinary clients, each answered once (so counted open) and then idle.
  RawClient idle_a(port_), idle_b(port_);
  for (RawClient* idle : {&idle_a, &idle_b}) {
    ASSERT_TRUE(idle->send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_EQ(status_of(idle->read_head()), 200);
  }
  ASSERT_EQ(server_->open_connections(), 2u);
  // In the reserve: a probe once, then closed; an admin kept; anything else 503.
  const std::string probe = exchange("GET /probe HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(probe), 200) << probe;
  EXPECT_NE(probe.find("Connection: close\r\n"), std::string::npos) << probe;
  RawClient admin(port_);
  ASSERT_TRUE(admin.send("GET /admin HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string kept = admin.read_head();
  EXPECT_EQ(status_of(kept), 200) << kept;
  EXPECT_EQ(kept.find("Connection: close"), std::string::npos) << kept;
  const std::string other = exchange("GET /anything HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(other), 503) << other;
  EXPECT_NE(other.find("Retry-After: 1\r\n"), std::string::npos) << other;
  const std::string upgrade = exchange(
      "GET /admin HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  EXPECT_EQ(status_of(upgrade), 503) << upgrade;
  EXPECT_EQ(handler_.limits.load(), 2u);
  EXPECT_EQ(handler_.reserve_refusals.load(), 2u);
}

TEST_F(ServerRulesTest, shouldCloseASilentReservedConnectionAfterTheReserveIdleTimeout) {
  ServerOptions options;
  options.max_connections = 2;
  options.reserved_connections = 1;
  options.reserve_idle_timeout = std::chrono::milliseconds(200);
  start(options);
  RawClient ordinary(port_);
  ASSERT_TRUE(ordinary.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(status_of(ordinary.read_head()), 200);
  // Sends nothing: closed by the server well before the client's own 10 s deadline.
  RawClient silent(port_);
  ASSERT_TRUE(silent.connected());
  EXPECT_EQ(silent.read_to_close(), "");
  EXPECT_FALSE(silent.timed_out());
}

}  // namespace
}  // namespace be::net::server
