// The WebSocket event stream: order, ownership filtering, authentication, and that a client
// which cannot keep up is dropped while the others carry on.
#include <gtest/gtest.h>

#include <thread>

#include "tests/api/api_fixture.hpp"

namespace be::api::test {
namespace {

std::string hello_cursor(const std::string& hello) {
  const auto at = hello.find("\"cursor\":");
  return at == std::string::npos ? "" : hello.substr(at + 9, hello.find('}', at) - at - 9);
}

TEST_F(ApiServerTest, shouldStreamItemsInOrderAfterAHello) {
  start();
  engine_.push(kNoBot, "price");  // before the client: not replayed
  TestClient c;
  ASSERT_TRUE(c.connect(port_));
  ASSERT_TRUE(c.ws_handshake("/api/v1/stream?token=" + std::string(kAliceToken)));
  auto hello = c.ws_read();
  ASSERT_TRUE(hello);
  EXPECT_EQ(*hello, R"({"type":"hello","user":"alice","admin":false,"cursor":1})");
  for (int i = 0; i < 50; ++i)
    engine_.push(kNoBot, "price", R"("symbol":"BTCUSDT")");
  for (int i = 0; i < 50; ++i) {
    auto m = c.ws_read();
    ASSERT_TRUE(m) << i;
    EXPECT_EQ(m->rfind("{\"seq\":" + std::to_string(i + 2) + ",", 0), 0u) << *m;
  }
  EXPECT_EQ(server_->stats().ws_accepted.load(), 1u);
}

TEST_F(ApiServerTest, shouldStreamOnlyTheCallersBotsAndMarketDataToUsers) {
  start();
  ASSERT_EQ(call("POST", "/api/v1/bots", kAliceToken, kRsiConfig)->status, 201);  // bot 0
  ASSERT_EQ(call("POST", "/api/v1/bots", kBobToken, kRsiConfig)->status, 201);    // bot 1
  TestClient alice, admin;
  ASSERT_TRUE(alice.connect(port_));
  ASSERT_TRUE(alice.ws_handshake("/api/v1/stream", kAliceToken));  // bearer header
  ASSERT_TRUE(admin.connect(port_));
  ASSERT_TRUE(admin.ws_handshake("/api/v1/stream?token=" + std::string(kAdminToken)));
  ASSERT_TRUE(alice.ws_read());
  ASSERT_TRUE(admin.ws_read());
  engine_.push(BotId{1}, "fill");
  engine_.push(kNoBot, "price");
  engine_.push(BotId{0}, "order");
  engine_.push(BotId{7}, "signal");  // a bot nobody sees in the read model
  engine_.push(kNoBot, "price");
  std::vector<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    auto m = alice.ws_read();
    ASSERT_TRUE(m);
    seen.push_back(m->substr(0, m->find(",\"time\"")));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"{\"seq\":2", "{\"seq\":3", "{\"seq\":5"}));
  for (int i = 1; i <= 5; ++i) {
    auto m = admin.ws_read();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->rfind("{\"seq\":" + std::to_string(i) + ",", 0), 0u) << *m;
  }
}

TEST_F(ApiServerTest, shouldRefuseAStreamWithoutAValidToken) {
  start();
  TestClient none, wrong;
  ASSERT_TRUE(none.connect(port_));
  EXPECT_FALSE(none.ws_handshake("/api/v1/stream"));
  ASSERT_TRUE(wrong.connect(port_));
  EXPECT_FALSE(wrong.ws_handshake("/api/v1/stream?token=nope"));
  EXPECT_EQ(server_->stats().status_count(401), 2u);
  EXPECT_EQ(server_->stats().ws_accepted.load(), 0u);
  TestClient elsewhere;
  ASSERT_TRUE(elsewhere.connect(port_));
  EXPECT_FALSE(elsewhere.ws_handshake("/api/v1/bots?token=" + std::string(kAliceToken)));
}

