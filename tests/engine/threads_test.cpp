// The engine's threads on core::AgentRunner, in both topologies: each is named and placed as
// the installed plan says (core/thread_placement.hpp), a CPU that cannot be had is reported
// (health and metrics) while the thread runs unpinned, and an exception thrown inside a stage
// halts the engine cleanly with the reason in health.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <thread>

#include "engine/engine.hpp"
#include "tests/engine/engine_fixture.hpp"

namespace be::engine {
namespace {

using namespace test_support;

// The names of this process's threads (/proc/self/task/*/comm).
std::multiset<std::string> thread_names() {
  std::multiset<std::string> names;
  for (const ThreadPlacementInfo& t : current_thread_placements())
    names.insert(t.name);
  return names;
}

bool has_problem(const ReadModel& m, const std::string& text) {
  for (const std::string& p : m.engine.problems)
    if (p.find(text) != std::string::npos) return true;
  return false;
}

std::string problems_of(const ReadModel& m) {
  std::string out;
  for (const std::string& p : m.engine.problems)
    out += p + "; ";
  return out;
}

// Polls a condition the engine reaches on its own threads, bounded.
template <class Condition>
bool eventually(Condition condition) {
  for (int i = 0; i < 10'000; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return condition();
}

class EngineThreadsTest : public ::testing::TestWithParam<Topology> {
 protected:
  EngineConfig config() {
    EngineConfig c = test_config(dir_.path);
    c.topology = GetParam();
    c.idle = "yield";  // three stage threads on a 2-core machine
    return c;
  }
  TempDir dir_;
};

TEST_P(EngineThreadsTest, shouldNameEveryEngineThreadAndJoinThemAtStop) {
  auto engine = open_engine(config());
  ASSERT_TRUE(engine);
  ASSERT_TRUE(engine->start().has_value());
  const auto names = thread_names();
  std::set<std::string> expected = {"be-seq", "be-publish", "be-journal"};
  if (GetParam() == Topology::kPipelined) expected.insert({"be-risk", "be-orders"});
  for (const std::string& name : expected)
    EXPECT_EQ(names.count(name), 1u) << name << " among " << ::testing::PrintToString(names);
  if (GetParam() == Topology::kFused) {
    EXPECT_EQ(names.count("be-risk"), 0u) << "fused: one thread runs every stage";
  }
  engine->stop();
  for (const std::string& name : expected)
    EXPECT_EQ(thread_names().count(name), 0u) << name << " still runs after stop()";
}

// The config's `threads` section, resolved for two CPUs and installed as a runner does: every
// engine thread named and on its CPUs (as the OS reports them, per thread id).
TEST_P(EngineThreadsTest, shouldPlaceEveryEngineThreadAsConfigured) {
  if (!cpu_allowed(0) || !cpu_allowed(1)) GTEST_SKIP() << "needs CPUs 0 and 1";
  auto parsed = parse_engine_config(
      R"({"threads": {"journal": "1", "publisher": "0-1"}, "instruments": [{"symbol": "BTCUSDT",
          "base": "BTC", "quote": "USDT"}]})");
  ASSERT_TRUE(parsed.has_value());
  EngineConfig c = config();
  c.threads = parsed->threads;  // policy auto
  const std::array<int, 2> two{0, 1};
  const PlacementPlan plan = placement_plan(c, two);
  const ScopedThreadPlacement installed(plan);
  std::map<std::string, std::string> expected = {
      {"be-seq", "1"}, {"be-publish", "0-1"}, {"be-journal", "1"}};
  if (GetParam() == Topology::kPipelined) expected.insert({{"be-risk", "0"}, {"be-orders", "0"}});
  auto engine = open_engine(c);
  ASSERT_TRUE(engine);
  ASSERT_TRUE(engine->start().has_value());
  std::map<std::string, std::string> seen;
  for (const ThreadPlacementInfo& t : current_thread_placements())
    if (expected.count(t.name)) seen[t.name] = to_string(t.cpus);
  EXPECT_EQ(seen, expected);
  const auto model = engine->read_model();
  ASSERT_TRUE(model);
  EXPECT_FALSE(has_problem(*model, "unpinned")) << problems_of(*model);
  engine->stop();
}

