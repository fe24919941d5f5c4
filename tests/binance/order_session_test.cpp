// The gateway's order session (gateway.hpp "The hot thread's write") against the mock
// exchange mounted on the simulator's server over TLS with a throwaway CA, as `botengine sim`
// serves it: orders and cancels written from the caller's thread reach the venue and are
// answered; a try-lock that fails or a write that would block sends each order exactly once
// (by client id) through the queued path or the I/O thread; a dropped session comes back; and
// the write allocates nothing once warm. Waits are on conditions with bounded timeouts.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>

#include "core/clock.hpp"
#include "net/server/tls_identity.hpp"
#include "net/ws_direct.hpp"
#include "oms/venues/binance/gateway.hpp"
#include "sim/binance/sim_venue.hpp"
#include "sim/sim_server.hpp"
#include "tests/binance/e2e_support.hpp"
#include "tests/binance/ed25519_test_key.hpp"
#include "tests/support/alloc_counter.hpp"

namespace be::binance {
namespace {

using namespace e2e;  // NOLINT: the shared fixtures of these tests
using namespace std::chrono_literals;
using Fault = net::DirectWsSession::Fault;
using oms::OrderEvent;

// The simulator without a market: the venue's prices move only when a test says.
class NoMarket final : public sim::MarketSource {
 public:
  bool next(sim::MarketMessage&) override { return false; }
  bool serves(std::string_view) const override { return false; }
  std::vector<std::string> streams() const override { return {}; }
};

// A bounded spin on a condition (a stats counter has nothing to wait on).
template <class Pred>
bool spin_until(Pred pred) {
  const Nanos deadline = monotonic_now() + 10'000'000'000;
  while (!pred() && monotonic_now() < deadline)
    std::this_thread::yield();
  return pred();
}

class OrderSessionE2E : public ::testing::Test {
 protected:
  // The venue (over TLS on the simulator's server with a throwaway CA, or plain ws:// on
  // the mock's own) and a gateway with an Ed25519 key (both sessions log on), up with its
  // order session open.
  void start(bool tls = true) {
    const auto pair = be::test::make_ed25519_pair();
    mock::MockConfig mc = mock_config();
    mc.ed25519_public_pem = pair.public_pem;
    GatewayConfig g;
    if (tls) {
      auto identity = net::server::make_self_signed_identity();
      ASSERT_TRUE(identity.has_value()) << identity.error();
      venue_ = std::make_unique<mock::MockVenue>(mc, wall_);
      sim::SimConfig sc;
      sc.port = 0;
      sc.tls = *identity;
      sc.venue = venue_.get();
      server_ = std::make_unique<sim::SimServer>(sc, std::make_unique<NoMarket>());
      auto port = server_->start();
      ASSERT_TRUE(port.has_value()) << port.error();
      const std::string origin = "127.0.0.1:" + std::to_string(*port);
      g = gateway_config("https://" + origin, "wss://" + origin + "/ws-api/v3");
      g.tls.ca_pem = identity->certificate_pem;
      exchange_ = &venue_->exchange();
    } else {
      plain_ = std::make_unique<mock::MockExchange>(mc, wall_);
      ASSERT_TRUE(plain_->start().has_value());
      g = gateway_config(*plain_);
      exchange_ = plain_.get();
    }
    gateway_ = std::make_unique<BinanceSpotGateway>(
        std::move(g), ApiCredentials{SecretString("e2e-api-key"), SecretString(pair.private_pem)},
        recorder_, wall_);
    auto started = gateway_->start();
    ASSERT_TRUE(started.has_value()) << started.error();
    ASSERT_TRUE(recorder_.wait([&] { return recorder_.connected_locked() >= 1; }));
    ASSERT_TRUE(spin_until([&] { return gateway_->stats().order_session_open; }));
  }
  void TearDown() override {
    if (gateway_) gateway_->stop();
    if (venue_) venue_->stop();
    if (server_) server_->stop();
    if (plain_) plain_->stop();
  }
  mock::MockExchange& exchange() { return *exchange_; }

  // `count` resting buys from sequence `first` on, each acknowledged.
  void place_resting(SequenceNumber first, int count) {
    for (int i = 0; i < count; ++i)
      gateway_->submit(
          limit(first + static_cast<SequenceNumber>(i), Side::kBuy, px(30'000), qty_micro(1'000)),
          1);
    for (int i = 0; i < count; ++i)
      ASSERT_TRUE(
          recorder_.wait_event(first + static_cast<SequenceNumber>(i), OrderEvent::kAccepted))
          << "order " << i;
  }
  // The order session's reader has taken the answer to every order written on it: it held
  // its lock while reading them and has let go (the stream's NEW may acknowledge an order
  // before that).
  void wait_answered() {
    ASSERT_TRUE(spin_until([&] {
      const GatewayStats s = gateway_->stats();
      return s.order_session_answers >= s.hot_writes;
    }));
  }
  // Each order reached the venue in exactly one order.place and was created once.
  void expect_each_sent_once(SequenceNumber first, int count) {
    const auto log = exchange().request_log();
    for (int i = 0; i < count; ++i) {
      const std::string id = client_id(first + static_cast<SequenceNumber>(i));
      int frames = 0;
      for (const auto& e : log)
        if (e.path == "order.place" && e.received.find(id) != std::string::npos) ++frames;
      EXPECT_EQ(frames, 1) << id;
      EXPECT_EQ(exchange().orders_created(id), 1) << id;
      EXPECT_EQ(recorder_.count(first + static_cast<SequenceNumber>(i), OrderEvent::kAccepted), 1)
          << id;
    }
  }

