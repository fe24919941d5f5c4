// Recovery and replay of a 10,000,000-event journal (the engine issue's targets: recovery of
// a 10M-event journal with snapshots in at most 2 s; replay at least 2M events/s).
//
// Workload: a journal of BE_RECOVERY_BENCH_EVENTS records (default 10,000,000), built ONCE
// into a cache directory ($BE_BENCH_CACHE, else <build>/bench-cache) and reused by later
// runs; delete the directory to rebuild it (~1.7 GB at 10M records; at least 150,000, so
// that a snapshot exists). It is written the way the engine writes
// (engine/engine_impl.hpp apply_input, take_snapshot, start):
//   - inputs: the deployment config blob, the instrument definition, the feed's "connected",
//     then 8 bots of engine_config_json (grid, DCA, RSI, market maker x2; blob + create +
//     start commands), then Binance trade/bookTicker frames of the seeded wire generator
//     (bench/harness/wire_gen.hpp: price +-2 % around 50,000, event times 1 ms apart) parsed
//     by feed::BinanceParser, a clock tick (Timer, owner kNoBot) every 100 ms of event time,
//     and the paper venue's answers and local rejects fed back as inputs after the input that
//     caused them (the engine's ingress does the same, a batch later);
//   - every input goes through a real engine::Fold; the input and its derived records are
//     appended in order with the journal writer, sequences dense from 1;
//   - every 100,000 inputs (EngineConfig's default) a StateHash derived record and a snapshot
//     keyed by its sequence, as take_snapshot() does: the engine's envelope (engine_snapshot)
//     around the fold's snapshot. Its read-model history part is left empty (the engine keeps
//     at most 200 fills per bot there, so its restore is small next to the fold's).
// Once the record count is reached the build goes on until just before the next snapshot
// would be taken, so the journal ends (as after a crash) with the longest tail the engine
// leaves after its newest snapshot, ~100,000 inputs: recovery's worst case.
//
// Benchmarks, measured in the same run:
//   BM_Recover         engine::Engine::open() on the cache: check the data file, find and
//                      restore the newest snapshot, replay the tail (derived records compared),
//                      open the writer. Manual time = open() only (not the destructor).
//   BM_ReplayFold      every record read + CRC-checked + decoded, every input applied to a
//                      fresh Fold (bench::replay_journal, engine::JournalReplayer, what
//                      `botengine replay` does): items/s = records/s; counter inputs_per_s
//   BM_ReplayVerify    the same, every derived record and state hash compared (what
//                      `botengine replay --verify` does over the whole journal)
//   BM_ReadDecodeOnly  peer floor: read + CRC check + decode with no fold
// A cache whose newest snapshot this build cannot restore, or whose replay no longer gives
// the hash it was built with (the fold changed), is rebuilt first.
// Before timing: the recovered state hash must equal the hash of the fold that built the
// journal and of a from-scratch replay of the whole journal, that replay and recovery must
// have seen no derived-record or state-hash mismatch, recovery must have used a snapshot;
// else SkipWithError.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench/harness/engine_fixture.hpp"
#include "bench/harness/wire_gen.hpp"
#include "bench/replay/replay_timing.hpp"
#include "engine/engine.hpp"
#include "engine/format.hpp"
#include "engine/snapshot_format.hpp"
#include "feed/binance.hpp"
#include "feed/symbol_table.hpp"
#include "journal/reader.hpp"
#include "journal/writer.hpp"
#include "tests/support/queued_answers.hpp"

#ifndef BE_BENCH_CACHE_DEFAULT
#define BE_BENCH_CACHE_DEFAULT "bench-cache"
#endif

