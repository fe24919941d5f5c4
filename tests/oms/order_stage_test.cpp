// OrderStage: what it makes of an input and of the records the strategy and risk stages
// derived (orders, local rejects, cancels, the kill-switch sweep, reconcile and durable
// release timers, fills), and a snapshot restored into a fresh stage hashing alike. The fold
// tests (tests/engine) run it inside the whole pipeline; these pin each rule on its own.
#include "oms/order_stage.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/codes.hpp"
#include "core/order_intent.hpp"
#include "risk/types.hpp"
#include "tests/oms/oms_fixture.hpp"

namespace be::oms {
namespace {

constexpr BotId kBot{1};
constexpr BotId kOtherBot{2};
constexpr Nanos kT0 = 1'000'000'000;

OrderStageConfig small_config(bool hold_sends = false, std::uint32_t orders = 16) {
  OrderStageConfig c;
  c.capacity = OmsCapacity{4, 2, 2, 2, orders};
  c.hold_sends = hold_sends;
  c.paper.instruments = 2;
  c.paper.assets = 2;
  c.paper.accounts = 2;
  c.paper.max_orders = orders;
  return c;
}

OrderIntent buy(BotId bot, SequenceNumber cause, std::int64_t price) {
  OrderIntent i;
  i.bot = bot;
  i.instrument = InstrumentId{0};
  i.side = Side::kBuy;
  i.type = OrderType::kLimit;
  i.price = price;
  i.quantity = 1'000;  // 1.000 at qty scale 3
  i.cause = cause;
  return i;
}

Event derived(const Event& e, std::uint16_t flags) {
  Event out = e;
  out.header.flags = static_cast<std::uint16_t>(kFlagDerived | flags);
  return out;
}

class OrderStageTest : public ::testing::Test {
 protected:
  explicit OrderStageTest(bool hold_sends = false, std::uint32_t orders = 16)
      : stage(small_config(hold_sends, orders), sink) {
    InstrumentDefined def = test::instrument(0);
    std::memcpy(def.base_asset.data(), "BTC", 3);
    std::memcpy(def.quote_asset.data(), "USDT", 4);
    input(Event::make(def, kT0, kT0));
    for (BotId bot : {kBot, kOtherBot}) {
      OperatorCommand create;
      create.kind = OperatorCommandKind::kCreateBot;
      create.bot = bot;
      input(Event::make(create, kT0, kT0));
    }
  }

  // One input and the records derived from it; returns the stage's records.
  const std::vector<Event>& input(const Event& e, std::vector<Event> derived_records = {}) {
    std::vector<Event> records{e};
    records[0].header.sequence = ++ordinal;
    records.insert(records.end(), derived_records.begin(), derived_records.end());
    out.clear();
    actions.clear();
    stage.on_input(records, out, actions);
    emitted.assign(out.records().begin(), out.records().end());
    return emitted;
  }

  // The venue acknowledged the order: it is open (what a kill switch sweeps).
  void ack(BotId bot, SequenceNumber client_sequence) {
    OrderUpdate u;
    u.bot = bot;
    u.instrument = InstrumentId{0};
    u.client_sequence = client_sequence;
    u.side = Side::kBuy;
    u.event = static_cast<std::uint8_t>(OrderEvent::kAccepted);
    input(Event::make(u, kT0, kT0));
  }

  const std::vector<Event>& intent(const OrderIntent& i, std::uint16_t flags,
                                   std::vector<Event> more = {}) {
    std::vector<Event> records{derived(Event::make(i, kT0, kT0), flags)};
    records.insert(records.end(), more.begin(), more.end());
    return input(test::quote(0, 100'00, 101'00, kT0), records);
  }

