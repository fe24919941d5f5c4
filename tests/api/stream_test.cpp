// The WebSocket event stream: order, ownership filtering, authentication, exact resumption
// from the seq of the last message seen (gaps, conflated prices, a buffer that moved on or
// restarted, a seq beyond the head), and that a client which cannot keep up is dropped while
// the others carry on.
#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include "tests/api/api_fixture.hpp"

namespace be::api::test {
namespace {

// The "seq" of a stream message, or 0 (hello, resync).
SequenceNumber seq_of(const std::string& message) {
  const auto at = message.find("{\"seq\":");
  return at != 0 ? 0 : std::strtoull(message.c_str() + 7, nullptr, 10);
}

// The next `n` messages' seqs (0 where one has none); fewer when the stream ends.
std::vector<SequenceNumber> read_seqs(TestClient& c, std::size_t n) {
  std::vector<SequenceNumber> out;
  for (std::size_t i = 0; i < n; ++i) {
    auto m = c.ws_read();
    if (!m) break;
    out.push_back(seq_of(*m));
  }
  return out;
}

std::string stream_target(std::string_view token, std::optional<SequenceNumber> since = {}) {
  std::string t = "/api/v1/stream?token=" + std::string(token);
  if (since) t += "&since=" + std::to_string(*since);
  return t;
}

TEST_F(ApiServerTest, shouldStreamItemsInOrderAfterAHello) {
  start();
  engine_.push(kNoBot, "price");  // before the client: not replayed
  TestClient c;
  ASSERT_TRUE(c.connect(port_));
  ASSERT_TRUE(c.ws_handshake("/api/v1/stream?token=" + std::string(kAliceToken)));
  auto hello = c.ws_read();
  ASSERT_TRUE(hello);
  EXPECT_EQ(*hello,
            R"({"type":"hello","user":"alice","admin":false,"covers":"market_and_own_bots",)"
            R"("bots":[],"since":null,"first_seq":1,"head_seq":1})");
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

// ?bots= ?symbols= ?types=: only the events of that subset (each list given must hold), on top
// of what the user may see; a bad value refuses the upgrade with a 400 that says which.
TEST_F(ApiServerTest, shouldStreamOnlyTheSubsetAClientAskedFor) {
  start();
  ASSERT_EQ(call("POST", "/api/v1/bots", kAliceToken, kRsiConfig)->status, 201);  // bot 0
  ASSERT_EQ(call("POST", "/api/v1/bots", kAliceToken, kRsiConfig)->status, 201);  // bot 1
  TestClient by_bot, by_symbol_and_type;
  ASSERT_TRUE(by_bot.connect(port_));
  ASSERT_TRUE(by_bot.ws_handshake(stream_target(kAliceToken) + "&bots=1,7"));
  ASSERT_TRUE(by_symbol_and_type.connect(port_));
  ASSERT_TRUE(by_symbol_and_type.ws_handshake(stream_target(kAdminToken) +
                                              "&symbols=ETHUSDT&types=price,fill"));
  ASSERT_TRUE(by_bot.ws_read());
  ASSERT_TRUE(by_symbol_and_type.ws_read());
  engine_.push(BotId{0}, "fill", R"("symbol":"ETHUSDT")");   // 1: the admin's (not bot 1)
  engine_.push(BotId{1}, "fill", R"("symbol":"ETHUSDT")");   // 2: both
  engine_.push(kNoBot, "price", R"("symbol":"ETHUSDT")");    // 3: symbol and type
  engine_.push(BotId{1}, "order", R"("symbol":"ETHUSDT")");  // 4: bot 1 only (an order)
  engine_.push(kNoBot, "price", R"("symbol":"BTCUSDT")");    // 5: neither
  engine_.push(BotId{1}, "signal");                          // 6: bot 1
  engine_.push(kNoBot, "feed");                              // 7: neither
  engine_.push(BotId{0}, "fill", R"("symbol":"ETHUSDT")");   // 8: the admin's
  EXPECT_EQ(read_seqs(by_bot, 3), (std::vector<SequenceNumber>{2, 4, 6}));
  EXPECT_EQ(read_seqs(by_symbol_and_type, 4), (std::vector<SequenceNumber>{1, 2, 3, 8}));

  for (const char* bad : {"&types=fill,nope", "&bots=1,x", "&bots=", "&types=,", "&symbols="}) {
    TestClient c;
    ASSERT_TRUE(c.connect(port_));
    EXPECT_FALSE(c.ws_handshake(stream_target(kAliceToken) + bad)) << bad;
  }
  EXPECT_EQ(server_->stats().status_count(400), 5u);
  const auto answer = call("GET", "/api/v1/me", kAliceToken);  // the connection still serves
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
}

TEST_F(ApiServerTest, shouldStreamAccountEventsOnlyToTheAccountsOwner) {
  start();
  for (std::string_view owner : {"2", "3"}) {  // alice's account 1, bob's account 2
    const std::string body =
        R"({"owner":)" + std::string(owner) + R"(,"name":"main","venue":"binance","mode":"paper"})";
    ASSERT_EQ(call("POST", "/api/v1/accounts", kAdminToken, body)->status, 201);
  }
  TestClient alice;
  ASSERT_TRUE(alice.connect(port_));
  ASSERT_TRUE(alice.ws_handshake("/api/v1/stream", kAliceToken));
  ASSERT_TRUE(alice.ws_read());
  engine_.push_engine_event("kill_switch", R"("scope":"account","account":2,"set":true)");
  engine_.push_engine_event("kill_switch", R"("scope":"account","account":1,"set":true)");
  engine_.push_engine_event("kill_switch", R"("scope":"account","account":"x","set":true)");
  engine_.push_engine_event("kill_switch", R"("scope":"account","account":0,"set":true)");
  engine_.push(kNoBot, "price");
  // Bob's account 2, an unreadable account and the admin's account 0 are not hers.
  EXPECT_EQ(read_seqs(alice, 2), (std::vector<SequenceNumber>{2, 5}));
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

TEST_F(ApiServerTest, shouldResumeAfterTheLastSeqSeenWithEveryLaterEventExactlyOnce) {
  start();
  ASSERT_EQ(call("POST", "/api/v1/bots", kAliceToken, kRsiConfig)->status, 201);  // bot 0
  ASSERT_EQ(call("POST", "/api/v1/bots", kBobToken, kRsiConfig)->status, 201);    // bot 1
  TestClient first;
  ASSERT_TRUE(first.connect(port_));
  ASSERT_TRUE(first.ws_handshake(stream_target(kAliceToken)));
  auto hello = first.ws_read();
  ASSERT_TRUE(hello);
  EXPECT_NE(hello->find(R"("bots":[0],"since":null,"first_seq":1,"head_seq":0})"),
            std::string::npos)
      << *hello;
  // Journal seqs with gaps (records that are not stream events) and bob's events between
  // alice's: her view has gaps that are not losses.
  engine_.push(BotId{0}, "order");  // 1
  engine_.skip(5);
  engine_.push(BotId{1}, "fill");  // 7: bob's
  engine_.push(BotId{0}, "fill");  // 8
  engine_.push(kNoBot, "feed");    // 9
  engine_.skip(2);
  engine_.push(BotId{0}, "bot_status");  // 12
  engine_.push(BotId{1}, "order");       // 13: bob's
  engine_.push(BotId{0}, "order");       // 14
  EXPECT_EQ(read_seqs(first, 2), (std::vector<SequenceNumber>{1, 8}));
  // Resumed from seq 8 (what it saw last): the rest at once, nothing twice, nothing of bob's.
  TestClient resumed;
  ASSERT_TRUE(resumed.connect(port_));
  ASSERT_TRUE(resumed.ws_handshake(stream_target(kAliceToken, 8)));
  hello = resumed.ws_read();
  ASSERT_TRUE(hello);
  EXPECT_NE(hello->find(R"("since":8,"first_seq":1,"head_seq":14})"), std::string::npos) << *hello;
  EXPECT_EQ(read_seqs(resumed, 3), (std::vector<SequenceNumber>{9, 12, 14}));
  // ... then the live flow.
  engine_.push(BotId{0}, "fill");  // 15
  EXPECT_EQ(read_seqs(resumed, 1), (std::vector<SequenceNumber>{15}));
  // From a seq it never saw (bob's 13, inside alice's gap) and from the head itself.
  TestClient gap, head;
  ASSERT_TRUE(gap.connect(port_));
  ASSERT_TRUE(gap.ws_handshake(stream_target(kAliceToken, 13)));
  EXPECT_EQ(read_seqs(gap, 3), (std::vector<SequenceNumber>{0, 14, 15}));
  ASSERT_TRUE(head.connect(port_));
  ASSERT_TRUE(head.ws_handshake(stream_target(kAdminToken, 15)));
  ASSERT_TRUE(head.ws_read());
  engine_.push(BotId{1}, "fill");  // 16
  EXPECT_EQ(read_seqs(head, 1), (std::vector<SequenceNumber>{16}));
  EXPECT_EQ(server_->stats().ws_resyncs.load(), 0u);
}

TEST_F(ApiServerTest, shouldCatchUpWithOnlyTheLatestPricePerInstrumentThenEveryLivePrice) {
  start();
  const std::string eth = R"("symbol":"ETHUSDT")";
  engine_.push(kNoBot, "price");       // 1 BTC
  engine_.push(kNoBot, "price", eth);  // 2 ETH
  engine_.push(kNoBot, "price");       // 3 BTC
  engine_.push(kNoBot, "feed");        // 4
  engine_.push(kNoBot, "price");       // 5 BTC
  engine_.push(kNoBot, "feed");        // 6
  TestClient c;
  ASSERT_TRUE(c.connect(port_));
  ASSERT_TRUE(c.ws_handshake(stream_target(kAliceToken, 1)));
  // In seq order (resumable at any point): ETH's latest, the feed events, BTC's latest.
  EXPECT_EQ(read_seqs(c, 5), (std::vector<SequenceNumber>{0, 2, 4, 5, 6}));
  engine_.push(kNoBot, "price");  // 7, 8: live prices are not reduced
  engine_.push(kNoBot, "price");
  EXPECT_EQ(read_seqs(c, 2), (std::vector<SequenceNumber>{7, 8}));
  // A client that saw the latest prices already gets none again.
  TestClient later;
  ASSERT_TRUE(later.connect(port_));
  ASSERT_TRUE(later.ws_handshake(stream_target(kAliceToken, 8)));
  ASSERT_TRUE(later.ws_read());
  engine_.push(kNoBot, "feed");  // 9
  EXPECT_EQ(read_seqs(later, 1), (std::vector<SequenceNumber>{9}));
}

TEST_F(ApiServerTest, shouldTellAClientWhoseSinceTheBufferNoLongerHoldsToResync) {
  FakeControlPlane small(4);  // keeps only 4 items
  auto tokens = TokenStore::parse(tokens_file_text());
  ApiOptions o;
  o.port = 0;
  o.log = [](std::string_view) {};
  ApiServer server(small, std::move(*tokens), o);
  auto port = server.start();
  ASSERT_TRUE(port.has_value());
  for (int i = 0; i < 10; ++i)
    small.push(kNoBot, "feed");
  {  // the clients close before the server stops, which then need not wait for them
    TestClient c;
    ASSERT_TRUE(c.connect(*port));
    ASSERT_TRUE(c.ws_handshake(stream_target(kAliceToken, 2)));
    auto hello = c.ws_read();
    ASSERT_TRUE(hello);
    EXPECT_NE(hello->find(R"("since":2,"first_seq":7,"head_seq":10})"), std::string::npos)
        << *hello;
    auto resync = c.ws_read();
    ASSERT_TRUE(resync);
    EXPECT_EQ(*resync, R"({"type":"resync","since":2,"first_seq":7,"head_seq":10})");
    EXPECT_EQ(read_seqs(c, 4), (std::vector<SequenceNumber>{7, 8, 9, 10}));
    // The oldest servable since (first_seq - 1) is exact, without a resync.
    TestClient exact;
    ASSERT_TRUE(exact.connect(*port));
    ASSERT_TRUE(exact.ws_handshake(stream_target(kAliceToken, 6)));
    EXPECT_EQ(read_seqs(exact, 5), (std::vector<SequenceNumber>{0, 7, 8, 9, 10}));
    EXPECT_EQ(server.stats().ws_resyncs.load(), 1u);
  }
  // A restarted runner: its buffer starts after the journal's position (here 100).
  small.restart_stream(100);
  {
    TestClient old_run, last_run;
    ASSERT_TRUE(old_run.connect(*port));
    ASSERT_TRUE(old_run.ws_handshake(stream_target(kAliceToken, 10)));
    ASSERT_TRUE(old_run.ws_read());
    auto resync = old_run.ws_read();
    ASSERT_TRUE(resync);
    EXPECT_EQ(*resync, R"({"type":"resync","since":10,"first_seq":101,"head_seq":100})");
    ASSERT_TRUE(last_run.connect(*port));
    ASSERT_TRUE(last_run.ws_handshake(stream_target(kAliceToken, 100)));
    ASSERT_TRUE(last_run.ws_read());
    small.push(kNoBot, "feed");  // 101
    EXPECT_EQ(read_seqs(old_run, 1), (std::vector<SequenceNumber>{101}));
    EXPECT_EQ(read_seqs(last_run, 1), (std::vector<SequenceNumber>{101}));
  }
  server.stop();
}

TEST_F(ApiServerTest, shouldResyncAConnectedClientWhenAnEventNeverReachedTheBuffer) {
  start();
  engine_.push(kNoBot, "feed");  // 1
  TestClient c;
  ASSERT_TRUE(c.connect(port_));
  ASSERT_TRUE(c.ws_handshake(stream_target(kAliceToken, 0)));
  EXPECT_EQ(read_seqs(c, 2), (std::vector<SequenceNumber>{0, 1}));
  const SequenceNumber lost = engine_.lose();  // 2
  engine_.push(kNoBot, "feed");                // 3
  auto resync = c.ws_read();
  ASSERT_TRUE(resync);
  EXPECT_EQ(*resync, R"({"type":"resync","since":1,"first_seq":3,"head_seq":3})");
  EXPECT_EQ(lost, 2u);
  EXPECT_EQ(read_seqs(c, 1), (std::vector<SequenceNumber>{3}));
}

TEST_F(ApiServerTest, shouldRefuseASinceBeyondTheHeadAtTheUpgrade) {
  start();
  engine_.push(kNoBot, "feed");  // 1
  TestClient beyond, bad;
  ASSERT_TRUE(beyond.connect(port_));
  EXPECT_FALSE(beyond.ws_handshake(stream_target(kAliceToken, 2)));
  ASSERT_TRUE(bad.connect(port_));
  EXPECT_FALSE(bad.ws_handshake("/api/v1/stream?since=-1&token=" + std::string(kAliceToken)));
  TestClient raw;
  ASSERT_TRUE(raw.connect(port_));
  ASSERT_TRUE(raw.send_raw("GET " + stream_target(kAliceToken, 7) +
                           " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n"));
  auto reply = raw.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 400);
  EXPECT_NE(reply->body.find("since 7 is beyond the stream's head_seq 1"), std::string::npos)
      << reply->body;
  EXPECT_EQ(server_->stats().status_count(400), 3u);
  EXPECT_EQ(server_->stats().ws_accepted.load(), 0u);
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