namespace {

using namespace be;
namespace fs = std::filesystem;

// Bump when the journal this file builds changes (workload, record layout).
constexpr int kCacheVersion = 3;
constexpr std::size_t kBots = 8;
constexpr std::uint64_t kSnapshotEveryInputs = 100'000;
constexpr Nanos kTickInterval = 100'000'000;
constexpr Nanos kStart = 1'704'067'200'000'000'000;

std::uint64_t target_records() {
  if (const char* s = std::getenv("BE_RECOVERY_BENCH_EVENTS")) {
    const auto v = std::strtoull(s, nullptr, 10);
    if (v >= 150'000) return v;  // fewer records hold no snapshot (one per 100,000 inputs)
  }
  return 10'000'000;
}

engine::EngineConfig bench_config(const std::string& data_dir) {
  auto parsed = engine::parse_engine_config(bench::engine_config_json(kBots));
  engine::EngineConfig c = std::move(*parsed);
  c.journal = engine::JournalMode::kAsync;
  c.data_dir = data_dir;
  return c;
}

struct Built {
  std::uint64_t records = 0;
  std::uint64_t inputs = 0;
  std::uint64_t snapshots = 0;
  std::uint64_t state_hash = 0;
};

// Writes the journal described in the file header into data_dir/journal.
Expected<Built, std::string> build_journal(const std::string& data_dir, std::uint64_t target) {
  engine::EngineConfig config = bench_config(data_dir);
  const engine::InstrumentTable instruments(config.instruments);
  // The paper venue's answers, its connectivity reports included, applied as inputs after
  // the input that caused them.
  be::test::QueuedAnswers answers(/*with_connectivity=*/true);
  engine::Fold fold(engine::fold_config(config, engine::paper_balances(config, instruments)),
                    answers);
  journal::WriterOptions wo;
  wo.durability = journal::Durability::kNone;  // a cache: the bytes are what matters
  wo.group_max_records = 1024;
  wo.queue_capacity = std::size_t{1} << 18;
  wo.initial_map_size = std::size_t{1} << 30;
  auto opened = journal::JournalWriter<>::open(data_dir + "/journal", wo);
  if (!opened) return Unexpected("journal: " + opened.error().message);
  journal::JournalWriter<>& writer = **opened;

  Built out;
  SequenceNumber next_position = 1;
  std::uint64_t since_snapshot = 0;
  std::string error;
  auto append = [&](const Event& e) {
    for (;;) {
      const auto st = writer.try_append(e);
      if (st == journal::AppendStatus::kOk) return true;
      if (st != journal::AppendStatus::kFull) {
        error = std::string("append: ") + journal::to_string(st);
        return false;
      }
      std::this_thread::yield();
    }
  };
  auto apply_one = [&](const Event& input) {
    const auto records = fold.apply(input, ++out.inputs);
    for (const Event& r : records) {
      Event e = r;
      e.header.sequence = next_position++;
      if (!append(e)) return false;
    }
    for (const engine::VenueAction& a : fold.actions()) {
      if (a.kind == engine::VenueAction::Kind::kLoopBackReject) {
        const Nanos t = fold.strategy().engine_time();
        answers.queue.push_back(Event::make(a.reject, t, t));
      }
    }
    ++since_snapshot;
    return true;
  };
  // An input, then what it fed back (answers may cause more answers).
  auto apply = [&](const Event& input) {
    if (!apply_one(input)) return false;
    while (!answers.queue.empty()) {
      const Event e = answers.queue.front();
      answers.queue.pop_front();
      if (!apply_one(e)) return false;
    }
    if (since_snapshot >= kSnapshotEveryInputs) {
      const auto bytes = engine::engine_snapshot(fold.snapshot(), {});
      const StateHash sh = fold.state_hash_record();  // at == out.inputs, the last ordinal
      Event e = Event::make(sh, fold.strategy().engine_time(), 0);
      e.header.flags = kFlagDerived;
      e.header.sequence = next_position++;
      if (!append(e)) return false;
      if (auto err = writer.write_snapshot(e.header.sequence, bytes, sh.combined); !err.ok()) {
        error = "snapshot: " + err.message;
        return false;
      }
      ++out.snapshots;
      since_snapshot = 0;
    }
    return true;
  };

  // Blob bytes must outlive the writer's commit of them: kept until close().
  std::vector<std::unique_ptr<std::string>> blobs;
  std::uint64_t next_blob = 1;
  auto blob_event = [&](std::string text, std::uint32_t kind, Nanos t) {
    blobs.push_back(std::make_unique<std::string>(std::move(text)));
    BlobRef ref;
    ref.blob_id = next_blob++;
    ref.kind = kind;
    ref.size = static_cast<std::uint32_t>(blobs.back()->size());
    ref.data = reinterpret_cast<const std::byte*>(blobs.back()->data());
    return Event::make(ref, t, t);
  };

  Nanos now = kStart;
  bool ok = apply(blob_event(config.source_text, engine::kEngineConfigBlobKind, now));
  for (std::size_t i = 0; ok && i < instruments.size(); ++i)
    ok = apply(Event::make(instruments.definition(i), now, now));
  Connectivity up;
  up.venue = VenueId{0};
  up.state = ConnectivityState::kConnected;
  ok = ok && apply(Event::make(up, now, now));
  std::uint64_t request = 1;
  for (std::uint32_t b = 0; ok && b < config.initial_bots.size(); ++b) {
    OperatorCommand c;
    c.kind = OperatorCommandKind::kCreateBot;
    c.bot = BotId{b};
    c.user_id = index_of(kEngineUser);
    c.request_id = request++;
    const Event blob = blob_event(config.initial_bots[b], engine::kBotConfigBlobKind, now);
    c.blob_id = blob.as<BlobRef>().blob_id;
    ok = apply(blob) && apply(Event::make(c, now, now));
    OperatorCommand s;
    s.kind = OperatorCommandKind::kStartBot;
    s.bot = BotId{b};
    s.user_id = index_of(kEngineUser);
    s.request_id = request++;
    ok = ok && apply(Event::make(s, now, now));
  }

  feed::SymbolTable symbols(feed::UnknownSymbolPolicy::kReject);
  for (const engine::InstrumentSpec& in : config.instruments)
    symbols.add(in.symbol, feed::InstrumentScales{in.price_scale, in.qty_scale});
  feed::BinanceParser parser(VenueId{0}, symbols);
  bench::WireGenerator gen(bench::WireGenConfig{});
  std::string frame;
  Nanos next_tick = now + kTickInterval;
  for (std::uint64_t i = 0;
       ok && (next_position - 1 < target || since_snapshot + 16 < kSnapshotEveryInputs); ++i) {
    now = kStart + static_cast<Nanos>(i) * 1'000'000;
    gen.next(now, frame);
    bool parsed_ok = true;
    const auto r = parser.parse(frame, now, [&](const Event& e) {
      if (parsed_ok) parsed_ok = apply(e);
    });
    if (!r.ok()) return Unexpected(std::string("a generated frame does not parse"));
    ok = parsed_ok;
    if (ok && now >= next_tick) {
      Timer t;
      t.owner = kNoBot;
      t.deadline = now;
      ok = apply(Event::make(t, now, now));
      next_tick = now + kTickInterval;
    }
  }
  if (!ok) return Unexpected(error);
  if (auto e = writer.close(); !e.ok()) return Unexpected("close: " + e.message);
  out.records = next_position - 1;
  out.state_hash = fold.hashes().combined;
  return out;
}

struct Fixture {
  std::string data_dir;
  std::string journal;
  Built built;
  bool fresh = false;  // built in this run
  double build_seconds = 0;
  std::uint64_t replay_hash = 0;
  engine::Engine::RecoveryReport recovery;
  std::string error;
};

std::string cache_root() {
  if (const char* s = std::getenv("BE_BENCH_CACHE"); s != nullptr && *s != '\0') return s;
  return BE_BENCH_CACHE_DEFAULT;
}

bool read_marker(const std::string& path, Built& b) {
  std::ifstream in(path);
  int version = 0;
  return static_cast<bool>(in >> version >> b.records >> b.inputs >> b.snapshots >> b.state_hash) &&
         version == kCacheVersion;
}

Expected<engine::Engine::RecoveryReport, std::string> recover(const std::string& data_dir,
                                                              double* seconds) {
  const auto t0 = std::chrono::steady_clock::now();
  auto eng = engine::Engine::open(bench_config(data_dir));
  const auto t1 = std::chrono::steady_clock::now();
  if (!eng) return Unexpected("open: " + eng.error());
  if (seconds != nullptr) *seconds = std::chrono::duration<double>(t1 - t0).count();
  return (*eng)->recovery();
}

// Whether this build's fold restores the journal's newest snapshot. A cache written before
// the fold's snapshot layout changed fails this and is rebuilt, rather than timing (or
// tripping over) recovery's fall-back to a full replay.
bool newest_snapshot_restores(const std::string& data_dir) {
  auto reader = journal::Reader::open(data_dir + "/journal");
  if (!reader) return false;
  SequenceNumber first = 0, last = 0;
  journal::SnapshotView snap;
  bool found = false;
  if (!(*reader)->bounds(first, last).ok() || !(*reader)->find_snapshot(last, snap, found).ok() ||
      !found) {
    return false;
  }
  const engine::EngineConfig config = bench_config(data_dir);
  const engine::InstrumentTable instruments(config.instruments);
  oms::DiscardResponses drop;
  engine::Fold fold(engine::fold_config(config, engine::paper_balances(config, instruments)), drop);
  const engine::SnapshotParts parts = engine::split_snapshot(snap.state);
  return parts.ok && !fold.restore(parts.fold).has_value();
}

// Builds the journal into data_dir (replacing what is there) and writes its marker. It is
// built in a side directory and renamed: a crash mid-build leaves no half cache.
std::optional<std::string> build_cache(Fixture& x, std::uint64_t target) {
  const std::string tmp = x.data_dir + ".partial";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::remove_all(x.data_dir, ec);
  // Caches of earlier versions of this file are stale for good: ~1.7 GB each at 10M records.
  for (int v = 1; v < kCacheVersion; ++v) {
    fs::remove_all(cache_root() + "/recovery_v" + std::to_string(v) + "_" + std::to_string(target),
                   ec);
  }
  fs::create_directories(tmp, ec);
  const auto t0 = std::chrono::steady_clock::now();
  auto b = build_journal(tmp, target);
  if (!b) {
    fs::remove_all(tmp, ec);
    return "build: " + b.error();
  }
  x.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  x.built = *b;
  std::ofstream(tmp + "/built.txt") << kCacheVersion << ' ' << b->records << ' ' << b->inputs << ' '
                                    << b->snapshots << ' ' << b->state_hash << '\n';
  fs::rename(tmp, x.data_dir, ec);
  if (ec) return "cache: " + ec.message();
  x.fresh = true;
  return std::nullopt;
}

const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture x;
    const std::uint64_t target = target_records();
    x.data_dir =
        cache_root() + "/recovery_v" + std::to_string(kCacheVersion) + "_" + std::to_string(target);
    x.journal = x.data_dir + "/journal";
    if (!read_marker(x.data_dir + "/built.txt", x.built) || !newest_snapshot_restores(x.data_dir)) {
      if (auto err = build_cache(x, target)) {
        x.error = *err;
        return x;
      }
    }
    auto replayed = bench::replay_journal(x.journal, /*compare=*/true);
    if (replayed && !x.fresh && replayed->fold->hashes().combined != x.built.state_hash) {
      // Written by a fold that behaved differently: rebuild with this one.
      if (auto err = build_cache(x, target)) {
        x.error = *err;
        return x;
      }
      replayed = bench::replay_journal(x.journal, /*compare=*/true);
    }
    if (!replayed) {
      x.error = "replay: " + replayed.error();
      return x;
    }
    x.replay_hash = replayed->fold->hashes().combined;
    auto r = recover(x.data_dir, nullptr);
    if (!r) {
      x.error = "recovery: " + r.error();
      return x;
    }
    x.recovery = *r;
    if (replayed->mismatches != 0) {
      x.error = "a from-scratch replay re-derived different records than the journal holds";
    } else if (replayed->records != x.built.records) {
      x.error = "the replay read a different record count than was built";
    } else if (x.replay_hash != x.built.state_hash) {
      x.error = "a from-scratch replay's state hash differs from the building fold's";
    } else if (x.recovery.state_hash != x.built.state_hash) {
      x.error = "the recovered state hash differs from the building fold's";
    } else if (x.recovery.snapshot_position == 0) {
      x.error = "recovery used no snapshot";
    } else if (x.recovery.derived_mismatches != 0) {
      x.error = "recovery re-derived different records than the journal holds";
    } else if (x.recovery.last_position != x.built.records) {
      x.error = "the journal changed under the bench";
    }
    return x;
  }();
  return f;
}

void BM_Recover(benchmark::State& state) {
  const Fixture& f = fixture();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  engine::Engine::RecoveryReport last;
  for (auto _ : state) {
    double seconds = 0;
    auto r = recover(f.data_dir, &seconds);
    if (!r || r->state_hash != f.built.state_hash) {
      state.SkipWithError(r ? "the recovered state hash changed" : r.error().c_str());
      return;
    }
    last = *r;
    state.SetIterationTime(seconds);
  }
  state.counters["journal_records"] = static_cast<double>(last.last_position);
  state.counters["tail_records"] = static_cast<double>(last.tail_records);
  state.counters["snapshot_at"] = static_cast<double>(last.snapshot_position);
  state.counters["snapshots"] = static_cast<double>(f.built.snapshots);
  state.counters["build_s"] = f.build_seconds;
}
BENCHMARK(BM_Recover)->Unit(benchmark::kMillisecond)->UseManualTime();

[[maybe_unused]] const bool kReplayBenchmarks = bench::register_replay_benchmarks(&fixture);

}  // namespace

BENCHMARK_MAIN();
