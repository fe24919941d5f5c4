// The engine end to end without sockets: market inputs offered through the bench hook, bots
// created and steered through the ControlPlane, the journal, restart recovery, SIGKILL at
// random moments, replay from scratch, and the fold's zero-allocation hot path.
//
// Children are forked before the parent starts any thread and leave with _exit().
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "engine/engine_impl.hpp"
#include "engine/fold.hpp"
#include "journal/reader.hpp"
#include "tests/engine/allocation_probe.hpp"
#include "tests/engine/engine_fixture.hpp"
#include "tests/support/alloc_counter.hpp"

namespace be::engine {
namespace {

using namespace test_support;

// The phases run on three threads in the pipelined topology, so while input n is in the
// order phase, n+1 is in the risk phase and n+2 in the strategy phase. Run exactly that
// interleaving on one thread and it must derive what apply() derives, input by input.
TEST(FoldPhasesTest, shouldDeriveTheSameRecordsWhenThePhasesOfSuccessiveInputsOverlap) {
  TempDir dir;
  const EngineConfig config = test_config(dir.path);
  const InstrumentTable table(config.instruments);
  const auto balances = Engine::Impl::paper_balances(config, table);
  // The fused fold's paper venue answers are fed back as the next inputs, as the engine
  // does; the staged fold then replays that exact input list (its answers dropped).
  struct Collect final : oms::VenueResponses {
    std::vector<Event> answers;
    void respond(const OrderUpdate& u, Nanos t, Nanos) noexcept override {
      answers.push_back(Event::make(u, t, t));
    }
    void respond(const BalanceUpdate& b, Nanos t, Nanos) noexcept override {
      answers.push_back(Event::make(b, t, t));
    }
    void connectivity(VenueId, ConnectivityState, Nanos) noexcept override {}
  } collect;
  Drop drop;
  Fold fused(Engine::Impl::fold_config(config, balances), collect);
  Fold staged(Engine::Impl::fold_config(config, balances), drop);
  std::vector<Event> inputs;
  inputs.push_back(Event::make(table.definition(0), 1, 1));
  std::string grid = kGridBot;
  std::string dca = kDcaBot;
  for (std::uint32_t bot = 0; bot < 2; ++bot) {
    const std::string& json = bot == 0 ? grid : dca;
    BlobRef ref;
    ref.blob_id = bot + 1;
    ref.size = static_cast<std::uint32_t>(json.size());
    ref.data = reinterpret_cast<const std::byte*>(json.data());
    inputs.push_back(Event::make(ref, 1, 1));
    OperatorCommand c;
    c.kind = OperatorCommandKind::kCreateBot;
    c.bot = BotId{bot};
    c.blob_id = bot + 1;
    inputs.push_back(Event::make(c, 1, 1));
  }
  Market market(5);
  for (int i = 0; i < 40; ++i)
    inputs.push_back(market.next());
  for (std::uint32_t bot = 0; bot < 2; ++bot) {
    OperatorCommand c;
    c.kind = OperatorCommandKind::kStartBot;
    c.bot = BotId{bot};
    inputs.push_back(Event::make(c, 1, 1));
  }
  for (int i = 0; i < 4000; ++i)
    inputs.push_back(market.next());

  std::vector<std::vector<Event>> expected;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    collect.answers.clear();
    const auto records = fused.apply(inputs[i], i + 1);
    expected.emplace_back(records.begin(), records.end());
    inputs.insert(inputs.begin() + static_cast<std::ptrdiff_t>(i) + 1, collect.answers.begin(),
                  collect.answers.end());
  }
  std::vector<FoldBatch> batches;
  for (int i = 0; i < 3; ++i)
    batches.push_back(staged.make_batch());
  std::size_t derived = 0;
  const std::size_t n = inputs.size();
  for (std::size_t step = 0; step < n + 2; ++step) {
    // Order phase of input step-2, risk of step-1, strategy of step: the stages' threads.
    if (step >= 2) {
      FoldBatch& b = batches[(step - 2) % 3];
      staged.order_phase(b);
      const auto got = b.records.records();
      const auto& want = expected[step - 2];
      ASSERT_EQ(got.size(), want.size()) << "input " << step - 1;
      for (std::size_t r = 0; r < got.size(); ++r) {
        ASSERT_EQ(got[r].header.type, want[r].header.type) << "input " << step - 1;
        ASSERT_EQ(
            0, std::memcmp(got[r].payload.data(), want[r].payload.data(), want[r].payload.size()))
            << "input " << step - 1 << " record " << r;
      }
      derived += got.size() - 1;
    }
    if (step >= 1 && step - 1 < n) staged.risk_phase(batches[(step - 1) % 3]);
    if (step < n) staged.strategy_phase(inputs[step], step + 1, batches[step % 3]);
  }
  EXPECT_GT(derived, 50u) << "the bots traded";
  EXPECT_GT(staged.stats()["fills"], 0u);
  EXPECT_EQ(staged.hashes().combined, fused.hashes().combined);
}

// A snapshot this build refuses (here: taken with other table capacities) is skipped and the
// journal replayed from the start. Regression: the rebuilt fold answered into a sink that had
// gone out of scope, and the tail replay crashed.
TEST(EngineTest, shouldReplayFromTheStartWhenTheSnapshotIsRefused) {
  TempDir dir;
  EngineConfig config = test_config(dir.path);
  {
    auto engine = open_engine(config);
    ASSERT_TRUE(engine);
    ASSERT_TRUE(engine->start().has_value());
    Market market(3, wall_clock_now());
    ASSERT_TRUE(start_trading(*engine, market, {kGridBot}));
    ASSERT_TRUE(offer_market(*engine, market, 2000));
    engine->stop();
  }
  // The snapshots hold feed health for 16 venues: not 8 (other table sizes restore when what
  // they hold fits, docs/ARCHITECTURE.md "Capacity"; a venue count never changes).
  config.fold.strategy.venues = 8;
  auto reopened = open_engine(config);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->recovery().snapshot_position, 0u) << "no snapshot restores";
  EXPECT_GT(reopened->recovery().tail_records, 2000u);
  EXPECT_EQ(reopened->recovery().derived_mismatches, 0u);
  EXPECT_EQ(reopened->recovery().state_hash, replay_from_scratch(config).hash);
}

