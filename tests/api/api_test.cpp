// The control API over real sockets against the in-memory control plane: authentication,
// ownership, validation answers, limits, malformed input, keep-alive and the side routes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/json_config.hpp"
#include "tests/api/api_fixture.hpp"

namespace be::api::test {
namespace {

namespace fs = std::filesystem;

std::uint32_t create_rsi(ApiServerTest& t, std::string_view token) {
  auto r = t.call("POST", "/api/v1/bots", token, kRsiConfig);
  EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no reply");
  // Bots are numbered from 0, so a failure is kNoBot.
  return r ? static_cast<std::uint32_t>(std::stoul(field(json(*r), "id"))) : index_of(kNoBot);
}

TEST_F(ApiServerTest, shouldAnswerHealthWithoutAToken) {
  start();
  auto r = call("GET", "/api/v1/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(field(json(*r), "status"), "ok");
  engine_.set_healthy(false, "feed binance stale");
  r = call("GET", "/api/v1/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(r->body.find("feed binance stale"), std::string::npos) << r->body;
}

TEST_F(ApiServerTest, shouldRefuseMissingOrWrongTokensWith401AndCountThem) {
  start();
  for (const char* target : {"/api/v1/bots", "/api/v1/me", "/metrics", "/api/v1/nothing"}) {
    auto none = call("GET", target);
    ASSERT_TRUE(none);
    EXPECT_EQ(none->status, 401) << target;
    EXPECT_EQ(field(*json(*none).find("error"), "code"), "unauthorized");
    auto wrong = call("GET", target, "not-a-token");
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->status, 401) << target;
  }
  TestClient c;
  ASSERT_TRUE(c.connect(port_));
  ASSERT_TRUE(
      c.send_raw("GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YTpi\r\n\r\n"));
  auto basic = c.read_reply();
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->status, 401);
  EXPECT_EQ(server_->stats().unauthorized.load(), 9u);
  EXPECT_EQ(server_->stats().status_count(401), 9u);
}

TEST_F(ApiServerTest, shouldTellWhoIsCalling) {
  start();
  auto alice = call("GET", "/api/v1/me", kAliceToken);
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->body, R"({"user":"alice","id":2,"admin":false})");
  auto admin = call("GET", "/api/v1/me", kAdminToken);
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->body, R"({"user":"admin","id":1,"admin":true})");
}

