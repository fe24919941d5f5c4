#include "bench/harness/scale_workload.hpp"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <deque>
#include <fstream>
#include <memory>
#include <random>
#include <set>

#include "bench/harness/histogram.hpp"
#include "core/position.hpp"
#include "engine/engine.hpp"
#include "engine/format.hpp"

namespace be::bench {

// A Zipf law over n items (weights 1/(k+1)^s): the cumulative table and draws from it.
// Outside the anonymous namespace: ScaleMarket::State holds one.
class ZipfTable {
 public:
  ZipfTable(std::size_t n, double s) : cdf_(n) {
    double sum = 0;
    for (std::size_t k = 0; k < n; ++k) {
      sum += 1.0 / std::pow(static_cast<double>(k + 1), s);
      cdf_[k] = sum;
    }
    for (double& c : cdf_)
      c /= sum;
  }
  template <class Rng>
  std::size_t draw(Rng& rng) const {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    const auto it = std::lower_bound(cdf_.begin(), cdf_.end(), u);
    return std::min<std::size_t>(static_cast<std::size_t>(it - cdf_.begin()), cdf_.size() - 1);
  }

 private:
  std::vector<double> cdf_;
};

namespace {

constexpr std::int64_t kUnit = 100'000'000;  // 1.0 at scale 8
constexpr Nanos kStart = 1'704'067'200'000'000'000;
constexpr Nanos kInputStep = 1'000'000;    // 1 ms of event time per market input
constexpr std::uint64_t kTickEvery = 100;  // a clock tick per 100 ms of event time

std::string symbol_of(std::size_t i) {
  char s[32];
  std::snprintf(s, sizeof s, "S%04zuUSDT", i);
  return s;
}

// Instrument i's opening price: spread over 20 .. 2,000 USDT, deterministic.
std::int64_t price_of(std::size_t i) {
  return static_cast<std::int64_t>(20 + (i * 7919) % 1981) * kUnit;
}

std::string decimal(std::int64_t units, int places) {
  // units at scale 8 shown with `places` decimals (truncated).
  const std::int64_t whole = units / kUnit;
  std::int64_t frac = units % kUnit;
  for (int p = 8; p > places; --p)
    frac /= 10;
  char s[64];
  std::snprintf(s, sizeof s, "%" PRId64 ".%0*" PRId64, whole, places, frac);
  return s;
}

std::int64_t anon_rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::atoll(line.c_str() + 8) * 1024;
  }
  return -1;
}

double cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

