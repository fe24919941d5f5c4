// What keeps the API operable under a flood (issue 14): the connection reserve (health and
// admins get in when idle clients hold every ordinary slot) and the two log budgets (garbage
// cannot suppress the audit lines of authenticated commands).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "runner/api/router.hpp"
#include "tests/api/api_fixture.hpp"

namespace be::api::test {
namespace {

constexpr std::string_view kGlobalKill = R"({"scope":"global","action":"set"})";

TEST_F(ApiServerTest, shouldKeepHealthAndAdminsServedWhileIdleClientsHoldEveryOrdinarySlot) {
  ApiOptions o;
  // A reserve of 4, so that every request below lands in it whatever the server has yet to
  // see of the closes before it (at most 3 other reserve connections are ever open at once).
  o.max_connections = 8;
  o.reserved_connections = 4;
  start(o);
  // Four clients connect and never send a byte. Accepts run in connection order, so every
  // connection below is accepted after these four and finds only the reserve free.
  std::vector<std::unique_ptr<TestClient>> idle;
  for (std::size_t i = 0; i < o.max_connections - o.reserved_connections; ++i) {
    idle.push_back(std::make_unique<TestClient>());
    ASSERT_TRUE(idle.back()->connect(port_));
  }
  // A probe: answered, then its reserve slot is given back.
  TestClient probe;
  ASSERT_TRUE(probe.connect(port_));
  auto health = probe.request("GET", "/api/v1/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_FALSE(health->keep_alive);
  EXPECT_TRUE(probe.closed_by_server());
  // An admin: served, and kept (two commands on one connection).
  TestClient admin;
  ASSERT_TRUE(admin.connect(port_));
  auto kill = admin.request("POST", "/api/v1/kill-switch", kAdminToken, kGlobalKill);
  ASSERT_TRUE(kill);
  EXPECT_EQ(kill->status, 200) << kill->body;
  EXPECT_TRUE(kill->keep_alive);
  auto view = admin.request("GET", "/api/v1/kill-switch", kAdminToken);
  ASSERT_TRUE(view);
  EXPECT_NE(view->body.find(R"("global":true)"), std::string::npos) << view->body;
  // Anyone else is refused at once, with a time to come back, never left hanging.
  for (std::string_view token : {std::string_view{}, kAliceToken}) {
    TestClient other;
    ASSERT_TRUE(other.connect(port_));
    auto refused = other.request("GET", "/api/v1/bots", token);
    ASSERT_TRUE(refused) << "no answer within the client's deadline";
    EXPECT_EQ(refused->status, 503);
    EXPECT_EQ(refused->header("retry-after"), "1");
    EXPECT_NE(refused->body.find("\"code\":\"unavailable\""), std::string::npos) << refused->body;
    EXPECT_TRUE(other.closed_by_server());
  }
  EXPECT_EQ(server_->stats().reserve_admitted.load(), 3u);  // health, then the admin twice
  EXPECT_EQ(server_->stats().reserve_refused.load(), 2u);
  EXPECT_EQ(server_->stats().connections_rejected.load(), 2u);
  // Once the idle clients go, ordinary clients get in again.
  idle.clear();
  TestClient after;
  ASSERT_TRUE(after.connect(port_));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::optional<Reply> bots;
  // The server sees the idle clients' closes asynchronously: retry while it still refuses
  // (each refusal is an answer, so this loop waits on the server, never on a timer).
  while ((!bots || bots->status == 503) && std::chrono::steady_clock::now() < deadline) {
    TestClient again;
    ASSERT_TRUE(again.connect(port_));
    bots = again.request("GET", "/api/v1/bots", kAliceToken);
  }
  ASSERT_TRUE(bots);
  EXPECT_EQ(bots->status, 200);
}

TEST_F(ApiServerTest, shouldRefuseAReserveThatLeavesNoOrdinaryConnection) {
  ApiOptions o;
  o.max_connections = 4;
  o.reserved_connections = 4;
  auto tokens = TokenStore::parse(tokens_file_text());
  ASSERT_TRUE(tokens);
  o.port = 0;
  ApiServer server(engine_, std::move(*tokens), o);
  auto port = server.start();
  ASSERT_FALSE(port.has_value());
  EXPECT_NE(port.error().find("reserved_connections (4) must be below max_connections (4)"),
            std::string::npos)
      << port.error();
}

// A flood of malformed requests spends the noise budget only: the admin's command is still
// written, and each budget counts what it suppressed.
TEST_F(ApiServerTest, shouldAuditCommandsWhateverTheNoiseOverSockets) {
  ApiOptions o;
  o.noise_log_lines_per_second = 1;  // 50 requests below take far less than 49 s
  start(o);
  for (int i = 0; i < 50; ++i) {
    TestClient c;
    ASSERT_TRUE(c.connect(port_));
    ASSERT_TRUE(c.send_raw("GET /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 400);
  }
  EXPECT_EQ(call("POST", "/api/v1/kill-switch", kAdminToken, kGlobalKill)->status, 200);
  const auto lines = log_lines();
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "api: user=admin POST /api/v1/kill-switch -> 200");
  EXPECT_EQ(server_->stats().suppressed(LogBudget::kAudit), 0u);
  EXPECT_GE(server_->stats().suppressed(LogBudget::kNoise), 1u);
  auto metrics = call("GET", "/metrics", kAdminToken);
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("botengine_api_log_suppressed_total{budget=\"audit\"} 0\n"),
            std::string::npos)
      << metrics->body;
  EXPECT_EQ(metrics->body.find("botengine_api_log_suppressed_total{budget=\"noise\"} 0\n"),
            std::string::npos)
      << metrics->body;
}

// The budgets at exact times, through the Router (no sockets, no clock).
class LogBudgetTest : public ::testing::Test {
 protected:
  LogBudgetTest()
      : tokens_(*TokenStore::parse(tokens_file_text())),
        router_(engine_, tokens_, options(), stats_) {}

  RouterOptions options() {
    RouterOptions o;
    o.rate_per_second = 1e6;
    o.rate_burst = 1e6;
    o.log = [this](std::string_view line) { lines_.emplace_back(line); };
    o.audit_log_lines_per_second = 3;
    o.noise_log_lines_per_second = 2;
    return o;
  }
  int command(std::string_view token, SteadyTime now) {
    const std::string auth = token.empty() ? std::string() : "Bearer " + std::string(token);
    return router_.handle(HttpRequest{"POST", "/api/v1/kill-switch", auth, kGlobalKill}, now)
        .status;
  }

  FakeControlPlane engine_;
  TokenStore tokens_;
  ApiStats stats_;
  std::vector<std::string> lines_;
  Router router_;
};

TEST_F(LogBudgetTest, shouldSpendEachBudgetOnItsOwnLinesAndSayWhatItSuppressed) {
  const SteadyTime t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(command({}, t0), 401);         // noise: 2 written, 8 suppressed
  ASSERT_EQ(command(kAdminToken, t0), 200);  // audit: written whatever the noise did
  ASSERT_EQ(lines_.size(), 3u);
  EXPECT_EQ(lines_[0], "api: user=- POST /api/v1/kill-switch -> 401");
  EXPECT_EQ(lines_[2], "api: user=admin POST /api/v1/kill-switch -> 200");
  EXPECT_EQ(stats_.suppressed(LogBudget::kNoise), 8u);
  EXPECT_EQ(stats_.suppressed(LogBudget::kAudit), 0u);
  // The audit budget has limits of its own: 3 lines a second, 2 left after the one above.
  for (int i = 0; i < 4; ++i)
    ASSERT_EQ(command(kAdminToken, t0), 200);
  EXPECT_EQ(lines_.size(), 5u);
  EXPECT_EQ(stats_.suppressed(LogBudget::kAudit), 2u);
  EXPECT_EQ(stats_.suppressed(LogBudget::kNoise), 8u);
  // A second later each budget has refilled, and its next line says what it held back.
  const SteadyTime t1 = t0 + std::chrono::seconds(1);
  ASSERT_EQ(command({}, t1), 401);
  ASSERT_EQ(command(kAdminToken, t1), 200);
  ASSERT_EQ(lines_.size(), 7u);
  EXPECT_EQ(lines_[5],
            "api: user=- POST /api/v1/kill-switch -> 401 (8 noise lines suppressed before)");
  EXPECT_EQ(lines_[6],
            "api: user=admin POST /api/v1/kill-switch -> 200 (2 audit lines suppressed before)");
}

TEST_F(LogBudgetTest, shouldCountRateLimitedCommandsAsNoise) {
  RouterOptions o = options();
  o.rate_burst = 1;
  o.rate_per_second = 0.001;
  Router limited(engine_, tokens_, o, stats_);
  const SteadyTime t0 = std::chrono::steady_clock::now();
  const std::string auth = "Bearer " + std::string(kAliceToken);
  for (int i = 0; i < 6; ++i)
    limited.handle(HttpRequest{"POST", "/api/v1/kill-switch", auth, kGlobalKill}, t0);
  // One audited (403: global is admin-only), five 429s on the noise budget (2 written).
  EXPECT_EQ(stats_.rate_limited.load(), 5u);
  EXPECT_EQ(lines_.size(), 3u);
  EXPECT_EQ(stats_.suppressed(LogBudget::kNoise), 3u);
  EXPECT_EQ(stats_.suppressed(LogBudget::kAudit), 0u);
}

}  // namespace
}  // namespace be::api::test
