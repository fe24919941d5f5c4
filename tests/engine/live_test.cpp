// Live accounts through the engine (engine/live_venues.hpp, docs/ACCOUNTS.md "Live accounts")
// against a scripted in-process venue: a live account's orders go to its venue and never to
// the paper venue, the venue's answers fold, durable mode holds the sends, a lost channel
// makes orders unknown and the reconnect's reconciliation settles them, a foreign order is
// reported and left alone, the kill switch cancels at the venue and shows what it refused,
// dry run, the live-account cap, a send with no gateway, the allocation-free delivery, and
// replay and recovery of the journals all this leaves.
#include <algorithm>
#include <string>
#include <vector>

#include "tests/engine/allocation_probe.hpp"
#include "tests/engine/live_fixture.hpp"
#include "tests/support/alloc_counter.hpp"
#include "tests/support/field_errors.hpp"

namespace be::engine {
namespace {

using namespace live_test;

TEST(LiveAccounts, OrdersGoToTheAccountsVenueAndItsAnswersFold) {
  TempDir dir;
  const EngineConfig config = live_config(dir.path);
  LiveEngine e(config);
  ASSERT_TRUE(e.engine);
  ScriptedVenue& venue = e.venue();
  ASSERT_TRUE(e.create_live_bot());
  EXPECT_EQ(e.account().connection, "connecting");
  EXPECT_FALSE(e.account().channel_up);

  // Up: the account is reconciled (open orders, balances) before anything trades.
  e.channel(ConnectivityState::kConnected);
  EXPECT_TRUE(e.account().channel_up);
  EXPECT_EQ(venue.open_order_queries(), 1u);
  EXPECT_EQ(venue.balance_requests(), 1u);

  ASSERT_TRUE(e.start_bot());
  const auto sent = venue.submits();
  ASSERT_FALSE(sent.empty()) << "the grid placed its orders";
  for (const OrderNew& o : sent) {
    EXPECT_EQ(o.account, kLive);
    EXPECT_EQ(o.bot, e.bot);
  }
  // Nothing answered them: the paper venue never saw them (it would have acknowledged them
  // after its latency, which the market's event time is far past).
  ASSERT_TRUE(offer_market(*e.engine, e.market, 40));
  auto orders = orders_of(*e.model(), e.bot);
  EXPECT_EQ(count_state(orders, "pending_new"), sent.size());
  EXPECT_EQ(counter(*e.model(), "order_stage_live_orders_sent"), sent.size());

  // The venue's answers fold: every order acknowledged, the first filled.
  for (const OrderNew& o : sent)
    e.answer(answer_to(o, OrderEvent::kAccepted));
  OrderUpdate fill = answer_to(sent[0], OrderEvent::kFill);
  fill.last_price = sent[0].price;
  fill.last_quantity = sent[0].quantity;
  fill.cumulative_quantity = sent[0].quantity;
  fill.trade_id = 77;
  e.answer(fill);
  ASSERT_TRUE(e.engine->drain(10'000'000'000));
  orders = orders_of(*e.model(), e.bot);
  EXPECT_EQ(count_state(orders, "filled"), 1u);
  EXPECT_EQ(e.model()->find(e.bot)->fills.size(), 1u);

  e.stop_and_verify();
}

TEST(LiveAccounts, ALostChannelMakesOrdersUnknownAndTheReconnectSettlesThem) {
  TempDir dir;
  const EngineConfig config = live_config(dir.path);
  LiveEngine e(config);
  ASSERT_TRUE(e.engine);
  ScriptedVenue& venue = e.venue();
  std::vector<OrderNew> sent;
  ASSERT_TRUE(e.trade_with_resting_orders(sent));

  e.channel(ConnectivityState::kDisconnected);
  EXPECT_FALSE(e.account().channel_up);
  EXPECT_EQ(e.account().unknown_orders, sent.size());
  EXPECT_EQ(count_state(orders_of(*e.model(), e.bot), "unknown"), sent.size());

  // Back: each unknown order is asked about, with the open orders and balances.
  e.channel(ConnectivityState::kConnected);
  const auto queried = venue.queried();
  EXPECT_EQ(queried.size(), sent.size());
  EXPECT_EQ(venue.open_order_queries(), 2u);
  // The venue still has all but the last (canceled on its own while we were away), and one
  // order we never sent.
  for (std::size_t i = 0; i + 1 < sent.size(); ++i)
    e.answer(answer_to(sent[i], OrderEvent::kReconciledNew));
  e.answer(answer_to(sent.back(), OrderEvent::kReconciledCanceled));
  e.answer(oms::foreign_order(kLive, InstrumentId{0}, Side::kBuy, 987'654, 40'000 * kUnit,
                              kUnit / 10, 0));
  ASSERT_TRUE(e.engine->drain(10'000'000'000));
  const AccountView& a = e.account();
  EXPECT_EQ(a.unknown_orders, 0u);
  ASSERT_EQ(a.foreign_orders.size(), 1u);
  EXPECT_EQ(a.foreign_orders[0].venue_order_id, "987654");
  EXPECT_EQ(a.foreign_orders[0].side, "buy");
  EXPECT_EQ(a.foreign_orders[0].price, "40000.00000000");
  EXPECT_EQ(counter(*e.model(), "order_stage_foreign_orders"), 1u);
  const auto orders = orders_of(*e.model(), e.bot);
  EXPECT_EQ(count_state(orders, "new"), sent.size() - 1);
  EXPECT_EQ(count_state(orders, "canceled"), 1u);
  // Reported, never adopted or cancelled.
  EXPECT_TRUE(venue.cancels().empty());

  // The kill switch cancels every open order at the venue; the venue refuses one.
  const CommandResult kill =
      e.engine->kill_switch(kBob, false, CommandScope::kAccount, index_of(kLive), true);
  ASSERT_EQ(kill.status, CommandStatus::kAccepted) << kill.message;
  ASSERT_TRUE(e.engine->drain(10'000'000'000));
  const auto cancels = venue.cancels();
  ASSERT_EQ(cancels.size(), sent.size() - 1);
  OrderUpdate refused =
      oms::order_update(cancels[0].bot, cancels[0].client_sequence, cancels[0].instrument, kLive,
                        OrderEvent::kCancelRejected, 2011);
  e.answer(refused);
  for (std::size_t i = 1; i < cancels.size(); ++i) {
    e.answer(oms::order_update(cancels[i].bot, cancels[i].client_sequence, cancels[i].instrument,
                               kLive, OrderEvent::kCanceled, 0));
  }
  ASSERT_TRUE(e.engine->drain(10'000'000'000));
  const AccountView& after = e.account();
  ASSERT_EQ(after.refused_cancels.size(), 1u);
  EXPECT_EQ(after.refused_cancels[0].reason, 2011);
  EXPECT_EQ(after.refused_cancels[0].client_order_id,
            "be" + std::to_string(index_of(cancels[0].bot)) + "x" +
                std::to_string(cancels[0].client_sequence));
  EXPECT_EQ(counter(*e.model(), "order_stage_live_cancels_refused"), 1u);

  e.stop_and_verify();

  // Restarted: the journal remembers the live orders; the new gateway's first connect asks
  // about them again (the restart made them unknown).
  LiveEngine restarted(config);
  ASSERT_TRUE(restarted.engine);
  ScriptedVenue& venue2 = restarted.venue();
  EXPECT_FALSE(restarted.account().channel_up);
  const std::uint32_t unknown = restarted.account().unknown_orders;
  EXPECT_GE(unknown, 1u) << "the order whose cancel was refused is still open";
  restarted.channel(ConnectivityState::kConnected);
  EXPECT_EQ(venue2.queried().size(), unknown);
  EXPECT_EQ(restarted.engine->stop(), "");
}

TEST(LiveAccounts, DurableModeHoldsLiveSendsUntilTheirInputIsDurable) {
  TempDir dir;
  EngineConfig config = live_config(dir.path);
  config.journal = JournalMode::kDurable;
  LiveEngine e(config);
  ASSERT_TRUE(e.engine);
  ScriptedVenue& venue = e.venue();
  ASSERT_TRUE(e.create_live_bot());
  e.channel(ConnectivityState::kConnected);
  ASSERT_TRUE(e.start_bot());
  // The releases follow the journal's fsyncs: market until they went out (bounded).
  for (int round = 0; round < 400 && venue.submits().empty(); ++round)
    ASSERT_TRUE(offer_market(*e.engine, e.market, 5));
  const auto sent = venue.submits();
  ASSERT_FALSE(sent.empty());
  const auto m = e.model();
  EXPECT_EQ(counter(*m, "order_stage_sends_held"), sent.size());
  ASSERT_EQ(e.engine->stop(), "");
  const std::uint64_t stopped = e.engine->state_hash();
  e.engine.reset();

  // Every order was held and left with a release input journaled after it.
  std::size_t orders = 0;
  SequenceNumber last_order = 0, last_release = 0;
  auto reader = journal::Reader::open(config.data_dir + "/journal");
  ASSERT_TRUE(reader.has_value());
  journal::RecordView view;
  while ((*reader)->next(view) == journal::ReadStatus::kRecord) {
    Event ev;
    ASSERT_TRUE(journal::decode(view, ev).ok());
    if (ev.header.type == EventType::kOrderNew) {
      ++orders;
      last_order = view.sequence;
    } else if (ev.header.type == EventType::kTimer && !ev.derived() &&
               ev.as<Timer>().timer_id == kReleaseTimer) {
      last_release = view.sequence;
    }
  }
  EXPECT_EQ(orders, sent.size());
  EXPECT_GT(last_release, last_order) << "a release input follows the last order";
  expect_replay_and_recovery_agree(config, stopped);
}

TEST(LiveAccounts, WithoutAChannelOrAGatewayOrdersAreRefusedLocally) {
  TempDir dir;
  const EngineConfig config = live_config(dir.path);
  LiveEngine e(config, LiveEngine::Gateways::kNone);
  ASSERT_TRUE(e.engine);
  e.engine->set_live_account_status(kLive, LiveConnection::kRefused,
                                    "account 1: clock offset 3100 ms exceeds recvWindow");
  ASSERT_TRUE(e.create_live_bot());
  EXPECT_EQ(e.account().connection, "refused");
  EXPECT_EQ(e.account().refusal, "account 1: clock offset 3100 ms exceeds recvWindow");

  // Channel never up: the fold refuses the orders itself (none opened).
  ASSERT_TRUE(e.start_bot());
  EXPECT_GT(counter(*e.model(), "order_stage_live_disconnected_rejects"), 0u);
  EXPECT_EQ(counter(*e.model(), "order_stage_live_orders_sent"), 0u);

  // A channel said up but no gateway to take the send: looped back as rejects by the engine.
  // (A second bot: the first keeps its grid, whose orders were refused.)
  e.channel(ConnectivityState::kConnected);
  std::string on_live = kGridBot;
  on_live.insert(1, R"("account":2,)");
  const CommandResult second = e.engine->create_bot(kBob, on_live);
  ASSERT_EQ(second.status, CommandStatus::kAccepted) << second.message;
  e.bot = second.bot;
  ASSERT_TRUE(e.start_bot());
  const auto m = e.model();
  const std::uint64_t sent = counter(*m, "order_stage_live_orders_sent");
  EXPECT_GT(sent, 0u);
  EXPECT_EQ(count_state(orders_of(*m, e.bot), "rejected"), sent);
  e.stop_and_verify();
}

TEST(LiveAccounts, DryRunAnswersLiveAccountsFromThePaperVenue) {
  TempDir dir;
  EngineConfig config = live_config(dir.path);
  config.dry_run = true;
  LiveEngine e(config, LiveEngine::Gateways::kNotAttached);  // dry run needs no gateways
  ASSERT_TRUE(e.engine);
  ASSERT_TRUE(e.create_live_bot());
  EXPECT_EQ(e.account().connection, "dry_run");
  ASSERT_TRUE(e.start_bot());
  ASSERT_TRUE(offer_market(*e.engine, e.market, 40));
  const auto m = e.model();
  EXPECT_EQ(counter(*m, "order_stage_live_orders_sent"), 0u);
  EXPECT_GT(count_state(orders_of(*m, e.bot), "new"), 0u) << "the paper venue acknowledged";
  e.stop_and_verify();

  // Live again: journaled once more, and the account's bot is refused without gateways.
  EngineConfig live_again = config;
  live_again.dry_run = false;
  LiveEngine r(live_again, LiveEngine::Gateways::kNotAttached);
  ASSERT_TRUE(r.engine);
  EXPECT_EQ(r.account().connection, "no_gateway");
  EXPECT_EQ(r.engine->bot_command(kBob, false, e.bot, OperatorCommandKind::kRestartBot).status,
            CommandStatus::kConflict);
  EXPECT_EQ(r.engine->stop(), "");
  std::vector<OperatorCommandKind> dry;
  for (const auto& [seq, c] : journaled_commands(dir.path)) {
    if (c.kind == OperatorCommandKind::kDryRunSet || c.kind == OperatorCommandKind::kDryRunReset)
      dry.push_back(c.kind);
  }
  EXPECT_EQ(dry, (std::vector<OperatorCommandKind>{OperatorCommandKind::kDryRunSet,
                                                   OperatorCommandKind::kDryRunReset}));
}

TEST(LiveAccounts, ALiveAccountPastTheCapIsRefused) {
  TempDir dir;
  EngineConfig config = live_config(dir.path);
  config.max_live_accounts = 1;
  auto engine = started_engine(config);
  ASSERT_TRUE(engine);
  const char* live = R"({"owner":2,"name":"spot%","mode":"live","endpoint":"testnet"})";
  constexpr AccountId kFirst{2};
  const auto named = [&](char c) {
    std::string s = live;
    s[s.find('%')] = c;
    return s;
  };
  EXPECT_EQ(engine->create_account(UserId{1}, named('1')).status, CommandStatus::kAccepted);
  const CommandResult second = engine->create_account(UserId{1}, named('2'));
  EXPECT_EQ(second.status, CommandStatus::kConflict);
  EXPECT_NE(second.message.find("max_live_accounts 1"), std::string::npos) << second.message;
  EXPECT_EQ(
      engine->create_account(UserId{1}, R"({"owner":2,"name":"paper2","mode":"paper"})").status,
      CommandStatus::kAccepted);
  // A removed live account frees its place.
  ASSERT_EQ(engine->remove_account(UserId{1}, kFirst).status, CommandStatus::kAccepted);
  EXPECT_EQ(engine->create_account(UserId{1}, named('3')).status, CommandStatus::kAccepted);
  EXPECT_EQ(engine->stop(), "");
}

TEST(LiveAccounts, VenueFiltersAreJournaledAndChecked) {
  TempDir dir;
  const EngineConfig config = live_config(dir.path);
  auto engine = open_engine(config);
  ASSERT_TRUE(engine);
  const std::vector<Engine::VenueFilter> bad = {{"ETHUSDT", "0.01", "", ""},
                                                {"BTCUSDT", "x", "", ""}};
  const CommandResult refused = engine->define_venue_filters("binance", bad);
  EXPECT_EQ(refused.status, CommandStatus::kInvalid);
  EXPECT_EQ(test::field_names(refused.errors),
            (std::vector<std::string>{"filters[0].symbol", "filters[1].tick_size"}));
  const std::vector<Engine::VenueFilter> filters = {{"BTCUSDT", "0.10", "0.001", "10"}};
  ASSERT_EQ(engine->define_venue_filters("binance", filters).status, CommandStatus::kAccepted);
  ASSERT_TRUE(engine->start().has_value());
  ASSERT_TRUE(engine->drain(10'000'000'000));
  ASSERT_EQ(engine->stop(), "");
  const std::uint64_t stopped = engine->state_hash();
  engine.reset();
  // The last InstrumentDefined input carries the venue's filters.
  InstrumentDefined last{};
  auto reader = journal::Reader::open(config.data_dir + "/journal");
  ASSERT_TRUE(reader.has_value());
  journal::RecordView view;
  while ((*reader)->next(view) == journal::ReadStatus::kRecord) {
    Event ev;
    if (journal::decode(view, ev).ok() && ev.header.type == EventType::kInstrumentDefined)
      last = ev.as<InstrumentDefined>();
  }
  EXPECT_EQ(last.tick_size, kUnit / 10);
  EXPECT_EQ(last.step_size, kUnit / 1000);
  EXPECT_EQ(last.min_notional, 10 * kUnit);
  expect_replay_and_recovery_agree(config, stopped);
}

// The delivery to a live venue on the thread that finishes inputs, after warm-up: no heap
// allocation (the venue answers inside submit(), through the feedback ring, as a gateway's
// immediate refusal would). Measured per input as the paper path's test does.
TEST(LiveAccounts, DeliveryAllocatesNothingAfterWarmUp) {
  if (!test::allocation_counting_available())
    GTEST_SKIP() << "allocation counting unavailable here";
  TempDir dir;
  EngineConfig config = live_config(dir.path);
  quiet_housekeeping(config);
  AllocationProbe probe;
  LiveEngine e(config);
  ASSERT_TRUE(e.engine);
  ScriptedVenue& venue = e.venue();
  venue.matching = true;
  e.engine->set_latency_probe(&probe);
  ASSERT_TRUE(e.create_live_bot(kDenseGrid));
  e.channel(ConnectivityState::kConnected);
  ASSERT_TRUE(e.start_bot());
  // The market, each trade also offered to the venue's book.
  const auto trade = [&](int inputs) {
    for (int i = 0; i < inputs; ++i) {
      const Event ev = e.market.next();
      while (!e.engine->offer_event(ev))
        std::this_thread::yield();
      if (ev.header.type == EventType::kTrade)
        venue.on_trade(ev.as<Trade>().price, ev.header.event_time);
    }
  };
  trade(6'000);  // warm-up: orders filled and re-placed
  ASSERT_TRUE(e.engine->drain(20'000'000'000));
  ASSERT_GT(venue.filled, 0u);
  const SequenceNumber before = e.engine->applied_inputs();
  probe.measuring.store(true, std::memory_order_release);
  constexpr int kMeasured = 6'000;
  trade(kMeasured);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (e.engine->applied_inputs() < before + kMeasured &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  probe.measuring.store(false, std::memory_order_release);
  ASSERT_TRUE(e.engine->drain(20'000'000'000));
  e.engine->set_latency_probe(nullptr);
  EXPECT_EQ(e.engine->stop(), "");
  EXPECT_GT(probe.sends, 0u) << "live orders left inside the measured window";
  EXPECT_GE(probe.inputs, static_cast<std::uint64_t>(kMeasured) - 1);
  EXPECT_EQ(probe.allocations, 0u) << "over " << probe.inputs << " inputs";
}

}  // namespace
}  // namespace be::engine
