// Feed parsing benchmarks.
//
// Workload (real frames from $BE_SHARED_DATA/captures, default <repo>/../shared/data):
//  - Trade: every Binance aggTrade frame of BINANCE.ws.1.0 and BINANCE_US.ws.1.0 (13 frames,
//    combined-stream framing, ~250 bytes each), parsed round-robin.
//  - BookTicker: every Binance bookTicker frame of both files (212 frames, ~170 bytes).
//  - Peers: the same frames through nlohmann::json (DOM) and RapidJSON (in-situ-free DOM), each
//    extracting the same fields and converting prices/quantities with be::parse_decimal, so all
//    three do the same job: frame -> Trade/Quote record.
//  - Capture: whole capture files in memory through TextCaptureReader + CaptureDispatcher
//    (line split, timestamp parse, venue dispatch, JSON parse, event emission), messages/s.
// Before timing, every benchmark checks that each frame's record equals the reference record
// (botengine's parser vs both peers, field by field) and aborts on any difference.
//
// Run: build/feed/bench/feed/feed_parse_bench --benchmark_repetitions=9
//      --benchmark_report_aggregates_only=true   (2 shared noisy cores: read the medians)
#include <benchmark/benchmark.h>

#include <rapidjson/document.h>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/fixed_point.hpp"
#include "feed/binance.hpp"
#include "feed/capture.hpp"
#include "feed/dispatcher.hpp"