TEST_F(ApiServerTest, shouldDropASlowClientWhileOthersContinue) {
  ApiOptions o;
  o.ws_queue_messages = 64;
  o.ws_send_buffer_bytes = 4096;
  start(o);
  TestClient slow, fast;
  ASSERT_TRUE(slow.connect(port_, 4096));
  ASSERT_TRUE(slow.ws_handshake("/api/v1/stream?token=" + std::string(kBobToken)));
  ASSERT_TRUE(slow.ws_read());  // hello; then it never reads again
  ASSERT_TRUE(fast.connect(port_));
  ASSERT_TRUE(fast.ws_handshake("/api/v1/stream?token=" + std::string(kAliceToken)));
  ASSERT_TRUE(fast.ws_read());
  const std::string pad = "\"pad\":\"" + std::string(1000, 'x') + "\"";
  std::uint64_t expected = 1;
  // Each round the fast client reads everything pushed; the slow one's socket and queue fill
  // until the server gives up on it. Bounded: ~10 MB of stream at most.
  for (int round = 0; round < 400 && server_->stats().ws_dropped_slow.load() == 0; ++round) {
    for (int i = 0; i < 25; ++i)
      engine_.push(kNoBot, "price", pad);
    for (int i = 0; i < 25; ++i, ++expected) {
      auto m = fast.ws_read();
      ASSERT_TRUE(m) << "fast client starved at " << expected;
      ASSERT_EQ(m->rfind("{\"seq\":" + std::to_string(expected) + ",", 0), 0u);
    }
  }
  EXPECT_EQ(server_->stats().ws_dropped_slow.load(), 1u);
  // The fast client still gets what comes next.
  engine_.push(kNoBot, "price");
  auto next = fast.ws_read();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->rfind("{\"seq\":" + std::to_string(expected) + ",", 0), 0u);
  // The slow one finds its connection gone once it drains what was in flight.
  std::optional<std::string> m;
  std::size_t drained = 0;
  while ((m = slow.ws_read()))
    ++drained;
  EXPECT_LT(drained, expected);
  bool logged = false;
  for (const auto& line : log_lines())
    logged = logged || line.find("user=bob stream dropped: client too slow") != std::string::npos;
  EXPECT_TRUE(logged);
}

TEST_F(ApiServerTest, shouldCloseWith4000WhenTheCursorFellOutOfTheBuffer) {
  start();
  for (int i = 0; i < 10; ++i)
    engine_.push(kNoBot, "price");
  FakeControlPlane small(4);
  // The fixture's own engine has room for 100k; this one keeps only 4 items.
  server_->stop();
  auto tokens = TokenStore::parse(tokens_file_text());
  ApiOptions o;
  o.port = 0;
  o.log = [](std::string_view) {};
  ApiServer server(small, std::move(*tokens), o);
  auto port = server.start();
  ASSERT_TRUE(port.has_value());
  for (int i = 0; i < 10; ++i)
    small.push(kNoBot, "price");
  TestClient c;
  ASSERT_TRUE(c.connect(*port));
  ASSERT_TRUE(c.ws_handshake("/api/v1/stream?since=2&token=" + std::string(kAliceToken)));
  auto hello = c.ws_read();
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello_cursor(*hello), "2");
  EXPECT_FALSE(c.ws_read());
  EXPECT_EQ(c.ws_close_code(), 4000);
  EXPECT_EQ(server.stats().ws_dropped_lost.load(), 1u);

  {
    TestClient resumed;
    ASSERT_TRUE(resumed.connect(*port));
    ASSERT_TRUE(resumed.ws_handshake("/api/v1/stream?since=8&token=" + std::string(kAliceToken)));
    ASSERT_TRUE(resumed.ws_read());
    auto nine = resumed.ws_read();
    ASSERT_TRUE(nine);
    EXPECT_EQ(nine->rfind("{\"seq\":9,", 0), 0u) << *nine;
  }
  server.stop();
}

TEST_F(ApiServerTest, shouldCloseStreamsWithGoingAwayOnStop) {
  start();
  TestClient c;
  ASSERT_TRUE(c.connect(port_));
  ASSERT_TRUE(c.ws_handshake("/api/v1/stream?token=" + std::string(kAliceToken)));
  ASSERT_TRUE(c.ws_read());
  // The client reads (and answers the close handshake) while the server stops.
  std::optional<std::string> after;
  std::thread reader([&] { after = c.ws_read(); });
  while (server_->stats().ws_open.load() != 1)
    std::this_thread::yield();
  server_->stop();
  reader.join();
  EXPECT_FALSE(after);
  EXPECT_EQ(c.ws_close_code(), 1001);
  EXPECT_EQ(server_->stats().connections_open.load(), 0);
}

}  // namespace
}  // namespace be::api::test