std::string bot_config(std::size_t n, std::size_t instrument, std::mt19937_64& rng) {
  const std::string name = "\"name\": \"b" + std::to_string(n) + "\", ";
  const std::string symbol = "\"symbol\": \"" + symbol_of(instrument) + "\", ";
  const std::int64_t p = price_of(instrument);
  const auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const std::string tf = pick(0, 3) == 0 ? "5m" : "1m";
  const std::string timeframe = "\"timeframe\": \"" + tf + "\", ";
  // Quantities worth about 10..40 USDT at the opening price, at 3 decimals.
  const Wide raw = static_cast<Wide>(pick(10, 40)) * kUnit * kUnit / p;
  const std::int64_t qty =
      std::max<std::int64_t>(100'000, static_cast<std::int64_t>(raw / 100'000 * 100'000));
  const std::string q = decimal(qty, 3);
  const int kind = pick(0, 99);
  if (kind < 25) {  // grid around the opening price
    const std::int64_t half = p / 50;
    return "{" + name + symbol + R"("strategy": {"type": "grid", "parameters": {"lower": )" +
           decimal(p - half, 2) + R"(, "upper": )" + decimal(p + half, 2) + R"(, "grids": )" +
           std::to_string(pick(5, 20)) + R"(, "spacing": "arithmetic", "quantity_per_grid": )" + q +
           "}}}";
  }
  if (kind < 50) {  // DCA; a third buy on a shared RSI condition instead of at start
    std::string trigger;
    if (kind < 33) {
      trigger = R"(, "trigger": {"indicator": "rsi:14", "operator": "crosses_below", "value": )" +
                std::to_string(25 + 5 * pick(0, 2)) + "}";
    }
    return "{" + name + symbol + timeframe +
           R"("strategy": {"type": "dca", "parameters": {"base_order_quote": )" +
           std::to_string(pick(10, 40)) + R"(, "take_profit_pct": 0.5)" + trigger +
           R"(, "safety_orders": {"count": 3, "quote": 20, "deviation_pct": 0.5}}}})";
  }
  if (kind < 65) {
    return "{" + name + symbol + timeframe +
           R"("strategy": {"type": "rsi", "parameters": {"period": )" +
           std::to_string(pick(7, 21)) +
           R"(, "oversold": 30, "overbought": 70, "quote_amount": 20}}})";
  }
  if (kind < 77) {
    return "{" + name + symbol + timeframe +
           R"("strategy": {"type": "ma_cross", "parameters": {"ma": "ema", "fast": )" +
           std::to_string(pick(5, 12)) + R"(, "slow": )" + std::to_string(pick(20, 40)) +
           R"(, "quote_amount": 20}}})";
  }
  if (kind < 85) {
    return "{" + name + symbol + timeframe +
           R"("strategy": {"type": "momentum", "parameters": {"period": 10, "quote_amount": 20}}})";
  }
  if (kind < 93) {
    return "{" + name + symbol + timeframe +
           R"("strategy": {"type": "macd_bollinger", "parameters": {"quote_amount": 20}}})";
  }
  return "{" + name + symbol +
         R"("strategy": {"type": "market_maker", "parameters": {"spread_bps": 20, "skew_bps": 5,
         "requote_bps": 5, "order_size": )" +
         q + R"(, "inventory_cap": )" + decimal(qty * 5, 3) + "}}}";
}

}  // namespace

std::string scale_config_json(const ScaleOptions& o) {
  const std::size_t open_orders =
      std::clamp<std::size_t>(o.bots * 16, 16'384, engine::kMaxEngineCapacity.open_orders);
  std::string s = R"({"engine": {"journal": "off", "capacity": {"bots": )" +
                  std::to_string(o.bots) + R"(, "instruments": )" + std::to_string(o.instruments) +
                  R"(, "open_orders": )" + std::to_string(open_orders) + R"(}},
  "venues": [{"name": "binance"}],
  "instruments": [)";
  for (std::size_t i = 0; i < o.instruments; ++i) {
    if (i) s += ",";
    s += R"({"venue": "binance", "symbol": ")" + symbol_of(i) + R"(", "base": "A)" +
         std::to_string(i) + R"(", "quote": "USDT", "price_scale": 8, "qty_scale": 8,
         "tick_size": 0.01, "step_size": 0.001, "min_notional": 5})";
  }
  s += R"(],
  "paper": {"taker_fee_bps": 10, "maker_fee_bps": 2, "latency_us": 500,
            "balances": {"USDT": "1000000000"}}})";
  return s;
}

std::vector<std::string> scale_bot_configs(const ScaleOptions& o) {
  std::mt19937_64 rng(o.seed);
  const ZipfTable zipf(o.instruments, 1.1);
  std::vector<std::string> out;
  out.reserve(o.bots);
  for (std::size_t n = 0; n < o.bots; ++n)
    out.push_back(bot_config(n, zipf.draw(rng), rng));
  return out;
}

struct ScaleMarket::State {
  State(std::size_t instruments, std::uint64_t seed)
      : rng(seed ^ 0x5eed'5ca1eULL), zipf(instruments, 1.1), prices(instruments) {
    for (std::size_t i = 0; i < instruments; ++i)
      prices[i] = price_of(i);
  }
  std::mt19937_64 rng;
  ZipfTable zipf;
  std::vector<std::int64_t> prices;
  std::uint64_t n = 0;
  Nanos now = kStart;
};

