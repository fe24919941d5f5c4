// The read model's publication rebuilds only the bots that changed (engine/read_model.cpp):
// what it publishes must equal a publication that rebuilds every view, and the views of
// unchanged bots must be the very same objects as in the read model before.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "engine/engine.hpp"
#include "tests/engine/engine_fixture.hpp"

namespace be::engine {
namespace {

using namespace test_support;

// Everything a bot's view shows except its equity curve (one point per publication while the
// equity moves: it depends on how often the engine published, not on the fold's state).
std::string shown(const BotView& b) {
  std::ostringstream o;
  o << index_of(b.id) << ' ' << index_of(b.owner) << ' ' << index_of(b.account) << ' ' << b.name
    << ' ' << b.type << ' ' << b.venue << ' ' << b.symbol << ' ' << static_cast<int>(b.state) << ' '
    << b.state_reason << ' ' << b.config_json << " kill=" << b.kill_switch
    << " circuit=" << b.circuit_open << " hb=" << b.heartbeat << " inputs=" << b.inputs_handled
    << " pos=" << b.position.symbol << '/' << b.position.quantity << '/'
    << b.position.average_entry_price << '/' << b.position.realized_pnl << '/'
    << b.position.unrealized_pnl << '/' << b.position.fees << '/' << b.position.mark_price
    << " pnl=" << b.pnl << " open=" << b.open_orders << " trades=" << b.trades << '\n';
  for (const OrderView& v : b.orders)
    o << "  order " << v.client_order_id << ' ' << v.symbol << ' ' << v.side << ' ' << v.type << ' '
      << v.state << ' ' << v.price << ' ' << v.quantity << ' ' << v.filled_quantity << ' ' << v.tag
      << ' ' << v.updated_time << '\n';
  for (const FillView& v : b.fills)
    o << "  fill " << v.client_order_id << ' ' << v.symbol << ' ' << v.side << ' ' << v.price << ' '
      << v.quantity << ' ' << v.fee << ' ' << v.liquidity << ' ' << v.time << ' ' << v.sequence
      << '\n';
  for (const std::string& c : b.condition_texts)
    o << "  condition " << c << '\n';
  return o.str();
}

std::vector<std::string> shown(const ReadModel& m) {
  std::vector<std::string> out;
  for (const BotView& b : m.bots)
    out.push_back(shown(b));
  return out;
}

class ReadModelPublication : public ::testing::Test {
 protected:
  void SetUp() override {
    // The fixture's deployment (test_config) with room for more than one chunk of views, and
    // a clock tick a minute: between two publications, only what the test offers is applied.
    config_ = deployment_config(dir_.path, R"({
      "engine": {"journal": "async", "snapshot_every_inputs": 700, "tick_ms": 60000,
                 "capacity": {"bots": 100}},
      "venues": [{"name": "binance"}],
      "instruments": [{"venue": "binance", "symbol": "BTCUSDT", "base": "BTC", "quote": "USDT",
                       "price_scale": 8, "qty_scale": 8, "tick_size": 0.01,
                       "step_size": 0.00001, "min_notional": 5}],
      "paper": {"taker_fee_bps": 10, "maker_fee_bps": 2, "latency_us": 200,
                "balances": {"USDT": "100000"}}
    })");
    engine_ = started_engine(config_);
    ASSERT_NE(engine_, nullptr);
  }
  void TearDown() override {
    if (engine_) engine_->stop();
  }

