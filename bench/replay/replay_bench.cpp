// Replay: decode + fold of a journal, the work `botengine replay` and recovery do per record
// (DESIGN.md 5; the engine issue's target is 2M events/s).
//
// Workload (written in the setup by a real Engine, bench/harness/engine_fixture.hpp): the
// bench deployment with 40 bots (10 each of grid, DCA, RSI, MA cross on BTCUSDT) fed 200,000
// Binance trade/bookTicker frames from the seeded wire generator (price swinging +-2 %
// around 50,000), journal in async mode. The journal then holds the
// inputs (frames, bot commands, clock ticks, paper venue answers) and the derived records.
//
// Benchmarks, measured in the same run:
//   BM_ReplayFold        read + CRC check + decode every record, apply every input to a fresh
//                        Fold built from the journal's config: items/s = records/s
//   BM_ReadDecodeOnly    peer floor: the same read + decode with no fold
// Before timing, the replayed fold's combined state hash must equal the hash of the engine
// that wrote the journal (after its shutdown input); a mismatch is SkipWithError.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "bench/harness/engine_fixture.hpp"
#include "journal/reader.hpp"

namespace {

using namespace be;

constexpr std::size_t kBots = 40;
constexpr std::uint64_t kFrames = 200'000;

struct Fixture {
  std::string dir;
  std::string journal;
  bench::JournalFixture written;
  std::string error;
};

const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture x;
    x.dir =
        (std::filesystem::temp_directory_path() / ("be_replay_bench_" + std::to_string(::getpid())))
            .string();
    x.journal = x.dir + "/journal";
    auto w = bench::write_bench_journal(x.dir, kBots, kFrames);
    if (!w) {
      x.error = w.error();
      return x;
    }
    x.written = *w;
    auto replayed = bench::replay_journal(x.journal);
    if (!replayed) {
      x.error = "replay: " + replayed.error();
    } else if (replayed->fold->hashes().combined != x.written.state_hash) {
      x.error = "the replayed state hash differs from the engine's";
    }
    return x;
  }();
  return f;
}

void BM_ReplayFold(benchmark::State& state) {
  const Fixture& f = fixture();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  std::uint64_t records = 0, inputs = 0;
  for (auto _ : state) {
    auto r = bench::replay_journal(f.journal);
    if (!r) {
      state.SkipWithError(r.error().c_str());
      return;
    }
    records += r->records;
    inputs += r->inputs;
    benchmark::DoNotOptimize(r->fold.get());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
  state.counters["inputs_per_run"] =
      static_cast<double>(inputs) / static_cast<double>(state.iterations());
  state.counters["records_per_run"] =
      static_cast<double>(records) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ReplayFold)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ReadDecodeOnly(benchmark::State& state) {
  const Fixture& f = fixture();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  std::uint64_t records = 0;
  for (auto _ : state) {
    auto reader = journal::Reader::open(f.journal);
    if (!reader) {
      state.SkipWithError(reader.error().message.c_str());
      return;
    }
    journal::RecordView view;
    Event e;
    while ((*reader)->next(view) == journal::ReadStatus::kRecord) {
      if (!journal::decode(view, e).ok()) {
        state.SkipWithError("a record does not decode");
        return;
      }
      benchmark::DoNotOptimize(e);
      ++records;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
}
BENCHMARK(BM_ReadDecodeOnly)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ec;
  std::filesystem::remove_all(fixture().dir, ec);
  return 0;
}