ScaleMarket::ScaleMarket(std::size_t instruments, std::uint64_t seed)
    : state_(std::make_unique<State>(instruments, seed)) {}
ScaleMarket::~ScaleMarket() = default;

Event ScaleMarket::next() {
  State& m = *state_;
  ++m.n;
  m.now += kInputStep;
  if (m.n % kTickEvery == 0) {
    Timer t;
    t.owner = kNoBot;
    t.deadline = m.now;
    return Event::make(t, m.now, m.now);
  }
  const std::size_t i = m.zipf.draw(m.rng);
  std::int64_t& p = m.prices[i];
  const std::int64_t tick = std::max<std::int64_t>(p / 10'000, kUnit / 100);
  p = std::max<std::int64_t>(kUnit, p + std::uniform_int_distribution<int>(-3, 3)(m.rng) * tick);
  const InstrumentId id{static_cast<std::uint16_t>(i)};
  if (m.n % 2 == 0) {
    Quote q;
    q.instrument = id;
    q.bid_price = p - tick;
    q.ask_price = p + tick;
    q.bid_quantity = q.ask_quantity = 10 * kUnit;
    return Event::make(q, m.now, m.now);
  }
  Trade t;
  t.instrument = id;
  t.price = p;
  t.quantity = kUnit / 10;
  t.aggressor = m.n % 4 == 1 ? Side::kBuy : Side::kSell;
  t.trade_id = m.n;
  return Event::make(t, m.now, m.now);
}

std::vector<Event> scale_setup_inputs(const engine::InstrumentTable& instruments,
                                      const std::vector<std::string>& configs) {
  std::vector<Event> out;
  for (std::size_t i = 0; i < instruments.size(); ++i)
    out.push_back(Event::make(instruments.definition(i), kStart, kStart));
  Connectivity up;
  up.venue = VenueId{0};
  up.state = ConnectivityState::kConnected;
  out.push_back(Event::make(up, kStart, kStart));
  // Every instrument priced before the bots start (a bot waits in safe mode until then).
  for (std::size_t i = 0; i < instruments.size(); ++i) {
    Trade t;
    t.instrument = InstrumentId{static_cast<std::uint16_t>(i)};
    t.price = price_of(i);
    t.quantity = kUnit / 10;
    t.trade_id = i + 1;
    out.push_back(Event::make(t, kStart, kStart));
  }
  for (std::uint32_t b = 0; b < configs.size(); ++b) {
    BlobRef ref;
    ref.blob_id = b + 1;
    ref.size = static_cast<std::uint32_t>(configs[b].size());
    ref.data = reinterpret_cast<const std::byte*>(configs[b].data());
    out.push_back(Event::make(ref, kStart, kStart));
    for (const auto kind : {OperatorCommandKind::kCreateBot, OperatorCommandKind::kStartBot}) {
      OperatorCommand c;
      c.kind = kind;
      c.bot = BotId{b};
      c.blob_id = kind == OperatorCommandKind::kCreateBot ? b + 1 : 0;
      out.push_back(Event::make(c, kStart, kStart));
    }
  }
  return out;
}

namespace {

// The scale deployment's fold, each input timed (and, measuring, counted into a result).
struct Driven {
  explicit Driven(const engine::EngineConfig& config) : feed(config) {}
  // Applies `input` (its own cost into `cost` when given) and then the answers it led to.
  void apply(const Event& input, std::uint64_t* cost, ScaleResult* r) {
    bool first = true;
    std::uint64_t bars = fold().strategy().stats()["bars"];
    std::uint64_t t0 = now_ns();
    feed.apply(input, [&](const Event& applied, std::span<const Event> records) {
      const std::uint64_t took = now_ns() - t0;
      if (first && cost != nullptr) *cost = took;
      first = false;
      if (r != nullptr) {
        ++r->inputs;
        r->max_records_per_input =
            std::max<std::uint64_t>(r->max_records_per_input, records.size());
        if (took > r->longest_input_ns) {
          r->longest_input_ns = took;
          r->longest_input_type = std::string(to_string(applied.header.type));
          r->longest_input_records = records.size();
        }
        const std::uint64_t now_bars = fold().strategy().stats()["bars"];
        if (now_bars != bars) {
          ++r->bar_close_inputs;
          r->bar_close_total_ns += took;
        }
        bars = now_bars;
      }
      t0 = now_ns();  // the next answer's apply starts here
    });
  }
  engine::Fold& fold() noexcept { return feed.fold(); }
  FeedbackFold feed;
};

}  // namespace

ScaleRun run_scale(const ScaleOptions& o) {
  ScaleRun run;
  ScaleResult& r = run.result;
  auto parsed = engine::parse_engine_config(scale_config_json(o));
  if (!parsed) {
    run.error = "the scale config is invalid: " + config::format_errors(parsed.error());
    return run;
  }
  const std::vector<std::string> bots = scale_bot_configs(o);
  r.rss_before_bytes = anon_rss_bytes();
  auto d = std::make_unique<Driven>(*parsed);
  for (const Event& input : scale_setup_inputs(d->feed.table(), bots))
    d->apply(input, nullptr, nullptr);
  for (std::uint32_t b = 0; b < bots.size(); ++b) {
    if (!d->fold().strategy().has_bot(BotId{b})) {
      run.error = "bot " + std::to_string(b) + " was refused: " + bots[b];
      return run;
    }
  }
  ScaleMarket market(o.instruments, o.seed);
  std::uint64_t cost = 0;
  for (std::uint64_t i = 0; i < o.warmup_inputs; ++i)
    d->apply(market.next(), &cost, nullptr);
  r.rss_after_bytes = anon_rss_bytes();

  Histogram market_cost;
  const double cpu0 = cpu_seconds();
  const std::uint64_t wall0 = now_ns();
  for (std::uint64_t i = 0; i < o.market_inputs; ++i) {
    const Event input = market.next();
    d->apply(input, &cost, &r);
    if (input.header.type != EventType::kTimer) market_cost.record(static_cast<std::int64_t>(cost));
  }
  r.wall_seconds = static_cast<double>(now_ns() - wall0) * 1e-9;
  r.cpu_seconds = cpu_seconds() - cpu0;
  r.market_inputs = market_cost.count();
  r.p50_ns = market_cost.percentile(50);
  r.p99_ns = market_cost.percentile(99);
  r.p999_ns = market_cost.percentile(99.9);
  r.max_ns = market_cost.max();
  r.mean_ns = market_cost.mean();
  r.record_overflow = d->fold().stats().record_overflow;
  r.orders = d->fold().stats()["orders_sent"];
  r.fills = d->fold().stats()["fills"];
  const auto conditions = d->fold().strategy().conditions();
  r.distinct_conditions = conditions.size();
  for (const auto& c : conditions)
    r.condition_subscriptions += c.subscribers.size();

  std::uint64_t t0 = now_ns();
  const std::vector<std::byte> snapshot = d->fold().snapshot();
  r.snapshot_seconds = static_cast<double>(now_ns() - t0) * 1e-9;
  r.snapshot_bytes = snapshot.size();
  const std::uint64_t hash = d->fold().hashes().combined;
  d.reset();  // the restored fold takes its place, as at a restart
  t0 = now_ns();
  Driven restored(*parsed);
  if (auto refused = restored.fold().restore(snapshot)) {
    run.error = "the snapshot does not restore: " + *refused;
    return run;
  }
  r.restore_seconds = static_cast<double>(now_ns() - t0) * 1e-9;
  r.restore_same_hash = restored.fold().hashes().combined == hash;
  return run;
}

std::string scale_table(const ScaleOptions& o, const ScaleResult& r) {
  char buf[2048];
  const double bots = static_cast<double>(o.bots);
  const double rss = static_cast<double>(r.rss_after_bytes - r.rss_before_bytes);
  std::snprintf(
      buf, sizeof buf,
      "scale: %zu bots, %zu instruments, seed %" PRIu64
      "\n"
      "fold per market input (ns): p50 %" PRIu64 " p99 %" PRIu64 " p99.9 %" PRIu64 " max %" PRIu64
      " mean %.0f over %" PRIu64
      " inputs\n"
      "measured phase: %.2f s wall, %.2f s CPU (%" PRIu64
      " inputs with answers and ticks)\n"
      "longest single input: %" PRIu64 " ns (%s, %" PRIu64
      " records)\n"
      "bar-close inputs: %" PRIu64 ", total %.3f ms; most records in one input: %" PRIu64
      "; overflowed: %" PRIu64
      "\n"
      "orders %" PRIu64 ", fills %" PRIu64 "; shared conditions: %" PRIu64 " distinct, %" PRIu64
      " subscriptions\n"
      "anonymous resident memory the fold added: %.1f MiB (%.0f bytes per bot)\n"
      "snapshot: %" PRIu64 " bytes (%.0f per bot), written in %.3f s, restored in %.3f s, %s\n",
      o.bots, o.instruments, o.seed, r.p50_ns, r.p99_ns, r.p999_ns, r.max_ns, r.mean_ns,
      r.market_inputs, r.wall_seconds, r.cpu_seconds, r.inputs, r.longest_input_ns,
      r.longest_input_type.c_str(), r.longest_input_records, r.bar_close_inputs,
      static_cast<double>(r.bar_close_total_ns) * 1e-6, r.max_records_per_input, r.record_overflow,
      r.orders, r.fills, r.distinct_conditions, r.condition_subscriptions, rss / 1048576.0,
      rss / bots, r.snapshot_bytes, static_cast<double>(r.snapshot_bytes) / bots,
      r.snapshot_seconds, r.restore_seconds,
      r.restore_same_hash ? "same state hash" : "ANOTHER STATE HASH");
  return buf;
}

std::string scale_json(const ScaleOptions& o, const ScaleResult& r) {
  char buf[2048];
  std::snprintf(buf, sizeof buf,
                "{\"workload\": \"scale\", \"bots\": %zu, \"instruments\": %zu, \"seed\": %" PRIu64
                ", \"market_inputs\": %" PRIu64 ", \"fold_ns\": {\"p50\": %" PRIu64
                ", \"p99\": %" PRIu64 ", \"p999\": %" PRIu64 ", \"max\": %" PRIu64
                ", \"mean\": %.1f}, \"wall_s\": %.3f, "
                "\"cpu_s\": %.3f, \"longest_input_ns\": %" PRIu64
                ", \"longest_input_type\": \"%s\", "
                "\"bar_close_inputs\": %" PRIu64 ", \"bar_close_total_ns\": %" PRIu64
                ", \"max_records_per_input\": %" PRIu64 ", \"record_overflow\": %" PRIu64
                ", \"rss_added_bytes\": %" PRId64 ", \"snapshot_bytes\": %" PRIu64
                ", \"restore_s\": %.4f, \"restore_same_hash\": %s}\n",
                o.bots, o.instruments, o.seed, r.market_inputs, r.p50_ns, r.p99_ns, r.p999_ns,
                r.max_ns, r.mean_ns, r.wall_seconds, r.cpu_seconds, r.longest_input_ns,
                r.longest_input_type.c_str(), r.bar_close_inputs, r.bar_close_total_ns,
                r.max_records_per_input, r.record_overflow, r.rss_after_bytes - r.rss_before_bytes,
                r.snapshot_bytes, r.restore_seconds, r.restore_same_hash ? "true" : "false");
  return buf;
}

}  // namespace be::bench
