// Order book update benchmarks: feed::OrderBook against a naive std::map book, same deltas.
//
// Workloads (each a list of BookDelta events, built once before any timing):
//  - Kraken: every book message of $BE_SHARED_DATA/captures/KRAKEN.ws.50.0 (default
//    <repo>/../shared/data), v1 "book-1000" for 10 pairs (snapshots of up to 1000 levels per
//    side, then ~4,300 small updates), parsed through the real CaptureDispatcher /
//    KrakenParser into BookDelta events. One book per instrument.
//  - Coinbase: every level2 message (snapshot + l2update) of COINBASE.ws.28.0, parsed the
//    same way through CoinbaseParser: 10 products, full-depth snapshots (8,362 levels in
//    all) then ~9,700 l2updates. Ticker/match messages yield no BookDelta.
//    Deltas of an instrument before its first snapshot are left out (a book drops them).
//  - synthetic_50: seeded (fixed seed, own integer arithmetic so it is identical everywhere),
//    one instrument, a 50-level-per-side snapshot around a fixed mid (bids below, asks above,
//    never crossed) then 100,000 updates of 1..3 levels each. A level's distance from the top
//    is the minimum of three uniform draws over 0..59, so changes pile up near the top as on
//    a real venue. Roughly 60% of levels change the quantity of a held level, the rest insert
//    a new price or delete a held one, biased to keep each side near 50 levels.
//  - synthetic_1000: the same with 1,000 levels per side (distances 0..1199), the depth of
//    Kraken's book-1000, to show how each book's cost grows with depth.
// Timed: the updates only. Each book's first snapshot is applied before timing (Kraken's
// 10 snapshots hold ~7,500 levels, more than its updates), and every iteration starts from
// copies of those books, made with the timer paused, then replays every later delta in
// capture order; after every update (the delta carrying kEndOfUpdate) it reads that book's
// best bid and ask, as a bot would. Counters: `updates` and `timed_deltas` per replay,
// `snapshot_levels` (untimed), `per_update` (CPU time per update; wall = Time / updates).
// Registration is in main(): the capture benchmarks are left out, with a message on stderr
// naming the missing file, when the captures are absent (an error would fail bench-smoke).
//
// Contenders, measured in the same run:
//  - botengine: feed::OrderBook (sorted fixed-capacity arrays, depth 4,096 per side here so
//    no capture level is ever truncated), Sequencing::kNone as Kraken and Coinbase are run.
//  - map: a std::map<price, qty> per side (bids std::greater), the obvious book: erase on
//    zero, assign otherwise, best = begin(); the same snapshot and depth rules.
// Before timing, each workload is replayed once through fresh books of both kinds and after
// every update the best bid/ask and every level of both sides must agree (and OrderBook must
// not have truncated); any difference ends the benchmark with SkipWithError.
//
// Run: <build>/bench/feed/book_bench --benchmark_repetitions=5
//      --benchmark_report_aggregates_only=true   (2 shared noisy cores: read the medians)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "feed/capture.hpp"
#include "feed/dispatcher.hpp"
#include "feed/order_book.hpp"

