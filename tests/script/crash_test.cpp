// Crash safety with script bots: a child runs the engine with two script bots (examples/
// grid.lua and a trade-driven script that keeps its counters in `state`) and is SIGKILLed at
// seeded moments (tests/support/crash_harness.hpp); each restart must recover exactly what a
// from-scratch replay of the journal gives, lose nothing the child saw committed, and at the
// end `botengine replay --verify` must pass and a fold restored from a snapshot taken
// mid-session must re-derive every later order and fill of the journal. Its own executable
// (label "crash"): a few kills per CI run (BE_CRASH_KILLS raises it for a soak).
#include <gtest/gtest.h>

#include "tests/engine/engine_fixture.hpp"
#include "tests/script/script_harness.hpp"
#include "tests/support/botengine_cli.hpp"
#include "tests/support/crash_harness.hpp"

namespace be::script::test {
namespace {

using namespace engine::test_support;

// Buys 0.001 BTC every `every`-th trade while flat, sells it back (reduce-only) the next time:
// its only memory is the `state` table, which snapshots and recovery must carry.
constexpr const char* kTickScript = R"(
local every = inputs.every
local quantity = bot.parse("0.001", bot.qty_scale)
function on_trade(price, qty, side)
  state.trades = (state.trades or 0) + 1
  state.last = price
  if state.trades % every ~= 0 or not bot.tradable() then return end
  if bot.position() == 0 then bot.buy(quantity, 1) else bot.sell(bot.position(), 2, true) end
end
function on_fill(side, price, quantity, fee, tag)
  state.fills = (state.fills or 0) + 1
end
)";

std::string tick_bot() {
  std::string json = script_config(kTickScript, R"("inputs":{"every":25})");
  return json;
}

std::string grid_bot() {
  return script_config(read_file(std::string(BE_SOURCE_DIR) + "/examples/grid.lua"),
                       R"("inputs":{"lower":"49000","upper":"51000","grids":20,)"
                       R"("quantity_per_grid":"0.001"})");
}

// Counts the FillApplied records after `after` that a replay reads.
class FillsAfter final : public engine::ReplayObserver {
 public:
  explicit FillsAfter(SequenceNumber after) : after_(after) {}
  void on_record(const Event& e) override {
    if (e.header.type == EventType::kFillApplied && e.header.sequence > after_) ++fills;
  }
  std::uint64_t fills = 0;

 private:
  SequenceNumber after_;
};

// A fold restored from the journal's newest snapshot at or before `at_most` re-derives every
// later record the journal holds (orders, fills, state hashes): identical trades.
void expect_identical_trades_after_a_restore(const engine::EngineConfig& config,
                                             SequenceNumber at_most) {
  auto reader = journal::Reader::open(config.data_dir + "/journal");
  ASSERT_TRUE(reader.has_value()) << reader.error().message;
  journal::SnapshotView view;
  bool found = false;
  ASSERT_TRUE((*reader)->find_snapshot(at_most, view, found).ok());
  ASSERT_TRUE(found) << "no snapshot at or before " << at_most;
  const SequenceNumber snapshot = view.sequence;
  DeploymentFold restored(config);
  const auto loaded = engine::restore_snapshot(**reader, snapshot, restored.fold);
  ASSERT_TRUE(loaded.has_value()) << loaded.error();
  FillsAfter fills(snapshot);
  engine::JournalReplayer replayer(**reader, &restored.fold, engine::JournalReplayer::Options{},
                                   &fills);
  const auto result = replayer.run(snapshot + 1);
  ASSERT_TRUE(result.has_value()) << result.error();
  EXPECT_EQ(result->counts.mismatches, 0u) << "after the snapshot at " << snapshot;
  EXPECT_GT(result->counts.compared, 0u);
  EXPECT_GT(fills.fills, 0u) << "no trade after the snapshot at " << snapshot;
  EXPECT_EQ(restored.fold.hashes().combined, replay_from_scratch(config).hash);
}

TEST(ScriptCrashTest, shouldRecoverScriptBotsFromSigkillAtRandomMoments) {
  TempDir dir;
  EngineConfig config = test_config(dir.path);
  config.idle = "yield";
  std::uint64_t market_seed = 300;
  const std::string grid = grid_bot();
  const std::string tick = tick_bot();

  // Each report: the journal's committed watermark the child saw (every 50 market inputs).
  be::test::CrashScenario<std::uint64_t> scenario;
  scenario.default_kills = 4;  // a few per CI run; the soak raises BE_CRASH_KILLS
  scenario.schedule = {.min_reports = 2, .max_reports = 41};
  scenario.before_fork = [&](be::test::CrashRound& round) {
    config.topology = round.index % 2 == 1 ? Topology::kPipelined : Topology::kFused;
  };
  scenario.child = [&](const be::test::CrashRound& round, const auto& report) {
    auto opened = Engine::open(config);
    if (!opened || !(*opened)->start()) be::test::exit_child(3);
    Engine& engine = **opened;
    Market market(market_seed, 1'795'000'000'000'000'000 + round.index * 3'600'000'000'000LL);
    // The first child creates and starts the bots; a later one starts any a kill left
    // created but not yet started.
    const auto model = engine.read_model();
    if (model->bots.empty()) {
      if (!start_trading(engine, market, {grid.c_str(), tick.c_str()})) be::test::exit_child(4);
    }
    for (const BotView& b : model->bots) {
      if (b.state != BotState::kRunning) {
        engine.bot_command(UserId{1}, false, b.id, OperatorCommandKind::kStartBot);
      }
    }
    for (std::uint64_t i = 0;; ++i) {
      while (!engine.offer_event(market.next())) {
      }
      if (i % 50 == 0) report(engine.read_model()->engine.journal_committed);
    }
  };
  scenario.check = [&](const be::test::CrashRound& round,
                       const std::vector<std::uint64_t>& reports) {
    std::uint64_t committed = 0;
    for (const std::uint64_t c : reports)
      committed = std::max(committed, c);
    auto engine = open_engine(config);
    ASSERT_TRUE(engine);
    const auto& rec = engine->recovery();
    ++market_seed;
    EXPECT_GE(rec.last_position, committed) << "committed records lost";
    EXPECT_EQ(rec.derived_mismatches, 0u);
    const ScratchReplay scratch = replay_from_scratch(config);
    EXPECT_EQ(scratch.derived_mismatches, 0u);
    ASSERT_EQ(rec.state_hash, scratch.hash);
    // No script failed (a failed one goes to `error`): the bots are as the child left them.
    for (const BotView& b : engine->read_model()->bots)
      EXPECT_NE(b.state, BotState::kError) << "bot " << index_of(b.id) << ": " << b.state_reason;
    const SequenceNumber last = rec.last_position;
    engine.reset();
    if (round.index + 1 == round.kills) {
      // The real CLI's verification, and a restore from a snapshot in the middle.
#ifdef BE_BOTENGINE_PATH
      const be::test::CliResult verified =
          be::test::run_botengine("replay " + config.data_dir + "/journal --verify");
      EXPECT_EQ(verified.exit_code, 0) << verified.output;
      EXPECT_NE(verified.output.find("verified: "), std::string::npos) << verified.output;
#endif
      expect_identical_trades_after_a_restore(config, last / 2);
    }
  };
  be::test::run_crash_rounds(scenario);
}

}  // namespace
}  // namespace be::script::test
