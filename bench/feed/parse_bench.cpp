// Feed parsing benchmarks.
//
// Workload (real frames from $BE_SHARED_DATA/captures, default <repo>/../shared/data):
//  - Trade: every Binance aggTrade frame of BINANCE.ws.1.0 and BINANCE_US.ws.1.0 (13 frames,
//    combined-stream framing, ~250 bytes each), parsed round-robin.
//  - BookTicker: every Binance bookTicker frame of both files (212 frames, ~170 bytes).
//  - Peers: the same frames through nlohmann::json (DOM) and RapidJSON in its three fastest
//    forms, each extracting the same fields and converting prices/quantities exactly with
//    be::parse_decimal (our semantics: decimal strings to fixed point, never through double),
//    so every contender does the same job: frame -> Trade/Quote record.
//      rapidjson         DOM, Parse() into a reused Document whose pool and parse stack live
//                        in fixed buffers (no malloc per frame; RapidJSON's fastest DOM set-up)
//      rapidjson_insitu  the same, ParseInsitu() on a copy of the frame in a reused buffer
//                        (strings are not copied again; the copy is the price of in-situ, as
//                        botengine pays for its padded copy)
//      rapidjson_sax     the SAX Reader, in situ, with a handler that keeps only the fields
//                        the record needs: no DOM at all, the closest analogue of On-Demand
//    Numbers are parsed by RapidJSON as integers (ids, times are integers on the wire and
//    RapidJSON's integer parsing is exact); kParseNumbersAsStringsFlag would only add work.
//    The ratio the target speaks of is against the fastest peer of the run.
//  - botengine_in_place: the same frames through parse_padded(), each followed by
//    kFramePadding spare bytes as in the client's receive buffer: no copy of the frame.
//  - Capture: whole capture files in memory through TextCaptureReader + CaptureDispatcher
//    (line split, timestamp parse, venue dispatch, JSON parse, event emission), messages/s.
// Before timing, every benchmark checks that each frame's record equals the reference record
// (botengine's parser vs both peers, field by field) and aborts on any difference.
//
// Run: build/feed/bench/feed/feed_parse_bench --benchmark_repetitions=9
//      --benchmark_report_aggregates_only=true   (2 shared noisy cores: read the medians)
// Instructions per message (stable on a noisy VM): feed_parse_bench --instructions=N runs N
// messages per contender between callgrind client requests; under
//   valgrind --tool=callgrind --callgrind-out-file=cg.%p feed_parse_bench --instructions=20000
// each contender's section is dumped separately and the tool prints instructions/message
// (outside valgrind it prints ns/message instead).
#include <benchmark/benchmark.h>

#include <rapidjson/document.h>
#include <rapidjson/reader.h>
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else  // without valgrind's headers the client requests are no-ops, as outside valgrind
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(label) (void)(label)
#endif

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