namespace {

using namespace be;
using namespace be::feed;

constexpr std::size_t kDepth = 4096;

std::string data_dir() {
  const char* env = std::getenv("BE_SHARED_DATA");
  return std::string(env != nullptr && *env != '\0' ? env : BE_DEFAULT_SHARED_DATA) + "/captures";
}

// Each book's first snapshot is `start`, applied before timing; `deltas` is what is timed.
// Per book, start is a prefix of its captured sequence, so the order a book sees is kept.
struct Workload {
  std::vector<BookDelta> start;
  std::vector<std::uint32_t> start_book;
  std::vector<BookDelta> deltas;
  std::vector<std::uint32_t> book;  // per delta: index of its instrument's book
  std::vector<InstrumentId> instruments;
  std::vector<bool> started;  // per book: its first snapshot is complete
  std::size_t updates = 0;    // timed deltas carrying kEndOfUpdate
  std::string error;          // non-empty: the workload could not be built
};

// Assigns each instrument a dense book index; drops deltas before the instrument's first
// snapshot (see the header).
void add(Workload& w, std::unordered_map<std::uint32_t, std::uint32_t>& index, const BookDelta& d) {
  const auto key = static_cast<std::uint32_t>(d.instrument);
  const bool snapshot = (d.flags & BookDelta::kSnapshot) != 0;
  auto it = index.find(key);
  if (it == index.end()) {
    if (!snapshot) return;
    it = index.emplace(key, static_cast<std::uint32_t>(w.instruments.size())).first;
    w.instruments.push_back(d.instrument);
    w.started.push_back(false);
  }
  const std::uint32_t b = it->second;
  if (!w.started[b] && snapshot) {
    w.start.push_back(d);
    w.start_book.push_back(b);
    if ((d.flags & BookDelta::kEndOfUpdate) != 0) w.started[b] = true;
    return;
  }
  w.started[b] = true;  // a snapshot cut short by an update: the rest is timed as it comes
  w.deltas.push_back(d);
  w.book.push_back(b);
  w.updates += (d.flags & BookDelta::kEndOfUpdate) != 0;
}

Workload from_capture(const char* name) {
  Workload w;
  TextCaptureReader reader;
  if (!reader.open(data_dir() + "/" + name, w.error)) {
    w.error = "capture " + std::string(name) + " absent (" + w.error +
              "): set BE_SHARED_DATA to the shared data folder";
    return w;
  }
  CaptureDispatcher dispatcher(UnknownSymbolPolicy::kAutoIntern);
  std::unordered_map<std::uint32_t, std::uint32_t> index;
  CaptureRecord rec;
  while (reader.next(rec)) {
    dispatcher.dispatch(reader.venue(), rec, [&](const Event& e) {
      if (e.is<BookDelta>()) add(w, index, e.as<BookDelta>());
    });
  }
  if (dispatcher.stats().rejected() != 0) w.error = std::string(name) + " did not parse cleanly";
  if (w.updates == 0) w.error = std::string(name) + " holds no book update";
  return w;
}

// Deterministic everywhere: splitmix64, and only integer arithmetic on its output.
struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(next() % n); }
};

// `levels` per side; distances from the top span 0..levels*6/5-1.
Workload synthetic(std::size_t levels) {
  constexpr std::int64_t kMid = 1'000'000;
  const auto span = static_cast<std::uint32_t>(levels * 6 / 5);
  constexpr std::size_t kUpdates = 100'000;
  Workload w;
  std::unordered_map<std::uint32_t, std::uint32_t> index;
  Rng rng{20261123};
  // The generator's own view of the book, to pick held levels to modify or delete.
  std::map<std::int64_t, std::int64_t> held[2];  // [0] bids, [1] asks; by distance
  auto price_of = [](int side, std::int64_t dist) {
    return side == 0 ? kMid - 1 - dist : kMid + 1 + dist;
  };
  auto qty = [&] { return static_cast<std::int64_t>(1 + rng.below(1'000'000)) * 1000; };
  BookDelta d;
  d.instrument = InstrumentId{7};
  for (int side = 0; side < 2; ++side) {
    for (std::size_t i = 0; i < levels; ++i)
      held[side][static_cast<std::int64_t>(i)] = qty();
  }
  for (int side = 0; side < 2; ++side) {
    for (const auto& [dist, q] : held[side]) {
      d.side = side == 0 ? Side::kBuy : Side::kSell;
      d.price = price_of(side, dist);
      d.quantity = q;
      d.flags = BookDelta::kSnapshot;
      add(w, index, d);
    }
  }
  // The last snapshot level ends the snapshot; add() has filed every level under `start`.
  w.start.back().flags |= BookDelta::kEndOfUpdate;
  w.started[0] = true;
  for (std::size_t u = 0; u < kUpdates; ++u) {
    const std::uint32_t n = 1 + rng.below(3);
    for (std::uint32_t k = 0; k < n; ++k) {
      const int side = static_cast<int>(rng.below(2));
      auto& h = held[side];
      const std::int64_t dist = std::min({rng.below(span), rng.below(span), rng.below(span)});
      const std::uint32_t roll = rng.below(100);
      std::int64_t q = qty();
      const bool holds = h.count(dist) != 0;
      if (holds) {
        // Deleting more often when the side is long keeps it near `levels`.
        const std::uint32_t delete_pct = h.size() > levels ? 55 : 25;
        if (roll < delete_pct) q = 0;
      }
      // Not held: an insert, unless the side is long, when it often becomes a modify of the
      // nearest held level instead.
      std::int64_t at = dist;
      if (!holds && h.size() > levels && roll < 50) {
        const auto near = h.lower_bound(dist);
        at = near != h.end() ? near->first : std::prev(near)->first;
      }
      if (q == 0) {
        h.erase(at);
      } else {
        h[at] = q;
      }
      d.side = side == 0 ? Side::kBuy : Side::kSell;
      d.price = price_of(side, at);
      d.quantity = q;
      d.flags = k + 1 == n ? BookDelta::kEndOfUpdate : BookDelta::kNone;
      add(w, index, d);
    }
  }
  return w;
}

