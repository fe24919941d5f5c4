// Journal append throughput and synced-commit latency, with SQLite WAL as the peer.
//
// Workload: fixed 128-byte events of every fixed payload type (the make_event() mix of
// tests/journal, blobs excluded), strictly increasing sequences, framed to 132 bytes.
//  - BM_JournalAppend/mode/group: a producer thread try_append()s `records` events into a
//    JournalWriter (writer thread, group commit of up to `group` records, no extra wait) and
//    waits for the watermark the mode promises: durable() for sync, committed() for async
//    and none (async's durable() trails by the 10 ms sync period). records/s = items_per_second.
//  - BM_JournalSyncedCommit: one record, then wait for durable(): the cost of one synced
//    commit end to end (queue hop + LMDB write txn + fdatasync x2). p50/p99 as counters.
//  - BM_SqliteAppend/mode/group: the same 132-byte frames inserted as BLOBs keyed by
//    sequence (INTEGER PRIMARY KEY) in WAL mode, `group` rows per transaction, on the calling
//    thread (SQLite has no writer thread here, so it pays no queue hop). Sync settings:
//    sync=synchronous FULL (fsync per commit), async=NORMAL (WAL synced only at checkpoints),
//    none=OFF.
//  - BM_SqliteSyncedCommit: one-row transaction with synchronous=FULL.
//  - BM_JournalCommitGroupOneThread/group: Journal::commit_group alone (no thread, no sync),
//    rate per CPU second: LMDB's ceiling on one uncontended core.
//  - BM_Crc32c/hw|sw: the frame checksum over 132 bytes.
// Each benchmark first writes a small journal (or table) and reads it back against the
// reference events before timing (verify_*), and aborts if they differ.
//
// Run: build/<dir>/bench/journal/journal_bench --benchmark_repetitions=3
//        --benchmark_report_aggregates_only=true
// Numbers depend on the disk's fsync cost; quote medians and the ratio to SQLite.
#include <benchmark/benchmark.h>
#include <sched.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/harness/scratch_dir.hpp"
#include "core/crc32c.hpp"
#include "journal/format.hpp"
#include "journal/reader.hpp"
#include "journal/writer.hpp"
#include "tests/journal/events.hpp"

