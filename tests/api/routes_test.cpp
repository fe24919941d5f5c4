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

}  // namespace
}  // namespace be::api::test