// ---- the peer: a std::map per side ----------------------------------------------------------
class MapBook {
 public:
  explicit MapBook(std::size_t depth) : depth_(depth) {}

  void apply(const BookDelta& d) {
    const bool end = (d.flags & BookDelta::kEndOfUpdate) != 0;
    if ((d.flags & BookDelta::kSnapshot) != 0) {
      if (!in_snapshot_) {
        bids_.clear();
        asks_.clear();
        in_snapshot_ = true;
      }
      set(d);
      if (end) {
        in_snapshot_ = false;
        live_ = true;
      }
      return;
    }
    if (in_snapshot_) {  // a snapshot cut short: wait for another, as OrderBook does
      in_snapshot_ = false;
      live_ = false;
      bids_.clear();
      asks_.clear();
    }
    if (live_) set(d);
  }

  std::optional<BookLevel> best_bid() const { return best(bids_); }
  std::optional<BookLevel> best_ask() const { return best(asks_); }
  template <class F>
  void each_level(Side side, F&& f) const {
    if (side == Side::kBuy) {
      for (const auto& [p, q] : bids_)
        f(BookLevel{p, q});
    } else {
      for (const auto& [p, q] : asks_)
        f(BookLevel{p, q});
    }
  }
  std::size_t depth(Side side) const { return side == Side::kBuy ? bids_.size() : asks_.size(); }

 private:
  template <class Map>
  static std::optional<BookLevel> best(const Map& m) {
    if (m.empty()) return std::nullopt;
    return BookLevel{m.begin()->first, m.begin()->second};
  }
  void set(const BookDelta& d) {
    if (d.side == Side::kBuy) {
      set_in(bids_, d.price, d.quantity);
    } else if (d.side == Side::kSell) {
      set_in(asks_, d.price, d.quantity);
    }
  }
  template <class Map>
  void set_in(Map& m, std::int64_t price, std::int64_t qty) {
    if (qty == 0) {
      m.erase(price);
      return;
    }
    const auto [it, inserted] = m.try_emplace(price, qty);
    if (!inserted) {
      it->second = qty;
    } else if (m.size() > depth_) {
      m.erase(std::prev(m.end()));  // keep the best depth_ levels
    }
  }

  std::size_t depth_;
  std::map<std::int64_t, std::int64_t, std::greater<>> bids_;
  std::map<std::int64_t, std::int64_t> asks_;
  bool in_snapshot_ = false;
  bool live_ = false;
};