  WallClock wall_;
  Recorder recorder_;
  std::unique_ptr<mock::MockVenue> venue_;
  std::unique_ptr<sim::SimServer> server_;
  std::unique_ptr<mock::MockExchange> plain_;
  mock::MockExchange* exchange_ = nullptr;
  std::unique_ptr<BinanceSpotGateway> gateway_;
};

TEST_F(OrderSessionE2E, shouldWriteOrdersAndCancelsFromTheCallersThreadOverTls) {
  ASSERT_NO_FATAL_FAILURE(start());
  EXPECT_TRUE(exchange().wait_for_requests("WS", "session.logon", 200, 2, kWait))
      << "the order session logs on too";
  const SequenceNumber resting = 500 << 10, taker = 501 << 10;
  gateway_->submit(limit(resting, Side::kBuy, px(30'000), qty_micro(1'000)), 1);
  ASSERT_TRUE(recorder_.wait_event(resting, OrderEvent::kAccepted));
  ASSERT_NO_FATAL_FAILURE(wait_answered());
  gateway_->cancel(cancel_of(resting), 2);
  ASSERT_TRUE(recorder_.wait_event(resting, OrderEvent::kCanceled));
  ASSERT_NO_FATAL_FAILURE(wait_answered());
  gateway_->submit(market(taker, Side::kBuy, qty_micro(1'000)), 3);
  ASSERT_TRUE(recorder_.wait_event(taker, OrderEvent::kFill));

  const GatewayStats stats = gateway_->stats();
  EXPECT_EQ(stats.hot_writes, 3u);
  EXPECT_EQ(stats.hot_fallbacks, 0u);
  EXPECT_EQ(stats.orders_sent, 0u) << "nothing went over REST";
  // User data and the order session (more if an opening timed out under load and was retried).
  EXPECT_GE(exchange().user_stream_connections(), 2) << "user data and the order session";
  EXPECT_EQ(exchange().orders_created(client_id(resting)), 1);
  EXPECT_EQ(exchange().orders_created(client_id(taker)), 1);
  EXPECT_EQ(recorder_.count(resting, OrderEvent::kCanceled), 1);
  for (const auto& e : exchange().request_log()) {
    if (e.path != "order.place" && e.path != "order.cancel") continue;
    EXPECT_EQ(e.received.find("signature"), std::string::npos) << "logged on: nothing signed";
  }
}

TEST_F(OrderSessionE2E, shouldSendEachOrderOnceWhenTheTryLockFails) {
  ASSERT_NO_FATAL_FAILURE(start());
  constexpr int kBusy = 4;
  gateway_->inject_order_session_fault(Fault::kBusy, kBusy);
  const SequenceNumber first = 510 << 10;
  ASSERT_NO_FATAL_FAILURE(place_resting(first, kBusy));
  for (int i = kBusy; i < kBusy + 2; ++i) {  // one at a time: the reader is not in the way
    ASSERT_NO_FATAL_FAILURE(wait_answered());
    ASSERT_NO_FATAL_FAILURE(place_resting(first + static_cast<SequenceNumber>(i), 1));
  }
  const GatewayStats stats = gateway_->stats();
  EXPECT_EQ(stats.hot_fallbacks, static_cast<std::uint64_t>(kBusy)) << "the queued write";
  EXPECT_EQ(stats.hot_writes, 2u) << "then the caller's thread again";
  expect_each_sent_once(first, kBusy + 2);
}

TEST_F(OrderSessionE2E, shouldSendEachOrderOnceWhenTheWriteWouldBlock) {
  ASSERT_NO_FATAL_FAILURE(start());
  constexpr int kBlocked = 3;
  gateway_->inject_order_session_fault(Fault::kWouldBlock, kBlocked);
  const SequenceNumber first = 520 << 10;
  // One at a time: a committed frame keeps the session busy until the I/O thread wrote it.
  for (int i = 0; i < kBlocked + 1; ++i) {
    ASSERT_NO_FATAL_FAILURE(place_resting(first + static_cast<SequenceNumber>(i), 1));
    ASSERT_NO_FATAL_FAILURE(wait_answered());
  }
  const GatewayStats stats = gateway_->stats();
  EXPECT_EQ(stats.hot_committed, static_cast<std::uint64_t>(kBlocked));
  EXPECT_EQ(stats.hot_writes, static_cast<std::uint64_t>(kBlocked + 1));
  expect_each_sent_once(first, kBlocked + 1);
}

TEST_F(OrderSessionE2E, shouldOpenTheOrderSessionAgainAfterADrop) {
  ASSERT_NO_FATAL_FAILURE(start());
  exchange().drop_user_streams();
  ASSERT_TRUE(recorder_.wait([&] { return recorder_.connected_locked() >= 2; }));
  ASSERT_TRUE(spin_until([&] {
    const GatewayStats g = gateway_->stats();
    return g.order_session_connects >= 2 && g.order_session_open;
  }));
  const std::uint64_t before = gateway_->stats().hot_writes;
  const SequenceNumber seq = 530 << 10;
  ASSERT_NO_FATAL_FAILURE(place_resting(seq, 1));
  EXPECT_EQ(gateway_->stats().hot_writes, before + 1);
  expect_each_sent_once(seq, 1);
}

TEST_F(OrderSessionE2E, shouldSettleAnOrderOfADroppedOrderSessionOverRest) {
  ASSERT_NO_FATAL_FAILURE(start());
  // The venue takes the order and the order session dies before the answer.
  exchange().fail_next(1, mock::FaultMode::kTimeoutAfterProcessing, "WS order.place");
  const SequenceNumber seq = 550 << 10;
  gateway_->submit(limit(seq, Side::kBuy, px(30'000), qty_micro(1'000)), 1);
  EXPECT_EQ(gateway_->stats().hot_writes, 1u);
  // Asked about over REST by its client id, never sent again; the user-data session stays up.
  ASSERT_TRUE(recorder_.wait([&] {
    return recorder_.count_locked(seq, OrderEvent::kReconciledNew) +
               recorder_.count_locked(seq, OrderEvent::kAccepted) >=
           1;
  }));
  EXPECT_TRUE(exchange().wait_for_requests("GET", "/api/v3/order", 200, 1, kWait));
  EXPECT_GE(gateway_->stats().ws_api_unanswered, 1u);
  int frames = 0;
  for (const auto& e : exchange().request_log())
    if (e.path == "order.place" && e.received.find(client_id(seq)) != std::string::npos) ++frames;
  EXPECT_EQ(frames, 1);
  EXPECT_EQ(exchange().orders_created(client_id(seq)), 1);
  // The order session comes back and carries the next order.
  ASSERT_TRUE(spin_until([&] {
    const GatewayStats g = gateway_->stats();
    return g.order_session_connects >= 2 && g.order_session_open;
  }));
  ASSERT_NO_FATAL_FAILURE(place_resting(seq + 1, 1));
  EXPECT_EQ(gateway_->stats().hot_writes, 2u);
  const auto states = recorder_.states();
  EXPECT_EQ(std::count(states.begin(), states.end(), ConnectivityState::kDisconnected), 0)
      << "the user-data session stayed up";
}

// OpenSSL 3.0's record writer (do_ssl3_write) mallocs two 40-byte WPACKET blocks for every
// record it seals, inside SSL_write; nothing else on the path may allocate. Over ws:// (the
// same path, send(2) instead of SSL_write) the count is zero.
constexpr std::uint64_t kSslWriteAllocations = 2;

class OrderSessionAllocations : public OrderSessionE2E,
                                public ::testing::WithParamInterface<bool> {};

TEST_P(OrderSessionAllocations, shouldWriteFromTheCallersThreadWithoutAllocating) {
  if (!test::allocation_counting_available()) {
    GTEST_SKIP() << "allocation counting is off under sanitizers";
  }
  const bool tls = GetParam();
  ASSERT_NO_FATAL_FAILURE(start(tls));
  const SequenceNumber first = 540 << 10;
  ASSERT_NO_FATAL_FAILURE(place_resting(first, 4));  // warm-up
  ASSERT_NO_FATAL_FAILURE(wait_answered());
  // One at a time, each answered before the next: the I/O thread is then not reading, so the
  // try-lock is free and each order takes the hot path. Counted on this thread only (the
  // venue and the I/O thread allocate at moments of their own).
  constexpr int kOrders = 32;
  std::uint64_t allocations = 0;
  const std::uint64_t hot_before = gateway_->stats().hot_writes;
  for (int i = 0; i < kOrders; ++i) {
    const SequenceNumber seq = first + 4 + static_cast<SequenceNumber>(i);
    const std::uint64_t before = test::thread_allocation_count();
    gateway_->submit(limit(seq, Side::kBuy, px(30'000), qty_micro(1'000)), 2);
    allocations += test::thread_allocation_count() - before;
    ASSERT_TRUE(recorder_.wait_event(seq, OrderEvent::kAccepted)) << "order " << i;
    ASSERT_NO_FATAL_FAILURE(wait_answered());
  }
  EXPECT_EQ(allocations, tls ? kSslWriteAllocations * kOrders : 0u);
  EXPECT_EQ(gateway_->stats().hot_writes - hot_before, static_cast<std::uint64_t>(kOrders));
  EXPECT_EQ(gateway_->stats().hot_fallbacks, 0u);
}

INSTANTIATE_TEST_SUITE_P(OverTlsAndPlain, OrderSessionAllocations, ::testing::Bool(),
                         [](const auto& param_info) { return param_info.param ? "wss" : "ws"; });

}  // namespace
}  // namespace be::binance
