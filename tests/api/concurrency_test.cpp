// Many clients at once (run it under TSan: build/api-tsan): users creating, commanding and
// reading bots on keep-alive connections while stream clients receive events. Every answer
// must be right for its user, and the counters must add up.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/api/api_fixture.hpp"

namespace be::api::test {
namespace {

TEST_F(ApiServerTest, shouldServeConcurrentClientsConsistently) {
  ApiOptions o;
  o.io_threads = 3;
  o.rate_burst = 1e6;
  o.rate_per_second = 1e6;
  start(o);
  constexpr int kBotsPerUser = 8;
  const std::string_view user_tokens[] = {kAliceToken, kBobToken};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string_view token = user_tokens[t % 2];
      TestClient c;
      if (!c.connect(port_)) return void(++failures);
      for (int i = 0; i < kBotsPerUser / 2; ++i) {
        auto created = c.request("POST", "/api/v1/bots", token, kRsiConfig);
        if (!created || created->status != 201) return void(++failures);
        const auto at = created->body.find("\"id\":");
        const std::string id = created->body.substr(at + 5, created->body.find(',') - at - 5);
        auto started = c.request("POST", "/api/v1/bots/" + id + "/start", token);
        auto got = c.request("GET", "/api/v1/bots/" + id, token);
        auto list = c.request("GET", "/api/v1/bots", token);
        if (!started || started->status != 200 || !got || got->status != 200 || !list ||
            list->status != 200)
          ++failures;
        // Whatever the list holds belongs to this user.
        const std::string other = t % 2 == 0 ? "\"owner\":\"bob\"" : "\"owner\":\"alice\"";
        if (list && list->body.find(other) != std::string::npos) ++failures;
      }
    });
  }
  std::atomic<std::uint64_t> streamed{0};
  std::thread reader([&] {
    TestClient s;
    if (!s.connect(port_) || !s.ws_handshake("/api/v1/stream?token=" + std::string(kAdminToken)) ||
        !s.ws_read())
      return void(++failures);
    for (int i = 0; i < 200; ++i) {
      auto m = s.ws_read();
      if (!m || m->rfind("{\"seq\":" + std::to_string(i + 1) + ",", 0) != 0)
        return void(++failures);
      ++streamed;
    }
  });
  // The stream client is attached before the first push only when its hello has arrived;
  // push through the read of its hello by waiting on the server's count.
  while (server_->stats().ws_messages.load() == 0 && failures.load() == 0)
    std::this_thread::yield();
  for (int i = 0; i < 200; ++i)
    engine_.push(kNoBot, "price");
  for (auto& t : threads)
    t.join();
  reader.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(streamed.load(), 200u);
  auto admin_list = call("GET", "/api/v1/bots", kAdminToken);
  ASSERT_TRUE(admin_list);
  std::size_t bots = 0;
  for (auto at = admin_list->body.find("\"id\":"); at != std::string::npos;
       at = admin_list->body.find("\"id\":", at + 1))
    ++bots;
  EXPECT_EQ(bots, 2u * kBotsPerUser);
  EXPECT_EQ(engine_.commands().size(), 4u * kBotsPerUser);
  EXPECT_EQ(server_->stats().status_count(201), 2u * kBotsPerUser);
}

}  // namespace
}  // namespace be::api::test
