// The shadow replica (engine/replica.hpp): its cost per input and its lag behind the pipeline
// (issue 17's targets: at most 1 us per input, lag p99 at most 1 ms at 100,000 inputs/s).
//
// BM_ReplicaStep        the replica's work per record, alone: JournalReplayer::step() on a
//                       fresh fold for every record of a journal written by a real Engine
//                       (the bench deployment, bench/harness/engine_fixture.hpp: 4 bots, 200,000
//                       Binance trade/bookTicker frames, journal async), the records decoded
//                       into memory first, as the replica takes them from its ring, not from
//                       the journal. items/s = inputs/s; counter per_input (seconds). Before
//                       timing, a pass must find no divergence and end at the writing engine's
//                       hash.
// BM_ReplicaLagAt100k   a live Engine (fused, journal async, the deployment's snapshot and
//                       publication defaults, idle spin) fed the wire generator's frames at
//                       100,000/s for 3 s (BE_REPLICA_BENCH_SECONDS) by this thread
//                       (Engine::offer_frame, paced on the wall clock), then drained. Counters
//                       from the read model: lag (pipeline finished an input -> the replica
//                       applied it) and freshness (-> a read model showing it), p50/p99/max in
//                       us; the replica thread's CPU time per input (its schedstat), the
//                       snapshots it took, the offers that left late (> 10 us after their
//                       intended time: the machine, not the replica) and the divergences (0,
//                       else SkipWithError). One iteration: the figure is the run.
#include <benchmark/benchmark.h>

#include <dirent.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "bench/harness/engine_fixture.hpp"
#include "bench/harness/injector.hpp"
#include "bench/harness/scratch_dir.hpp"
#include "bench/harness/wire_gen.hpp"
#include "engine/journal_replayer.hpp"
#include "journal/reader.hpp"
#include "oms/venue.hpp"

