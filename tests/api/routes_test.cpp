// The route table's dispatch (runner/api/routes.cpp, router.cpp) at its edges, through the
// Router without sockets: which row decides, the 405's list of methods, a segment that is not
// a bot id, the catch-all under a bot, trailing slashes. The answers are the ones the
// hand-written if-chain gave before the table replaced it.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "runner/api/router.hpp"
#include "tests/api/api_fixture.hpp"

namespace be::api::test {
namespace {

class RoutesTest : public ::testing::Test {
 protected:
  RoutesTest()
      : tokens_(*TokenStore::parse(tokens_file_text())),
        router_(engine_, tokens_,
                RouterOptions{
                    1e6, 1e6, {}, 1u << 20, {}, [](std::string_view) {}, 1e6, 20.0, {}, {}, false},
                stats_) {}

  HttpResponse call(std::string_view method, std::string_view target, std::string_view body = {}) {
    const std::string auth = "Bearer " + std::string(kAliceToken);
    return router_.handle(HttpRequest{method, target, auth, body},
                          std::chrono::steady_clock::now());
  }
  std::string bot_path() {
    const HttpResponse created = call("POST", "/api/v1/bots", kRsiConfig);
    EXPECT_EQ(created.status, 201) << created.body;
    const auto at = created.body.find("\"id\":");
    return "/api/v1/bots/" + std::to_string(std::stoul(created.body.substr(at + 5)));
  }