// ---- RapidJSON peers ------------------------------------------------------------------------
std::string_view sv(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

using PoolAllocator = rapidjson::MemoryPoolAllocator<>;
using RapidDocument = rapidjson::GenericDocument<rapidjson::UTF8<>, PoolAllocator, PoolAllocator>;

// Reused across frames, as a latency-minded RapidJSON user would: the value pool and the
// parse stack start in fixed buffers, so a frame costs no malloc; Clear() rewinds the pool.
struct RapidState {
  char pool_bytes[32 * 1024];
  char stack_bytes[8 * 1024];
  PoolAllocator pool{pool_bytes, sizeof pool_bytes};
  PoolAllocator stack{stack_bytes, sizeof stack_bytes};
  std::vector<char> insitu = std::vector<char>(64 * 1024);
  RapidDocument doc{&pool, sizeof stack_bytes, &stack};

  // Copies the frame for in-situ parsing (RapidJSON writes into it) and returns the copy.
  char* copy(const std::string& frame) {
    std::memcpy(insitu.data(), frame.data(), frame.size());
    insitu[frame.size()] = '\0';
    return insitu.data();
  }
  template <unsigned Flags>
  const RapidDocument* parse(const std::string& frame) {
    // Both rewind to their fixed buffers: the Document frees its parse stack after every
    // parse, and a pool allocator's Free is a no-op, so without this the stack would take a
    // fresh 64 KiB chunk from malloc on every frame.
    pool.Clear();
    stack.Clear();
    if constexpr ((Flags & rapidjson::kParseInsituFlag) != 0) {
      doc.ParseInsitu<Flags>(copy(frame));
    } else {
      doc.Parse<Flags>(frame.data(), frame.size());
    }
    return doc.HasParseError() ? nullptr : &doc;
  }
};

RapidState& rapid_state() {
  static RapidState* state = new RapidState;  // large; lives for the process
  return *state;
}

template <unsigned Flags>
bool rapid_trade(const std::string& frame, SymbolTable& symbols, Trade& t) {
  const RapidDocument* doc = rapid_state().parse<Flags>(frame);
  if (doc == nullptr) return false;
  const auto& d = (*doc)["data"];
  t.instrument = symbols.resolve(sv(d["s"]))->id;
  t.trade_id = d["a"].GetUint64();
  t.price = decimal(sv(d["p"]));
  t.quantity = decimal(sv(d["q"]));
  t.aggressor = d["m"].GetBool() ? Side::kSell : Side::kBuy;
  return true;
}
template <unsigned Flags>
bool rapid_quote(const std::string& frame, SymbolTable& symbols, Quote& q) {
  const RapidDocument* doc = rapid_state().parse<Flags>(frame);
  if (doc == nullptr) return false;
  const auto& d = (*doc)["data"];
  q.instrument = symbols.resolve(sv(d["s"]))->id;
  q.update_id = d["u"].GetUint64();
  q.bid_price = decimal(sv(d["b"]));
  q.bid_quantity = decimal(sv(d["B"]));
  q.ask_price = decimal(sv(d["a"]));
  q.ask_quantity = decimal(sv(d["A"]));
  return true;
}

constexpr unsigned kDom = rapidjson::kParseDefaultFlags;
constexpr unsigned kInsitu = rapidjson::kParseInsituFlag;

// SAX: RapidJSON's Reader calls the handler per token; the handler keeps the one-character
// keys of the "data" object that the record needs. Strings point into the in-situ copy.
struct SaxFields {
  int depth = 0;
  bool in_data = false;
  char key = 0;
  std::string_view s, p, q, b, B, a_text, A;
  std::uint64_t id = 0;  // "a" (aggTrade) or "u" (bookTicker)
  bool have_id = false, m = false;
  char id_key = 'a';

  bool StartObject() {
    ++depth;
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    --depth;
    return true;
  }
  bool Key(const char* str, rapidjson::SizeType len, bool) {
    key = len == 1 ? str[0] : 0;
    if (depth == 1) in_data = len == 4 && std::memcmp(str, "data", 4) == 0;
    return true;
  }
  bool String(const char* str, rapidjson::SizeType len, bool) {
    if (depth != 2) return true;
    const std::string_view v(str, len);
    switch (key) {
      case 's':
        s = v;
        break;
      case 'p':
        p = v;
        break;
      case 'q':
        q = v;
        break;
      case 'b':
        b = v;
        break;
      case 'B':
        B = v;
        break;
      case 'a':
        a_text = v;
        break;
      case 'A':
        A = v;
        break;
      default:
        break;
    }
    return true;
  }
  bool Uint64(std::uint64_t v) {
    if (depth == 2 && key == id_key) {
      id = v;
      have_id = true;
    }
    return true;
  }
  bool Uint(unsigned v) { return Uint64(v); }
  bool Int(int v) { return v < 0 || Uint64(static_cast<std::uint64_t>(v)); }
  bool Int64(std::int64_t v) { return v < 0 || Uint64(static_cast<std::uint64_t>(v)); }
  bool Bool(bool v) {
    if (depth == 2 && key == 'm') m = v;
    return true;
  }
  bool Null() { return true; }
  bool Double(double) { return true; }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return true; }
  bool StartArray() { return true; }
  bool EndArray(rapidjson::SizeType) { return true; }
};

bool rapid_sax(const std::string& frame, SaxFields& f) {
  static rapidjson::Reader reader;
  rapidjson::InsituStringStream in(rapid_state().copy(frame));
  return !reader.Parse<rapidjson::kParseInsituFlag>(in, f).IsError();
}