TEST_F(ApiServerTest, shouldHideOtherUsersBotsAsNotFoundAndShowAllToAdmins) {
  start();
  const auto id = create_rsi(*this, kAliceToken);
  ASSERT_NE(id, index_of(kNoBot));
  const std::string bot = "/api/v1/bots/" + std::to_string(id);
  struct Probe {
    const char* method;
    std::string target;
    std::string_view body;
  };
  const Probe probes[] = {{"GET", bot, {}},
                          {"PUT", bot, kRsiConfig},
                          {"DELETE", bot, {}},
                          {"POST", bot + "/start", {}},
                          {"POST", bot + "/restart", {}},
                          {"GET", bot + "/orders", {}},
                          {"GET", bot + "/fills", {}},
                          {"GET", bot + "/position", {}},
                          {"GET", bot + "/equity", {}},
                          {"GET", "/api/v1/bots/999", {}}};
  for (const Probe& p : probes) {
    auto r = call(p.method, p.target, kBobToken, p.body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << p.method << " " << p.target << " " << r->body;
    EXPECT_EQ(field(*json(*r).find("error"), "code"), "not_found");
  }
  auto bob_list = call("GET", "/api/v1/bots", kBobToken);
  ASSERT_TRUE(bob_list);
  EXPECT_EQ(bob_list->body, R"({"bots":[]})");
  auto bob_kill = call("GET", "/api/v1/kill-switch", kBobToken);
  ASSERT_TRUE(bob_kill);
  EXPECT_EQ(bob_kill->body.find("btc rsi"), std::string::npos) << bob_kill->body;
  auto bob_conditions = call("GET", "/api/v1/conditions", kBobToken);
  ASSERT_TRUE(bob_conditions);
  EXPECT_EQ(bob_conditions->body, R"({"conditions":[]})");

  auto alice_get = call("GET", bot, kAliceToken);
  ASSERT_TRUE(alice_get);
  EXPECT_EQ(alice_get->status, 200);
  const auto view = json(*alice_get);
  EXPECT_EQ(field(view, "owner"), "alice");
  EXPECT_EQ(field(*view.find("config"), "name"), "btc rsi");
  auto admin_list = call("GET", "/api/v1/bots", kAdminToken);
  ASSERT_TRUE(admin_list);
  EXPECT_NE(admin_list->body.find("\"owner\":\"alice\""), std::string::npos);
  auto admin_start = call("POST", bot + "/start", kAdminToken);
  ASSERT_TRUE(admin_start);
  EXPECT_EQ(admin_start->status, 200) << admin_start->body;
  // Nothing bob tried reached the engine; what alice and the admin did carries their ids.
  const auto commands = engine_.commands();
  ASSERT_EQ(commands.size(), 2u);
  EXPECT_EQ(commands[0].user, UserId{2});
  EXPECT_EQ(commands[0].kind, OperatorCommandKind::kCreateBot);
  EXPECT_EQ(commands[1].user, UserId{1});
  EXPECT_EQ(commands[1].kind, OperatorCommandKind::kStartBot);
}

TEST_F(ApiServerTest, shouldNameEveryBadFieldIn422) {
  start();
  const std::string bad =
      R"({"name":"x","symbol":"NOPE","timeframe":"7m","colour":"red",)"
      R"("strategy":{"type":"rsi","parameters":{"period":0,"oversold":30,"overbought":70,"quote_amount":100.0}}})";
  auto r = call("POST", "/api/v1/bots", kAliceToken, bad);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  const auto body = json(*r);
  const config::Value* errors = body.find("errors");
  ASSERT_NE(errors, nullptr) << r->body;
  std::vector<std::string> fields;
  for (const auto& e : errors->items)
    fields.push_back(field(e, "field"));
  for (const char* f : {"symbol", "timeframe", "colour", "strategy.parameters.period"}) {
    EXPECT_NE(std::find(fields.begin(), fields.end(), f), fields.end())
        << f << " not named in " << r->body;
  }
  auto validate = call("POST", "/api/v1/bots/validate", kAliceToken, bad);
  ASSERT_TRUE(validate);
  EXPECT_EQ(validate->status, 200);
  EXPECT_NE(validate->body.find("\"valid\":false"), std::string::npos);
  EXPECT_NE(validate->body.find("\"field\":\"colour\""), std::string::npos);
  auto good = call("POST", "/api/v1/bots/validate", kAliceToken, kRsiConfig);
  ASSERT_TRUE(good);
  EXPECT_EQ(good->body, R"({"valid":true,"errors":[]})");
  auto empty = call("POST", "/api/v1/bots", kAliceToken, "");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 422);
  auto garbage = call("POST", "/api/v1/bots", kAliceToken, "{\"name\": ");
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 422);
  EXPECT_TRUE(engine_.commands().empty());
}

TEST_F(ApiServerTest, shouldAnswerConflictsAndLifecycleCommands) {
  start();
  const auto id = create_rsi(*this, kAliceToken);
  const std::string bot = "/api/v1/bots/" + std::to_string(id);
  EXPECT_EQ(call("POST", bot + "/start", kAliceToken)->status, 200);
  auto again = call("POST", bot + "/start", kAliceToken);
  EXPECT_EQ(again->status, 409);
  EXPECT_EQ(field(*json(*again).find("error"), "code"), "conflict");
  EXPECT_EQ(call("POST", bot + "/pause", kAliceToken)->status, 200);
  EXPECT_EQ(call("POST", bot + "/resume", kAliceToken)->status, 200);
  EXPECT_EQ(call("POST", bot + "/stop", kAliceToken)->status, 200);
  EXPECT_EQ(call("GET", bot + "/start", kAliceToken)->status, 405);
  EXPECT_EQ(call("POST", bot + "/explode", kAliceToken)->status, 404);
  EXPECT_EQ(call("PUT", bot, kAliceToken, kRsiConfig)->status, 200);
  EXPECT_EQ(call("DELETE", bot, kAliceToken)->status, 200);
  EXPECT_EQ(call("GET", bot, kAliceToken)->status, 404);
}