  FakeControlPlane engine_;
  TokenStore tokens_;
  ApiStats stats_;
  Router router_;
};

// `parts` appear in `text` in this order, the first at its start and the last at its end.
bool in_order(std::string_view text, std::initializer_list<std::string_view> parts) {
  std::size_t at = 0;
  for (const std::string_view part : parts) {
    const std::size_t found = text.find(part, at);
    if (found == std::string_view::npos || (at == 0 && found != 0)) return false;
    at = found + part.size();
  }
  return at == text.size();
}

bool says(const HttpResponse& r, std::string_view text) {
  return r.body.find(text) != std::string::npos;
}

TEST_F(RoutesTest, shouldListTheMethodsOfTheMatchedPatternIn405) {
  const std::string bot = bot_path();
  EXPECT_TRUE(says(call("PATCH", "/api/v1/bots"), R"("message":"use GET or POST")"));
  EXPECT_TRUE(says(call("POST", bot), R"("message":"use GET, PUT or DELETE")"));
  EXPECT_TRUE(says(call("PUT", "/api/v1/kill-switch"), R"("message":"use GET or POST")"));
  EXPECT_TRUE(says(call("GET", "/api/v1/bots/validate"), R"("message":"use POST")"));
  EXPECT_TRUE(says(call("GET", bot + "/start"), R"("message":"use POST")"));
  EXPECT_TRUE(says(call("POST", bot + "/orders"), R"("message":"use GET")"));
  EXPECT_TRUE(says(call("POST", "/api/v1/me"), R"("message":"use GET")"));
  EXPECT_EQ(call("POST", "/api/v1/health").status, 405);
  EXPECT_TRUE(says(call("POST", "/index.html"), R"("message":"static files: use GET")"));
}

TEST_F(RoutesTest, shouldAnswerNoSuchBotForASegmentThatIsNotABotIdWhateverTheMethod) {
  for (const char* method : {"GET", "DELETE", "POST"}) {
    for (const char* path : {"/api/v1/bots/abc", "/api/v1/bots/abc/start", "/api/v1/bots/abc/zzz",
                             "/api/v1/bots/validate/"}) {
      const HttpResponse r = call(method, path);
      EXPECT_EQ(r.status, 404) << method << ' ' << path;
      EXPECT_TRUE(says(r, "no such bot")) << method << ' ' << path << ": " << r.body;
    }
  }
}

TEST_F(RoutesTest, shouldAnswerNoSuchRouteForAnUnknownPathUnderAKnownBot) {
  const std::string bot = bot_path();
  for (const std::string& path : {bot + "/explode", bot + "/orders/x", bot + "/start/"}) {
    const HttpResponse r = call("PATCH", path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_TRUE(says(r, "no such route")) << path << ": " << r.body;
  }
  EXPECT_TRUE(says(call("GET", "/api/v1/nothing"), "no such route"));
  EXPECT_TRUE(says(call("GET", "/api/v2/bots"), "no such route"));
}

TEST_F(RoutesTest, shouldTreatATrailingSlashOnBotsAndABotAsThePathWithout) {
  const std::string bot = bot_path();
  EXPECT_EQ(call("GET", "/api/v1/bots/").body, call("GET", "/api/v1/bots").body);
  EXPECT_EQ(call("GET", bot + "/").body, call("GET", bot).body);
  EXPECT_EQ(call("GET", "/api/v1/me/").status, 404);  // only bots had the slash
}

TEST_F(RoutesTest, shouldCheckTheTokenBeforeTheMethodAndTheRoute) {
  const HttpResponse r = router_.handle(HttpRequest{"PATCH", "/api/v1/bots", {}, {}},
                                        std::chrono::steady_clock::now());
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(
      router_.handle(HttpRequest{"GET", "/api/v1/health", {}, {}}, std::chrono::steady_clock::now())
          .status,
      200);
}

// GET /api/v1/bots' pages through the router: next_cursor leads to the rest, absent at the
// end; a bad parameter is a 400 that names it and is counted with the other 400s.
TEST_F(RoutesTest, shouldPageTheBotListAndRefuseABadParameterAsACountedBadRequest) {
  for (int i = 0; i < 3; ++i)
    bot_path();
  const HttpResponse first = call("GET", "/api/v1/bots?limit=2");
  ASSERT_EQ(first.status, 200) << first.body;
  const auto at = first.body.find("\"next_cursor\":\"");
  ASSERT_NE(at, std::string::npos) << first.body;
  const std::string cursor = first.body.substr(at + 15, first.body.find('"', at + 15) - at - 15);
  const HttpResponse rest = call("GET", "/api/v1/bots?limit=2&cursor=" + cursor);
  ASSERT_EQ(rest.status, 200) << rest.body;
  EXPECT_FALSE(says(rest, "next_cursor")) << rest.body;
  EXPECT_TRUE(says(rest, "\"id\":2")) << rest.body;
  EXPECT_FALSE(says(rest, "\"id\":1,")) << rest.body;

  const std::uint64_t before = stats_.status_count(400);
  const HttpResponse bad = call("GET", "/api/v1/bots?limit=-5");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(says(bad, "bad_request")) << bad.body;
  EXPECT_TRUE(says(bad, "limit must be a whole number from 1 to 1000")) << bad.body;
  EXPECT_EQ(stats_.status_count(400), before + 1);
  const HttpResponse owner = call("GET", "/api/v1/bots?owner=bob");
  EXPECT_EQ(owner.status, 403);
  EXPECT_TRUE(says(owner, "forbidden")) << owner.body;
}

// POST /api/v1/bots/bulk: per item, in order, the status and answer a single create gives;
// one request against the rate; over the item cap or not a list: 422 and nothing created.
TEST_F(RoutesTest, shouldCreateManyBotsInOneRequestAnsweringPerItem) {
  const std::string bad_config = R"({"name":"x","symbol":"BTCUSDT","timeframe":"15m",)"
                                 R"("strategy":{"type":"nope"}})";
  const std::string body = "{\"bots\": [" + std::string(kRsiConfig) + "," + bad_config + ",7," +
                           std::string(kRsiConfig) + "]}";
  const std::uint64_t requests = stats_.requests.load();
  const HttpResponse r = call("POST", "/api/v1/bots/bulk", body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(stats_.requests.load(), requests + 1);
  EXPECT_TRUE(
      in_order(r.body, {R"({"results":[{"status":201,"answer":{"id":0,"sequence":)",
                        R"(}},{"status":422,"answer":{"errors":[{"field":"strategy.type",)",
                        R"x(]}},{"status":422,"answer":{"errors":[{"field":"","message":)x"
                        R"x("the request body must be a bot config (JSON object)"}]}},)x",
                        R"({"status":201,"answer":{"id":1,"sequence":)", R"(}}],"created":2})"}))
      << r.body;
  // The same error a single create gives.
  const HttpResponse single = call("POST", "/api/v1/bots", bad_config);
  EXPECT_EQ(single.status, 422);
  EXPECT_NE(r.body.find(single.body), std::string::npos) << single.body;

  std::string many = "{\"bots\": [";
  for (int i = 0; i < 1001; ++i)
    many += std::string(i ? "," : "") + "{}";
  const HttpResponse over = call("POST", "/api/v1/bots/bulk", many + "]}");
  EXPECT_EQ(over.status, 422);
  EXPECT_TRUE(says(over, "at most 1000 bots per request (1001 given)")) << over.body;
  for (std::string_view not_a_list : {"[]", "{\"bots\": []}", "{\"bots\": {}}", "nope"})
    EXPECT_EQ(call("POST", "/api/v1/bots/bulk", not_a_list).status, 422) << not_a_list;
  const HttpResponse list = call("GET", "/api/v1/bots");
  EXPECT_TRUE(in_order(list.body, {R"({"bots":[{"id":0,)", R"(},{"id":1,)", "}]}"})) << list.body;
  EXPECT_FALSE(says(list, "\"id\":2")) << list.body;
  // The two creates were one create_bots command: one entry, one sequence in both answers.
  std::size_t commands = 0;
  for (const FakeControlPlane::Command& c : engine_.commands())
    commands += c.kind == OperatorCommandKind::kCreateBots;
  EXPECT_EQ(commands, 1u);
  const auto seq = [&](std::size_t from) {
    const auto at = r.body.find("\"sequence\":", from);
    return r.body.substr(at, r.body.find('}', at) - at);
  };
  EXPECT_EQ(seq(0), seq(r.body.find("\"id\":1"))) << r.body;
}

// Hostile bulk requests: no token or a wrong one (401), bodies that are no list or hold
// malformed items, deep nesting and duplicate keys: refused, counted, and nothing created.
TEST_F(RoutesTest, shouldRefuseHostileBulkRequestsCreatingNothing) {
  const std::string body = "{\"bots\": [" + std::string(kRsiConfig) + "]}";
  for (std::string_view auth : {"", "Bearer not-a-token", "Basic YTpi"}) {
    const HttpResponse r = router_.handle(HttpRequest{"POST", "/api/v1/bots/bulk", auth, body},
                                          std::chrono::steady_clock::now());
    EXPECT_EQ(r.status, 401) << auth;
  }
  const std::string deep = std::string(40, '[') + std::string(40, ']');
  for (const std::string& hostile :
       {std::string("{\"bots\": [") + deep + "]}", std::string("{\"bots\": 1, \"bots\": 2}"),
        std::string("{\"bots\": [{\"name\": \"a\", \"name\": \"b\"}]}"),
        std::string("{\"bots\": [") + std::string(kRsiConfig), std::string("\xff\xfe"),
        std::string("{\"robots\": [") + std::string(kRsiConfig) + "]}"}) {
    const HttpResponse r = call("POST", "/api/v1/bots/bulk", hostile);
    EXPECT_EQ(r.status, 422) << hostile.substr(0, 60) << " -> " << r.body;
  }
  // Items that are not configs are answered each, and sent nowhere.
  const HttpResponse items = call("POST", "/api/v1/bots/bulk", R"({"bots": [null, "x", [], 1.5]})");
  ASSERT_EQ(items.status, 200) << items.body;
  EXPECT_TRUE(says(items, R"("created":0)")) << items.body;
  EXPECT_TRUE(engine_.commands().empty());
  EXPECT_TRUE(says(call("GET", "/api/v1/bots"), R"({"bots":[]})"));
}

}  // namespace
}  // namespace be::api::test
