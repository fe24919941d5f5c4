// The engine end to end in both topologies (fused and pipelined): trade, journal and
// recover the same state after a restart; send paper orders only once their input is
// durable; no allocation per input after warm-up; every order answered while market data
// fills the ingress.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine/engine.hpp"
#include "engine/engine_impl.hpp"
#include "journal/reader.hpp"
#include "tests/engine/allocation_probe.hpp"
#include "tests/engine/engine_fixture.hpp"
#include "tests/support/alloc_counter.hpp"
#include "tests/support/sanitizers.hpp"

namespace be::engine {
namespace {

using namespace test_support;

// Both topologies: a pipelined engine's journal must replay through the fused fold to the
// same state, record for record.
class EngineTopologyTest : public ::testing::TestWithParam<Topology> {};

TEST_P(EngineTopologyTest, shouldTradeJournalAndRecoverTheSameStateAfterARestart) {
  TempDir dir;
  EngineConfig config = test_config(dir.path);
  config.topology = GetParam();
  config.idle = "yield";  // three stage threads on a 2-core machine
  std::uint64_t hash_at_stop = 0;
  std::vector<FillView> fills_at_stop;
  std::uint64_t trades_at_stop = 0;
  std::size_t equity_points_at_stop = 0;
  BotId dca_bot{};
  {
    auto engine = open_engine(config);
    ASSERT_TRUE(engine);
    ASSERT_TRUE(engine->start().has_value());
    const CommandResult dca = engine->create_bot(UserId{1}, kDcaBot);
    ASSERT_EQ(dca.status, CommandStatus::kAccepted) << dca.message;
    const CommandResult grid = engine->create_bot(UserId{1}, kGridBot);
    ASSERT_EQ(grid.status, CommandStatus::kAccepted) << grid.message;
    Market market(1, wall_clock_now());
    for (int i = 0; i < 50; ++i)
      ASSERT_TRUE(engine->offer_event(market.next()));
    ASSERT_TRUE(engine->drain(10'000'000'000));
    ASSERT_EQ(engine->bot_command(UserId{1}, false, dca.bot, OperatorCommandKind::kStartBot).status,
              CommandStatus::kAccepted);
    ASSERT_EQ(
        engine->bot_command(UserId{1}, false, grid.bot, OperatorCommandKind::kStartBot).status,
        CommandStatus::kAccepted);
    // Someone else's bot is not there for them; starting a running bot is a conflict.
    EXPECT_EQ(engine->bot_command(UserId{2}, false, dca.bot, OperatorCommandKind::kPauseBot).status,
              CommandStatus::kNotFound);
    EXPECT_EQ(engine->bot_command(UserId{1}, false, dca.bot, OperatorCommandKind::kStartBot).status,
              CommandStatus::kConflict);
    ASSERT_TRUE(offer_market(*engine, market, 6000));
    const auto model = engine->read_model();
    ASSERT_TRUE(model);
    EXPECT_GT(model->engine.orders_sent, 0u);
    EXPECT_GT(model->engine.fills, 0u);
    const BotView* view = model->find(dca.bot);
    ASSERT_NE(view, nullptr);
    EXPECT_EQ(view->state, BotState::kRunning);
    EXPECT_FALSE(view->orders.empty());
    engine->stop();
    hash_at_stop = engine->state_hash();
    fills_at_stop = view->fills;
    trades_at_stop = view->trades;
    dca_bot = dca.bot;
    equity_points_at_stop = view->equity.size();
  }
  auto reopened = open_engine(config);
  ASSERT_TRUE(reopened);
  {
    // The read model's history (fills, equity curve) comes back with the state.
    const BotView* view = reopened->read_model()->find(dca_bot);
    ASSERT_NE(view, nullptr);
    EXPECT_GT(trades_at_stop, 0u);
    EXPECT_EQ(view->trades, trades_at_stop);
    ASSERT_EQ(view->fills.size(), fills_at_stop.size());
    for (std::size_t i = 0; i < fills_at_stop.size(); ++i) {
      EXPECT_EQ(view->fills[i].client_order_id, fills_at_stop[i].client_order_id);
      EXPECT_EQ(view->fills[i].price, fills_at_stop[i].price);
      EXPECT_EQ(view->fills[i].sequence, fills_at_stop[i].sequence);
    }
    EXPECT_GE(view->equity.size(), equity_points_at_stop);
  }
  EXPECT_EQ(reopened->recovery().state_hash, hash_at_stop);
  EXPECT_GT(reopened->recovery().snapshot_position, 0u) << "the final snapshot was used";
  EXPECT_EQ(reopened->recovery().derived_mismatches, 0u);
  const ScratchReplay scratch = replay_from_scratch(config);
  EXPECT_EQ(scratch.hash, hash_at_stop);
  EXPECT_EQ(scratch.derived_mismatches, 0u);
  for (const auto& [id, count] : scratch.orders_sent)
    EXPECT_EQ(count, 1) << "client id sent twice";
  // Restarted in the same topology, the engine carries on from the recovered state.
  ASSERT_TRUE(reopened->start().has_value());
  Market later(2, 1'796'000'000'000'000'000);
  ASSERT_TRUE(offer_market(*reopened, later, 200));
  const auto after = reopened->read_model();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->engine.topology, to_string(GetParam()));
  EXPECT_GE(after->engine.inputs, 200u);
  reopened->stop();
  EXPECT_EQ(replay_from_scratch(config).hash, reopened->state_hash());
}

// Durable mode: an order reaches the paper venue only after a journaled release input says
// the journal's durable watermark covers the input that made it; so no venue answer about an
// order precedes that order's release, and a replay releases at the same points.
TEST_P(EngineTopologyTest, shouldSendPaperOrdersOnlyOnceTheirInputIsDurable) {
  TempDir dir;
  EngineConfig config = test_config(dir.path);
  config.topology = GetParam();
  config.idle = "yield";
  config.journal = JournalMode::kDurable;
  std::uint64_t hash_at_stop = 0;
  {
    auto engine = open_engine(config);
    ASSERT_TRUE(engine);
    ASSERT_TRUE(engine->start().has_value());
    const CommandResult grid = engine->create_bot(UserId{1}, kGridBot);
    ASSERT_EQ(grid.status, CommandStatus::kAccepted) << grid.message;
    // Market time from the wall clock: the engine's clock ticks carry wall time, and a market
    // days in the past would have its bars overtaken by them (no bar, no grid order) on a
    // slow run.
    Market market(7, wall_clock_now());
    ASSERT_TRUE(offer_market(*engine, market, 50));
    ASSERT_EQ(
        engine->bot_command(UserId{1}, false, grid.bot, OperatorCommandKind::kStartBot).status,
        CommandStatus::kAccepted);
    // In chunks: a drain returns once the read model shows the chunk, which the replica
    // publishes from committed (here: synced) records, so the next chunk's inputs find the
    // held orders released and trade against them (in one burst the pipeline could take the
    // whole market before the first sync).
    for (int chunk = 0; chunk < 20; ++chunk)
      ASSERT_TRUE(offer_market(*engine, market, 100));
    EXPECT_GT(engine->read_model()->engine.fills, 0u) << "released orders were filled";
    engine->stop();
    hash_at_stop = engine->state_hash();
  }
  auto reader = journal::Reader::open(config.data_dir + "/journal");
  ASSERT_TRUE(reader.has_value());
  journal::RecordView view;
  SequenceNumber ordinal = 0, released_through = 0;
  std::uint64_t releases = 0, answers = 0;
  std::map<std::pair<std::uint32_t, SequenceNumber>, SequenceNumber> made_by;  // order -> input
  while ((*reader)->next(view) == journal::ReadStatus::kRecord) {
    Event e;
    ASSERT_TRUE(journal::decode(view, e).ok());
    if (!e.derived()) ++ordinal;
    if (e.header.type == EventType::kOrderNew) {
      const auto o = e.as<OrderNew>();
      made_by[{index_of(o.bot), o.client_sequence}] = ordinal;
    } else if (e.header.type == EventType::kTimer) {
      const auto t = e.as<Timer>();
      if (t.owner == kNoBot && t.timer_id == kReleaseTimer) {
        ++releases;
        released_through = std::max(released_through, static_cast<SequenceNumber>(t.deadline));
      }
    } else if (e.header.type == EventType::kOrderUpdate) {
      const auto u = e.as<OrderUpdate>();
      if (u.reason >= kLocalRejectBase) continue;  // local rejects never went out
      const auto it = made_by.find({index_of(u.bot), u.client_sequence});
      if (it == made_by.end()) continue;
      ++answers;
      ASSERT_LE(it->second, released_through)
          << "the venue answered about an order before its release, at position " << view.sequence;
    }
  }
  EXPECT_GT(releases, 0u);
  EXPECT_GT(answers, 0u);
  const ScratchReplay scratch = replay_from_scratch(config);
  EXPECT_EQ(scratch.derived_mismatches, 0u);
  EXPECT_EQ(scratch.hash, hash_at_stop);
}

// The engine's per-input path after warm-up, bots trading: the fold, the journal hand-off,
// the stream and notifier rings, paper answers and loop-backs, read-model fill history. The
// probe runs on the thread that finishes inputs (fused: the only one; pipelined: the orders
// stage) and counts what that thread allocated since the previous input. The clock tick,
// publishing and snapshots, which allocate and are not per input, are pushed out of the
// measured window (an hour apart) and no drain() (which publishes) runs inside it.
TEST_P(EngineTopologyTest, shouldNotAllocateOnThePerInputPathAfterWarmUp) {
  if (!test::allocation_counting_available())
    GTEST_SKIP() << "allocation counting unavailable here";
  TempDir dir;
  EngineConfig config = test_config(dir.path);
  config.topology = GetParam();
  quiet_housekeeping(config);
  AllocationProbe probe;
  auto engine = open_engine(config);
  ASSERT_TRUE(engine);
  engine->set_latency_probe(&probe);
  ASSERT_TRUE(engine->start().has_value());
  Market market(9, wall_clock_now());
  ASSERT_TRUE(start_trading(*engine, market, {kGridBot, kDcaBot}));
  ASSERT_TRUE(offer_market(*engine, market, 20'000));  // warm-up: every bot has traded
  const SequenceNumber before = engine->applied_inputs();
  probe.measuring.store(true, std::memory_order_release);
  constexpr int kMeasured = 20'000;
  for (int i = 0; i < kMeasured; ++i) {
    const Event e = market.next();
    while (!engine->offer_event(e))
      std::this_thread::yield();  // the pipeline is behind: wait for room
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (engine->applied_inputs() < before + kMeasured &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  probe.measuring.store(false, std::memory_order_release);
  ASSERT_TRUE(engine->drain(20'000'000'000));
  engine->set_latency_probe(nullptr);
  engine->stop();
  EXPECT_GE(probe.inputs, static_cast<std::uint64_t>(kMeasured) - 1);
  EXPECT_GT(probe.answers, 0u) << "venue answers came through the measured window";
  EXPECT_EQ(probe.allocations, 0u) << "over " << probe.inputs << " inputs";
}

// Regression: the paper venue's answers went through the ingress, and market data offered
// faster than the pipeline drains it filled the ingress, so answers were refused and lost
// (orders stayed pending forever; the pipelined topology lost most of them). They now take
// their own ring, drained first.
TEST_P(EngineTopologyTest, shouldAnswerEveryOrderWhenMarketDataFillsTheIngress) {
  TempDir dir;
  EngineConfig config = test_config(dir.path);
  config.topology = GetParam();
  config.idle = "yield";
  config.ingress_capacity = 256;  // market data fills it at once
  auto engine = open_engine(config);
  ASSERT_TRUE(engine);
  ASSERT_TRUE(engine->start().has_value());
  Market market(11, wall_clock_now());
  ASSERT_TRUE(start_trading(*engine, market, {kGridBot, kDcaBot}));
  // The ingress is full after its first 256 inputs; what matters is that orders are answered
  // while it stays full, so under TSan (whose instrumentation makes each input ~10x dearer) a
  // fifth of the flood keeps the ingress full just as long in wall time.
  const int flood = be::test::kThreadSanitizer ? 4'000 : 20'000;
  for (int i = 0; i < flood; ++i) {  // as fast as the ingress takes them
    const Event e = market.next();
    while (!engine->offer_event(e))
      std::this_thread::yield();
  }
  ASSERT_TRUE(engine->drain(60'000'000'000));
  const SequenceNumber flood_end = engine->read_model()->engine.last_sequence;
  for (int i = 0; i < 10; ++i)  // market time moves on: the venue answers what is due
    ASSERT_TRUE(offer_market(*engine, market, 20));
  const auto model = engine->read_model();
  for (const std::string& problem : model->engine.problems)
    EXPECT_EQ(problem.find("feedback"), std::string::npos) << problem;
  engine->stop();

  auto reader = journal::Reader::open(config.data_dir + "/journal");
  ASSERT_TRUE(reader.has_value());
  journal::RecordView view;
  std::map<std::pair<std::uint32_t, SequenceNumber>, SequenceNumber> unanswered;
  std::uint64_t orders = 0;
  while ((*reader)->next(view) == journal::ReadStatus::kRecord) {
    Event e;
    ASSERT_TRUE(journal::decode(view, e).ok());
    if (e.header.type == EventType::kOrderNew) {
      const auto o = e.as<OrderNew>();
      unanswered[{index_of(o.bot), o.client_sequence}] = view.sequence;
      ++orders;
    } else if (e.header.type == EventType::kOrderUpdate) {
      const auto u = e.as<OrderUpdate>();
      unanswered.erase({index_of(u.bot), u.client_sequence});
    }
  }
  EXPECT_GT(orders, 10u);
  for (const auto& [order, position] : unanswered)
    EXPECT_GT(position, flood_end) << "order be" << order.first << "x" << order.second
                                   << " sent at " << position << " was never answered";
}

INSTANTIATE_TEST_SUITE_P(Topologies, EngineTopologyTest,
                         ::testing::Values(Topology::kFused, Topology::kPipelined),
                         [](const ::testing::TestParamInfo<Topology>& param) {
                           return std::string(to_string(param.param));
                         });
}  // namespace
}  // namespace be::engine