  // The first read model published after `older` that passes `wanted` (drain() asks for a
  // publication; it returns early when the current one already shows every input).
  template <class Wanted>
  std::shared_ptr<const ReadModel> next_after(const std::shared_ptr<const ReadModel>& older,
                                              Wanted wanted) {
    EXPECT_TRUE(engine_->drain(20'000'000'000));
    const Nanos deadline = monotonic_now() + 20'000'000'000;
    auto m = engine_->read_model();
    while ((m == older || !wanted(*m)) && monotonic_now() < deadline) {
      std::this_thread::yield();
      m = engine_->read_model();
    }
    EXPECT_TRUE(m != older && wanted(*m)) << "no such publication within 20 s";
    return m;
  }

  // The read model as published now, then the one that rebuilt every view, at the same fold
  // state (the same count of applied inputs; a clock tick between the two is retried).
  void expect_equal_to_a_full_rebuild(const std::string& when) {
    for (int attempt = 0; attempt < 20; ++attempt) {
      ASSERT_TRUE(engine_->drain(20'000'000'000));
      const auto incremental = engine_->read_model();
      engine_->rebuild_every_view(true);
      // (A publication under way when the seam was set comes first, rebuilding less.)
      const auto full = next_after(
          incremental, [](const ReadModel& m) { return m.engine.views_rebuilt == m.bots.size(); });
      engine_->rebuild_every_view(false);
      if (incremental->engine.inputs != full->engine.inputs) continue;  // a tick came between
      EXPECT_EQ(shown(*incremental), shown(*full)) << when;
      ++compared_;
      return;
    }
    FAIL() << when << ": no two publications in a row at the same input";
  }

  BotId create(const char* json) {
    const CommandResult r = engine_->create_bot(UserId{1}, json);
    EXPECT_EQ(r.status, CommandStatus::kAccepted) << r.message;
    return r.bot;
  }
  void command(BotId bot, OperatorCommandKind kind) {
    const CommandResult r = engine_->bot_command(UserId{1}, true, bot, kind);
    EXPECT_EQ(r.status, CommandStatus::kAccepted) << r.message;
  }

  TempDir dir_;
  EngineConfig config_;
  std::unique_ptr<Engine> engine_;
  Market market_{20261208};
  int compared_ = 0;
};

TEST_F(ReadModelPublication, ShowsWhatARebuildOfEveryViewShowsThroughTradingAndCommands) {
  ASSERT_TRUE(start_trading(*engine_, market_, {kDcaBot, kGridBot, kDcaBot}));
  const auto bots = engine_->read_model()->bots.size();
  ASSERT_EQ(bots, 3u);
  const BotId dca = engine_->read_model()->bots[0].id;
  const BotId grid = engine_->read_model()->bots[1].id;
  const BotId second_dca = engine_->read_model()->bots[2].id;
  for (int round = 0; round < 6; ++round) {
    ASSERT_TRUE(offer_market(*engine_, market_, 200));
    expect_equal_to_a_full_rebuild("after market round " + std::to_string(round));
  }
  const auto traded = engine_->read_model();
  ASSERT_GT(traded->find(grid)->trades + traded->find(dca)->trades, 0u)
      << "the market never filled a bot: the test would compare idle views only";

  command(grid, OperatorCommandKind::kPauseBot);
  expect_equal_to_a_full_rebuild("after a pause");
  ASSERT_EQ(
      engine_->kill_switch(UserId{1}, true, CommandScope::kBotOrGlobal, index_of(dca), true).status,
      CommandStatus::kAccepted);
  ASSERT_TRUE(offer_market(*engine_, market_, 100));
  expect_equal_to_a_full_rebuild("after a bot's kill switch");
  ASSERT_TRUE(engine_->read_model()->find(dca)->kill_switch);

  const CommandResult updated = engine_->update_bot(UserId{1}, true, second_dca, kGridBot);
  ASSERT_EQ(updated.status, CommandStatus::kAccepted) << updated.message;
  expect_equal_to_a_full_rebuild("after a config update");
  ASSERT_EQ(engine_->read_model()->find(second_dca)->type, "grid");

  // A stopped bot takes no input, yet its position's mark and unrealized PnL move with the
  // market: its view must be rebuilt although none of its own records changed.
  command(grid, OperatorCommandKind::kStopBot);
  ASSERT_NE(engine_->read_model()->find(grid)->position.quantity, "0")
      << "the grid holds nothing: the stopped bot's valuation would not move";
  const std::string mark_before = engine_->read_model()->find(grid)->position.mark_price;
  ASSERT_TRUE(offer_market(*engine_, market_, 100));
  expect_equal_to_a_full_rebuild("after the market moved under a stopped bot");
  EXPECT_NE(engine_->read_model()->find(grid)->position.mark_price, mark_before);

  command(second_dca, OperatorCommandKind::kDeleteBot);
  const BotId late = create(kDcaBot);
  command(late, OperatorCommandKind::kStartBot);
  ASSERT_TRUE(offer_market(*engine_, market_, 200));
  expect_equal_to_a_full_rebuild("after a delete and a create");
  const auto last = engine_->read_model();
  EXPECT_EQ(last->find(second_dca), nullptr);
  ASSERT_NE(last->find(late), nullptr);
  EXPECT_EQ(last->bots.size(), 3u);

  // Trades at an unchanged price: the running bots handle them (their inputs and heartbeat
  // move) while no price they are valued at does.
  for (int k = 0; k < 2; ++k) {
    Trade t;
    t.instrument = InstrumentId{0};
    t.price = 50'000 * kUnit;
    t.quantity = kUnit / 100;
    t.aggressor = Side::kBuy;
    t.trade_id = 1'000'000 + static_cast<std::uint64_t>(k);
    const Nanos at = 1'796'000'000'000'000'000 + k * 1'000'000'000;
    ASSERT_TRUE(engine_->offer_event(Event::make(t, at, at)));
    ASSERT_TRUE(engine_->drain(20'000'000'000));
  }
  expect_equal_to_a_full_rebuild("after a trade at an unchanged price");
  EXPECT_GT(engine_->read_model()->find(late)->inputs_handled, last->find(late)->inputs_handled);
  EXPECT_EQ(compared_, 12);
}

// With nothing new in between, a publication shares every view with the one before; a command
// to one bot rebuilds that bot's view alone.
TEST_F(ReadModelPublication, RebuildsOnlyTheViewsOfBotsThatChanged) {
  std::vector<BotId> bots;
  for (int i = 0; i < 70; ++i)  // more than one chunk of views (engine/shared_views.hpp)
    bots.push_back(create(i % 2 ? kGridBot : kDcaBot));
  ASSERT_TRUE(offer_market(*engine_, market_, 20));  // prices for every instrument
  // Stopped bots take no market input, and no price moves without one: nothing to rebuild.
  ASSERT_TRUE(engine_->drain(20'000'000'000));
  const auto first = engine_->read_model();
  const auto again = next_after(first, [](const ReadModel&) { return true; });
  ASSERT_EQ(again->bots.size(), 70u);
  EXPECT_EQ(again->engine.views_rebuilt, 0u);
  for (std::size_t i = 0; i < 70; ++i)
    EXPECT_EQ(&first->bots[i], &again->bots[i]) << "bot " << i << " was rebuilt";

  const auto before = engine_->read_model();
  command(bots[65], OperatorCommandKind::kStartBot);  // stopped bots: no market input moves them
  const auto after = engine_->read_model();
  ASSERT_EQ(after->bots.size(), 70u);
  for (std::size_t i = 0; i < 70; ++i) {
    if (after->bots[i].id == bots[65]) {
      EXPECT_NE(&before->bots[i], &after->bots[i]);
      EXPECT_EQ(after->bots[i].state, BotState::kRunning);
      EXPECT_EQ(before->bots[i].state, BotState::kStopped);  // the older read model is intact
    } else {
      EXPECT_EQ(&before->bots[i], &after->bots[i]) << "bot " << i << " was rebuilt";
    }
  }
}

}  // namespace
}  // namespace be::engine