TEST_F(ApiServerTest, shouldServePerBotOrdersFillsPositionAndEquity) {
  start();
  const auto id = create_rsi(*this, kAliceToken);
  engine_.add_activity(BotId{id});
  const std::string bot = "/api/v1/bots/" + std::to_string(id);
  auto orders = call("GET", bot + "/orders", kAliceToken);
  EXPECT_NE(orders->body.find(R"("state":"new","price":"50000.00")"), std::string::npos)
      << orders->body;
  auto fills = call("GET", bot + "/fills", kAliceToken);
  EXPECT_NE(fills->body.find(R"("fee":"0.04999000","liquidity":"taker")"), std::string::npos)
      << fills->body;
  auto position = call("GET", bot + "/position", kAliceToken);
  EXPECT_NE(position->body.find(R"("position":{"symbol":"BTCUSDT")"), std::string::npos)
      << position->body;
  auto equity = call("GET", bot + "/equity", kAliceToken);
  EXPECT_NE(equity->body.find(R"("equity":"-0.04999000")"), std::string::npos) << equity->body;
}

TEST_F(ApiServerTest, shouldRefuseABodyOverTheLimitWith413) {
  ApiOptions o;
  o.max_body_bytes = 1024;
  start(o);
  const std::string big(2048, ' ');
  auto r = call("POST", "/api/v1/bots/validate", kAliceToken, big);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_FALSE(r->keep_alive);
  EXPECT_EQ(server_->stats().too_large.load(), 1u);
  const std::string fits(1000, ' ');
  EXPECT_EQ(call("POST", "/api/v1/bots/validate", kAliceToken, fits)->status, 200);
}

