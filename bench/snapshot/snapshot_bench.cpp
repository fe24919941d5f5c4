// Snapshot: serialize the whole business state (strategy stage: bots, indicators, the shared
// condition engine; risk; orders, positions and the paper venue) and hash it, as the engine
// does every N inputs and at shutdown (Fold::snapshot, Fold::hashes).
//
// Workload: the state a real Engine reaches in the setup (bench/harness/engine_fixture.hpp)
// and a replay of its journal rebuilds: the bench deployment with `bots` bots (grid, DCA,
// RSI, MA cross cycling on BTCUSDT: 8 and 64, the deployment's default bot capacity) after
// 100,000 Binance frames of the seeded wire generator (price +-2 % around 50,000). The size is
// dominated by the fold's preallocated tables (~3.1 MB either way), not by the bots.
//
// Benchmarks, measured in the same run (per bot count):
//   BM_Snapshot        Fold::snapshot(): bytes/s and the snapshot's size (counter bytes)
//   BM_StateHash       Fold::hashes(): the check recovery compares
//   BM_Restore         peer: Fold::restore() of the same bytes into a fresh fold
// Before timing: the state restored from the snapshot into a fresh fold has the same
// combined hash as the replayed one, which equals the writing engine's; else SkipWithError.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "bench/harness/engine_fixture.hpp"
#include "bench/harness/scratch_dir.hpp"

namespace {

using namespace be;

constexpr std::uint64_t kFrames = 100'000;

struct Fixture {
  std::optional<bench::ScratchDir> dir;  // made on first use, removed at exit
  bench::ReplayedFold replayed;
  std::vector<std::byte> bytes;
  std::string error;
};

Fixture& fixture(std::size_t bots) {
  static std::map<std::size_t, Fixture> cache;
  auto [it, fresh] = cache.try_emplace(bots);
  Fixture& x = it->second;
  if (!fresh) return x;
  x.dir.emplace("be_snapshot_bench_" + std::to_string(bots));
  auto w = bench::write_bench_journal(x.dir->path(), bots, kFrames);
  if (!w) {
    x.error = w.error();
    return x;
  }
  auto r = bench::replay_journal(x.dir->path() + "/journal");
  if (!r) {
    x.error = "replay: " + r.error();
    return x;
  }
  x.replayed = std::move(*r);
  if (x.replayed.fold->hashes().combined != w->state_hash) {
    x.error = "the replayed state hash differs from the engine's";
    return x;
  }
  x.bytes = x.replayed.fold->snapshot();
  auto again = bench::replay_journal(x.dir->path() + "/journal");  // a second fold to restore into
  if (!again) {
    x.error = again.error();
    return x;
  }
  if (auto err = again->fold->restore(x.bytes)) {
    x.error = "restore: " + *err;
  } else if (again->fold->hashes().combined != w->state_hash) {
    x.error = "the restored state hash differs from the snapshotted one";
  }
  return x;
}

void BM_Snapshot(benchmark::State& state) {
  Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  std::size_t size = 0;
  for (auto _ : state) {
    auto bytes = f.replayed.fold->snapshot();
    size = bytes.size();
    benchmark::DoNotOptimize(bytes.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(size * state.iterations()));
  state.counters["bytes"] = static_cast<double>(size);
}
BENCHMARK(BM_Snapshot)->Arg(8)->Arg(64)->Unit(benchmark::kMicrosecond);

void BM_StateHash(benchmark::State& state) {
  Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  for (auto _ : state)
    benchmark::DoNotOptimize(f.replayed.fold->hashes());
}
BENCHMARK(BM_StateHash)->Arg(8)->Arg(64)->Unit(benchmark::kMicrosecond);

void BM_Restore(benchmark::State& state) {
  Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  for (auto _ : state) {
    if (auto err = f.replayed.fold->restore(f.bytes)) {
      state.SkipWithError(err->c_str());
      return;
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(f.bytes.size() * state.iterations()));
}
BENCHMARK(BM_Restore)->Arg(8)->Arg(64)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
