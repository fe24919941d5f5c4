// The read model at scale (issue 18 item 4): how long one bot's change takes to show in the
// published read model, as the API sees it, against how many bots the engine holds.
//
// Workload: a real Engine (journal async, snapshots and the shadow replica as deployed) of
// the bench deployment (bench/harness/engine_fixture.hpp: BTCUSDT, a paper account) with
// `engine.capacity.bots` = N, N bots made through create_bots (1,000 per command, grid / DCA
// / RSI / market maker cycling), then, per iteration, one bot stopped or started by command.
// A command returns once a read model that shows it is published (engine/control.hpp), so
// each timed command is: journal append, fold, and the replica's publish of the whole read
// model. N = 64 (the old fixed capacity) is the baseline measured in the same run; the
// difference with N is what a publication costs per bot.
//
// Counters: p50_us, p99_us (of the commands), bots; publications, publish_mean_us,
// publish_le_100us (the share at most 100 us) and publish_p50_le_us / publish_p99_le_us (the
// histogram bucket bound each quantile falls under) of the publications during the commands,
// from the replica's own histogram of one publication (building the read model and swapping
// it in); views_rebuilt (bot views the last publication rebuilt). Before timing, every bot must be
// in the read model (else SkipWithError). Target (issue 18): publishing after a change to one bot
// in at most 100 us at 10,000 bots.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/harness/engine_fixture.hpp"
#include "bench/harness/scratch_dir.hpp"
#include "engine/engine.hpp"