// A bulk request over api.max_body_bytes is refused before it is read, creating nothing.
TEST_F(ApiServerTest, shouldRefuseABulkBodyOverTheLimitWith413AndCreateNothing) {
  ApiOptions o;
  o.max_body_bytes = 4096;
  start(o);
  std::string body = "{\"bots\": [";
  for (int i = 0; i < 30; ++i)
    body += std::string(i ? "," : "") + std::string(kRsiConfig);
  auto r = call("POST", "/api/v1/bots/bulk", kAliceToken, body + "]}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(engine_.read_model()->bots.empty());
}

TEST_F(ApiServerTest, shouldRefuseAnOversizedHeaderWith431) {
  ApiOptions o;
  o.max_header_bytes = 1024;
  start(o);
  TestClient c;
  ASSERT_TRUE(c.connect(port_));
  ASSERT_TRUE(c.send_raw("GET /api/v1/me HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(4000, 'a') +
                         "\r\n\r\n"));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_TRUE(c.closed_by_server());
  EXPECT_EQ(server_->stats().too_large.load(), 1u);
}

TEST_F(ApiServerTest, shouldLimitEachTokensRateWith429AndRetryAfter) {
  ApiOptions o;
  o.rate_burst = 3;
  o.rate_per_second = 0.01;  // no refill within the test
  start(o);
  TestClient c;
  ASSERT_TRUE(c.connect(port_));
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(c.request("GET", "/api/v1/me", kAliceToken)->status, 200);
  auto limited = c.request("GET", "/api/v1/me", kAliceToken);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(limited->header("retry-after"), "100");
  EXPECT_EQ(field(*json(*limited).find("error"), "code"), "rate_limited");
  // Another user has a bucket of its own.
  EXPECT_EQ(c.request("GET", "/api/v1/me", kBobToken)->status, 200);
  EXPECT_EQ(server_->stats().rate_limited.load(), 1u);
}

TEST_F(ApiServerTest, shouldAnswerMalformedHttpWith400CloseAndCountIt) {
  start();
  struct Garbage {
    const char* bytes;
    int status;
    std::string_view code;
  };
  // The scaffold's rules are tested case by case in tests/net/server_rules_test.cpp; here, the
  // API's wording and counting of them.
  const Garbage garbage[] = {
      {"NOT HTTP AT ALL\r\n\r\n", 400, "bad_request"},
      {"GET /api/v1/me HTTP/9.9\r\nHost: x\r\n\r\n", 505, "http_version_not_supported"},
      {"GET /api/v1/me HTTP/1.1\r\nBad Header\r\n\r\n", 400, "bad_request"},
      {"POST /api/v1/bots HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n", 400, "bad_request"},
      {"POST /api/v1/bots HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400,
       "bad_request"},
      {"GET /api/v1/me\xff HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"},
      {"GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
       426, "upgrade_required"},
  };
  for (const Garbage& g : garbage) {
    TestClient c;
    ASSERT_TRUE(c.connect(port_));
    ASSERT_TRUE(c.send_raw(g.bytes));
    auto r = c.read_reply();
    ASSERT_TRUE(r) << g.bytes;
    EXPECT_EQ(r->status, g.status) << g.bytes;
    EXPECT_EQ(field(*json(*r).find("error"), "code"), g.code) << g.bytes;
    EXPECT_EQ(r->header("sec-websocket-version"), g.status == 426 ? "13" : "") << g.bytes;
    EXPECT_TRUE(c.closed_by_server()) << g.bytes;
  }
  EXPECT_EQ(server_->stats().malformed.load(), 7u);
  using net::server::Violation;
  EXPECT_EQ(server_->stats().malformed_count(Violation::kVersion), 2u);
  EXPECT_EQ(server_->stats().malformed_count(Violation::kHeaderField), 1u);
  EXPECT_EQ(server_->stats().malformed_count(Violation::kContentLength), 1u);
  EXPECT_EQ(server_->stats().malformed_count(Violation::kTransferEncoding), 1u);
  EXPECT_EQ(server_->stats().malformed_count(Violation::kTarget), 1u);
  EXPECT_EQ(server_->stats().malformed_count(Violation::kWebSocketVersion), 1u);
  EXPECT_EQ(server_->stats().status_count(505), 1u);
  EXPECT_EQ(server_->stats().status_count(426), 1u);
  auto metrics = call("GET", "/metrics", kBobToken);
  ASSERT_TRUE(metrics);
  for (const char* line : {"botengine_api_malformed_requests_total 7\n",
                           "botengine_api_malformed_by_rule_total{rule=\"version\"} 2\n",
                           "botengine_api_malformed_by_rule_total{rule=\"transfer_encoding\"} 1\n",
                           "botengine_api_malformed_by_rule_total{rule=\"host\"} 0\n",
                           "botengine_api_log_suppressed_total{budget=\"noise\"} 0\n"}) {
    EXPECT_NE(metrics->body.find(line), std::string::npos) << line << metrics->body;
  }
  // The server is still fine.
  EXPECT_EQ(call("GET", "/api/v1/health")->status, 200);
}

TEST_F(ApiServerTest, shouldServeManyRequestsOnOneKeepAliveConnection) {
  start();
  TestClient c;
  ASSERT_TRUE(c.connect(port_));
  for (int i = 0; i < 20; ++i) {
    auto r = c.request("GET", "/api/v1/me", kAliceToken);
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(r->keep_alive);
  }
  // Two requests written back to back (pipelined) are answered in order.
  ASSERT_TRUE(c.send_raw(
      "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(c.read_reply()->status, 200);
  EXPECT_EQ(c.read_reply()->status, 404);
  EXPECT_EQ(server_->stats().connections_accepted.load(), 1u);
}

TEST_F(ApiServerTest, shouldRefuseConnectionsOverTheLimitWith503) {
  ApiOptions o;
  o.max_connections = 2;
  o.reserved_connections = 0;  // the reserve is tested in reserve_test.cpp
  start(o);
  TestClient a, b, c;
  ASSERT_TRUE(a.connect(port_));
  ASSERT_EQ(a.request("GET", "/api/v1/health")->status, 200);
  ASSERT_TRUE(b.connect(port_));
  ASSERT_EQ(b.request("GET", "/api/v1/health")->status, 200);
  ASSERT_TRUE(c.connect(port_));
  auto refused = c.read_reply();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->header("retry-after"), "1");
  EXPECT_EQ(server_->stats().connections_rejected.load(), 1u);
  EXPECT_EQ(a.request("GET", "/api/v1/health")->status, 200);
}

TEST_F(ApiServerTest, shouldCloseIdleConnections) {
  ApiOptions o;
  o.idle_timeout = std::chrono::milliseconds(100);
  start(o);
  TestClient c;
  ASSERT_TRUE(c.connect(port_));
  EXPECT_TRUE(c.closed_by_server());
  // Beast's timer closes the socket before the read handler counts the timeout: wait
  // (bounded) for the count rather than racing it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (server_->stats().idle_timeouts.load() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  EXPECT_EQ(server_->stats().idle_timeouts.load(), 1u);
}

TEST_F(ApiServerTest, shouldSetAndResetKillSwitchesNamingBadFields) {
  start();
  const auto id = create_rsi(*this, kAliceToken);
  auto bad = call("POST", "/api/v1/kill-switch", kAliceToken,
                  R"({"scope":"planet","action":"explode","extra":1})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 422);
  for (const char* f : {"\"scope\"", "\"action\"", "\"extra\""})
    EXPECT_NE(bad->body.find(f), std::string::npos) << f << " in " << bad->body;
  auto no_id =
      call("POST", "/api/v1/kill-switch", kAliceToken, R"({"scope":"bot","action":"set"})");
  EXPECT_EQ(no_id->status, 422);
  EXPECT_NE(no_id->body.find("\"field\":\"id\""), std::string::npos) << no_id->body;
  EXPECT_EQ(call("POST", "/api/v1/kill-switch", kAliceToken, "[1]")->status, 422);
  EXPECT_EQ(call("POST", "/api/v1/kill-switch", kAliceToken, R"({"scope":"global","action":"set"})")
                ->status,
            403);
  auto set = call("POST", "/api/v1/kill-switch", kAliceToken,
                  R"({"scope":"bot","id":)" + std::to_string(id) + R"(,"action":"set"})");
  ASSERT_TRUE(set);
  EXPECT_EQ(set->status, 200) << set->body;
  EXPECT_EQ(call("POST", "/api/v1/kill-switch", kBobToken,
                 R"({"scope":"bot","id":)" + std::to_string(id) + R"(,"action":"reset"})")
                ->status,
            404);
  auto view = call("GET", "/api/v1/kill-switch", kAliceToken);
  EXPECT_NE(view->body.find(R"("name":"btc rsi","kill_switch":true)"), std::string::npos)
      << view->body;
  EXPECT_EQ(call("POST", "/api/v1/kill-switch", kAdminToken, R"({"scope":"global","action":"set"})")
                ->status,
            200);
  EXPECT_NE(call("GET", "/api/v1/kill-switch", kBobToken)->body.find(R"("global":true)"),
            std::string::npos);
}

TEST_F(ApiServerTest, shouldListAndServeReportsAndRefusePathTraversal) {
  const fs::path dir = fs::temp_directory_path() / ("be-api-reports-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "sub");
  { std::ofstream(dir / "run1.json") << R"({"pnl":"1.5"})"; }
  { std::ofstream(dir / "run1.html") << "<html></html>"; }
  { std::ofstream(dir / ".hidden") << "x"; }
  { std::ofstream(dir.parent_path() / ("secret-" + std::to_string(getpid()))) << "secret"; }
  fs::create_symlink(dir.parent_path() / ("secret-" + std::to_string(getpid())), dir / "link.txt");
  // Known modification times, so the listing's times (API.md "Times") can be checked exactly.
  const auto at = [](std::int64_t ns) {
    return std::chrono::file_clock::from_sys(
        std::chrono::sys_time<std::chrono::nanoseconds>(std::chrono::nanoseconds(ns)));
  };
  fs::last_write_time(dir / "run1.html", at(1'796'592'300'123'456'789));
  fs::last_write_time(dir / "run1.json", at(1'700'000'000'000'000'001));
  ApiOptions o;
  o.reports_dir = dir;
  start(o);
  auto list = call("GET", "/api/v1/reports", kBobToken);
  ASSERT_TRUE(list);
  EXPECT_EQ(
      list->body,
      R"({"reports":[{"name":"run1.html","size":13,"modified":"2026-12-06T21:25:00.123456789Z",)"
      R"("modified_ns":"1796592300123456789"},{"name":"run1.json","size":13,)"
      R"("modified":"2023-11-14T22:13:20.000000001Z","modified_ns":"1700000000000000001"}]})");
  auto one = call("GET", "/api/v1/reports/run1.json", kBobToken);
  EXPECT_EQ(one->status, 200);
  EXPECT_EQ(one->header("content-type"), "application/json");
  EXPECT_EQ(one->body, R"({"pnl":"1.5"})");
  EXPECT_EQ(call("GET", "/api/v1/reports/run1.html", kBobToken)->header("content-type"),
            "text/html; charset=utf-8");
  const std::string secret = "secret-" + std::to_string(getpid());
  for (const std::string& name :
       {std::string("../") + secret, std::string("..%2F") + secret, std::string("sub"),
        std::string(".hidden"), std::string("link.txt"), std::string("%2e%2e"),
        std::string("sub/../run1.json"), std::string("missing.json")}) {
    auto r = call("GET", "/api/v1/reports/" + name, kBobToken);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << name;
    EXPECT_EQ(r->body.find("secret\""), std::string::npos);
  }
  EXPECT_EQ(call("GET", "/api/v1/reports")->status, 401);
  fs::remove_all(dir);
  fs::remove(dir.parent_path() / secret);
}

TEST_F(ApiServerTest, shouldServeStaticAssetsWithoutAToken) {
  static constexpr std::string_view kPage = "<!doctype html><title>botengine</title>";
  ApiOptions o;
  o.static_assets = [](std::string_view path) -> std::optional<StaticAsset> {
    if (path == "/" || path == "/index.html") return StaticAsset{"text/html; charset=utf-8", kPage};
    return std::nullopt;
  };
  start(o);
  auto page = call("GET", "/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->body, kPage);
  EXPECT_EQ(page->header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(call("GET", "/missing.js")->status, 404);
  EXPECT_EQ(call("POST", "/")->status, 405);
  // API routes are never served from the assets, whatever the callback says.
  EXPECT_EQ(call("GET", "/api/v1/bots")->status, 401);
}

TEST_F(ApiServerTest, shouldAppendApiCountersToTheEngineMetrics) {
  start();
  ASSERT_EQ(call("GET", "/api/v1/me")->status, 401);
  auto m = call("GET", "/metrics", kBobToken);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_EQ(m->header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  // The fake's journal holds the tokens-file import: 3 users and a paper account each.
  EXPECT_NE(m->body.find("botengine_inputs_total 6\n"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("botengine_api_responses_total{code=\"401\"} 1\n"), std::string::npos)
      << m->body;
  EXPECT_NE(m->body.find("botengine_api_unauthorized_total 1\n"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("# TYPE botengine_api_connections_open gauge\n"), std::string::npos);
}

TEST_F(ApiServerTest, shouldServeEngineBalancesConditionsAndTemplates) {
  start();
  create_rsi(*this, kAliceToken);
  auto e = call("GET", "/api/v1/engine", kAliceToken);
  ASSERT_TRUE(e);
  EXPECT_EQ(field(json(*e), "topology"), "fused");
  EXPECT_NE(e->body.find(R"("rejects_by_reason":{"max_position":1})"), std::string::npos);
  // Account 0 is the admin's: alice sees none of its balances (only her own paper account's),
  // the admin does.
  auto b = call("GET", "/api/v1/balances", kAliceToken);
  EXPECT_TRUE(b->body.starts_with(R"({"balances":[],"accounts":[{"id":1,"name":"paper",)"))
      << b->body;
  EXPECT_EQ(b->body.find(R"("id":0)"), std::string::npos) << b->body;
  b = call("GET", "/api/v1/balances", kAdminToken);
  EXPECT_NE(b->body.find(R"({"asset":"USDT","free":"10000.00000000","locked":"0.00000000"})"),
            std::string::npos);
  auto c = call("GET", "/api/v1/conditions", kAliceToken);
  EXPECT_EQ(
      c->body,
      R"({"conditions":[{"id":1,"canonical":"rsi(14) < 30","subscribers":[0],"evaluations":100,"triggers":3}]})");
  auto t = call("GET", "/api/v1/templates", kBobToken);
  ASSERT_TRUE(t);
  const auto templates = json(*t);
  ASSERT_EQ(templates.find("templates")->items.size(), 5u);
  EXPECT_EQ(field(*templates.find("templates")->items[2].find("config"), "name"), "btc rsi 15m");
}

TEST_F(ApiServerTest, shouldLogEachCommandWithUserRouteAndStatus) {
  start();
  const auto id = create_rsi(*this, kAliceToken);
  call("POST", "/api/v1/bots/" + std::to_string(id) + "/start", kBobToken);
  call("GET", "/api/v1/bots", kAliceToken);
  const auto lines = log_lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "api: user=alice POST /api/v1/bots -> 201");
  EXPECT_EQ(lines[1], "api: user=bob POST /api/v1/bots/" + std::to_string(id) + "/start -> 404");
}

TEST_F(ApiServerTest, shouldRefuseASecondStartAndReportABusyPort) {
  start();
  EXPECT_FALSE(server_->start().has_value());
  auto tokens = TokenStore::parse("");
  ApiOptions o;
  o.port = port_;
  ApiServer other(engine_, std::move(*tokens), o);
  auto r = other.start();
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("cannot bind"), std::string::npos) << r.error();
}

}  // namespace
}  // namespace be::api::test