TEST_P(EngineThreadsTest, shouldReportAThreadItCannotPinAndKeepTradingUnpinned) {
  EngineConfig c = config();
  const std::string thread = GetParam() == Topology::kPipelined ? "be-risk" : "be-seq";
  PlacementPlan plan;
  // No such CPU here: fused, the sequencer; pipelined, the risk stage.
  plan[GetParam() == Topology::kPipelined ? ThreadRole::kRisk : ThreadRole::kPipeline] =
      CpuSet::of(1000);
  const ScopedThreadPlacement installed(plan);
  auto engine = open_engine(c);
  ASSERT_TRUE(engine);
  ASSERT_TRUE(engine->start().has_value());
  Market market(3, wall_clock_now());
  ASSERT_TRUE(offer_market(*engine, market, 20));
  const auto model = engine->read_model();
  ASSERT_TRUE(model);
  EXPECT_TRUE(has_problem(*model, "agent '" + thread + "': cannot pin to CPU 1000"))
      << problems_of(*model);
  EXPECT_TRUE(has_problem(*model, "runs unpinned")) << problems_of(*model);
  EXPECT_TRUE(model->engine.healthy) << "an unpinned thread is slower, not wrong";
  EXPECT_GE(model->engine.inputs, 20u);
  const std::string metrics = engine->metrics_text();
  EXPECT_NE(metrics.find("botengine_thread_pin_failed{thread=\"" + thread + "\",cpu=\"1000\"} 1"),
            std::string::npos)
      << metrics;
  engine->stop();
  EXPECT_TRUE(thread_placement_failures().empty()) << "reported while the thread ran";
}

// For each stage: a fresh engine trades, the stage throws, the engine halts saying why, and
// its journal still recovers.
TEST_P(EngineThreadsTest, shouldHaltWithTheReasonInHealthWhenAStageThrows) {
  const bool pipelined = GetParam() == Topology::kPipelined;
  const std::pair<EngineStage, std::string> stages[] = {
      {EngineStage::kStrategy, "be-seq"},
      {EngineStage::kRisk, pipelined ? "be-risk" : "be-seq"},
      {EngineStage::kOrders, pipelined ? "be-orders" : "be-seq"}};
  int round = 0;
  for (const auto& [stage, thread] : stages) {
    SCOPED_TRACE(thread + " stage " + std::to_string(static_cast<int>(stage)));
    TempDir dir;
    EngineConfig c = config();
    c.data_dir = dir.path.string();
    {
      auto engine = open_engine(c);
      ASSERT_TRUE(engine);
      ASSERT_TRUE(engine->start().has_value());
      Market market(10 + round++, wall_clock_now());
      ASSERT_TRUE(offer_market(*engine, market, 20));
      const std::string what = "injected fault " + std::to_string(round);
      engine->inject_stage_fault(stage, what);
      ASSERT_TRUE(eventually([&] { return !engine->running(); })) << "the engine did not halt";
      const std::string reason = "agent '" + thread + "' do_work threw: " + what;
      EXPECT_EQ(engine->failure(), reason);
      // The read model carries it to /api/v1/health (healthy false: 503, with the problem).
      ASSERT_TRUE(eventually([&] {
        const auto m = engine->read_model();
        return m && has_problem(*m, reason);
      }));
      const auto model = engine->read_model();
      EXPECT_FALSE(model->engine.healthy);
      EXPECT_TRUE(has_problem(*model, "engine halted: " + reason)) << problems_of(*model);
      // Intake is refused.
      EXPECT_FALSE(engine->offer_event(market.next()));
      const CommandResult r = engine->create_bot(UserId{1}, kDcaBot);
      EXPECT_EQ(r.status, CommandStatus::kUnavailable);
      EXPECT_NE(r.message.find(what), std::string::npos) << r.message;
      EXPECT_FALSE(engine->drain(1'000'000'000));
      const std::string metrics = engine->metrics_text();
      EXPECT_NE(metrics.find("botengine_healthy 0"), std::string::npos);
      EXPECT_NE(metrics.find("botengine_halted 1"), std::string::npos);
      engine->stop();  // joins every thread
      EXPECT_EQ(engine->failure(), reason) << "the reason outlives stop()";
    }
    // Nothing half-applied was journaled: the journal recovers.
    auto reopened = Engine::open(c);
    ASSERT_TRUE(reopened.has_value()) << reopened.error();
    EXPECT_EQ((*reopened)->recovery().derived_mismatches, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Topologies, EngineThreadsTest,
                         ::testing::Values(Topology::kFused, Topology::kPipelined),
                         [](const ::testing::TestParamInfo<Topology>& param) {
                           return std::string(to_string(param.param));
                         });

}  // namespace
}  // namespace be::engine