// Instrument ids are the deployment's: the second venue's first symbol is instrument 1, not
// (as each venue's own symbol table numbered them) instrument 0.
TEST(EngineTest, shouldNumberInstrumentsAcrossVenuesAsTheDeploymentDoes) {
  TempDir dir;
  auto parsed = parse_engine_config(R"({
    "engine": {"journal": "async"},
    "venues": [{"name": "binance"}, {"name": "binance_us"}],
    "instruments": [
      {"venue": "binance", "symbol": "BTCUSDT", "base": "BTC", "quote": "USDT"},
      {"venue": "binance_us", "symbol": "ETHUSD", "base": "ETH", "quote": "USD"}]})");
  ASSERT_TRUE(parsed.has_value());
  EngineConfig config = *parsed;
  config.data_dir = dir.path.string();
  {
    auto engine = open_engine(config);
    ASSERT_TRUE(engine);
    ASSERT_TRUE(engine->start().has_value());
    const std::string frame =
        R"({"stream":"ethusd@aggTrade","data":{"e":"aggTrade","E":1672515782136,"s":"ETHUSD",)"
        R"("a":7,"p":"1200.50000000","q":"0.50000000","f":1,"l":1,"T":1672515782134,"m":true,)"
        R"("M":true}})";
    ASSERT_TRUE(engine->offer_frame(1, frame, wall_clock_now(), 0));
    ASSERT_TRUE(engine->drain(10'000'000'000));
    engine->stop();
  }
  auto reader = journal::Reader::open(config.data_dir + "/journal");
  ASSERT_TRUE(reader.has_value());
  journal::RecordView view;
  int trades = 0;
  while ((*reader)->next(view) == journal::ReadStatus::kRecord) {
    Event e;
    ASSERT_TRUE(journal::decode(view, e).ok());
    if (e.header.type != EventType::kTrade) continue;
    ++trades;
    EXPECT_EQ(index_of(e.as<Trade>().instrument), 1u);
    EXPECT_EQ(e.as<Trade>().price, 120'050'000'000);  // 1200.5 at scale 8
  }
  EXPECT_EQ(trades, 1);
}

// A deleted bot's id is never given again, across a restart too: its client order ids are in
// the journal and at the venue. (The newest bot deleted, then a restart, used to hand its id
// to the next bot.)
TEST(EngineTest, shouldNeverReuseADeletedBotsIdAfterARestart) {
  TempDir dir;
  const EngineConfig config = test_config(dir.path);
  BotId deleted{};
  {
    auto engine = open_engine(config);
    ASSERT_TRUE(engine);
    ASSERT_TRUE(engine->start().has_value());
    ASSERT_EQ(engine->create_bot(UserId{1}, kGridBot).status, CommandStatus::kAccepted);
    const CommandResult newest = engine->create_bot(UserId{1}, kDcaBot);
    ASSERT_EQ(newest.status, CommandStatus::kAccepted);
    deleted = newest.bot;
    ASSERT_EQ(
        engine->bot_command(UserId{1}, false, deleted, OperatorCommandKind::kDeleteBot).status,
        CommandStatus::kAccepted);
    engine->stop();
  }
  auto reopened = open_engine(config);
  ASSERT_TRUE(reopened);
  ASSERT_TRUE(reopened->start().has_value());
  const CommandResult next = reopened->create_bot(UserId{1}, kDcaBot);
  ASSERT_EQ(next.status, CommandStatus::kAccepted) << next.message;
  EXPECT_GT(index_of(next.bot), index_of(deleted));
  reopened->stop();
}

// The journal is the notifier's outbox: at start the engine hands every Notification after
// the notifier's cursor to the handler, in journal order, before any live one.
TEST(EngineTest, shouldReofferJournaledNotificationsAfterTheCursorAtStart) {
  TempDir dir;
  EngineConfig config = test_config(dir.path);
  std::vector<SequenceNumber> journaled;
  {
    auto engine = open_engine(config);
    ASSERT_TRUE(engine);
    ASSERT_TRUE(engine->start().has_value());
    const CommandResult grid = engine->create_bot(UserId{1}, kGridBot);
    ASSERT_EQ(grid.status, CommandStatus::kAccepted) << grid.message;
    Market market(5);
    for (int i = 0; i < 50; ++i)
      ASSERT_TRUE(engine->offer_event(market.next()));
    ASSERT_TRUE(engine->drain(10'000'000'000));
    ASSERT_EQ(
        engine->bot_command(UserId{1}, false, grid.bot, OperatorCommandKind::kStartBot).status,
        CommandStatus::kAccepted);
    ASSERT_TRUE(offer_market(*engine, market, 3000));
    engine->stop();
  }
  {
    auto reader = journal::Reader::open(config.data_dir + "/journal");
    ASSERT_TRUE(reader.has_value());
    journal::RecordView view;
    while ((*reader)->next(view) == journal::ReadStatus::kRecord) {
      if (view.type == EventType::kNotification) journaled.push_back(view.sequence);
    }
  }
  ASSERT_GE(journaled.size(), 4u);
  const SequenceNumber cursor = journaled[journaled.size() / 2];
  config.notifications_after = cursor;
  auto engine = open_engine(config);
  ASSERT_TRUE(engine);
  std::mutex m;
  std::vector<SequenceNumber> handed;
  engine->set_notification_handler([&](SequenceNumber seq, Nanos, const Notification&) {
    std::lock_guard lock(m);
    handed.push_back(seq);
  });
  ASSERT_TRUE(engine->start().has_value());
  ASSERT_TRUE(engine->drain(10'000'000'000));
  engine->stop();
  std::vector<SequenceNumber> expected;
  for (SequenceNumber s : journaled) {
    if (s > cursor) expected.push_back(s);
  }
  std::lock_guard lock(m);
  ASSERT_GE(handed.size(), expected.size());
  EXPECT_EQ(std::vector<SequenceNumber>(
                handed.begin(), handed.begin() + static_cast<std::ptrdiff_t>(expected.size())),
            expected);
  EXPECT_TRUE(std::is_sorted(handed.begin(), handed.end()));
}

// Every stage's counters reach /metrics from their tables (core/counters.hpp), with the
// table's help text, and count what happened: one refused start is one bad command.
TEST(EngineTest, shouldExportEveryStageCounterToMetrics) {
  TempDir dir;
  auto engine = open_engine(test_config(dir.path));
  ASSERT_TRUE(engine);
  ASSERT_TRUE(engine->start().has_value());
  const CommandResult dca = engine->create_bot(UserId{1}, kDcaBot);
  ASSERT_EQ(dca.status, CommandStatus::kAccepted) << dca.message;
  ASSERT_EQ(engine->bot_command(UserId{1}, false, dca.bot, OperatorCommandKind::kStartBot).status,
            CommandStatus::kAccepted);
  ASSERT_EQ(engine->bot_command(UserId{1}, false, dca.bot, OperatorCommandKind::kStartBot).status,
            CommandStatus::kConflict);
  Market market(1, wall_clock_now());
  ASSERT_TRUE(offer_market(*engine, market, 2000));
  ASSERT_TRUE(engine->drain(10'000'000'000));
  // Clock ticks keep arriving while the engine runs, and /metrics and the read model are two
  // publications: compare them once the engine has stopped, when the last one holds still.
  engine->stop();
  const std::string metrics = engine->metrics_text();
  EXPECT_NE(metrics.find("# HELP botengine_strategy_bad_commands_total Bot commands refused: "
                         "unknown bot, bad config, wrong state.\n# TYPE "
                         "botengine_strategy_bad_commands_total counter\n"
                         "botengine_strategy_bad_commands_total 1\n"),
            std::string::npos)
      << metrics;
  const auto value = [&](const std::string& name) -> std::optional<std::uint64_t> {
    const std::string prefix = "\n" + name + " ";
    const std::size_t at = metrics.find(prefix);
    if (at == std::string::npos) return std::nullopt;
    return std::stoull(metrics.substr(at + prefix.size()));
  };
  const auto model = engine->read_model();
  ASSERT_TRUE(model);
  // Each table's every counter, under its part's name; the order stage's agree with the
  // read model's totals.
  const auto expect_all = [&](const std::string& part, const auto& table) {
    for (const CounterSpec& c : table.specs) {
      const bool gauge = c.kind == CounterKind::kGauge;
      const std::string name =
          "botengine_" + part + "_" + std::string(c.name) + (gauge ? "" : "_total");
      EXPECT_TRUE(value(name)) << name;
      EXPECT_NE(metrics.find("# TYPE " + name + (gauge ? " gauge\n" : " counter\n")),
                std::string::npos)
          << name;
    }
  };
  expect_all("strategy", stage::kStrategyCounters);
  expect_all("feed_health", kFeedHealthCounters);
  expect_all("risk", risk::kRiskStageCounters);
  expect_all("order_stage", oms::kOrderStageCounters);
  expect_all("paper", oms::kPaperCounters);
  expect_all("journal", journal::kJournalCounters);
  EXPECT_EQ(value("botengine_journal_live_segments"), 1u);
  EXPECT_GT(model->engine.orders_sent, 0u);
  EXPECT_EQ(value("botengine_order_stage_orders_sent_total"), model->engine.orders_sent);
  EXPECT_EQ(value("botengine_strategy_inputs_total"), model->engine.inputs);
}

TEST(EngineTest, shouldNameEveryBadFieldOfABotConfig) {
  TempDir dir;
  EngineConfig config = test_config(dir.path);
  config.journal = JournalMode::kOff;
  auto engine = open_engine(config);
  ASSERT_TRUE(engine);
  ASSERT_TRUE(engine->start().has_value());
  const CommandResult r = engine->create_bot(
      UserId{1},
      R"({"name":"x","symbol":"NOPE","strategy":{"type":"rsi","parameters":{"period":-1}}})");
  EXPECT_EQ(r.status, CommandStatus::kInvalid);
  std::set<std::string> fields;
  for (const auto& e : r.errors)
    fields.insert(e.field);
  EXPECT_TRUE(fields.count("symbol")) << r.message;
  EXPECT_TRUE(fields.count("strategy.parameters.period")) << r.message;
  engine->stop();
}

TEST(EngineConfigTest, shouldReadThePipelinedTopologyAndNameABadCpuList) {
  const std::string instruments =
      R"("instruments": [{"venue": "binance", "symbol": "BTCUSDT", "base": "BTC",
         "quote": "USDT"}], "venues": [{"name": "binance"}])";
  const auto good = parse_engine_config(
      R"({"engine": {"topology": "pipelined", "cpus": [0, 1, -1]}, )" + instruments + "}");
  ASSERT_TRUE(good.has_value());
  EXPECT_EQ(good->topology, Topology::kPipelined);
  // engine.cpus is the older spelling of threads.pipeline, .risk and .orders (-1: unset).
  EXPECT_EQ(good->threads[ThreadRole::kPipeline], CpuSet::of(0));
  EXPECT_EQ(good->threads[ThreadRole::kRisk], CpuSet::of(1));
  EXPECT_FALSE(good->threads[ThreadRole::kOrders].has_value());
  const auto bad = parse_engine_config(R"({"engine": {"topology": "sharded", "cpus": [0, "x"]}, )" +
                                       instruments + "}");
  ASSERT_FALSE(bad.has_value());
  std::set<std::string> fields;
  for (const auto& e : bad.error())
    fields.insert(e.field);
  EXPECT_TRUE(fields.count("engine.topology"));
  EXPECT_TRUE(fields.count("engine.cpus"));
  EXPECT_TRUE(fields.count("engine.cpus[1]"));
}

// The `threads` section (docs/CONFIG.md): a CPU set or "any" per role and a policy.
TEST(EngineConfigTest, shouldReadThreadPlacementAndNameEveryBadField) {
  const std::string instruments =
      R"("instruments": [{"venue": "binance", "symbol": "BTCUSDT", "base": "BTC",
         "quote": "USDT"}])";
  const auto fallback = parse_engine_config("{" + instruments + "}");
  ASSERT_TRUE(fallback.has_value());
  EXPECT_EQ(fallback->threads.policy, PlacementPolicy::kAuto) << "a deployment's default";
  for (std::size_t i = 0; i < kThreadRoles; ++i)
    EXPECT_FALSE(fallback->threads.roles[i].has_value());

  const auto good = parse_engine_config(
      R"({"threads": {"policy": "none", "pipeline": 3, "journal": "1-2,5", "api": "any",
          "replica": "2", "others": "0"}, )" +
      instruments + "}");
  ASSERT_TRUE(good.has_value()) << config::format_errors(good.error());
  EXPECT_EQ(good->threads.policy, PlacementPolicy::kNone);
  EXPECT_EQ(good->threads[ThreadRole::kPipeline], CpuSet::of(3));
  EXPECT_EQ(to_string(*good->threads[ThreadRole::kJournal]), "1-2,5");
  EXPECT_EQ(good->threads[ThreadRole::kApi], CpuSet{});
  EXPECT_EQ(good->threads[ThreadRole::kReplica], CpuSet::of(2));
  const std::array<int, 4> four{0, 1, 2, 3};
  const PlacementPlan plan = placement_plan(*good, four);
  EXPECT_EQ(plan[ThreadRole::kPipeline], CpuSet::of(3));
  EXPECT_EQ(plan[ThreadRole::kNotifier], CpuSet::of(0)) << "unnamed roles go with the others";

  const auto bad = parse_engine_config(
      R"({"threads": {"policy": "fast", "pipeline": "2-1", "api": 1024, "journal": true,
          "bogus": "0"}, "engine": {"cpu": 1}, )" +
      instruments + "}");
  ASSERT_FALSE(bad.has_value());
  std::map<std::string, std::string> errors;
  for (const auto& e : bad.error())
    errors[e.field] = e.message;
  EXPECT_EQ(errors.size(), 5u) << config::format_errors(bad.error());
  EXPECT_NE(errors["threads.policy"].find("\"auto\" or \"none\""), std::string::npos);
  EXPECT_NE(errors["threads.pipeline"].find("got \"2-1\""), std::string::npos);
  EXPECT_NE(errors["threads.api"].find("[0, 1023]"), std::string::npos);
  EXPECT_NE(errors["threads.journal"].find("expected a CPU list"), std::string::npos);
  EXPECT_NE(errors["threads.bogus"].find("unknown thread role (expected policy, pipeline"),
            std::string::npos)
      << errors["threads.bogus"];
  EXPECT_EQ(errors.count("engine.cpu"), 0u) << "pipeline was bad, so nothing conflicts";

  const auto both = parse_engine_config(R"({"threads": {"pipeline": 1}, "engine": {"cpu": 0}, )" +
                                        instruments + "}");
  ASSERT_FALSE(both.has_value());
  EXPECT_EQ(both.error().at(0).field, "engine.cpu");
  EXPECT_NE(both.error().at(0).message.find("threads.pipeline places the same thread"),
            std::string::npos);
}