// ---- the reference check --------------------------------------------------------------------
// Fresh books holding each instrument's first snapshot: the state every timed replay starts
// from.
std::vector<OrderBook> make_books(const Workload& w) {
  std::vector<OrderBook> books;
  books.reserve(w.instruments.size());
  for (const InstrumentId id : w.instruments)
    books.emplace_back(OrderBookConfig{id, VenueId{1}, kDepth, Sequencing::kNone});
  for (std::size_t i = 0; i < w.start.size(); ++i)
    books[w.start_book[i]].apply(w.start[i], 0, 0, [](const Event&) {});
  return books;
}
std::vector<MapBook> make_map_books(const Workload& w) {
  std::vector<MapBook> books(w.instruments.size(), MapBook(kDepth));
  for (std::size_t i = 0; i < w.start.size(); ++i)
    books[w.start_book[i]].apply(w.start[i]);
  return books;
}

std::string compare(const OrderBook& a, const MapBook& b, std::size_t delta_index) {
  const std::string at = " after timed delta " + std::to_string(delta_index);
  if (a.best_bid() != b.best_bid()) return "best bid differs" + at;
  if (a.best_ask() != b.best_ask()) return "best ask differs" + at;
  if (a.stats()["truncated_levels"] != 0) return "OrderBook truncated a level (raise kDepth)" + at;
  for (const Side side : {Side::kBuy, Side::kSell}) {
    if (a.depth(side) != b.depth(side)) return "depth differs" + at;
    std::size_t i = 0;
    bool same = true;
    b.each_level(side, [&](const BookLevel& l) { same = same && a.level(side, i++) == l; });
    if (!same) return "a level differs" + at;
  }
  return {};
}

// Replays the workload as the timed loop does (from the snapshots, through every timed
// delta) with both books and compares them after the snapshots and after every update.
// Returns "" when they always agree.
std::string first_difference(const Workload& w) {
  if (!w.error.empty()) return w.error;
  std::vector<OrderBook> ours = make_books(w);
  std::vector<MapBook> theirs = make_map_books(w);
  for (std::size_t b = 0; b < ours.size(); ++b) {
    if (!ours[b].live()) return "a book is not live after its snapshot";
    if (std::string diff = compare(ours[b], theirs[b], 0); !diff.empty()) return diff;
  }
  const auto ignore = [](const Event&) {};
  for (std::size_t i = 0; i < w.deltas.size(); ++i) {
    const std::uint32_t b = w.book[i];
    ours[b].apply(w.deltas[i], 0, 0, ignore);
    theirs[b].apply(w.deltas[i]);
    if ((w.deltas[i].flags & BookDelta::kEndOfUpdate) == 0) continue;
    if (std::string diff = compare(ours[b], theirs[b], i + 1); !diff.empty()) return diff;
  }
  return {};
}

enum class Kind { kKraken, kCoinbase, kSynthetic50, kSynthetic1000 };

struct Checked {
  Workload workload;
  std::string difference;  // "" when verified
};

// Built and verified once per process: Google Benchmark calls a benchmark several times.
const Checked& checked(Kind kind) {
  static const Checked kraken = [] {
    Checked c{from_capture("KRAKEN.ws.50.0"), {}};
    c.difference = first_difference(c.workload);
    return c;
  }();
  static const Checked coinbase = [] {
    Checked c{from_capture("COINBASE.ws.28.0"), {}};
    c.difference = first_difference(c.workload);
    return c;
  }();
  static const Checked synth50 = [] {
    Checked c{synthetic(50), {}};
    c.difference = first_difference(c.workload);
    return c;
  }();
  static const Checked synth1000 = [] {
    Checked c{synthetic(1000), {}};
    c.difference = first_difference(c.workload);
    return c;
  }();
  switch (kind) {
    case Kind::kKraken:
      return kraken;
    case Kind::kCoinbase:
      return coinbase;
    case Kind::kSynthetic50:
      return synth50;
    case Kind::kSynthetic1000:
      break;
  }
  return synth1000;
}

