#include "net/backoff.hpp"

#include <gtest/gtest.h>

#include "net/url.hpp"
#include "net/ws_client.hpp"

namespace be::net {
namespace {

constexpr Nanos kSecond = 1'000'000'000;

TEST(Backoff, shouldGrowGeometricallyWithinJitterUntilTheCap) {
  Backoff b(BackoffPolicy{});
  const double expected[] = {1, 2, 4, 8, 16, 30, 30, 30};
  for (double e : expected) {
    const Nanos d = b.next();
    EXPECT_GE(d, static_cast<Nanos>(e * 0.9 * kSecond)) << "base " << e;
    EXPECT_LE(d, std::min<Nanos>(30 * kSecond, static_cast<Nanos>(e * 1.1 * kSecond)));
  }
}

TEST(Backoff, shouldRepeatTheSameScheduleForTheSameSeed) {
  BackoffPolicy p;
  p.seed = 42;
  Backoff a(p), b(p);
  p.seed = 43;
  Backoff c(p);
  bool any_differs = false;
  for (int i = 0; i < 10; ++i) {
    const Nanos x = a.next();
    EXPECT_EQ(x, b.next());
    any_differs |= x != c.next();
  }
  EXPECT_TRUE(any_differs) << "a different seed must give different jitter";
}

TEST(Backoff, shouldStartOverAfterReset) {
  BackoffPolicy p;
  p.jitter = 0;
  Backoff b(p);
  EXPECT_EQ(b.next(), kSecond);
  EXPECT_EQ(b.next(), 2 * kSecond);
  b.reset();
  EXPECT_EQ(b.attempts(), 0u);
  EXPECT_EQ(b.next(), kSecond);
}

TEST(Backoff, shouldNeverExceedTheCapEvenWithJitter) {
  BackoffPolicy p;
  p.jitter = 0.5;
  Backoff b(p);
  for (int i = 0; i < 200; ++i)
    EXPECT_LE(b.next(), p.cap);
}

TEST(WsUrl, shouldSplitSchemeHostPortAndTarget) {
  auto u = parse_ws_url("wss://stream.binance.com:9443/stream?streams=btcusdt@trade");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "stream.binance.com");
  EXPECT_EQ(u->port, 9443);
  EXPECT_EQ(u->target, "/stream?streams=btcusdt@trade");
  EXPECT_EQ(u->host_header(), "stream.binance.com:9443");

  auto d = parse_ws_url("ws://127.0.0.1");
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->tls);
  EXPECT_EQ(d->port, 80);
  EXPECT_EQ(d->target, "/");
  EXPECT_EQ(d->host_header(), "127.0.0.1");

  auto v6 = parse_ws_url("ws://[::1]:9000/ws");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->host_header(), "[::1]:9000");
}

TEST(WsUrl, shouldRejectBadSchemesPortsAndHosts) {
  EXPECT_EQ(parse_ws_url("http://x/").error(),
            "unsupported scheme 'http' (expected ws:// or wss://)");
  EXPECT_EQ(parse_ws_url("ws://x:99999/").error(), "bad port '99999'");
  EXPECT_EQ(parse_ws_url("ws://x:abc/").error(), "bad port 'abc'");
  EXPECT_EQ(parse_ws_url("ws://:80/").error(), "missing host");
  EXPECT_FALSE(parse_ws_url("ws://[::1/"));
}

TEST(FrameKind, shouldTellDataRepliesAndUnrecognisedFramesApart) {
  EXPECT_EQ(classify_frame(R"({"stream":"btcusdt@trade","data":{}})", false), FrameKind::kData);
  EXPECT_EQ(classify_frame(R"({"e":"trade"})", false), FrameKind::kData);
  EXPECT_EQ(classify_frame(R"({"result":null,"id":1})", false), FrameKind::kReply);
  EXPECT_EQ(classify_frame(R"({"code":2,"msg":"x","id":1})", false), FrameKind::kReply);
  EXPECT_EQ(classify_frame(R"({"stream":"a","data":{"e":)", false), FrameKind::kUnrecognised);
  EXPECT_EQ(classify_frame("this is not json", false), FrameKind::kUnrecognised);
  EXPECT_EQ(classify_frame("", false), FrameKind::kUnrecognised);
  EXPECT_EQ(classify_frame(R"({"e":"trade"})", true), FrameKind::kUnrecognised);
}

TEST(WsClient, shouldRefuseToStartWithABadUrl) {
  WsClientConfig c;
  c.url = "tcp://127.0.0.1:1/";
  WsClient client(c, WsClientHandlers{[](const Frame&) {}, {}, {}, {}});
  std::string error;
  EXPECT_FALSE(client.start(&error));
  EXPECT_EQ(error, "unsupported scheme 'tcp' (expected ws:// or wss://)");
  EXPECT_FALSE(client.connected());
}

TEST(WsClient, shouldLowerCaseStreamNames) {
  EXPECT_EQ(stream_name("BTCUSDT", "trade"), "btcusdt@trade");
  EXPECT_EQ(stream_name("EthUsdt", "depth@100ms"), "ethusdt@depth@100ms");
}

}  // namespace
}  // namespace be::net
