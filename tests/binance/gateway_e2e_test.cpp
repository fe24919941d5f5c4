// BinanceSpotGateway against the Binance-compatible mock exchange on loopback: real sockets,
// real threads, the real signing and parsing. Every wait is on a condition with a bounded
// timeout; nothing sleeps to synchronise. REST order entry, streams, limits and retries here; the
// WebSocket API in gateway_ws_api_e2e_test.cpp.
#include "tests/binance/gateway_e2e_fixture.hpp"

namespace be::binance {
namespace {

TEST_F(GatewayE2E, shouldReconcileBalancesAndReportConnectedAtStartUp) {
  start();
  // Start-up reconciliation delivered both assets at the instrument's scales.
  const auto balances = recorder_.balances();
  ASSERT_GE(balances.size(), 2u);
  bool saw_usdt = false, saw_btc = false;
  for (const auto& b : balances) {
    EXPECT_EQ(b.account, kAccount);
    if (b.free == 10'000 * 10'000) saw_usdt = true;  // 10000 USDT at price scale 4
    if (b.free == 1'000'000) saw_btc = true;         // 1 BTC at qty scale 6
  }
  EXPECT_TRUE(saw_usdt);
  EXPECT_TRUE(saw_btc);
  EXPECT_GE(gateway_->stats().time_resyncs, 1u);
}

TEST_F(GatewayE2E, shouldAcknowledgeANewOrderAndDeliverItsFills) {
  start();
  const SequenceNumber seq = 1 << 10;
  gateway_->submit(limit(seq, Side::kBuy, px(49'000), qty_micro(10'000)), 1);  // 0.01 BTC
  ASSERT_TRUE(recorder_.wait_event(seq, OrderEvent::kAccepted));
  const auto ack = recorder_.last(seq, OrderEvent::kAccepted);
  EXPECT_NE(ack->venue_order_id, 0u);
  EXPECT_EQ(ack->bot, kBot);
  EXPECT_EQ(ack->instrument, kBtc);

  // The market trades through part of it, then the rest.
  EXPECT_EQ(mock_->cross("BTCUSDT", 48'990 * kE8, 400'000), 1);  // 0.004 BTC
  ASSERT_TRUE(recorder_.wait_event(seq, OrderEvent::kPartialFill));
  const auto partial = recorder_.last(seq, OrderEvent::kPartialFill);
  EXPECT_EQ(partial->last_price, px(49'000));
  EXPECT_EQ(partial->last_quantity, 4'000);
  EXPECT_EQ(partial->cumulative_quantity, 4'000);
  EXPECT_EQ(mock_->cross("BTCUSDT", 48'990 * kE8), 1);
  ASSERT_TRUE(recorder_.wait_event(seq, OrderEvent::kFill));
  EXPECT_EQ(recorder_.last(seq, OrderEvent::kFill)->cumulative_quantity, 10'000);
  EXPECT_EQ(recorder_.count(seq, OrderEvent::kAccepted), 1);  // REST ack and stream NEW: once
  EXPECT_EQ(mock_->orders_created(client_id(seq)), 1);
  EXPECT_EQ(mock_->balance("BTC").free, kE8 + kE8 / 100);
}

TEST_F(GatewayE2E, shouldFillAMarketOrderAtTheVenuePrice) {
  start();
  const SequenceNumber seq = 2 << 10;
  gateway_->submit(market(seq, Side::kSell, qty_micro(1'000)), 1);  // 0.001 BTC
  ASSERT_TRUE(recorder_.wait_event(seq, OrderEvent::kFill));
  const auto fill = recorder_.last(seq, OrderEvent::kFill);
  EXPECT_EQ(fill->last_price, px(50'000));
  EXPECT_EQ(fill->last_quantity, 1'000);
  EXPECT_EQ(fill->liquidity, OrderUpdate::kTaker);
  EXPECT_NE(fill->trade_id, 0u);
  // The venue moved the money: 10000 + 50 USDT.
  EXPECT_EQ(mock_->balance("USDT").free, 10'050 * kE8);
}

TEST_F(GatewayE2E, shouldCancelARestingOrderAndReportItOnce) {
  start();
  const SequenceNumber resting = 3 << 10, later = 4 << 10;
  gateway_->submit(limit(resting, Side::kBuy, px(40'000), qty_micro(1'000)), 1);
  ASSERT_TRUE(recorder_.wait_event(resting, OrderEvent::kAccepted));
  gateway_->cancel(cancel_of(resting), 2);
  ASSERT_TRUE(recorder_.wait_event(resting, OrderEvent::kCanceled));
  // A later fill travels the same stream after the CANCELED report: once it is here, every
  // report about the cancel is too.
  gateway_->submit(market(later, Side::kBuy, qty_micro(1'000)), 3);
  ASSERT_TRUE(recorder_.wait_event(later, OrderEvent::kFill));
  EXPECT_EQ(recorder_.count(resting, OrderEvent::kCanceled), 1);
  EXPECT_EQ(mock_->balance("USDT").locked, 0);
}

TEST_F(GatewayE2E, shouldMapFilterFailuresToReasons) {
  start();
  struct Case {
    OrderNew order;
    VenueReason reason;
  };
  const Case cases[] = {
      // 49000.005 is off the 0.01 tick.
      {limit(10 << 10, Side::kBuy, px(49'000) + 50, qty_micro(1'000)), VenueReason::kPriceFilter},
      // 0.000015 BTC is off the 0.00001 step.
      {limit(11 << 10, Side::kBuy, px(49'000), qty_micro(15)), VenueReason::kLotSize},
      // 0.0001 * 49000 = 4.9 USDT, under the 5 USDT minimum.
      {limit(12 << 10, Side::kBuy, px(49'000), qty_micro(100)), VenueReason::kMinNotional},
      // 1 BTC * 49000 = 49000 USDT, more than the 10000 held.
      {limit(13 << 10, Side::kBuy, px(49'000), qty_micro(1'000'000)),
       VenueReason::kInsufficientBalance},
  };
  for (const Case& c : cases) {
    gateway_->submit(c.order, 1);
    ASSERT_TRUE(recorder_.wait_event(c.order.client_sequence, OrderEvent::kRejected))
        << to_string(c.reason);
    const auto reject = recorder_.last(c.order.client_sequence, OrderEvent::kRejected);
    EXPECT_EQ(reject->reason, static_cast<std::uint16_t>(c.reason))
        << "expected " << to_string(c.reason) << " got "
        << to_string(static_cast<VenueReason>(reject->reason));
    EXPECT_EQ(mock_->orders_created(client_id(c.order.client_sequence)), 0);
  }
}

TEST_F(GatewayE2E, shouldReportUnknownOrdersOnCancelAndQuery) {
  start();
  const SequenceNumber never_sent = 20 << 10;
  gateway_->cancel(cancel_of(never_sent), 1);
  ASSERT_TRUE(recorder_.wait_event(never_sent, OrderEvent::kCancelRejected));
  EXPECT_EQ(recorder_.last(never_sent, OrderEvent::kCancelRejected)->reason,
            static_cast<std::uint16_t>(VenueReason::kUnknownOrder));
  gateway_->query_order(kBot, kBtc, never_sent, 2);
  ASSERT_TRUE(recorder_.wait_event(never_sent, OrderEvent::kReconciledNotFound));
}

TEST_F(GatewayE2E, shouldResyncTheClockWhenTheVenueRefusesTheTimestamp) {
  start();
  const auto resyncs_before = gateway_->stats().time_resyncs;
  // The venue's clock jumps 20 s ahead: every timestamp we send is now outside recvWindow.
  mock_->set_clock_offset_ms(20'000);
  const SequenceNumber seq = 30 << 10;
  gateway_->submit(limit(seq, Side::kBuy, px(45'000), qty_micro(1'000)), 1);
  ASSERT_TRUE(recorder_.wait_event(seq, OrderEvent::kAccepted));
  EXPECT_GT(gateway_->stats().time_resyncs, resyncs_before);
  EXPECT_GE(gateway_->stats().time_offset_ms, 19'000);
  EXPECT_EQ(gateway_->stats().ws_api_orders, 1u);  // refused there (-1021), then REST
  EXPECT_EQ(mock_->orders_received(client_id(seq)), 1);
  EXPECT_EQ(mock_->orders_created(client_id(seq)), 1);
}

TEST_F(GatewayE2E, shouldNeverSendANewOrderTwiceWhenTheAnswerIsLost) {
  start(mock_config(), rest_orders);  // the REST fallback path
  // The venue takes the order, then answers 500: only a query can tell what happened.
  mock_->fail_next(1, mock::FaultMode::kServerErrorAfterProcessing, "POST /api/v3/order");
  const SequenceNumber seq = 40 << 10;
  gateway_->submit(limit(seq, Side::kBuy, px(45'000), qty_micro(1'000)), 1);
  ASSERT_TRUE(recorder_.wait([&] {
    return recorder_.count_locked(seq, OrderEvent::kReconciledNew) +
               recorder_.count_locked(seq, OrderEvent::kAccepted) >=
           1;
  }));
  // The venue took it, then its answer timed out: again a query, never a resend.
  mock_->fail_next(1, mock::FaultMode::kTimeoutAfterProcessing, "POST /api/v3/order", 1500ms);
  const SequenceNumber seq2 = 41 << 10;
  gateway_->submit(limit(seq2, Side::kBuy, px(45'000), qty_micro(1'000)), 2);
  ASSERT_TRUE(recorder_.wait([&] {
    return recorder_.count_locked(seq2, OrderEvent::kReconciledNew) +
               recorder_.count_locked(seq2, OrderEvent::kAccepted) >=
           1;
  }));
  EXPECT_EQ(mock_->orders_received(client_id(seq)), 1);
  EXPECT_EQ(mock_->orders_received(client_id(seq2)), 1);
  EXPECT_EQ(mock_->orders_created(client_id(seq)), 1);
  EXPECT_EQ(mock_->orders_created(client_id(seq2)), 1);
  EXPECT_EQ(recorder_.count(seq, OrderEvent::kRejected), 0);
}

TEST_F(GatewayE2E, shouldNotResendAfterAnAmbiguousFailureWhenTheVenueLacksTheOrder) {
  start(mock_config(), rest_orders);  // the REST fallback path
  // 500 before processing looks the same to us as 500 after: the order is asked about, found
  // missing, and reported as such; it is not sent again by the gateway.
  mock_->fail_next(1, mock::FaultMode::kServerErrorBeforeProcessing, "POST /api/v3/order");
  const SequenceNumber seq = 50 << 10;
  gateway_->submit(limit(seq, Side::kBuy, px(45'000), qty_micro(1'000)), 1);
  ASSERT_TRUE(recorder_.wait_event(seq, OrderEvent::kReconciledNotFound));
  EXPECT_EQ(mock_->orders_received(client_id(seq)), 0);
  EXPECT_EQ(recorder_.last(seq, OrderEvent::kReconciledNotFound)->reason,
            static_cast<std::uint16_t>(VenueReason::kServerError));
}

TEST_F(GatewayE2E, shouldWaitRetryAfterWhenRateLimited) {
  // Each order query weighs 4; at most two fit a 1-second window from now on.
  ASSERT_NO_FATAL_FAILURE(start_with_one_second_window(8));
  constexpr int kQueries = 6;
  ASSERT_NO_FATAL_FAILURE(query_unknown_orders(60, kQueries));
  EXPECT_GE(gateway_->stats().rate_limited, 1u);
  // After every 429, nothing more arrived before its Retry-After had passed.
  EXPECT_GE(expect_quiet_after(429), 1);
}

TEST_F(GatewayE2E, shouldStopSendingWhileBanned) {
  mock::MockConfig mc = mock_config();
  mc.window_ms = 1000;
  mc.ban_after_violations = 1;
  mc.ban_seconds = 1;
  start(mc);
  mock_->set_weight_limit(8);
  ASSERT_NO_FATAL_FAILURE(query_unknown_orders(70, 4));
  EXPECT_GE(gateway_->stats().banned, 1u);
  EXPECT_GE(expect_quiet_after(418), 1) << "request during the ban";
}

TEST_F(GatewayE2E, shouldStopBeforeTheWeightLimitOnItsOwn) {
  mock::MockConfig mc = mock_config();
  mc.window_ms = 1000;
  start(mc, [](GatewayConfig& g) {
    g.weight_limit = 8;
    g.weight_window_ms = 1000;
  });
  mock_->set_weight_limit(8);
  ASSERT_NO_FATAL_FAILURE(query_unknown_orders(80, 4));
  // Four queries of weight 4 under a limit of 8 per second: the gateway waited for the next
  // window on its own at least once.
  EXPECT_GE(gateway_->stats().rate_waits, 1u);
}

TEST_F(GatewayE2E, shouldReconcileAfterTheUserStreamReconnects) {
  // Orders over REST: an order.place answer still in flight when the session drops would be
  // settled by its own query (another kReconciledNew), and the venue sends the order's NEW
  // event before that answer, so the acknowledgement does not prove the answer arrived.
  start(mock_config(), rest_orders);
  const SequenceNumber filled_offline = 90 << 10, still_open = 91 << 10;
  ASSERT_NO_FATAL_FAILURE(accept_two_buys(filled_offline, still_open));
  const std::size_t balances_before = recorder_.balance_count();

  // Keep the session down (handshakes refused) while the order fills, so its report is lost.
  mock_->fail_next(1'000'000, mock::FaultMode::kServerErrorBeforeProcessing, "GET /ws-api/v3");
  mock_->drop_user_streams();
  ASSERT_TRUE(recorder_.wait([&] { return recorder_.disconnected_locked() >= 1; }));
  ASSERT_EQ(mock_->cross("BTCUSDT", 48'000 * kE8), 1);
  EXPECT_EQ(recorder_.count(filled_offline, OrderEvent::kFill), 0);
  mock_->fail_next(0, mock::FaultMode::kServerErrorBeforeProcessing);

  ASSERT_TRUE(recorder_.wait([&] { return recorder_.connected_locked() >= 2; }));
  EXPECT_EQ(recorder_.count(filled_offline, OrderEvent::kReconciledFilled), 1);
  EXPECT_EQ(recorder_.last(filled_offline, OrderEvent::kReconciledFilled)->cumulative_quantity,
            1'000);
  EXPECT_EQ(recorder_.count(still_open, OrderEvent::kReconciledNew), 1);
  EXPECT_GT(recorder_.balance_count(), balances_before);
  const auto states = recorder_.states();
  ASSERT_GE(states.size(), 3u);
  EXPECT_EQ(states[states.size() - 2], ConnectivityState::kDisconnected);
  EXPECT_EQ(states.back(), ConnectivityState::kConnected);
  EXPECT_GE(mock_->user_stream_connections(), 2);
}

TEST_F(GatewayE2E, shouldTakeUserDataFromTheWsApiSubscriptionNotAListenKey) {
  start();
  // One WebSocket API session subscribed by signature (an HMAC key; the order session, the
  // second connection, subscribes to nothing), and no listenKey call: Binance answers those
  // 410 since 2026-02-20, and so does the mock.
  EXPECT_TRUE(mock_->wait_for_requests("WS", "userDataStream.subscribe.signature", 200, 1, kWait));
  const auto order_session_open = [&] {
    const auto deadline = monotonic_now() + 10'000'000'000LL;
    while (gateway_->stats().order_session_connects == 0 && monotonic_now() < deadline)
      std::this_thread::yield();  // a bounded spin on a counter
    return gateway_->stats().order_session_connects >= 1;
  };
  ASSERT_TRUE(order_session_open());
  // The user-data session and the order session (more if an opening timed out under load).
  EXPECT_GE(mock_->user_stream_connections(), 2);
  int subscriptions = 0;
  for (const auto& e : mock_->request_log()) {
    EXPECT_NE(e.path, "/api/v3/userDataStream");
    if (e.path.starts_with("userDataStream.subscribe")) ++subscriptions;
  }
  EXPECT_EQ(subscriptions, 1);
}

TEST_F(GatewayE2E, shouldCountMalformedStreamMessagesAndKeepWorking) {
  start();
  mock_->push_raw("{not json");
  mock_->push_raw(R"({"e":"executionReport","s":"BTCUSDT","l":"abc"})");
  const SequenceNumber seq = 100 << 10;
  gateway_->submit(market(seq, Side::kBuy, qty_micro(1'000)), 1);
  ASSERT_TRUE(recorder_.wait_event(seq, OrderEvent::kFill));
  EXPECT_EQ(gateway_->stats().malformed, 2u);
}

TEST_F(GatewayE2E, shouldRejectAtOnceWhenItsQueueIsFull) {
  start(mock_config(), [](GatewayConfig& g) {
    g.queue_capacity = 2;
    rest_orders(g);  // the REST worker's queue
  });
  mock_->delay_responses(300ms);  // the worker is busy with the first order meanwhile
  constexpr int kOrders = 12;
  for (int i = 0; i < kOrders; ++i) {
    gateway_->submit(limit(static_cast<SequenceNumber>((110 + i) << 10), Side::kBuy, px(30'000),
                           qty_micro(1'000)),
                     1);
  }
  const auto stats = gateway_->stats();
  EXPECT_GE(stats.queue_full, 1u);
  int queue_full = 0;
  for (int i = 0; i < kOrders; ++i) {
    const auto seq = static_cast<SequenceNumber>((110 + i) << 10);
    if (auto r = recorder_.last(seq, OrderEvent::kRejected);
        r && r->reason == static_cast<std::uint16_t>(VenueReason::kQueueFull)) {
      ++queue_full;
    }
  }
  EXPECT_EQ(queue_full, static_cast<int>(stats.queue_full));
  mock_->delay_responses(0ms);
}

TEST_F(GatewayE2E, shouldRejectWithBadSignatureWhenTheSecretIsWrong) {
  start(mock_config(), {}, credentials("not-the-secret"), false);
  const SequenceNumber seq = 130 << 10;
  gateway_->submit(limit(seq, Side::kBuy, px(45'000), qty_micro(1'000)), 1);
  ASSERT_TRUE(recorder_.wait_event(seq, OrderEvent::kRejected));
  EXPECT_EQ(recorder_.last(seq, OrderEvent::kRejected)->reason,
            static_cast<std::uint16_t>(VenueReason::kBadSignature));
  EXPECT_EQ(mock_->orders_received(client_id(seq)), 0);
}

}  // namespace
}  // namespace be::binance