namespace {

using be::Event;
using be::SequenceNumber;
using namespace be::journal;
using Writer = JournalWriter<>;

Event bench_event(SequenceNumber s) {
  // No blobs: a fixed-size workload (blob cost depends on the blob size chosen).
  Event e = test::make_event(s % test::kTypeCount == test::kTypeCount - 1 ? s - 1 : s);
  e.header.sequence = s;
  return e;
}

Durability mode_of(std::int64_t m) {
  return m == 0 ? Durability::kSync : m == 1 ? Durability::kAsync : Durability::kNone;
}

// One append benchmark's arguments (durability, records per commit), shared by the journal
// and its SQLite peer so both time the same work.
struct AppendCase {
  Durability mode;
  std::size_t group;
  // Records per timed iteration: sync with tiny groups is fsync-bound, so fewer keep it short.
  std::size_t batch() const noexcept {
    if (mode == Durability::kSync) return group == 1 ? 200 : 20'000;
    return group == 1 ? 50'000 : 200'000;
  }
};

AppendCase append_case(const benchmark::State& state) {
  return {mode_of(state.range(0)), static_cast<std::size_t>(state.range(1))};
}

void append_and_wait(Writer& w, SequenceNumber& next, std::size_t n, Durability mode) {
  const SequenceNumber last = next + n - 1;
  for (; next <= last; ++next) {
    const Event e = bench_event(next);
    // Yield rather than spin: on 2 shared cores a spinning producer steals the writer's CPU.
    while (w.try_append(e) == AppendStatus::kFull)
      sched_yield();
  }
  if (mode == Durability::kSync) {
    while (w.durable() < last && !w.failed())
      sched_yield();
  } else {
    while (w.committed() < last && !w.failed())
      sched_yield();
  }
}

// Verification before timing: what the writer stores reads back equal to the reference.
bool verify_journal(Durability mode, std::size_t group) {
  be::bench::ScratchDir dir("be_jbench");
  {
    auto w = Writer::open(dir.path(), {.durability = mode, .group_max_records = group});
    if (!w) return false;
    SequenceNumber next = 1;
    append_and_wait(**w, next, 1000, mode);
    if (!(*w)->close().ok()) return false;
  }
  auto r = Reader::open(dir.path());
  if (!r) return false;
  RecordView v;
  SequenceNumber expect = 1;
  while ((*r)->next(v) == ReadStatus::kRecord) {
    // Same bytes when re-framed: every header field and the whole payload round-tripped.
    Event got;
    std::array<std::byte, kFrameOverhead + kFixedEventPayloadSize> a{};
    std::array<std::byte, kFrameOverhead + kFixedEventPayloadSize> b{};
    if (v.sequence != expect || !decode(v, got).ok()) return false;
    encode_event(seq_key(expect), bench_event(expect), a.data());
    encode_event(seq_key(expect), got, b.data());
    if (a != b) return false;
    ++expect;
  }
  return expect == 1001;
}

void BM_JournalAppend(benchmark::State& state) {
  const AppendCase c = append_case(state);
  if (!verify_journal(c.mode, c.group)) {
    state.SkipWithError("journal read back differs from the reference");
    return;
  }
  const auto [mode, group] = c;
  const std::size_t batch = c.batch();
  be::bench::ScratchDir dir("be_jbench");
  auto w = Writer::open(
      dir.path(),
      {.durability = mode, .group_max_records = group, .initial_map_size = std::size_t{1} << 30});
  if (!w) {
    state.SkipWithError(w.error().message.c_str());
    return;
  }
  SequenceNumber next = 1;
  for (auto _ : state) {
    append_and_wait(**w, next, batch, mode);
  }
  if ((*w)->failed()) state.SkipWithError((*w)->error().message.c_str());
  const WriterStats st = (*w)->stats();
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  state.counters["records_per_commit"] =
      static_cast<double>(st.records) / static_cast<double>(std::max<std::uint64_t>(st.commits, 1));
}

void percentiles(benchmark::State& state, std::vector<double>& us) {
  if (us.empty()) return;
  std::sort(us.begin(), us.end());
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[std::min(us.size() - 1, us.size() * 99 / 100)];
}

void BM_JournalSyncedCommit(benchmark::State& state) {
  if (!verify_journal(Durability::kSync, 1)) {
    state.SkipWithError("journal read back differs from the reference");
    return;
  }
  be::bench::ScratchDir dir("be_jbench");
  auto w = Writer::open(dir.path(), {.durability = Durability::kSync, .group_max_records = 1});
  if (!w) {
    state.SkipWithError(w.error().message.c_str());
    return;
  }
  SequenceNumber next = 1;
  std::vector<double> us;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    append_and_wait(**w, next, 1, Durability::kSync);
    const auto t1 = std::chrono::steady_clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  percentiles(state, us);
}

// The LMDB ceiling: Journal::commit_group on one thread, no queue, no writer thread, no
// sync. items_per_second is per CPU second of this thread, so it estimates what one
// uncontended core does even when the machine is busy.
void BM_JournalCommitGroupOneThread(benchmark::State& state) {
  const auto group = static_cast<std::size_t>(state.range(0));
  be::bench::ScratchDir dir("be_jbench");
  auto j = Journal::open(dir.path(), {.mode = OpenMode::kReadWriteCreate,
                                      .durability = Durability::kNone,
                                      .initial_map_size = std::size_t{1} << 30});
  if (!j) {
    state.SkipWithError(j.error().message.c_str());
    return;
  }
  std::vector<Event> batch(group);
  SequenceNumber next = 1;
  for (auto _ : state) {
    for (Event& e : batch)
      e = bench_event(next++);
    if (Error err = (*j)->commit_group(batch); !err.ok()) {
      state.SkipWithError(err.message.c_str());
      break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * group));
}

// ---- SQLite peer --------------------------------------------------------------------------

struct Sqlite {
  sqlite3* db = nullptr;
  sqlite3_stmt* insert = nullptr;
  ~Sqlite() {
    if (insert != nullptr) sqlite3_finalize(insert);
    if (db != nullptr) sqlite3_close(db);
  }
  bool exec(const char* sql) {
    return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
  }
};

bool open_sqlite(Sqlite& s, const std::string& dir, Durability mode) {
  if (sqlite3_open((dir + "/events.sqlite").c_str(), &s.db) != SQLITE_OK) return false;
  const char* sync = mode == Durability::kSync    ? "PRAGMA synchronous=FULL"
                     : mode == Durability::kAsync ? "PRAGMA synchronous=NORMAL"
                                                  : "PRAGMA synchronous=OFF";
  return s.exec("PRAGMA journal_mode=WAL") && s.exec(sync) &&
         s.exec("CREATE TABLE events(seq INTEGER PRIMARY KEY, frame BLOB NOT NULL)") &&
         sqlite3_prepare_v2(s.db, "INSERT INTO events(seq, frame) VALUES(?, ?)", -1, &s.insert,
                            nullptr) == SQLITE_OK;
}

bool sqlite_append(Sqlite& s, SequenceNumber& next, std::size_t n, std::size_t group) {
  std::array<std::byte, kFrameOverhead + kFixedEventPayloadSize> frame{};
  for (std::size_t done = 0; done < n;) {
    if (!s.exec("BEGIN")) return false;
    for (std::size_t i = 0; i < group && done < n; ++i, ++done, ++next) {
      const Event e = bench_event(next);
      encode_event(seq_key(next), e, frame.data());
      sqlite3_bind_int64(s.insert, 1, static_cast<sqlite3_int64>(next));
      sqlite3_bind_blob(s.insert, 2, frame.data(), static_cast<int>(frame.size()), SQLITE_STATIC);
      if (sqlite3_step(s.insert) != SQLITE_DONE) return false;
      sqlite3_reset(s.insert);
    }
    if (!s.exec("COMMIT")) return false;
  }
  return true;
}

bool verify_sqlite(Durability mode, std::size_t group) {
  be::bench::ScratchDir dir("be_jbench");
  Sqlite s;
  SequenceNumber next = 1;
  if (!open_sqlite(s, dir.path(), mode) || !sqlite_append(s, next, 1000, group)) return false;
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(s.db, "SELECT seq, frame FROM events ORDER BY seq", -1, &q, nullptr) !=
      SQLITE_OK) {
    return false;
  }
  SequenceNumber expect = 1;
  bool ok = true;
  while (sqlite3_step(q) == SQLITE_ROW) {
    const auto seq = static_cast<SequenceNumber>(sqlite3_column_int64(q, 0));
    std::array<std::byte, kFrameOverhead + kFixedEventPayloadSize> want{};
    encode_event(seq_key(expect), bench_event(expect), want.data());
    ok = ok && seq == expect &&
         static_cast<std::size_t>(sqlite3_column_bytes(q, 1)) == want.size() &&
         std::memcmp(sqlite3_column_blob(q, 1), want.data(), want.size()) == 0;
    ++expect;
  }
  sqlite3_finalize(q);
  return ok && expect == 1001;
}