  test::RecordingSink sink;
  OrderStage stage;
  Outbox out{1024};
  std::vector<VenueAction> actions;
  std::vector<Event> emitted;
  SequenceNumber ordinal = 0;
};

TEST_F(OrderStageTest, shouldOpenARiskAcceptedIntentAndSubmitItToThePaperVenue) {
  const auto& records = intent(buy(kBot, 7, 99'00), kFlagRiskAccepted);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].header.type, EventType::kOrderNew);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, VenueAction::Kind::kSubmit);
  EXPECT_EQ(actions[0].order.client_sequence, 7u);
  EXPECT_EQ(stage.orders().open_orders(kBot), 1u);
  EXPECT_EQ(stage.stats()["orders_sent"], 1u);
  EXPECT_EQ(stage.paper()->stats()["requests"], 1u) << "the paper venue got the submit";
}

TEST_F(OrderStageTest, shouldLoopBackTheRiskRejectsReasonWhenRiskRefusedTheIntent) {
  risk::RiskReject reject;
  reject.reason = RiskRejectReason::kMaxOrderNotional;
  reject.cause = 7;
  risk::RiskReject other = reject;
  other.cause = 8;  // another intent's reject: not this one's
  other.reason = RiskRejectReason::kTickSize;
  const auto& records =
      intent(buy(kBot, 7, 99'00), 0,
             {derived(Event::make(other, kT0, kT0), 0), derived(Event::make(reject, kT0, kT0), 0)});
  EXPECT_TRUE(records.empty());
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, VenueAction::Kind::kLoopBackReject);
  EXPECT_EQ(actions[0].reject.event, static_cast<std::uint8_t>(OrderEvent::kRejected));
  EXPECT_EQ(actions[0].reject.reason,
            kLocalRejectBase + static_cast<unsigned>(RiskRejectReason::kMaxOrderNotional));
  EXPECT_EQ(actions[0].reject.client_sequence, 7u);
  EXPECT_EQ(stage.stats()["risk_rejects"], 1u);
  EXPECT_EQ(stage.paper()->stats()["requests"], 0u) << "a local reject never reaches the venue";
}

TEST_F(OrderStageTest, shouldLoopBackAHeldIntentAndOneTheOrderManagerRefuses) {
  intent(buy(kBot, 7, 99'00), kFlagHeld | kFlagRiskAccepted);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].reject.reason, kLocalRejectBase + kHeldReason);

  OrderIntent bad = buy(kBot, 8, 99'00);
  bad.bot = BotId{3};  // never created: no account
  intent(bad, kFlagRiskAccepted);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, VenueAction::Kind::kLoopBackReject);
  EXPECT_EQ(actions[0].reject.reason, kLocalRejectBase + kOrderManagerRefusedReason);
  EXPECT_EQ(stage.stats()["oms_refused"], 1u);
}

TEST_F(OrderStageTest, shouldCancelOnlyWhatRiskAccepted) {
  intent(buy(kBot, 7, 99'00), kFlagRiskAccepted);
  OrderCancel cancel;
  cancel.bot = kBot;
  cancel.client_sequence = 7;
  input(test::quote(0, 100'00, 101'00, kT0), {derived(Event::make(cancel, kT0, kT0), 0)});
  EXPECT_TRUE(actions.empty()) << "a cancel risk did not accept";
  input(test::quote(0, 100'00, 101'00, kT0),
        {derived(Event::make(cancel, kT0, kT0), kFlagRiskAccepted)});
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, VenueAction::Kind::kCancel);
  EXPECT_EQ(stage.stats()["cancels_sent"], 1u);
}

TEST_F(OrderStageTest, shouldCancelEveryOpenOrderAKillSwitchCovers) {
  intent(buy(kBot, 7, 99'00), kFlagRiskAccepted);
  intent(buy(kBot, 8, 98'00), kFlagRiskAccepted);
  intent(buy(kOtherBot, 9, 97'00), kFlagRiskAccepted);
  ack(kBot, 7);
  ack(kBot, 8);
  ack(kOtherBot, 9);

  OperatorCommand one;
  one.kind = OperatorCommandKind::kKillSwitchSet;
  one.scope = CommandScope::kBotOrGlobal;
  one.bot = kOtherBot;
  input(Event::make(one, kT0, kT0));
  ASSERT_EQ(actions.size(), 1u) << "a bot's switch covers that bot only";
  EXPECT_EQ(actions[0].cancel.bot, kOtherBot);

  OperatorCommand all;
  all.kind = OperatorCommandKind::kKillSwitchSet;
  all.scope = CommandScope::kGlobal;
  input(Event::make(all, kT0, kT0));
  ASSERT_EQ(actions.size(), 2u) << "the other bot's order is already pending cancel";
  for (const VenueAction& a : actions) {
    EXPECT_EQ(a.kind, VenueAction::Kind::kCancel);
    EXPECT_EQ(a.cancel.bot, kBot);
  }
  EXPECT_EQ(stage.stats()["cancels_sent"], 3u);
}

// A table with room for hundreds of orders: a bot holding more than 256 open orders.
class WideOrderStageTest : public OrderStageTest {
 protected:
  WideOrderStageTest() : OrderStageTest(false, 512) {}
};

// Every open order is cancelled, bot by bot in id order, each bot's in the order it placed
// them (its orders' slots), however many: the sweep once stopped at 256 a bot.
TEST_F(WideOrderStageTest, shouldCancelEveryOpenOrderOfEveryBotInBotThenPlacementOrder) {
  std::vector<SequenceNumber> mine, other;
  for (SequenceNumber i = 0; i < 300; ++i) {
    if (i % 60 == 0) {  // the other bot's, interleaved in the table with the first's
      intent(buy(kOtherBot, 1'000 + i, 98'00), kFlagRiskAccepted);
      ack(kOtherBot, 1'000 + i);
      other.push_back(1'000 + i);
    }
    intent(buy(kBot, 100 + i, 99'00 - static_cast<std::int64_t>(i % 50)), kFlagRiskAccepted);
    ack(kBot, 100 + i);
    mine.push_back(100 + i);
  }
  OperatorCommand all;
  all.kind = OperatorCommandKind::kKillSwitchSet;
  all.scope = CommandScope::kGlobal;
  input(Event::make(all, kT0, kT0));
  ASSERT_EQ(actions.size(), mine.size() + other.size());
  for (std::size_t k = 0; k < actions.size(); ++k) {
    const bool first_bot = k < mine.size();
    EXPECT_EQ(actions[k].kind, VenueAction::Kind::kCancel);
    EXPECT_EQ(actions[k].cancel.bot, first_bot ? kBot : kOtherBot) << k;
    EXPECT_EQ(actions[k].cancel.client_sequence, first_bot ? mine[k] : other[k - mine.size()]) << k;
  }
  EXPECT_EQ(stage.stats()["cancels_sent"], mine.size() + other.size());
}

// Users and accounts: a bot trades on the account its create command names; an account's
// switch sweeps that account's bots alone; a new paper account opens with its balances.
TEST_F(OrderStageTest, shouldKeepBotsOnTheirAccountsAndSweepOneAccountsBotsOnly) {
  constexpr BotId kAccountOneBot{3};
  OperatorCommand create;
  create.kind = OperatorCommandKind::kCreateBot;
  create.bot = kAccountOneBot;
  create.account = 1;
  input(Event::make(create, kT0, kT0));
  EXPECT_EQ(stage.orders().account_of(kBot), AccountId{0});
  EXPECT_EQ(stage.orders().account_of(kAccountOneBot), AccountId{1});

  const PaperStartingBalance opening[] = {{AccountId{1}, AssetId{1}, 5'000'00}};
  stage.open_paper_account(AccountId{1}, opening, kT0);
  EXPECT_EQ(stage.paper()->balance(AccountId{1}, AssetId{1}).free, 5'000'00);
  EXPECT_EQ(stage.paper()->balance(AccountId{0}, AssetId{1}).free, 0);

  intent(buy(kBot, 7, 99'00), kFlagRiskAccepted);
  intent(buy(kAccountOneBot, 8, 98'00), kFlagRiskAccepted);
  ack(kBot, 7);
  ack(kAccountOneBot, 8);
  OperatorCommand account;
  account.kind = OperatorCommandKind::kKillSwitchSet;
  account.scope = CommandScope::kAccount;
  account.account = 1;
  input(Event::make(account, kT0, kT0));
  ASSERT_EQ(actions.size(), 1u) << "account 1's switch covers account 1's bot only";
  EXPECT_EQ(actions[0].kind, VenueAction::Kind::kCancel);
  EXPECT_EQ(actions[0].cancel.bot, kAccountOneBot);
  EXPECT_EQ(stage.orders().open_orders(kBot), 1u);
}

TEST_F(OrderStageTest, shouldEmitAFillAndATradeNotificationCausedByTheInput) {
  intent(buy(kBot, 7, 99'00), kFlagRiskAccepted);
  OrderUpdate fill;
  fill.bot = kBot;
  fill.instrument = InstrumentId{0};
  fill.client_sequence = 7;
  fill.side = Side::kBuy;
  fill.event = static_cast<std::uint8_t>(OrderEvent::kFill);
  fill.last_price = 99'00;
  fill.last_quantity = 1'000;
  fill.cumulative_quantity = 1'000;
  fill.trade_id = 1;
  const auto& records = input(Event::make(fill, kT0 + 1, kT0 + 1));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].header.type, EventType::kFillApplied);
  ASSERT_EQ(records[1].header.type, EventType::kNotification);
  const auto n = records[1].as<Notification>();
  EXPECT_EQ(n.kind, NotificationKind::kTrade);
  EXPECT_EQ(n.cause, ordinal);
  EXPECT_EQ(stage.stats()["fills"], 1u);
}

TEST_F(OrderStageTest, shouldMakeInFlightOrdersUnknownAndAskThePaperVenueOnAReconcileTimer) {
  intent(buy(kBot, 7, 99'00), kFlagRiskAccepted);
  const auto requests = stage.paper()->stats()["requests"];
  Timer reconcile;
  reconcile.owner = kNoBot;
  reconcile.timer_id = kReconcileTimer;
  input(Event::make(reconcile, kT0 + 1, kT0 + 1));
  EXPECT_EQ(stage.stats()["reconciled_unknown"], 1u);
  EXPECT_EQ(stage.paper()->stats()["requests"], requests + 2) << "the order, then the balances";
}

// Live accounts (order_stage_live.cpp): account 1 is live, bot 3 trades on it.
constexpr BotId kLiveBot{3};
constexpr AccountId kLiveAccount{1};

Event order_channel(ConnectivityState state) {
  Connectivity c;
  c.state = state;
  c.channel = ConnectivityChannel::kOrders;
  c.account = kLiveAccount;
  return Event::make(c, kT0, kT0);
}

std::vector<VenueAction::Kind> kinds(const std::vector<VenueAction>& actions) {
  std::vector<VenueAction::Kind> out;
  for (const VenueAction& a : actions)
    out.push_back(a.kind);
  return out;
}

class LiveOrderStageTest : public OrderStageTest {
 protected:
  explicit LiveOrderStageTest(bool hold_sends = false) : OrderStageTest(hold_sends) {
    stage.mark_live(kLiveAccount, kT0);
    OperatorCommand create;
    create.kind = OperatorCommandKind::kCreateBot;
    create.bot = kLiveBot;
    create.account = index_of(kLiveAccount);
    input(Event::make(create, kT0, kT0));
  }
};

TEST_F(LiveOrderStageTest, shouldRefuseLocallyWhileTheChannelIsDownThenRouteToTheLiveVenue) {
  intent(buy(kLiveBot, 7, 99'00), kFlagRiskAccepted);
  ASSERT_EQ(kinds(actions), (std::vector{VenueAction::Kind::kLoopBackReject}));
  EXPECT_EQ(actions[0].reject.reason, kLocalRejectBase + kLiveDisconnectedReason);
  EXPECT_EQ(stage.orders().open_orders(kLiveBot), 0u) << "never opened";
  EXPECT_EQ(stage.live_stats()["live_disconnected_rejects"], 1u);

  input(order_channel(ConnectivityState::kConnected));
  EXPECT_EQ(kinds(actions), (std::vector{VenueAction::Kind::kLiveQueryOpenOrders,
                                         VenueAction::Kind::kLiveQueryBalances}));
  EXPECT_EQ(actions[0].cancel.account, kLiveAccount);

  const auto requests = stage.paper()->stats()["requests"];
  intent(buy(kLiveBot, 8, 99'00), kFlagRiskAccepted);
  ASSERT_EQ(kinds(actions), (std::vector{VenueAction::Kind::kLiveSubmit}));
  EXPECT_EQ(actions[0].order.account, kLiveAccount);
  EXPECT_EQ(stage.paper()->stats()["requests"], requests) << "the paper venue never sees it";
  // A paper account's order still goes to the paper venue.
  intent(buy(kBot, 9, 99'00), kFlagRiskAccepted);
  EXPECT_EQ(kinds(actions), (std::vector{VenueAction::Kind::kSubmit}));
  EXPECT_EQ(stage.paper()->stats()["requests"], requests + 1);

  // Lost: the order in flight is unknown; back: it is asked about.
  input(order_channel(ConnectivityState::kDisconnected));
  EXPECT_FALSE(stage.live_connected(kLiveAccount));
  EXPECT_EQ(stage.stats()["reconciled_unknown"], 1u);
  input(order_channel(ConnectivityState::kConnected));
  ASSERT_EQ(kinds(actions), (std::vector{VenueAction::Kind::kLiveQueryOrder,
                                         VenueAction::Kind::kLiveQueryOpenOrders,
                                         VenueAction::Kind::kLiveQueryBalances}));
  EXPECT_EQ(actions[0].cancel.bot, kLiveBot);
  EXPECT_EQ(actions[0].cancel.client_sequence, 8u);

  // A foreign order is noted, never applied.
  const auto unknown = stage.stats()["oms_unknown"];
  input(Event::make(foreign_order(kLiveAccount, InstrumentId{0}, Side::kSell, 42, 120'00, 500, 0),
                    kT0, kT0));
  EXPECT_EQ(stage.live_stats()["foreign_orders"], 1u);
  EXPECT_EQ(stage.stats()["oms_unknown"], unknown);
  std::size_t notes = 0;
  stage.for_each_live_note([&](const OrderStage::LiveNote& n) {
    ++notes;
    EXPECT_EQ(n.foreign, 1);
    EXPECT_EQ(n.update.venue_order_id, 42u);
  });
  EXPECT_EQ(notes, 1u);
}

TEST_F(LiveOrderStageTest, shouldRouteLiveAccountsToThePaperVenueInDryRun) {
  OperatorCommand dry;
  dry.kind = OperatorCommandKind::kDryRunSet;
  input(Event::make(dry, kT0, kT0));
  EXPECT_TRUE(stage.dry_run());
  const auto requests = stage.paper()->stats()["requests"];
  intent(buy(kLiveBot, 7, 99'00), kFlagRiskAccepted);
  EXPECT_EQ(kinds(actions), (std::vector{VenueAction::Kind::kSubmit}));
  EXPECT_EQ(stage.paper()->stats()["requests"], requests + 1);
  EXPECT_EQ(stage.live_stats()["live_orders_sent"], 0u);
}

class DurableLiveOrderStageTest : public LiveOrderStageTest {
 protected:
  DurableLiveOrderStageTest() : LiveOrderStageTest(true) {}
};

TEST_F(DurableLiveOrderStageTest, shouldHoldLiveSendsAndHandThemOutWithTheirRelease) {
  input(order_channel(ConnectivityState::kConnected));
  intent(buy(kLiveBot, 7, 99'00), kFlagRiskAccepted);
  EXPECT_TRUE(actions.empty()) << "held: not this input's to deliver";
  EXPECT_TRUE(stage.holds_sends());
  const SequenceNumber first = ordinal;

  Timer release;
  release.owner = kNoBot;
  release.timer_id = kReleaseTimer;
  release.deadline = static_cast<Nanos>(first);
  input(Event::make(release, kT0, kT0));
  ASSERT_EQ(kinds(actions), (std::vector{VenueAction::Kind::kLiveSubmit}));
  EXPECT_EQ(actions[0].order.client_sequence, 7u);
  EXPECT_FALSE(stage.holds_sends());
}

class DurableOrderStageTest : public OrderStageTest {
 protected:
  DurableOrderStageTest() : OrderStageTest(true) {}
};

TEST_F(DurableOrderStageTest, shouldHoldSendsUntilAReleaseTimerCoversTheirInput) {
  intent(buy(kBot, 7, 99'00), kFlagRiskAccepted);
  const SequenceNumber first = ordinal;
  intent(buy(kBot, 8, 98'00), kFlagRiskAccepted);
  EXPECT_EQ(actions.size(), 1u) << "the caller still sees every send";
  EXPECT_EQ(stage.paper()->stats()["requests"], 0u);
  EXPECT_EQ(stage.stats()["sends_held"], 2u);

  const auto held_hash = stage.state_hash();
  Timer release;
  release.owner = kNoBot;
  release.timer_id = kReleaseTimer;
  release.deadline = static_cast<Nanos>(first);
  input(Event::make(release, kT0, kT0));
  EXPECT_EQ(stage.paper()->stats()["requests"], 1u) << "only the first input's send";
  EXPECT_NE(stage.state_hash(), held_hash) << "held sends are part of the state";

  Timer reconcile;
  reconcile.owner = kNoBot;
  reconcile.timer_id = kReconcileTimer;
  input(Event::make(reconcile, kT0, kT0));
  EXPECT_EQ(stage.stats()["sends_dropped"], 1u) << "still held at a reconcile: never sent";
}

TEST_F(DurableOrderStageTest, shouldRestoreItsSnapshotIntoAFreshStageThatHashesAlike) {
  intent(buy(kBot, 7, 99'00), kFlagRiskAccepted);
  intent(buy(kOtherBot, 8, 98'00), kFlagRiskAccepted);
  std::vector<std::byte> bytes;
  state_io::Writer w(bytes);
  stage.save_counters(w);
  put_blob(w, std::vector<std::byte>(3, std::byte{7}));  // another stage's part in between
  stage.save_tables(w);
  const std::size_t tables_end = bytes.size();
  stage.save_live(w);

  test::RecordingSink other_sink;
  OrderStage fresh(small_config(true), other_sink);
  OrderStage::Saved saved;
  state_io::Reader r{bytes};
  ASSERT_TRUE(fresh.read_counters(r, saved));
  const auto between = get_blob(r);
  ASSERT_TRUE(between.has_value());
  EXPECT_EQ(between->size(), 3u);
  ASSERT_TRUE(fresh.read_tables(r, saved));
  ASSERT_FALSE(fresh.restore(saved).has_value());
  ASSERT_TRUE(fresh.load_live(r));
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(fresh.state_hash(), stage.state_hash());
  EXPECT_EQ(fresh.stats()["sends_held"], 2u);
  EXPECT_EQ(fresh.asset_count(), 2u);
  EXPECT_EQ(fresh.asset_name(AssetId{1}), "USDT");

  OrderStage::Saved truncated;
  state_io::Reader short_reader{std::span(bytes).first(tables_end - 1)};
  ASSERT_TRUE(fresh.read_counters(short_reader, truncated));
  ASSERT_TRUE(get_blob(short_reader).has_value());
  EXPECT_FALSE(fresh.read_tables(short_reader, truncated));
  state_io::Reader short_live{std::span(bytes).subspan(tables_end, bytes.size() - tables_end - 1)};
  EXPECT_FALSE(fresh.load_live(short_live));
}

}  // namespace
}  // namespace be::oms