TEST(EngineTest, shouldNotAllocateInTheFoldForMarketInputsAfterWarmUp) {
  if (!test::allocation_counting_available())
    GTEST_SKIP() << "allocation counting unavailable here";
  TempDir dir;
  const EngineConfig config = test_config(dir.path);
  const InstrumentTable table(config.instruments);
  const auto balances = Engine::Impl::paper_balances(config, table);
  Drop drop;
  Fold fold(Engine::Impl::fold_config(config, balances), drop);
  SequenceNumber ordinal = 0;
  fold.apply(Event::make(table.definition(0), 1, 1), ++ordinal);
  std::string json = kGridBot;
  BlobRef ref;
  ref.blob_id = 1;
  ref.size = static_cast<std::uint32_t>(json.size());
  ref.data = reinterpret_cast<const std::byte*>(json.data());
  fold.apply(Event::make(ref, 1, 1), ++ordinal);
  OperatorCommand c;
  c.kind = OperatorCommandKind::kCreateBot;
  c.bot = BotId{0};
  c.blob_id = 1;
  fold.apply(Event::make(c, 1, 1), ++ordinal);
  c.kind = OperatorCommandKind::kStartBot;
  fold.apply(Event::make(c, 1, 1), ++ordinal);
  Market market(3);
  for (int i = 0; i < 20'000; ++i)
    fold.apply(market.next(), ++ordinal);  // warm-up
  const auto before = test::allocation_count();
  for (int i = 0; i < 20'000; ++i)
    fold.apply(market.next(), ++ordinal);
  EXPECT_EQ(test::allocation_count() - before, 0u);
}

}  // namespace
}  // namespace be::engine
