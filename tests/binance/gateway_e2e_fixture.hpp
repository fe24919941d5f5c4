// The fixture of the gateway's end-to-end tests (gateway_e2e_test.cpp: REST, streams, limits;
// gateway_ws_api_e2e_test.cpp: the WebSocket API, order sessions, keys): BinanceSpotGateway
// against the Binance-compatible mock exchange on loopback, real sockets and threads.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "net/http_client.hpp"
#include "net/url.hpp"
#include "oms/order.hpp"
#include "oms/order_state_machine.hpp"
#include "oms/venues/binance/errors.hpp"
#include "oms/venues/binance/gateway.hpp"
#include "oms/venues/binance/signing.hpp"
#include "sim/binance/mock_exchange.hpp"
#include "sim/binance/venue_faults.hpp"
#include "tests/binance/e2e_support.hpp"
#include "tests/binance/ed25519_test_key.hpp"
#include "tests/binance/freezable_proxy.hpp"
#include "tests/support/alloc_counter.hpp"
#include "tests/support/payload_fields.hpp"

namespace be::binance {

using namespace e2e;  // NOLINT: the shared fixtures of these tests
using namespace std::chrono_literals;
using oms::OrderEvent;

class GatewayE2E : public ::testing::Test {
 protected:
  // Queries `count` orders the venue never saw (client sequences (first + i) << 10), all at
  // once, then waits until each is reported not found.
  void query_unknown_orders(int first, int count) {
    for (int i = 0; i < count; ++i)
      gateway_->query_order(kBot, kBtc, static_cast<SequenceNumber>((first + i) << 10), 1);
    for (int i = 0; i < count; ++i) {
      ASSERT_TRUE(recorder_.wait_event(static_cast<SequenceNumber>((first + i) << 10),
                                       OrderEvent::kReconciledNotFound))
          << "query " << i;
    }
  }

  // Two resting buys of 0.001 BTC, acknowledged: `near` at 49000 (a cross at 48000 fills it),
  // `far` at 30000 (it stays open).
  void accept_two_buys(SequenceNumber near, SequenceNumber far) {
    gateway_->submit(limit(near, Side::kBuy, px(49'000), qty_micro(1'000)), 1);
    gateway_->submit(limit(far, Side::kBuy, px(30'000), qty_micro(1'000)), 2);
    ASSERT_TRUE(recorder_.wait_event(near, OrderEvent::kAccepted));
    ASSERT_TRUE(recorder_.wait_event(far, OrderEvent::kAccepted));
  }

  // A venue counting weight per second, limited to `weight_limit` once the gateway is up.
  void start_with_one_second_window(std::int64_t weight_limit) {
    mock::MockConfig mc = mock_config();
    mc.window_ms = 1000;
    ASSERT_NO_FATAL_FAILURE(start(mc));
    mock_->set_weight_limit(weight_limit);
  }

  // Checks that after every answer with `status`, no request reached the venue before its
  // Retry-After (REST) or retryAfter (WS API) had passed; returns how many such answers.
  int expect_quiet_after(int status) {
    const auto log = mock_->request_log();
    int answers = 0;
    for (std::size_t i = 0; i < log.size(); ++i) {
      if (log[i].status != status) continue;
      ++answers;
      const Nanos until = log[i].monotonic + log[i].retry_after_s * 1'000'000'000LL;
      for (std::size_t j = i + 1; j < log.size(); ++j) {
        EXPECT_GE(log[j].monotonic, until - 5'000'000)
            << log[j].method << " " << log[j].path << " came "
            << (until - log[j].monotonic) / 1'000'000 << " ms before the limit lifted";
      }
    }
    return answers;
  }

  // Neither the secret nor any line of it reached the venue in any request.
  void expect_secret_never_sent(std::string_view secret) {
    const auto log = mock_->request_log();
    ASSERT_FALSE(log.empty());
    for (const auto& e : log) {
      EXPECT_EQ(e.received.find(secret), std::string::npos) << e.method << " " << e.path;
      std::size_t start = 0;
      while (start < secret.size()) {
        const std::size_t end = std::min(secret.find('\n', start), secret.size());
        const std::string_view line = secret.substr(start, end - start);
        if (line.size() >= 16 && !line.starts_with("-----")) {
          EXPECT_EQ(e.received.find(line), std::string::npos) << e.method << " " << e.path;
        }
        start = end + 1;
      }
    }
  }

  // A signed REST request straight to the venue, as another program on the same key would
  // send it (the gateway knows nothing of it).
  net::HttpResponse signed_rest(std::string_view method, std::string_view path, QueryBuilder q) {
    return e2e::signed_rest(*mock_, wall_, method, path, std::move(q));
  }

  void start(mock::MockConfig mc = mock_config(),
             const std::function<void(GatewayConfig&)>& tweak = {},
             ApiCredentials creds = credentials(), bool wait_connected = true) {
    mock_ = std::make_unique<mock::MockExchange>(std::move(mc), wall_);
    auto port = mock_->start();
    ASSERT_TRUE(port.has_value()) << port.error();
    GatewayConfig g = gateway_config(*mock_);
    if (tweak) tweak(g);
    gateway_ =
        std::make_unique<BinanceSpotGateway>(std::move(g), std::move(creds), recorder_, wall_);
    auto started = gateway_->start();
    ASSERT_TRUE(started.has_value()) << started.error();
    if (wait_connected) {
      ASSERT_TRUE(recorder_.wait([&] { return recorder_.connected_locked() >= 1; }))
          << "gateway never reported kConnected";
    }
  }
  void TearDown() override {
    if (gateway_) gateway_->stop();
    if (mock_) mock_->stop();
  }

  WallClock wall_;
  Recorder recorder_;
  std::unique_ptr<mock::MockExchange> mock_;
  std::unique_ptr<BinanceSpotGateway> gateway_;
};

}  // namespace be::binance