const Workload* verified(Kind kind, benchmark::State& state) {
  const Checked& c = checked(kind);
  if (!c.difference.empty()) {
    state.SkipWithError(c.difference.c_str());
    return nullptr;
  }
  return &c.workload;
}

void set_counters(benchmark::State& state, const Workload& w) {
  const auto updates = static_cast<double>(w.updates);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(w.updates));
  state.counters["updates"] = updates;
  state.counters["timed_deltas"] = static_cast<double>(w.deltas.size());
  state.counters["snapshot_levels"] = static_cast<double>(w.start.size());
  state.counters["per_update"] = benchmark::Counter(
      updates, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

std::int64_t top_sum(const std::optional<BookLevel>& bid, const std::optional<BookLevel>& ask) {
  return (bid ? bid->price + bid->quantity : 0) + (ask ? ask->price + ask->quantity : 0);
}

void BM_botengine(benchmark::State& state, Kind kind) {
  const Workload* w = verified(kind, state);
  if (w == nullptr) return;
  const std::vector<OrderBook> start = make_books(*w);
  std::vector<OrderBook> books = start;
  const auto ignore = [](const Event&) {};
  const EventSink sink(ignore);
  std::int64_t seen = 0;
  for (auto _ : state) {
    state.PauseTiming();
    books = start;  // same capacity: copies levels, allocates nothing
    state.ResumeTiming();
    for (std::size_t i = 0; i < w->deltas.size(); ++i) {
      OrderBook& book = books[w->book[i]];
      book.apply(w->deltas[i], 0, 0, sink);
      if ((w->deltas[i].flags & BookDelta::kEndOfUpdate) != 0)
        seen += top_sum(book.best_bid(), book.best_ask());
    }
    benchmark::DoNotOptimize(seen);
  }
  set_counters(state, *w);
}

void BM_map(benchmark::State& state, Kind kind) {
  const Workload* w = verified(kind, state);
  if (w == nullptr) return;
  const std::vector<MapBook> start = make_map_books(*w);
  std::vector<MapBook> books = start;
  std::int64_t seen = 0;
  for (auto _ : state) {
    state.PauseTiming();
    books = start;  // libstdc++'s map copy-assignment reuses the nodes it holds
    state.ResumeTiming();
    for (std::size_t i = 0; i < w->deltas.size(); ++i) {
      MapBook& book = books[w->book[i]];
      book.apply(w->deltas[i]);
      if ((w->deltas[i].flags & BookDelta::kEndOfUpdate) != 0)
        seen += top_sum(book.best_bid(), book.best_ask());
    }
    benchmark::DoNotOptimize(seen);
  }
  set_counters(state, *w);
}

// Registers the capture benchmarks only when their files exist: without the shared data they
// are skipped with a message rather than reported as errors, which the smoke test would fail.
void register_benchmarks() {
  struct Entry {
    const char* name;
    Kind kind;
    const char* capture;  // nullptr: synthetic
  };
  const Entry entries[] = {
      {"kraken", Kind::kKraken, "KRAKEN.ws.50.0"},
      {"coinbase", Kind::kCoinbase, "COINBASE.ws.28.0"},
      {"synthetic_50", Kind::kSynthetic50, nullptr},
      {"synthetic_1000", Kind::kSynthetic1000, nullptr},
  };
  for (const Entry& e : entries) {
    if (e.capture != nullptr) {
      const std::string path = data_dir() + "/" + e.capture;
      if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
        std::fclose(f);
      } else {
        std::fprintf(stderr,
                     "book_bench: SKIPPED %s benchmarks: %s not found (set BE_SHARED_DATA to "
                     "the shared data folder)\n",
                     e.name, path.c_str());
        continue;
      }
    }
    const Kind kind = e.kind;
    benchmark::RegisterBenchmark((std::string("BM_botengine/") + e.name).c_str(),
                                 [kind](benchmark::State& s) { BM_botengine(s, kind); })
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark((std::string("BM_map/") + e.name).c_str(),
                                 [kind](benchmark::State& s) { BM_map(s, kind); })
        ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