namespace {

using namespace be;
using namespace be::feed;

std::string data_dir() {
  const char* env = std::getenv("BE_SHARED_DATA");
  return std::string(env != nullptr && *env != '\0' ? env : BE_DEFAULT_SHARED_DATA) + "/captures";
}

struct Frames {
  std::vector<std::string> trades;
  std::vector<std::string> tickers;
  std::vector<Nanos> trade_times, ticker_times;
};

const Frames& frames() {
  static const Frames f = [] {
    Frames out;
    for (const char* name : {"BINANCE.ws.1.0", "BINANCE_US.ws.1.0"}) {
      TextCaptureReader reader;
      std::string error;
      if (!reader.open(data_dir() + "/" + name, error)) continue;
      CaptureRecord r;
      while (reader.next(r)) {
        if (r.kind != CaptureLineKind::kMessage) continue;
        if (r.payload.find("@aggTrade\"") != std::string_view::npos) {
          out.trades.emplace_back(r.payload);
          out.trade_times.push_back(r.receive_time);
        } else if (r.payload.find("@bookTicker\"") != std::string_view::npos) {
          out.tickers.emplace_back(r.payload);
          out.ticker_times.push_back(r.receive_time);
        }
      }
    }
    return out;
  }();
  return f;
}

bool same(const Trade& a, const Trade& b) {
  return a.instrument == b.instrument && a.aggressor == b.aggressor && a.price == b.price &&
         a.quantity == b.quantity && a.trade_id == b.trade_id;
}
bool same(const Quote& a, const Quote& b) {
  return a.instrument == b.instrument && a.bid_price == b.bid_price &&
         a.bid_quantity == b.bid_quantity && a.ask_price == b.ask_price &&
         a.ask_quantity == b.ask_quantity && a.update_id == b.update_id;
}

// The peers resolve symbols through the same table so records compare equal.
struct Env {
  SymbolTable symbols{UnknownSymbolPolicy::kAutoIntern};
  BinanceParser parser{VenueId{1}, symbols};
};

std::int64_t decimal(std::string_view s) {
  const auto v = parse_decimal(s, 8);
  return v ? *v : -1;
}

// ---- nlohmann::json peer --------------------------------------------------------------------
bool nlohmann_trade(const std::string& frame, SymbolTable& symbols, Trade& t) {
  const auto j = nlohmann::json::parse(frame, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return false;
  const auto& d = j["data"];
  t.instrument = symbols.resolve(d["s"].get_ref<const std::string&>())->id;
  t.trade_id = d["a"].get<std::uint64_t>();
  t.price = decimal(d["p"].get_ref<const std::string&>());
  t.quantity = decimal(d["q"].get_ref<const std::string&>());
  t.aggressor = d["m"].get<bool>() ? Side::kSell : Side::kBuy;
  return true;
}
bool nlohmann_quote(const std::string& frame, SymbolTable& symbols, Quote& q) {
  const auto j = nlohmann::json::parse(frame, nullptr, false);
  if (j.is_discarded()) return false;
  const auto& d = j["data"];
  q.instrument = symbols.resolve(d["s"].get_ref<const std::string&>())->id;
  q.update_id = d["u"].get<std::uint64_t>();
  q.bid_price = decimal(d["b"].get_ref<const std::string&>());
  q.bid_quantity = decimal(d["B"].get_ref<const std::string&>());
  q.ask_price = decimal(d["a"].get_ref<const std::string&>());
  q.ask_quantity = decimal(d["A"].get_ref<const std::string&>());
  return true;
}

// ---- RapidJSON peer -------------------------------------------------------------------------
std::string_view sv(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}
bool rapid_trade(const std::string& frame, SymbolTable& symbols, Trade& t) {
  rapidjson::Document doc;
  doc.Parse(frame.data(), frame.size());
  if (doc.HasParseError()) return false;
  const auto& d = doc["data"];
  t.instrument = symbols.resolve(sv(d["s"]))->id;
  t.trade_id = d["a"].GetUint64();
  t.price = decimal(sv(d["p"]));
  t.quantity = decimal(sv(d["q"]));
  t.aggressor = d["m"].GetBool() ? Side::kSell : Side::kBuy;
  return true;
}
bool rapid_quote(const std::string& frame, SymbolTable& symbols, Quote& q) {
  rapidjson::Document doc;
  doc.Parse(frame.data(), frame.size());
  if (doc.HasParseError()) return false;
  const auto& d = doc["data"];
  q.instrument = symbols.resolve(sv(d["s"]))->id;
  q.update_id = d["u"].GetUint64();
  q.bid_price = decimal(sv(d["b"]));
  q.bid_quantity = decimal(sv(d["B"]));
  q.ask_price = decimal(sv(d["a"]));
  q.ask_quantity = decimal(sv(d["A"]));
  return true;
}

template <class P>
bool botengine_record(Env& env, const std::string& frame, P& out) {
  bool got = false;
  const ParseResult r = env.parser.parse(frame, 1, [&](const Event& e) {
    if (e.is<P>()) {
      out = e.as<P>();
      got = true;
    }
  });
  return r.ok() && got && r.events == 1;
}

// Checks every frame: botengine == nlohmann == RapidJSON. Returns false (and says why) on any
// difference, so a benchmark never times a parser that gives a wrong answer.
template <class P, class N, class R>
bool verify(Env& env, const std::vector<std::string>& list, N nlohmann_fn, R rapid_fn,
            benchmark::State& state) {
  if (list.empty()) {
    state.SkipWithError("no frames: is BE_SHARED_DATA set and the captures present?");
    return false;
  }
  for (const auto& f : list) {
    P ours{}, n{}, r{};
    if (!botengine_record(env, f, ours) || !nlohmann_fn(f, env.symbols, n) ||
        !rapid_fn(f, env.symbols, r) || !same(ours, n) || !same(ours, r)) {
      state.SkipWithError(("records differ for frame: " + f.substr(0, 120)).c_str());
      return false;
    }
  }
  return true;
}

struct Sink {
  std::int64_t sum = 0;
  void operator()(const Event& e) { sum += e.header.receive_time; }
};

// What the Trade and Quote benchmarks differ in: which frames, and each peer's extractor.
template <class P>
struct Workload;
template <>
struct Workload<Trade> {
  static const std::vector<std::string>& list() { return frames().trades; }
  static const std::vector<Nanos>& times() { return frames().trade_times; }
  static bool nlohmann(const std::string& f, SymbolTable& s, Trade& t) {
    return nlohmann_trade(f, s, t);
  }
  static bool rapid(const std::string& f, SymbolTable& s, Trade& t) { return rapid_trade(f, s, t); }
};
template <>
struct Workload<Quote> {
  static const std::vector<std::string>& list() { return frames().tickers; }
  static const std::vector<Nanos>& times() { return frames().ticker_times; }
  static bool nlohmann(const std::string& f, SymbolTable& s, Quote& q) {
    return nlohmann_quote(f, s, q);
  }
  static bool rapid(const std::string& f, SymbolTable& s, Quote& q) { return rapid_quote(f, s, q); }
};

template <class P>
void BM_botengine(benchmark::State& state) {
  Env env;
  using W = Workload<P>;
  const auto& list = W::list();
  if (!verify<P>(env, list, W::nlohmann, W::rapid, state)) return;
  Sink sink;
  std::size_t i = 0;
  for (auto _ : state) {
    const ParseResult r = env.parser.parse(list[i], W::times()[i], sink);
    benchmark::DoNotOptimize(r);
    if (++i == list.size()) i = 0;
  }
  benchmark::DoNotOptimize(sink.sum);
  state.SetItemsProcessed(state.iterations());
}

// A peer (nlohmann or RapidJSON): `Peer` is the extractor, frame -> record.
template <class P, bool (*Peer)(const std::string&, SymbolTable&, P&)>
void BM_peer(benchmark::State& state) {
  Env env;
  using W = Workload<P>;
  const auto& list = W::list();
  if (!verify<P>(env, list, W::nlohmann, W::rapid, state)) return;
  std::size_t i = 0;
  for (auto _ : state) {
    P record;
    benchmark::DoNotOptimize(Peer(list[i], env.symbols, record));
    benchmark::DoNotOptimize(record);
    if (++i == list.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

// The feed handler over a capture file held in memory: reader + dispatcher + parsers.
void BM_CaptureFile(benchmark::State& state, const char* name) {
  TextCaptureReader reader;
  std::string error;
  if (!reader.open(data_dir() + "/" + name, error)) {
    state.SkipWithError(error.c_str());
    return;
  }
  CaptureDispatcher dispatcher(UnknownSymbolPolicy::kAutoIntern);
  Sink sink;
  CaptureRecord rec;
  std::uint64_t messages = 0;
  while (reader.next(rec))
    messages += dispatcher.dispatch(reader.venue(), rec, sink).has_value();
  const FeedStats check = dispatcher.stats();
  if (check.rejected() != 0 || check.accepted() != messages || messages == 0) {
    state.SkipWithError("the capture did not parse cleanly");
    return;
  }
  for (auto _ : state) {
    reader.rewind();
    while (reader.next(rec))
      benchmark::DoNotOptimize(dispatcher.dispatch(reader.venue(), rec, sink));
  }
  benchmark::DoNotOptimize(sink.sum);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * messages));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * reader.size_bytes()));
}

}  // namespace

BENCHMARK(BM_botengine<Trade>)->Name("BM_Trade_botengine");
BENCHMARK(BM_peer<Trade, nlohmann_trade>)->Name("BM_Trade_nlohmann");
BENCHMARK(BM_peer<Trade, rapid_trade>)->Name("BM_Trade_rapidjson");
BENCHMARK(BM_botengine<Quote>)->Name("BM_BookTicker_botengine");
BENCHMARK(BM_peer<Quote, nlohmann_quote>)->Name("BM_BookTicker_nlohmann");
BENCHMARK(BM_peer<Quote, rapid_quote>)->Name("BM_BookTicker_rapidjson");
BENCHMARK_CAPTURE(BM_CaptureFile, binance_ws, "BINANCE.ws.1.0");
BENCHMARK_CAPTURE(BM_CaptureFile, binance_us_ws, "BINANCE_US.ws.1.0");
BENCHMARK_CAPTURE(BM_CaptureFile, coinbase_ws, "COINBASE.ws.28.0");
BENCHMARK_CAPTURE(BM_CaptureFile, kraken_book_ws, "KRAKEN.ws.50.0");

BENCHMARK_MAIN();
