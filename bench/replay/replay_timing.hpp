// The timed loops both replay benches share (replay_bench on a journal a real Engine wrote in
// the setup, recovery_bench on the cached 10M-record one), so the two report comparable
// figures:
//   time_replay_fold   bench::replay_journal per iteration (the JournalReplayer: read + CRC
//                      check + decode every record, apply every input to a fresh Fold):
//                      items = records; counters inputs_per_s, inputs_per_run, records_per_run
//   time_replay_verify the same, every derived record and state hash also compared with the
//                      fold's (what recovery and `replay --verify` do); a divergence is
//                      SkipWithError
//   time_read_decode   the peer floor: read + CRC check + decode every record, no fold
// A read or decode error is SkipWithError. The caller verified the journal beforehand.
// register_replay_benchmarks() registers them as BM_ReplayFold, BM_ReplayVerify and
// BM_ReadDecodeOnly over the journal a bench's fixture holds.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "bench/harness/engine_fixture.hpp"
#include "journal/reader.hpp"

namespace be::bench {

inline void time_replay(benchmark::State& state, const std::string& journal_dir, bool compare) {
  std::uint64_t records = 0, inputs = 0;
  for (auto _ : state) {
    auto r = replay_journal(journal_dir, compare);
    if (!r) {
      state.SkipWithError(r.error().c_str());
      return;
    }
    if (r->mismatches != 0) {
      state.SkipWithError("the replay diverged from the journal");
      return;
    }
    records += r->records;
    inputs += r->inputs;
    benchmark::DoNotOptimize(r->fold.get());
  }
  const auto runs = static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
  state.counters["inputs_per_s"] =
      benchmark::Counter(static_cast<double>(inputs), benchmark::Counter::kIsRate);
  state.counters["inputs_per_run"] = static_cast<double>(inputs) / runs;
  state.counters["records_per_run"] = static_cast<double>(records) / runs;
}

inline void time_replay_fold(benchmark::State& state, const std::string& journal_dir) {
  time_replay(state, journal_dir, false);
}

inline void time_replay_verify(benchmark::State& state, const std::string& journal_dir) {
  time_replay(state, journal_dir, true);
}

inline void time_read_decode(benchmark::State& state, const std::string& journal_dir) {
  std::uint64_t records = 0;
  for (auto _ : state) {
    auto reader = journal::Reader::open(journal_dir);
    if (!reader) {
      state.SkipWithError(reader.error().message.c_str());
      return;
    }
    journal::RecordView view;
    Event e;
    journal::ReadStatus status;
    while ((status = (*reader)->next(view)) == journal::ReadStatus::kRecord) {
      if (!journal::decode(view, e).ok()) {
        state.SkipWithError("a record does not decode");
        return;
      }
      benchmark::DoNotOptimize(e);
      ++records;
    }
    if (status == journal::ReadStatus::kError) {
      state.SkipWithError((*reader)->error().message.c_str());
      return;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
}

// `fixture()` returns the bench's (lazily built) fixture: `error` (empty when usable) and
// `journal` (the journal directory). Call at static initialisation, before BENCHMARK_MAIN.
template <class Fixture>
bool register_replay_benchmarks(const Fixture& (*fixture)()) {
  const auto over_journal = [fixture](void (*time)(benchmark::State&, const std::string&)) {
    return [fixture, time](benchmark::State& state) {
      const Fixture& f = fixture();
      if (!f.error.empty()) {
        state.SkipWithError(f.error.c_str());
        return;
      }
      time(state, f.journal);
    };
  };
  benchmark::RegisterBenchmark("BM_ReplayFold", over_journal(&time_replay_fold))
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_ReplayVerify", over_journal(&time_replay_verify))
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_ReadDecodeOnly", over_journal(&time_read_decode))
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  return true;
}

}  // namespace be::bench
