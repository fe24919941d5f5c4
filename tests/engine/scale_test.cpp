// The fold at a platform's scale (issue 18): 10,000 bots of mixed types drawn from a seed
// (bench/harness/scale_workload.hpp, the workload `botengine bench run --bots N --instruments
// M` measures) over 100 instruments with a Zipf-skewed market, tables for 1,000 accounts.
// Snapshot and restore mid-session give the same state hash and the restored fold goes on
// alike; replaying every input from scratch gives the live state; market inputs allocate
// nothing after warm-up. Label "scale": minutes and gigabytes, outside the sanitizer stages.
//
// 100 instruments, not the issue's 1,000: the position tables are still dense (bots x
// instruments, docs/CONFIG.md "engine.capacity" bounds the product at 4,194,304).
#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "bench/harness/scale_workload.hpp"
#include "engine/engine.hpp"
#include "engine/fold.hpp"
#include "engine/format.hpp"
#include "tests/support/alloc_counter.hpp"

namespace be::engine {
namespace {

constexpr bench::ScaleOptions kScale{.bots = 10'000, .instruments = 100, .seed = 7};

EngineConfig scale_config() {
  std::string text = bench::scale_config_json(kScale);
  // 1,000 accounts' tables (the bots trade on account 0: tables, not use, are what is sized).
  const std::string capacity = R"("capacity": {)";
  text.insert(text.find(capacity) + capacity.size(), R"("accounts": 1000, )");
  auto parsed = parse_engine_config(text);
  EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : config::format_errors(parsed.error()));
  return parsed ? *parsed : EngineConfig{};
}

// The scale deployment's fold driven as the engine drives it; every input it applied is kept
// (the journal's inputs, for the replay from scratch) while `record` is set.
struct Driven {
  explicit Driven(const EngineConfig& config) : feed(config) {}
  void apply(const Event& input) {
    feed.apply(input, [&](const Event& applied, std::span<const Event>) {
      if (record) inputs.push_back(applied);
    });
  }
  Fold& fold() noexcept { return feed.fold(); }
  bench::FeedbackFold feed;
  bool record = true;
  std::vector<Event> inputs;
};

TEST(ScaleTest, shouldHoldTenThousandBotsAndRestoreReplayAndRunWithoutAllocating) {
  const EngineConfig config = scale_config();
  const std::vector<std::string> bots = bench::scale_bot_configs(kScale);
  Driven live(config);
  for (const Event& input : bench::scale_setup_inputs(live.feed.table(), bots))
    live.apply(input);
  ASSERT_EQ(live.fold().strategy().describe().size(), kScale.bots) << "every bot created";
  bench::ScaleMarket market(kScale.instruments, kScale.seed);
  for (int i = 0; i < 60'000; ++i)
    live.apply(market.next());
  EXPECT_GT(live.fold().stats()["fills"], 1000u) << "the bots trade";
  EXPECT_EQ(live.fold().stats().record_overflow, 0u);

  // Mid-session snapshot: restores to the same hash, and the restored fold goes on as the
  // live one does (the same inputs, answers included, give the same state).
  const std::vector<std::byte> snapshot = live.fold().snapshot();
  {
    Driven restored(config);
    restored.record = false;
    ASSERT_EQ(restored.fold().restore(snapshot), std::nullopt);
    restored.feed.ordinal = live.feed.ordinal;
    EXPECT_EQ(restored.fold().hashes().combined, live.fold().hashes().combined);
    for (int i = 0; i < 10'000; ++i) {
      const Event input = market.next();
      live.apply(input);
      restored.apply(input);
    }
    EXPECT_EQ(restored.fold().hashes().combined, live.fold().hashes().combined);
    EXPECT_EQ(restored.fold().ordinal(), live.fold().ordinal());
  }

  // From scratch: every input the live fold applied, through a fresh fold.
  {
    Driven scratch(config);
    scratch.record = false;
    for (const Event& input : live.inputs)
      scratch.fold().apply(input, ++scratch.feed.ordinal);
    EXPECT_EQ(scratch.fold().hashes().combined, live.fold().hashes().combined);
    EXPECT_EQ(scratch.fold().ordinal(), live.fold().ordinal());
  }

  // Warm, then the per-input path allocates nothing (market inputs, ticks and answers).
  if (!test::allocation_counting_available()) GTEST_SKIP() << "allocation counting unavailable";
  std::vector<Event> next;
  for (int i = 0; i < 30'000; ++i)
    next.push_back(market.next());
  oms::DiscardResponses drop;  // answers dropped: a queue's growth is the test's, not the fold's
  live.fold().set_responses(drop);
  const auto before = test::allocation_count();
  for (const Event& input : next)
    live.fold().apply(input, ++live.feed.ordinal);
  EXPECT_EQ(test::allocation_count() - before, 0u);
}

}  // namespace
}  // namespace be::engine