bool rapid_sax_trade(const std::string& frame, SymbolTable& symbols, Trade& t) {
  SaxFields f;
  f.id_key = 'a';
  if (!rapid_sax(frame, f) || !f.have_id) return false;
  t.instrument = symbols.resolve(f.s)->id;
  t.trade_id = f.id;
  t.price = decimal(f.p);
  t.quantity = decimal(f.q);
  t.aggressor = f.m ? Side::kSell : Side::kBuy;
  return true;
}
bool rapid_sax_quote(const std::string& frame, SymbolTable& symbols, Quote& q) {
  SaxFields f;
  f.id_key = 'u';
  if (!rapid_sax(frame, f) || !f.have_id) return false;
  q.instrument = symbols.resolve(f.s)->id;
  q.update_id = f.id;
  q.bid_price = decimal(f.b);
  q.bid_quantity = decimal(f.B);
  q.ask_price = decimal(f.a_text);
  q.ask_quantity = decimal(f.A);
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
// Returns "" when they all agree, else the first frame that differs.
template <class P, class W>
std::string first_difference(Env& env) {
  const auto& list = W::list();
  if (list.empty()) return "no frames: is BE_SHARED_DATA set and the captures present?";
  for (const auto& f : list) {
    P ours{};
    if (!botengine_record(env, f, ours)) return "botengine refused frame: " + f.substr(0, 120);
    for (const auto peer : W::peers()) {
      P theirs{};
      if (!peer.fn(f, env.symbols, theirs) || !same(ours, theirs)) {
        return std::string(peer.name) + " differs for frame: " + f.substr(0, 120);
      }
    }
  }
  return {};
}

template <class P, class W>
bool verify(Env& env, benchmark::State& state) {
  const std::string diff = first_difference<P, W>(env);
  if (!diff.empty()) state.SkipWithError(diff.c_str());
  return diff.empty();
}

struct Sink {
  std::int64_t sum = 0;
  void operator()(const Event& e) { sum += e.header.receive_time; }
};

// What the Trade and Quote benchmarks differ in: which frames, and each peer's extractor.
template <class P>
struct Workload;
template <class P>
struct Peer {
  const char* name;
  bool (*fn)(const std::string&, SymbolTable&, P&);
};
template <>
struct Workload<Trade> {
  static constexpr const char* kName = "Trade";
  static const std::vector<std::string>& list() { return frames().trades; }
  static const std::vector<Nanos>& times() { return frames().trade_times; }
  static std::vector<Peer<Trade>> peers() {
    return {{"nlohmann", nlohmann_trade},
            {"rapidjson", rapid_trade<kDom>},
            {"rapidjson_insitu", rapid_trade<kInsitu>},
            {"rapidjson_sax", rapid_sax_trade}};
  }
};
template <>
struct Workload<Quote> {
  static constexpr const char* kName = "BookTicker";
  static const std::vector<std::string>& list() { return frames().tickers; }
  static const std::vector<Nanos>& times() { return frames().ticker_times; }
  static std::vector<Peer<Quote>> peers() {
    return {{"nlohmann", nlohmann_quote},
            {"rapidjson", rapid_quote<kDom>},
            {"rapidjson_insitu", rapid_quote<kInsitu>},
            {"rapidjson_sax", rapid_sax_quote}};
  }
};

// The same frames each followed by kFramePadding spare bytes, as they lie in the client's
// receive buffer: what BinanceParser::parse_padded reads in place.
template <class W>
const std::vector<std::string>& padded_frames() {
  static const std::vector<std::string> out = [] {
    std::vector<std::string> v;
    for (const auto& f : W::list())
      v.push_back(f + std::string(kFramePadding, ' '));
    return v;
  }();
  return out;
}

template <class P>
void BM_botengine_in_place(benchmark::State& state) {
  Env env;
  using W = Workload<P>;
  const auto& list = W::list();
  if (!verify<P, W>(env, state)) return;
  const auto& padded = padded_frames<W>();
  Sink sink;
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string& buf = padded[i];
    const ParseResult r = env.parser.parse_padded(std::string_view(buf).substr(0, list[i].size()),
                                                  buf.size(), W::times()[i], sink);
    benchmark::DoNotOptimize(r);
    if (++i == list.size()) i = 0;
  }
  benchmark::DoNotOptimize(sink.sum);
  state.SetItemsProcessed(state.iterations());
}

