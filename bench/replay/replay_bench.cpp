// Replay: decode + fold of a journal, the work `botengine replay` and recovery do per record
// (docs/ARCHITECTURE.md §6; the engine issue's target is 2M events/s).
//
// Workload (written in the setup by a real Engine, bench/harness/engine_fixture.hpp): the
// bench deployment with 40 bots (10 each of grid, DCA, RSI, MA cross on BTCUSDT) fed 200,000
// Binance trade/bookTicker frames from the seeded wire generator (price swinging +-2 %
// around 50,000), journal in async mode. The journal then holds the
// inputs (frames, bot commands, clock ticks, paper venue answers) and the derived records.
//
// Benchmarks, measured in the same run:
//   BM_ReplayFold        read + CRC check + decode every record, apply every input to a fresh
//                        Fold built from the journal's config (engine::JournalReplayer, what
//                        `botengine replay` does): items/s = records/s
//   BM_ReplayVerify      the same, every derived record and state hash compared with the
//                        fold's (what recovery and `botengine replay --verify` do)
//   BM_ReadDecodeOnly    peer floor: the same read + decode with no fold
// Before timing, a comparing replay must find no divergence and the replayed fold's combined
// state hash must equal the hash of the engine that wrote the journal (after its shutdown
// input); else SkipWithError.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "bench/harness/engine_fixture.hpp"
#include "bench/harness/scratch_dir.hpp"
#include "bench/replay/replay_timing.hpp"

namespace {

using namespace be;

constexpr std::size_t kBots = 40;
constexpr std::uint64_t kFrames = 200'000;

struct Fixture {
  bench::ScratchDir dir{"be_replay_bench"};  // removed at exit
  std::string journal;
  bench::JournalFixture written;
  std::string error;
};

const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture x;
    x.journal = x.dir.path() + "/journal";
    auto w = bench::write_bench_journal(x.dir.path(), kBots, kFrames);
    if (!w) {
      x.error = w.error();
      return x;
    }
    x.written = *w;
    auto replayed = bench::replay_journal(x.journal, /*compare=*/true);
    if (!replayed) {
      x.error = "replay: " + replayed.error();
    } else if (replayed->mismatches != 0) {
      x.error = "the replay re-derived different records than the journal holds";
    } else if (replayed->fold->hashes().combined != x.written.state_hash) {
      x.error = "the replayed state hash differs from the engine's";
    }
    return x;
  }();
  return f;
}

[[maybe_unused]] const bool kReplayBenchmarks = bench::register_replay_benchmarks(&fixture);

}  // namespace

BENCHMARK_MAIN();
