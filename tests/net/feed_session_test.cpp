// The venue session on the polled io_uring client (net/uring/feed_session.hpp) against the
// simulator on loopback, polled by the test's thread as a pipeline thread would: it
// subscribes after connecting, reports connected / stale / recovered / disconnected as the
// Beast client does, reconnects after the server drops it, refuses wss://, and counts an
// attempt that never opened. Every wait is bounded.
#include "net/uring/feed_session.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/market.hpp"
#include "sim/sim_server.hpp"

namespace be::net::uring {
namespace {

constexpr Nanos kMs = 1'000'000;

std::unique_ptr<sim::SimServer> start_sim(double speed) {
  sim::SimConfig c;
  c.port = 0;
  c.speed = speed;
  c.ping_interval = 3'600'000 * kMs;
  auto server = std::make_unique<sim::SimServer>(c, sim::make_synthetic_source({}));
  EXPECT_TRUE(server->start().has_value());
  return server;
}

FeedSessionConfig session_config(const sim::SimServer& server) {
  FeedSessionConfig c;
  c.client.url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/stream";
  c.venue = VenueId{3};
  c.streams = {"btcusdt@trade", "btcusdt@bookTicker"};
  c.backoff.initial = 20 * kMs;
  c.backoff.cap = 200 * kMs;
  c.stale_after = 300 * kMs;
  return c;
}

// What one poller saw: every status and the data frames between them.
struct Seen {
  std::vector<ConnectivityState> states;
  std::size_t frames = 0;
  std::size_t replies = 0;
  bool bad_status = false;

  static void on_frame(void* self, const Frame& f) {
    auto& s = *static_cast<Seen*>(self);
    if (f.kind == FrameKind::kData) ++s.frames;
    if (f.kind == FrameKind::kReply) ++s.replies;
  }
  static void on_status(void* self, const Event& e) {
    auto& s = *static_cast<Seen*>(self);
    const auto c = e.as<Connectivity>();
    if (e.header.type != EventType::kConnectivity || c.venue != VenueId{3} ||
        e.header.receive_time == 0)
      s.bad_status = true;
    s.states.push_back(c.state);
  }
};

// Polls until `done(seen)` or 10 s.
template <class Done>
bool poll_until(FeedSession& session, Seen& seen, Done done) {
  const Nanos deadline = monotonic_now() + 10'000 * kMs;
  while (!done(seen)) {
    if (monotonic_now() >= deadline) return false;
    session.poll(&Seen::on_frame, &Seen::on_status, &seen);
  }
  return true;
}

TEST(FeedSession, shouldSubscribeAndReportConnectedThenDisconnectedWhenClosed) {
  auto server = start_sim(10);
  FeedSession session(session_config(*server));
  ASSERT_TRUE(session.start());
  Seen seen;
  ASSERT_TRUE(poll_until(session, seen, [](const Seen& s) { return s.frames >= 20; }));
  EXPECT_EQ(seen.replies, 1u) << "the SUBSCRIBE's answer";
  EXPECT_TRUE(
      server->wait_for([](const sim::SimStats& s) { return s.subscriptions == 2; }, 1'000 * kMs));
  session.close(&Seen::on_status, &seen);
  session.stop();
  EXPECT_EQ(seen.states, (std::vector<ConnectivityState>{ConnectivityState::kConnected,
                                                         ConnectivityState::kDisconnected}));
  EXPECT_FALSE(seen.bad_status);
  const FeedSessionStats st = session.stats();
  EXPECT_EQ(st.connects, 1u);
  EXPECT_EQ(st.disconnects, 1u);
  EXPECT_GE(st.frames, 21u);
  EXPECT_GT(st.last_frame_time, 0);
}

TEST(FeedSession, shouldReportStaleThenRecoveredWhenTheServerStalls) {
  auto server = start_sim(10);
  FeedSession session(session_config(*server));
  ASSERT_TRUE(session.start());
  Seen seen;
  ASSERT_TRUE(poll_until(session, seen, [](const Seen& s) { return s.frames >= 5; }));
  sim::Fault stall;
  stall.kind = sim::Fault::Kind::kStall;
  stall.duration = 1'500 * kMs;
  server->inject(stall);
  ASSERT_TRUE(poll_until(session, seen, [](const Seen& s) {
    return s.states.size() >= 3 && s.states.back() == ConnectivityState::kRecovered;
  }));
  session.close(&Seen::on_status, &seen);
  session.stop();
  EXPECT_EQ(seen.states, (std::vector<ConnectivityState>{
                             ConnectivityState::kConnected, ConnectivityState::kStale,
                             ConnectivityState::kRecovered, ConnectivityState::kDisconnected}))
      << "a stall is not an outage";
  EXPECT_EQ(session.stats().stale_events, 1u);
}

TEST(FeedSession, shouldReconnectAndResubscribeAfterTheServerDropsIt) {
  auto server = start_sim(10);
  FeedSession session(session_config(*server));
  ASSERT_TRUE(session.start());
  Seen seen;
  ASSERT_TRUE(poll_until(session, seen, [](const Seen& s) { return s.frames >= 5; }));
  sim::Fault drop;
  drop.kind = sim::Fault::Kind::kDrop;
  server->inject(drop);
  std::size_t at_reconnect = 0;
  ASSERT_TRUE(poll_until(session, seen, [&](const Seen& s) {
    if (s.states.size() == 3 && at_reconnect == 0) at_reconnect = s.frames;
    return s.states.size() >= 3 && s.frames > at_reconnect + 5;
  }));
  session.close(&Seen::on_status, &seen);
  session.stop();
  EXPECT_EQ(seen.states, (std::vector<ConnectivityState>{
                             ConnectivityState::kConnected, ConnectivityState::kDisconnected,
                             ConnectivityState::kConnected, ConnectivityState::kDisconnected}));
  EXPECT_EQ(seen.replies, 2u) << "subscribed on each connection";
  EXPECT_EQ(session.stats().connects, 2u);
}

TEST(FeedSession, shouldCountAttemptsThatNeverOpenAndRefuseWss) {
  FeedSessionConfig c;
  c.client.url = "wss://127.0.0.1:1/stream";
  FeedSession tls(c);
  std::string error;
  EXPECT_FALSE(tls.start(&error));
  EXPECT_EQ(error, "url: wss:// is not supported on the io_uring path yet");

  // Nothing listens (a port bound and closed again): attempts fail on the backoff schedule,
  // and report nothing.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  c.client.url = "ws://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/stream";
  c.client.connect_timeout = 1'000 * kMs;
  c.backoff.initial = 20 * kMs;
  c.backoff.cap = 200 * kMs;
  FeedSession refused(c);
  ASSERT_TRUE(refused.start());
  Seen seen;
  const Nanos deadline = monotonic_now() + 10'000 * kMs;
  while (refused.stats().connect_failures < 2 && monotonic_now() < deadline)
    refused.poll(&Seen::on_frame, &Seen::on_status, &seen);
  refused.stop();
  EXPECT_GE(refused.stats().connect_failures, 2u);
  EXPECT_TRUE(seen.states.empty());
}

}  // namespace
}  // namespace be::net::uring