void BM_SqliteAppend(benchmark::State& state) {
  const AppendCase c = append_case(state);
  if (!verify_sqlite(c.mode, c.group)) {
    state.SkipWithError("sqlite read back differs from the reference");
    return;
  }
  const auto [mode, group] = c;
  const std::size_t batch = c.batch();
  be::bench::ScratchDir dir("be_jbench");
  Sqlite s;
  if (!open_sqlite(s, dir.path(), mode)) {
    state.SkipWithError("sqlite open failed");
    return;
  }
  SequenceNumber next = 1;
  for (auto _ : state) {
    if (!sqlite_append(s, next, batch, group)) {
      state.SkipWithError(sqlite3_errmsg(s.db));
      break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}

void BM_SqliteSyncedCommit(benchmark::State& state) {
  if (!verify_sqlite(Durability::kSync, 1)) {
    state.SkipWithError("sqlite read back differs from the reference");
    return;
  }
  be::bench::ScratchDir dir("be_jbench");
  Sqlite s;
  if (!open_sqlite(s, dir.path(), Durability::kSync)) {
    state.SkipWithError("sqlite open failed");
    return;
  }
  SequenceNumber next = 1;
  std::vector<double> us;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    if (!sqlite_append(s, next, 1, 1)) {
      state.SkipWithError(sqlite3_errmsg(s.db));
      break;
    }
    const auto t1 = std::chrono::steady_clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  percentiles(state, us);
}

// ---- CRC32C ----------------------------------------------------------------------------

void BM_Crc32c(benchmark::State& state) {
  const bool hw = state.range(0) == 1;
  if (hw && !be::crc32c_hw_available()) {
    state.SkipWithError("no SSE4.2");
    return;
  }
  std::array<std::byte, 132> frame{};
  encode_event(seq_key(1), bench_event(1), frame.data());
  const auto fn = hw ? &be::crc32c_extend_hw : &be::crc32c_extend_sw;
  if (fn(0, "123456789", 9) != 0xE3069283u) {
    state.SkipWithError("CRC32C check value wrong");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(fn(0, frame.data(), frame.size()));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frame.size()));
}

void modes_and_groups(benchmark::internal::Benchmark* b) {
  b->ArgNames({"mode", "group"});
  for (std::int64_t mode : {0, 1, 2}) {  // sync, async, none
    for (std::int64_t group : {1, 64, 1024})
      b->Args({mode, group});
  }
}

BENCHMARK(BM_JournalAppend)->Apply(modes_and_groups)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SqliteAppend)->Apply(modes_and_groups)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_JournalCommitGroupOneThread)->Arg(64)->Arg(1024);
BENCHMARK(BM_JournalSyncedCommit)->UseManualTime()->Iterations(300)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SqliteSyncedCommit)->UseManualTime()->Iterations(300)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Crc32c)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