namespace {

using namespace be;

struct Fixture {
  std::unique_ptr<bench::ScratchDir> dir;
  std::unique_ptr<engine::Engine> engine;
  std::vector<BotId> bots;
  std::string error;
};

// The bench deployment sized for `bots`, with one admin who owns them.
Fixture& fixture(std::size_t bots) {
  static std::map<std::size_t, Fixture> cache;
  auto [it, fresh] = cache.try_emplace(bots);
  Fixture& x = it->second;
  if (!fresh) return x;
  std::string json = bench::engine_config_json(0);
  const std::string engine_key = R"("engine": {)";
  json.insert(json.find(engine_key) + engine_key.size(),
              R"("capacity": {"bots": )" + std::to_string(bots) + R"(, "open_orders": )" +
                  std::to_string(std::max<std::size_t>(16'384, bots * 16)) + "}, ");
  auto parsed = engine::parse_engine_config(json);
  if (!parsed) {
    x.error = "config: " + config::format_errors(parsed.error());
    return x;
  }
  engine::EngineConfig config = std::move(*parsed);
  x.dir = std::make_unique<bench::ScratchDir>("be_publish_bench_" + std::to_string(bots));
  config.data_dir = x.dir->path();
  config.journal = engine::JournalMode::kAsync;
  config.initial_users.push_back({"bench", true, std::string(64, 'a')});
  auto opened = engine::Engine::open(config);
  if (!opened) {
    x.error = "open: " + opened.error();
    return x;
  }
  x.engine = std::move(*opened);
  bench::offer_feed_connected(*x.engine);
  if (auto started = x.engine->start(); !started) {
    x.error = "start: " + started.error();
    return x;
  }
  for (std::size_t first = 0; first < bots; first += engine::kMaxBulkBots) {
    std::vector<std::string> configs;
    for (std::size_t i = first; i < std::min(bots, first + engine::kMaxBulkBots); ++i)
      configs.push_back(bench::bot_config_json(i));
    const engine::BulkCreateResult r = x.engine->create_bots(UserId{1}, configs);
    for (const engine::CommandResult& item : r.items) {
      if (item.status != engine::CommandStatus::kAccepted) {
        x.error = "create_bots: " + item.message + r.message;
        return x;
      }
      x.bots.push_back(item.bot);
    }
  }
  if (!x.engine->drain(60'000'000'000)) {
    x.error = "drain timed out";
  } else if (x.engine->read_model()->bots.size() != bots) {
    x.error = "the read model shows " + std::to_string(x.engine->read_model()->bots.size()) +
              " bots of " + std::to_string(bots);
  }
  return x;
}

// Stopped and removed once its benchmark is done: an engine left to static destruction would
// outlive parts of the process it uses.
void release(std::size_t bots) {
  Fixture& x = fixture(bots);
  if (x.engine) x.engine->stop();
  x.engine.reset();
  x.dir.reset();
}

void BM_OneBotChangeUntilPublished(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  Fixture& f = fixture(n);
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return release(n);
  }
  const auto publications = [&] {
    for (const engine::StageLatency& l : f.engine->read_model()->engine.replica_latency)
      if (l.stage == "publish") return l;
    return engine::StageLatency{};
  };
  // A read model's histogram holds the publications before its own: the one read next is a
  // warm-up command's, so the bulk creates' publication (every view built) stays out.
  for (const auto kind : {OperatorCommandKind::kStartBot, OperatorCommandKind::kStopBot}) {
    if (f.engine->bot_command(UserId{1}, true, f.bots[0], kind).status !=
        engine::CommandStatus::kAccepted) {
      state.SkipWithError("the warm-up command was refused");
      return release(n);
    }
  }
  const engine::StageLatency before = publications();
  std::vector<double> us;
  std::size_t k = 0;
  for (auto _ : state) {
    const BotId bot = f.bots[k % f.bots.size()];
    const auto kind = (k / f.bots.size()) % 2 == 0 ? OperatorCommandKind::kStartBot
                                                   : OperatorCommandKind::kStopBot;
    ++k;
    const auto t0 = std::chrono::steady_clock::now();
    const engine::CommandResult r = f.engine->bot_command(UserId{1}, true, bot, kind);
    const auto t1 = std::chrono::steady_clock::now();
    if (r.status != engine::CommandStatus::kAccepted) {
      state.SkipWithError(("command refused: " + r.message).c_str());
      return release(n);
    }
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  std::sort(us.begin(), us.end());
  const auto at = [&](double q) { return us[static_cast<std::size_t>(q * (us.size() - 1))]; };
  state.counters["bots"] = static_cast<double>(n);
  state.counters["p50_us"] = at(0.50);
  state.counters["p99_us"] = at(0.99);
  // The publication itself (the replica building and swapping in one read model), from the
  // engine's own histogram, over the timed commands' publications only (the differences of
  // its count, sum and exact bucket counts: not those of the bulk creates before).
  if (!f.engine->drain(10'000'000'000)) {
    state.SkipWithError("drain timed out after the commands");
    return release(n);
  }
  const engine::StageLatency after = publications();
  const double count = static_cast<double>(after.count - before.count);
  const auto le = [&](std::uint64_t bound_ns) {
    for (std::size_t i = 0; i < engine::kLatencyBoundsNs.size(); ++i)
      if (engine::kLatencyBoundsNs[i] == bound_ns)
        return static_cast<double>(after.cumulative[i] - before.cumulative[i]) / count;
    return 0.0;
  };
  // A quantile as the histogram's bucket bound it falls under (1-2-5 steps: an upper bound).
  const auto quantile_bound_us = [&](double q) {
    for (std::size_t i = 0; i < engine::kLatencyBoundsNs.size(); ++i)
      if (static_cast<double>(after.cumulative[i] - before.cumulative[i]) >= q * count)
        return static_cast<double>(engine::kLatencyBoundsNs[i]) / 1e3;
    return static_cast<double>(after.max) / 1e3;
  };
  state.counters["publications"] = count;
  state.counters["publish_p50_le_us"] = quantile_bound_us(0.50);
  state.counters["publish_p99_le_us"] = quantile_bound_us(0.99);
  state.counters["publish_mean_us"] = static_cast<double>(after.sum - before.sum) / count / 1e3;
  state.counters["publish_le_100us"] = le(100'000);
  state.counters["views_rebuilt"] =
      static_cast<double>(f.engine->read_model()->engine.views_rebuilt);
  release(n);
}
BENCHMARK(BM_OneBotChangeUntilPublished)
    ->Arg(64)
    ->Arg(1000)
    ->Arg(10000)
    ->Iterations(60)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