namespace {

using namespace be;

constexpr std::size_t kBots = 4;
constexpr std::uint64_t kFrames = 200'000;

struct Record {
  Event event;
  SequenceNumber sequence;
};

struct StepFixture {
  bench::ScratchDir dir{"be_replica_bench"};
  std::vector<Record> records;
  engine::EngineConfig config;
  std::uint64_t state_hash = 0;
  std::string error;
};

const StepFixture& step_fixture() {
  static const StepFixture f = [] {
    StepFixture x;
    auto written = bench::write_bench_journal(x.dir.path(), kBots, kFrames);
    if (!written) {
      x.error = written.error();
      return x;
    }
    x.state_hash = written->state_hash;
    auto reader = journal::Reader::open(x.dir.path() + "/journal");
    if (!reader) {
      x.error = "journal: " + reader.error().message;
      return x;
    }
    auto recorded = engine::read_journal_config(**reader);
    if (!recorded || !*recorded) {
      x.error = "the journal carries no deployment config";
      return x;
    }
    x.config = **recorded;
    auto again = journal::Reader::open(x.dir.path() + "/journal");
    journal::RecordView view;
    while ((*again)->next(view) == journal::ReadStatus::kRecord) {
      Event e;
      if (!journal::decode(view, e).ok()) {
        x.error = "record " + std::to_string(view.sequence) + " does not decode";
        return x;
      }
      x.records.push_back({e, view.sequence});
    }
    return x;
  }();
  return f;
}

void BM_ReplicaStep(benchmark::State& state) {
  const StepFixture& f = step_fixture();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  const engine::InstrumentTable instruments(f.config.instruments);
  const auto balances = engine::paper_balances(f.config, instruments);
  oms::DiscardResponses drop;
  std::uint64_t inputs = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto fold = std::make_unique<engine::Fold>(engine::fold_config(f.config, balances), drop);
    engine::JournalReplayer replayer(*fold, engine::JournalReplayer::Options{});
    engine::ReplayResult result;
    replayer.begin();
    state.ResumeTiming();
    for (const Record& r : f.records)
      replayer.step(r.event, r.sequence, result);
    state.PauseTiming();
    if (result.counts.mismatches != 0 || fold->hashes().combined != f.state_hash) {
      state.SkipWithError("the replica's pass diverged from the journal");
      return;
    }
    inputs += result.counts.inputs;
    fold.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(inputs));
  // Seconds per input (printed with an SI prefix: "450n" is 450 ns).
  state.counters["per_input"] = benchmark::Counter(
      static_cast<double>(inputs), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_ReplicaStep)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// The replica thread's time on a CPU so far (ns, /proc/self/task/<tid>/schedstat), found by
// its name; -1 when it is not there.
long long replica_cpu_ns() {
  DIR* tasks = ::opendir("/proc/self/task");
  if (tasks == nullptr) return -1;
  long long out = -1;
  while (dirent* d = ::readdir(tasks)) {
    const std::string base = std::string("/proc/self/task/") + d->d_name;
    std::ifstream comm(base + "/comm");
    std::string name;
    if (!std::getline(comm, name) || name != "be-replica") continue;
    std::ifstream stat(base + "/schedstat");
    if (stat >> out) break;
  }
  ::closedir(tasks);
  return out;
}

double us(std::uint64_t ns) {
  return static_cast<double>(ns) / 1e3;
}

void BM_ReplicaLagAt100k(benchmark::State& state) {
  const char* seconds_env = std::getenv("BE_REPLICA_BENCH_SECONDS");
  const double seconds = seconds_env != nullptr ? std::atof(seconds_env) : 3.0;
  constexpr std::uint64_t kRate = 100'000;
  for (auto _ : state) {
    bench::ScratchDir dir{"be_replica_lag"};
    auto parsed = engine::parse_engine_config(bench::engine_config_json(kBots));
    if (!parsed) {
      state.SkipWithError("the bench config is invalid");
      return;
    }
    engine::EngineConfig config = std::move(*parsed);
    config.journal = engine::JournalMode::kAsync;
    config.idle = "spin";
    config.ingress_capacity = 32'000;
    config.data_dir = dir.path();
    engine::place_threads(config);  // the deployment default: the pipeline on a CPU of its own
    auto opened = engine::Engine::open(config);
    if (!opened) {
      state.SkipWithError(opened.error().c_str());
      return;
    }
    engine::Engine& eng = **opened;
    bench::offer_feed_connected(eng);
    if (auto started = eng.start(); !started) {
      state.SkipWithError(started.error().c_str());
      return;
    }
    bench::WireGenerator gen(bench::WireGenConfig{});
    std::string frame;
    const auto count = static_cast<std::uint64_t>(seconds * kRate);
    const bench::Schedule schedule{.start = WallClock{}.now() + 1'000'000, .rate = kRate};
    const long long cpu_before = replica_cpu_ns();
    const SequenceNumber applied_before = eng.applied_inputs();
    std::uint64_t late = 0, refused = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
      const Nanos due = schedule.intended(i);
      Nanos now = WallClock{}.now();
      while (now < due)
        now = WallClock{}.now();
      if (now - due > 10'000) ++late;
      gen.next(due, frame);
      if (!eng.offer_frame(0, frame, now, due)) ++refused;
    }
    const bool drained = eng.drain(30'000'000'000);
    const long long cpu_after = replica_cpu_ns();
    const SequenceNumber applied = eng.applied_inputs() - applied_before;
    const auto model = eng.read_model();
    eng.stop();
    if (!drained) {
      state.SkipWithError("the engine did not drain within 30 s");
      return;
    }
    if (model->engine.replica_divergences != 0) {
      state.SkipWithError("the replica found a divergence");
      return;
    }
    for (const engine::StageLatency& l : model->engine.replica_latency) {
      state.counters[l.stage + "_p50_us"] = us(l.p50);
      state.counters[l.stage + "_p99_us"] = us(l.p99);
      state.counters[l.stage + "_max_us"] = us(l.max);
    }
    if (cpu_before >= 0 && cpu_after >= 0 && applied > 0) {
      state.counters["replica_cpu_ns_per_input"] =
          static_cast<double>(cpu_after - cpu_before) / static_cast<double>(applied);
    }
    state.counters["inputs"] = static_cast<double>(applied);
    state.counters["snapshots"] = static_cast<double>(model->engine.replica_snapshots);
    state.counters["late_offers_pct"] =
        100.0 * static_cast<double>(late) / static_cast<double>(count);
    state.counters["refused_offers"] = static_cast<double>(refused);
  }
}
BENCHMARK(BM_ReplicaLagAt100k)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
