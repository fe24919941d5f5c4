// BinanceSpotGateway against the Binance-compatible mock exchange on loopback: real sockets,
// real threads, the real signing and parsing. Every wait is on a condition with a bounded
// timeout; nothing sleeps to synchronise. The WebSocket API (order entry, user data, sessions,
// keys) and the hot path here; REST in gateway_e2e_test.cpp.
#include "tests/binance/gateway_e2e_fixture.hpp"

namespace be::binance {
namespace {

// ---- the WebSocket API: order entry and user data ------------------------------------------

TEST_F(GatewayE2E, shouldPlaceCancelAndFillOverTheWsApi) {
  start();
  const SequenceNumber filled = 300 << 10, canceled = 301 << 10;
  ASSERT_NO_FATAL_FAILURE(accept_two_buys(filled, canceled));
  EXPECT_NE(recorder_.last(filled, OrderEvent::kAccepted)->venue_order_id, 0u);
  gateway_->cancel(cancel_of(canceled), 3);
  ASSERT_TRUE(recorder_.wait_event(canceled, OrderEvent::kCanceled));
  // The fill reaches us through the subscription.
  ASSERT_EQ(mock_->cross("BTCUSDT", 48'000 * kE8), 1);
  ASSERT_TRUE(recorder_.wait_event(filled, OrderEvent::kFill));
  EXPECT_EQ(recorder_.last(filled, OrderEvent::kFill)->cumulative_quantity, 1'000);
  EXPECT_EQ(recorder_.count(canceled, OrderEvent::kCanceled), 1);
  EXPECT_EQ(recorder_.count(filled, OrderEvent::kAccepted), 1);
  const auto stats = gateway_->stats();
  EXPECT_EQ(stats.ws_api_orders, 2u);
  EXPECT_EQ(stats.ws_api_cancels, 1u);
  EXPECT_EQ(stats.orders_sent, 0u);  // nothing over REST
  EXPECT_TRUE(mock_->wait_for_requests("WS", "order.place", 200, 2, kWait));
  EXPECT_TRUE(mock_->wait_for_requests("WS", "order.cancel", 200, 1, kWait));
  // REST sees what the WS API placed: one ledger, one order book.
  EXPECT_EQ(mock_->orders_created(client_id(filled)), 1);
  EXPECT_EQ(mock_->balance("BTC").free, kE8 + kE8 / 1000);
}

TEST_F(GatewayE2E, shouldDeliverAFillThatArrivesBeforeTheAck) {
  start();
  // A market order fills inside order.place: the venue pushes NEW and TRADE on the
  // subscription before the request's answer on the same connection.
  const SequenceNumber seq = 310 << 10;
  gateway_->submit(market(seq, Side::kBuy, qty_micro(1'000)), 1);
  ASSERT_TRUE(recorder_.wait_event(seq, OrderEvent::kFill));
  ASSERT_TRUE(mock_->wait_for_requests("WS", "order.place", 200, 1, kWait));
  // The answer arrives after the fill; once a later order's fill is here, it has been read.
  const SequenceNumber later = 311 << 10;
  gateway_->submit(market(later, Side::kBuy, qty_micro(1'000)), 2);
  ASSERT_TRUE(recorder_.wait_event(later, OrderEvent::kFill));
  const auto updates = recorder_.updates_for(seq);
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().update.event, static_cast<std::uint8_t>(OrderEvent::kFill))
      << "nothing may follow the fill: the late answer is not a second acknowledgement";
  EXPECT_EQ(recorder_.count(seq, OrderEvent::kAccepted), 1);
  EXPECT_EQ(recorder_.count(seq, OrderEvent::kFill), 1);
}

TEST_F(GatewayE2E, shouldReportTheVenueExpiringAnOrderOnItsOwn) {
  start();
  // IOC below the market: the venue ends it itself (EXPIRED), we never asked.
  const SequenceNumber seq = 320 << 10;
  OrderNew o = limit(seq, Side::kBuy, px(40'000), qty_micro(1'000));
  o.time_in_force = static_cast<std::uint8_t>(TimeInForce::kIoc);
  gateway_->submit(o, 1);
  ASSERT_TRUE(recorder_.wait_event(seq, OrderEvent::kExpired));
  EXPECT_EQ(recorder_.count(seq, OrderEvent::kExpired), 1);
  EXPECT_EQ(mock_->balance("USDT").locked, 0);
}

TEST_F(GatewayE2E, shouldReportTheVenueCancellingAnOrderOnItsOwn) {
  start();
  const SequenceNumber seq = 321 << 10;
  gateway_->submit(limit(seq, Side::kBuy, px(30'000), qty_micro(1'000)), 1);
  ASSERT_TRUE(recorder_.wait_event(seq, OrderEvent::kAccepted));
  // Cancelled at the venue, not by us (the venue itself, or a person on the same key).
  QueryBuilder q;
  q.add("symbol", "BTCUSDT").add("origClientOrderId", client_id(seq));
  ASSERT_EQ(signed_rest("DELETE", "/api/v3/order", q).status, 200);
  ASSERT_TRUE(recorder_.wait_event(seq, OrderEvent::kCanceled));
  EXPECT_EQ(recorder_.count(seq, OrderEvent::kCanceled), 1);
  EXPECT_EQ(recorder_.count(seq, OrderEvent::kCancelRejected), 0);
  EXPECT_EQ(mock_->balance("USDT").locked, 0);
}

TEST_F(GatewayE2E, shouldReportAForeignOpenOrderAndLeaveIt) {
  start();
  // An order on the same key that is not ours (no "be<bot>x<seq>" client id).
  QueryBuilder q;
  q.add("symbol", "BTCUSDT").add("side", "SELL").add("type", "LIMIT").add("timeInForce", "GTC");
  q.add("quantity", "0.002").add("price", "61000").add("newClientOrderId", "by-hand-1");
  ASSERT_EQ(signed_rest("POST", "/api/v3/order", q).status, 200);
  const auto foreign = [&] {
    int n = 0;
    for (const auto& r : recorder_.updates_for(0)) {
      if (!oms::is_foreign_order(r.update)) continue;
      ++n;
      EXPECT_EQ(r.update.event, static_cast<std::uint8_t>(OrderEvent::kReconciledNew));
      EXPECT_EQ(r.update.account, kAccount);
      EXPECT_EQ(r.update.instrument, kBtc);
      EXPECT_EQ(r.update.side, Side::kSell);
      EXPECT_EQ(r.update.last_price, px(61'000));
      EXPECT_EQ(r.update.last_quantity, qty_micro(2'000));
      EXPECT_EQ(r.update.cumulative_quantity, 0);
      EXPECT_NE(r.update.venue_order_id, 0u);
    }
    return n;
  };
  // Found by the reconciliation after a reconnect, and by query_open_orders.
  mock_->drop_user_streams();
  ASSERT_TRUE(recorder_.wait([&] { return recorder_.connected_locked() >= 2; }));
  EXPECT_EQ(foreign(), 1);
  gateway_->query_open_orders(kAccount, 1);
  ASSERT_TRUE(mock_->wait_for_requests("GET", "/api/v3/openOrders", 200, 3, kWait));
  ASSERT_TRUE(recorder_.wait([&] {
    return std::count_if(recorder_.updates_locked().begin(), recorder_.updates_locked().end(),
                         [](const Recorded& r) { return oms::is_foreign_order(r.update); }) >= 2;
  }));
  EXPECT_EQ(foreign(), 2);
  EXPECT_EQ(gateway_->stats().foreign_orders, 2u);
  // Left as it was: still open at the venue, never cancelled.
  QueryBuilder open;
  open.add("symbol", "BTCUSDT");
  EXPECT_NE(signed_rest("GET", "/api/v3/openOrders", open).body.find("by-hand-1"),
            std::string::npos);
  for (const auto& e : mock_->request_log())
    EXPECT_FALSE(e.method == "DELETE" || e.path == "order.cancel") << e.method << " " << e.path;
}

TEST_F(GatewayE2E, shouldReconnectAndReconcileWhenTheSessionGoesSilent) {
  mock_ = std::make_unique<mock::MockExchange>(mock_config(), wall_);
  ASSERT_TRUE(mock_->start().has_value());
  FreezableProxy proxy(net::parse_http_url(mock_->rest_url()).value().port);
  ASSERT_NE(proxy.port(), 0);
  GatewayConfig g = gateway_config(*mock_);
  g.ws_api_url = "ws://127.0.0.1:" + std::to_string(proxy.port()) + "/ws-api/v3";
  g.idle_timeout = 300ms;
  gateway_ = std::make_unique<BinanceSpotGateway>(std::move(g), credentials(), recorder_, wall_);
  ASSERT_TRUE(gateway_->start().has_value());
  ASSERT_TRUE(recorder_.wait([&] { return recorder_.connected_locked() >= 1; }));
  const SequenceNumber seq = 322 << 10;
  gateway_->submit(limit(seq, Side::kBuy, px(49'000), qty_micro(1'000)), 1);
  ASSERT_TRUE(recorder_.wait_event(seq, OrderEvent::kAccepted));
  ASSERT_TRUE(mock_->wait_for_requests("WS", "order.place", 200, 1, kWait));

  // The session goes silent: no event, no answer, no pong. The order fills meanwhile, its
  // report stuck in the frozen connection.
  proxy.freeze();
  ASSERT_EQ(mock_->cross("BTCUSDT", 48'000 * kE8), 1);
  ASSERT_TRUE(recorder_.wait([&] { return recorder_.disconnected_locked() >= 1; }))
      << "a silent session was never dropped";
  ASSERT_TRUE(recorder_.wait([&] { return recorder_.connected_locked() >= 2; }))
      << "never reconnected and reconciled";
  EXPECT_GE(proxy.accepted(), 2);
  EXPECT_EQ(recorder_.count(seq, OrderEvent::kReconciledFilled), 1);
  EXPECT_EQ(recorder_.count(seq, OrderEvent::kFill), 0);
  const auto states = recorder_.states();
  EXPECT_EQ(states.back(), ConnectivityState::kConnected);
}

TEST_F(GatewayE2E, shouldReconnectWhenTheVenueStopsAnsweringThoughPingsAreAnswered) {
  start();  // request_timeout 1 s
  ASSERT_TRUE(recorder_.wait([&] { return recorder_.connected_locked() >= 1; }));
  // The venue's stale link: no answer and no event leaves for 1.5 s, pongs still do.
  mock::VenueFault stale;
  stale.kind = mock::VenueFault::Kind::kStale;
  stale.ms = 1'500;
  mock_->inject(stale);
  const SequenceNumber seq = 323 << 10;
  gateway_->submit(limit(seq, Side::kBuy, px(30'000), qty_micro(1'000)), 1);
  // No answer within request_timeout: the session is dropped, the order asked about over REST
  // (never resent), and once the link answers again the session is back and reconciled.
  ASSERT_TRUE(recorder_.wait([&] { return recorder_.disconnected_locked() >= 1; }))
      << "a session that stopped answering was never dropped";
  ASSERT_TRUE(recorder_.wait_event(seq, OrderEvent::kReconciledNew));
  ASSERT_TRUE(recorder_.wait([&] { return recorder_.connected_locked() >= 2; }))
      << "never reconnected and reconciled";
  EXPECT_EQ(mock_->orders_created(client_id(seq)), 1);
  EXPECT_GE(gateway_->stats().ws_api_unanswered, 1u);
  EXPECT_EQ(recorder_.states().back(), ConnectivityState::kConnected);
}

TEST_F(GatewayE2E, shouldSettleAnUnansweredWsOrderOverRestAndResubscribe) {
  // The user-data session carries the order (the order session's own drop:
  // OrderSessionE2E.shouldSettleAnOrderOfADroppedOrderSessionOverRest).
  start(mock_config(), [](GatewayConfig& g) { g.hot_order_session = false; });
  // The venue takes the order and the session dies before the answer.
  mock_->fail_next(1, mock::FaultMode::kTimeoutAfterProcessing, "WS order.place");
  const SequenceNumber seq = 330 << 10;
  gateway_->submit(limit(seq, Side::kBuy, px(45'000), qty_micro(1'000)), 1);
  ASSERT_TRUE(recorder_.wait([&] { return recorder_.disconnected_locked() >= 1; }));
  ASSERT_TRUE(recorder_.wait([&] {
    return recorder_.count_locked(seq, OrderEvent::kReconciledNew) +
               recorder_.count_locked(seq, OrderEvent::kAccepted) >=
           1;
  }));
  // Asked about over REST, never sent again.
  EXPECT_TRUE(mock_->wait_for_requests("GET", "/api/v3/order", 200, 1, kWait));
  EXPECT_EQ(mock_->orders_received(client_id(seq)), 1);
  EXPECT_GE(gateway_->stats().ws_api_unanswered, 1u);
  // A new session, subscribed again, then reconciled: kConnected once more.
  ASSERT_TRUE(recorder_.wait([&] { return recorder_.connected_locked() >= 2; }));
  EXPECT_GE(mock_->user_stream_connections(), 2);
  EXPECT_TRUE(mock_->wait_for_requests("WS", "userDataStream.subscribe.signature", 200, 2, kWait));
  // And orders go over the new session.
  const SequenceNumber after = 331 << 10;
  gateway_->submit(market(after, Side::kBuy, qty_micro(1'000)), 2);
  ASSERT_TRUE(recorder_.wait_event(after, OrderEvent::kFill));
  EXPECT_GE(gateway_->stats().ws_api_orders, 2u);
}

TEST_F(GatewayE2E, shouldAskRestNeverResendWhenAWsOrderAnswersAServerError) {
  start();
  struct Case {
    mock::FaultMode fault;
    SequenceNumber seq;
    OrderEvent outcome;  // what REST's query finds
    int received;        // order.place requests the venue took in
  };
  const Case cases[] = {
      {mock::FaultMode::kServerErrorAfterProcessing, 335 << 10, OrderEvent::kReconciledNew, 1},
      {mock::FaultMode::kServerErrorBeforeProcessing, 336 << 10, OrderEvent::kReconciledNotFound,
       0},
  };
  for (const Case& c : cases) {
    mock_->fail_next(1, c.fault, "WS order.place");
    gateway_->submit(limit(c.seq, Side::kBuy, px(45'000), qty_micro(1'000)), 1);
    ASSERT_TRUE(recorder_.wait_event(c.seq, c.outcome)) << static_cast<int>(c.fault);
    EXPECT_EQ(mock_->orders_received(client_id(c.seq)), c.received);
    EXPECT_EQ(recorder_.count(c.seq, OrderEvent::kRejected), 0);
    // Not found after an ambiguous failure: reported with that failure, as over REST.
    EXPECT_EQ(recorder_.last(c.seq, c.outcome)->reason,
              static_cast<std::uint16_t>(c.outcome == OrderEvent::kReconciledNew
                                             ? VenueReason::kNone
                                             : VenueReason::kServerError));
  }
  EXPECT_EQ(gateway_->stats().orders_sent, 0u);  // asked over REST, never sent there
  EXPECT_EQ(gateway_->stats().ws_api_orders, 2u);
}

TEST_F(GatewayE2E, shouldSendOverRestWhileTheSessionIsDown) {
  start();
  mock_->fail_next(1'000'000, mock::FaultMode::kServerErrorBeforeProcessing, "GET /ws-api/v3");
  mock_->drop_user_streams();
  ASSERT_TRUE(recorder_.wait([&] { return recorder_.disconnected_locked() >= 1; }));
  const SequenceNumber seq = 340 << 10;
  gateway_->submit(limit(seq, Side::kBuy, px(45'000), qty_micro(1'000)), 1);
  ASSERT_TRUE(recorder_.wait_event(seq, OrderEvent::kAccepted));
  EXPECT_EQ(gateway_->stats().orders_sent, 1u);  // POST /api/v3/order
  EXPECT_EQ(gateway_->stats().ws_api_orders, 0u);
  gateway_->cancel(cancel_of(seq), 2);
  ASSERT_TRUE(recorder_.wait_event(seq, OrderEvent::kCanceled));
  EXPECT_TRUE(mock_->wait_for_requests("DELETE", "/api/v3/order", 200, 1, kWait));
  mock_->fail_next(0, mock::FaultMode::kServerErrorBeforeProcessing);
  ASSERT_TRUE(recorder_.wait([&] { return recorder_.connected_locked() >= 2; }));
}

TEST_F(GatewayE2E, shouldResyncTheClockWhenTheVenueRefusesTheSessionsTimestamp) {
  start();
  const auto resyncs_before = gateway_->stats().time_resyncs;
  // The venue's clock jumps 20 s ahead and the session drops: the next subscription's
  // timestamp is refused (-1021), the offset measured again, and the session opened anew.
  mock_->set_clock_offset_ms(20'000);
  mock_->drop_user_streams();
  ASSERT_TRUE(recorder_.wait([&] { return recorder_.connected_locked() >= 2; }));
  EXPECT_TRUE(mock_->wait_for_requests("WS", "userDataStream.subscribe.signature", 400, 1, kWait));
  EXPECT_GE(gateway_->stats().session_refusals, 1u);
  EXPECT_GT(gateway_->stats().time_resyncs, resyncs_before);
  EXPECT_GE(gateway_->stats().time_offset_ms, 19'000);
  const SequenceNumber seq = 345 << 10;
  gateway_->submit(market(seq, Side::kBuy, qty_micro(1'000)), 1);
  ASSERT_TRUE(recorder_.wait_event(seq, OrderEvent::kFill));
  EXPECT_EQ(gateway_->stats().ws_api_orders, 1u);
  EXPECT_EQ(gateway_->stats().orders_sent, 0u);
}

TEST_F(GatewayE2E, shouldWaitRetryAfterWhenTheWsApiAnswers429) {
  // Five weight per second from now on: orders (1) beyond it are refused; an order query
  // (4), which a refused order may need, still fits a fresh window.
  ASSERT_NO_FATAL_FAILURE(start_with_one_second_window(5));
  constexpr int kOrders = 8;
  // One at a time, so no request is on the wire when a 429 comes back.
  for (int i = 0; i < kOrders; ++i) {
    const auto seq = static_cast<SequenceNumber>((350 + i) << 10);
    gateway_->submit(limit(seq, Side::kBuy, px(30'000), qty_micro(1'000)), 1);
    ASSERT_TRUE(recorder_.wait_event(seq, OrderEvent::kAccepted)) << "order " << i;
  }
  EXPECT_GE(gateway_->stats().rate_limited, 1u);
  EXPECT_TRUE(mock_->wait_for_requests("WS", "order.place", 429, 1, kWait));
  // The WS API's 429 carried data.retryAfter; nothing went before it passed.
  EXPECT_GE(expect_quiet_after(429), 1);
  for (int i = 0; i < kOrders; ++i)
    EXPECT_EQ(mock_->orders_created(client_id(static_cast<SequenceNumber>((350 + i) << 10))), 1);
}

TEST_F(GatewayE2E, shouldLogOnWithAnEd25519KeyAndSignNothingAfter) {
  const auto pair = be::test::make_ed25519_pair();
  mock::MockConfig mc = mock_config();
  mc.ed25519_public_pem = pair.public_pem;
  start(mc, {}, ApiCredentials{SecretString("e2e-api-key"), SecretString(pair.private_pem)});
  EXPECT_TRUE(mock_->wait_for_requests("WS", "session.logon", 200, 1, kWait));
  EXPECT_TRUE(mock_->wait_for_requests("WS", "userDataStream.subscribe", 200, 1, kWait));
  const SequenceNumber seq = 360 << 10;
  gateway_->submit(market(seq, Side::kBuy, qty_micro(1'000)), 1);
  ASSERT_TRUE(recorder_.wait_event(seq, OrderEvent::kFill));
  bool saw_order = false;
  for (const auto& e : mock_->request_log()) {
    if (e.method != "WS" || e.path != "order.place") continue;
    saw_order = true;
    EXPECT_EQ(e.received.find("signature"), std::string::npos) << e.received;
    EXPECT_EQ(e.received.find("apiKey"), std::string::npos) << e.received;
  }
  EXPECT_TRUE(saw_order);
  // REST (the reconciliation) signed with the same Ed25519 key.
  EXPECT_TRUE(mock_->wait_for_requests("GET", "/api/v3/account", 200, 1, kWait));
  expect_secret_never_sent(pair.private_pem);
}

TEST_F(GatewayE2E, shouldNeverSendTheSecretInAnyFrameOrRequest) {
  start();
  const SequenceNumber seq = 370 << 10;
  gateway_->submit(limit(seq, Side::kBuy, px(45'000), qty_micro(1'000)), 1);
  ASSERT_TRUE(recorder_.wait_event(seq, OrderEvent::kAccepted));
  gateway_->cancel(cancel_of(seq), 2);
  ASSERT_TRUE(recorder_.wait_event(seq, OrderEvent::kCanceled));
  expect_secret_never_sent("e2e-secret-value");
}

TEST_F(GatewayE2E, shouldRefuseAnUnreadableEd25519KeyWithoutQuotingIt) {
  mock_ = std::make_unique<mock::MockExchange>(mock_config(), wall_);
  ASSERT_TRUE(mock_->start().has_value());
  const std::string bad_key =
      "-----BEGIN PRIVATE KEY-----\nTm90QUtleVNlY3JldFRleHQxMjM0NTY3ODk=\n-----END PRIVATE "
      "KEY-----\n";
  gateway_ = std::make_unique<BinanceSpotGateway>(
      gateway_config(*mock_), ApiCredentials{SecretString("e2e-api-key"), SecretString(bad_key)},
      recorder_, wall_);
  auto started = gateway_->start();
  ASSERT_FALSE(started.has_value());
  EXPECT_NE(started.error().find("Ed25519"), std::string::npos) << started.error();
  EXPECT_EQ(started.error().find("Tm90QUtl"), std::string::npos) << started.error();
}

TEST_F(GatewayE2E, shouldSeeTheListenKeyEndpointsGoneAsOnBinance) {
  start();
  // Binance removed POST/PUT/DELETE /api/v3/userDataStream for spot on 2026-02-20; its edge
  // answers 410 Gone with an nginx page, and so does the mock.
  net::HttpClientOptions options;
  options.timeout = 2000ms;
  net::HttpClient http(net::parse_http_url(mock_->rest_url()).value(), options);
  for (const std::string_view method : {"POST", "PUT", "DELETE"}) {
    net::HttpRequest request;
    request.method = method;
    request.target = "/api/v3/userDataStream";
    auto answer = http.request(request);
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, 410) << method;
    EXPECT_NE(answer->body.find("410 Gone"), std::string::npos);
  }
}

// The order manager's side of the gateway: counts only, so it cannot allocate either.
class CountingResponses final : public oms::VenueResponses {
 public:
  void respond(const OrderUpdate& u, Nanos, Nanos) noexcept override {
    updates.fetch_add(1);
    if (u.reason == static_cast<std::uint16_t>(VenueReason::kQueueFull)) queue_full.fetch_add(1);
  }
  void respond(const BalanceUpdate&, Nanos, Nanos) noexcept override {}
  void connectivity(VenueId, ConnectivityState s, Nanos) noexcept override {
    if (s == ConnectivityState::kConnected) connected.fetch_add(1);
  }
  std::atomic<int> updates{0}, queue_full{0}, connected{0};
};

TEST(GatewayHotPath, shouldSubmitAndRejectWithoutAllocating) {
  if (!test::allocation_counting_available()) {
    GTEST_SKIP() << "allocation counting is off under sanitizers";
  }
  WallClock wall;
  mock::MockExchange mock(mock_config(), wall);
  ASSERT_TRUE(mock.start().has_value());
  CountingResponses responses;
  GatewayConfig g = gateway_config(mock);
  g.queue_capacity = 16;
  g.request_timeout = 3000ms;
  rest_orders(
      g);  // the REST worker's queue (WS API frames: WsApiFrames.shouldBuildWithoutAllocating)
  BinanceSpotGateway gateway(std::move(g), credentials(), responses, wall);
  ASSERT_TRUE(gateway.start().has_value());
  const auto deadline = monotonic_now() + 10'000'000'000LL;
  while (responses.connected.load() == 0 && monotonic_now() < deadline) {
    std::this_thread::yield();  // a bounded spin on a condition, not a sleep
  }
  ASSERT_EQ(responses.connected.load(), 1);

  // The venue holds its answer to the first order, so the worker sits in a blocking read.
  mock.delay_responses(1500ms);
  gateway.submit(limit(200 << 10, Side::kBuy, px(30'000), qty_micro(1'000)), 1);
  const auto posted = [&] {
    for (const auto& e : mock.request_log())
      if (e.method == "POST" && e.path == "/api/v3/order") return true;
    return false;
  };
  while (!posted() && monotonic_now() < deadline)
    std::this_thread::yield();
  ASSERT_TRUE(posted());

  // Warm-up done: queue 16, then 48 answered at once as queue-full rejects, all on this
  // thread (the worker sits in its read). Counted on this thread only: the mock exchange
  // serves from threads of this process and allocates there at moments of its own (a test
  // that counted the whole process failed 1 run in 10 under ctest -j2 load).
  const std::uint64_t before = test::thread_allocation_count();
  for (int i = 1; i <= 64; ++i) {
    gateway.submit(limit(static_cast<SequenceNumber>((200 + i) << 10), Side::kBuy, px(30'000),
                         qty_micro(1'000)),
                   2);
  }
  const std::uint64_t after = test::thread_allocation_count();
  EXPECT_EQ(after - before, 0u);
  EXPECT_EQ(responses.queue_full.load(), 48);
  mock.delay_responses(0ms);
  gateway.stop();
  mock.stop();
}

}  // namespace
}  // namespace be::binance