template <class P>
void BM_botengine(benchmark::State& state) {
  Env env;
  using W = Workload<P>;
  const auto& list = W::list();
  if (!verify<P, W>(env, state)) return;
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
  if (!verify<P, W>(env, state)) return;
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
BENCHMARK(BM_botengine_in_place<Trade>)->Name("BM_Trade_botengine_in_place");
BENCHMARK(BM_peer<Trade, nlohmann_trade>)->Name("BM_Trade_nlohmann");
BENCHMARK(BM_peer<Trade, rapid_trade<kDom>>)->Name("BM_Trade_rapidjson");
BENCHMARK(BM_peer<Trade, rapid_trade<kInsitu>>)->Name("BM_Trade_rapidjson_insitu");
BENCHMARK(BM_peer<Trade, rapid_sax_trade>)->Name("BM_Trade_rapidjson_sax");
BENCHMARK(BM_botengine<Quote>)->Name("BM_BookTicker_botengine");
BENCHMARK(BM_botengine_in_place<Quote>)->Name("BM_BookTicker_botengine_in_place");
BENCHMARK(BM_peer<Quote, nlohmann_quote>)->Name("BM_BookTicker_nlohmann");
BENCHMARK(BM_peer<Quote, rapid_quote<kDom>>)->Name("BM_BookTicker_rapidjson");
BENCHMARK(BM_peer<Quote, rapid_quote<kInsitu>>)->Name("BM_BookTicker_rapidjson_insitu");
BENCHMARK(BM_peer<Quote, rapid_sax_quote>)->Name("BM_BookTicker_rapidjson_sax");
BENCHMARK_CAPTURE(BM_CaptureFile, binance_ws, "BINANCE.ws.1.0");
BENCHMARK_CAPTURE(BM_CaptureFile, binance_us_ws, "BINANCE_US.ws.1.0");
BENCHMARK_CAPTURE(BM_CaptureFile, coinbase_ws, "COINBASE.ws.28.0");
BENCHMARK_CAPTURE(BM_CaptureFile, kraken_book_ws, "KRAKEN.ws.50.0");

namespace {

// --instructions=N: each contender parses N messages (round-robin over the frames) between
// CALLGRIND_ZERO_STATS and CALLGRIND_DUMP_STATS_AT, so a callgrind run yields one dump per
// contender holding exactly those N messages. Outside valgrind the requests are no-ops and
// the wall time per message is printed instead.
template <class P>
int count_instructions(std::uint64_t n) {
  using W = Workload<P>;
  Env env;
  if (const std::string diff = first_difference<P, W>(env); !diff.empty()) {
    std::fprintf(stderr, "%s\n", diff.c_str());
    return 1;
  }
  const auto& list = W::list();
  auto section = [&](const char* who, auto&& one) {
    const std::string label = std::string(W::kName) + "_" + who;
    for (std::size_t i = 0; i < list.size(); ++i)
      one(i);  // warm
    const auto start = std::chrono::steady_clock::now();
    CALLGRIND_ZERO_STATS;
    for (std::uint64_t k = 0; k < n; ++k)
      one(static_cast<std::size_t>(k % list.size()));
    CALLGRIND_DUMP_STATS_AT(label.c_str());
    const double ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    std::printf("%-28s %8.1f ns/message (wall, %llu messages)\n", label.c_str(),
                ns / static_cast<double>(n), static_cast<unsigned long long>(n));
  };
  Sink sink;
  section("botengine", [&](std::size_t i) {
    benchmark::DoNotOptimize(env.parser.parse(list[i], W::times()[i], sink));
  });
  const auto& padded = padded_frames<W>();
  section("botengine_in_place", [&](std::size_t i) {
    benchmark::DoNotOptimize(
        env.parser.parse_padded(std::string_view(padded[i]).substr(0, list[i].size()),
                                padded[i].size(), W::times()[i], sink));
  });
  for (const auto peer : W::peers()) {
    section(peer.name, [&](std::size_t i) {
      P record;
      benchmark::DoNotOptimize(peer.fn(list[i], env.symbols, record));
      benchmark::DoNotOptimize(record);
    });
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--instructions=")) {
      const std::uint64_t n = std::strtoull(argv[i] + 15, nullptr, 10);
      if (n == 0) return 2;
      return count_instructions<Trade>(n) | count_instructions<Quote>(n);
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
