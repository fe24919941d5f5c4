#include "sim/market.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "feed/candle_file.hpp"

namespace be::sim {

__extension__ using Int128 = __int128;  // quote volume = price * qty needs 126 bits

namespace {

constexpr std::int64_t kScale = 100'000'000;  // 8 decimals, Binance's printed precision
constexpr int kBookLevels = 10;

// Every draw is derived from raw mt19937_64 output (see market.hpp on determinism).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : gen_(seed) {}
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : gen_() % n; }
  double uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }  // [0, 1)
  double normal() {  // Box-Muller; 1 - u keeps log's argument in (0, 1]
    const double u1 = 1.0 - uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
  }

 private:
  std::mt19937_64 gen_;
};

// About six significant digits, like Binance's tick sizes for majors.
std::int64_t tick_for(std::int64_t price) {
  std::int64_t tick = 1;
  while (price / tick >= 10'000'000)
    tick *= 10;
  return tick;
}

std::int64_t round_to(std::int64_t v, std::int64_t step) {
  const std::int64_t down = v / step * step;
  return v - down >= step / 2 + step % 2 ? down + step : down;
}

std::int64_t mul_scaled(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<Int128>(a) * b / kScale);
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_quoted8(std::string& out, std::int64_t v) {
  out += '"';
  append_fixed8(out, v);
  out += '"';
}

std::int64_t to_ms(Nanos t) {
  return t / 1'000'000;
}

struct KlineState {
  Nanos open_time = 0;
  std::int64_t o = 0, h = 0, l = 0, c = 0, v = 0, qv = 0, taker_v = 0, taker_qv = 0;
  std::int64_t first_id = -1, last_id = -1;
  std::uint32_t n = 0;
};

using Queue = std::deque<MarketMessage>;

// One symbol's venue state: ids, the 10-level book and the current kline. Emits payloads.
class SymbolMarket {
 public:
  SymbolMarket(std::string_view symbol, std::uint32_t kline_seconds)
      : lower_(to_lower(symbol)),
        upper_(to_upper(symbol)),
        kline_seconds_(kline_seconds),
        kline_stream_(lower_ + "@kline_" + std::string(kline_interval_name(kline_seconds))) {}

  const std::string& lower() const { return lower_; }
  std::int64_t tick() const { return tick_; }
  Nanos kline_length() const { return static_cast<Nanos>(kline_seconds_) * 1'000'000'000; }
  const KlineState& kline_state() const { return k_; }
  std::string kline_stream() const { return kline_stream_; }

  void set_price_scale_hint(std::int64_t price) {
    tick_ = tick_for(price);
    qty_unit_ = std::max<std::int64_t>(1000, mul_div(100 * kScale, kScale, price) / 1000 * 1000);
  }
  std::int64_t qty_unit() const { return qty_unit_; }

  void start_kline(Nanos open_time, std::int64_t open) {
    k_ = KlineState{};
    k_.open_time = open_time;
    k_.o = k_.h = k_.l = k_.c = open;
  }
  // A bar the trades did not build (degenerate candle): the file is the authority.
  void set_kline(const Bar& bar) {
    k_.o = bar.open;
    k_.h = bar.high;
    k_.l = bar.low;
    k_.c = bar.close;
    k_.v = bar.volume;
  }

  void trade(Nanos t, std::int64_t price, std::int64_t qty, bool buyer_maker, Queue& q) {
    const std::uint64_t id = ++trade_id_;
    if (k_.n == 0) k_.o = k_.h = k_.l = price;
    k_.h = std::max(k_.h, price);
    k_.l = std::min(k_.l, price);
    k_.c = price;
    k_.v += qty;
    const std::int64_t quote = mul_scaled(price, qty);
    k_.qv += quote;
    if (!buyer_maker) {
      k_.taker_v += qty;
      k_.taker_qv += quote;
    }
    if (k_.first_id < 0) k_.first_id = static_cast<std::int64_t>(id);
    k_.last_id = static_cast<std::int64_t>(id);
    ++k_.n;

    std::string& s = event_head(push(q, "@trade", t), "trade");
    s += R"(,"t":)";
    append_int(s, static_cast<std::int64_t>(id));
    s += R"(,"p":)";
    append_quoted8(s, price);
    s += R"(,"q":)";
    append_quoted8(s, qty);
    s += R"(,"T":)";
    append_int(s, to_ms(t));
    s += buyer_maker ? R"(,"m":true,"M":true})" : R"(,"m":false,"M":true})";

    // One taker order per trade here, so each aggregate covers exactly one trade.
    std::string& g = event_head(push(q, "@aggTrade", t), "aggTrade");
    g += R"(,"a":)";
    append_int(g, static_cast<std::int64_t>(++agg_id_));
    g += R"(,"p":)";
    append_quoted8(g, price);
    g += R"(,"q":)";
    append_quoted8(g, qty);
    g += R"(,"f":)";
    append_int(g, static_cast<std::int64_t>(id));
    g += R"(,"l":)";
    append_int(g, static_cast<std::int64_t>(id));
    g += R"(,"T":)";
    append_int(g, to_ms(t));
    g += buyer_maker ? R"(,"m":true,"M":true})" : R"(,"m":false,"M":true})";
  }

  // Rebuilds the 10-level book around bid/ask and emits the diff (depthUpdate with U..u
  // counting one update id per changed level) and the new top (bookTicker, u = last id).
  void book(Nanos t, std::int64_t bid, std::int64_t ask, Rng& rng, Queue& q) {
    std::map<std::int64_t, std::int64_t, std::greater<>> bids;
    std::map<std::int64_t, std::int64_t> asks;
    for (int i = 0; i < kBookLevels; ++i) {
      const std::int64_t bp = bid - i * tick_;
      if (bp > 0) bids[bp] = keep_or_draw(bids_, bp, rng);
      const std::int64_t ap = ask + i * tick_;
      asks[ap] = keep_or_draw(asks_, ap, rng);
    }
    // Two levels change size every update: resting orders come and go.
    for (int i = 0; i < 2; ++i) {
      const auto level = static_cast<std::int64_t>(rng.below(kBookLevels));
      if (rng.below(2) == 0) {
        auto it = bids.find(bid - level * tick_);
        if (it != bids.end()) it->second = draw_qty(rng);
      } else {
        asks[ask + level * tick_] = draw_qty(rng);
      }
    }
    std::string b_side, a_side;
    std::uint64_t changes = diff(bids_, bids, b_side) + diff(asks_, asks, a_side);
    bids_ = std::move(bids);
    asks_ = std::move(asks);
    if (changes == 0) return;
    const std::uint64_t first = update_id_ + 1;
    update_id_ += changes;

    std::string& s = event_head(push(q, "@depth@100ms", t), "depthUpdate");
    s += R"(,"U":)";
    append_int(s, static_cast<std::int64_t>(first));
    s += R"(,"u":)";
    append_int(s, static_cast<std::int64_t>(update_id_));
    s += R"(,"b":[)";
    s += b_side;
    s += R"(],"a":[)";
    s += a_side;
    s += "]}";

    MarketMessage& b = push(q, "@bookTicker", t);
    std::string& bt = b.payload;
    bt += R"({"u":)";
    append_int(bt, static_cast<std::int64_t>(update_id_));
    bt += R"(,"s":")";
    bt += upper_;
    bt += R"(","b":)";
    append_quoted8(bt, bids_.begin()->first);
    bt += R"(,"B":)";
    append_quoted8(bt, bids_.begin()->second);
    bt += R"(,"a":)";
    append_quoted8(bt, asks_.begin()->first);
    bt += R"(,"A":)";
    append_quoted8(bt, asks_.begin()->second);
    bt += '}';
  }

  void kline(Nanos t, bool closed, Queue& q) {
    std::string& s = event_head(push_stream(q, kline_stream_, t), "kline");
    const std::int64_t open_ms = to_ms(k_.open_time);
    s += R"(,"k":{"t":)";
    append_int(s, open_ms);
    s += R"(,"T":)";
    append_int(s, open_ms + static_cast<std::int64_t>(kline_seconds_) * 1000 - 1);
    s += R"(,"s":")";
    s += upper_;
    s += R"(","i":")";
    s += kline_interval_name(kline_seconds_);
    s += R"(","f":)";
    append_int(s, k_.first_id);
    s += R"(,"L":)";
    append_int(s, k_.last_id);
    s += R"(,"o":)";
    append_quoted8(s, k_.o);
    s += R"(,"c":)";
    append_quoted8(s, k_.c);
    s += R"(,"h":)";
    append_quoted8(s, k_.h);
    s += R"(,"l":)";
    append_quoted8(s, k_.l);
    s += R"(,"v":)";
    append_quoted8(s, k_.v);
    s += R"(,"n":)";
    append_int(s, k_.n);
    s += closed ? R"(,"x":true,"q":)" : R"(,"x":false,"q":)";
    append_quoted8(s, k_.qv);
    s += R"(,"V":)";
    append_quoted8(s, k_.taker_v);
    s += R"(,"Q":)";
    append_quoted8(s, k_.taker_qv);
    s += R"(,"B":"0"}})";
  }

  std::string snapshot(std::size_t limit) const {
    std::string s = R"({"lastUpdateId":)";
    append_int(s, static_cast<std::int64_t>(update_id_));
    s += R"(,"bids":[)";
    levels(bids_, limit, s);
    s += R"(],"asks":[)";
    levels(asks_, limit, s);
    s += "]}";
    return s;
  }

  std::int64_t draw_qty(Rng& rng) {
    return static_cast<std::int64_t>(1 + rng.below(50)) * qty_unit_;
  }

 private:
  static std::int64_t mul_div(std::int64_t a, std::int64_t b, std::int64_t c) {
    return c == 0 ? 0 : static_cast<std::int64_t>(static_cast<Int128>(a) * b / c);
  }

  template <class Map>
  static void levels(const Map& side, std::size_t limit, std::string& out) {
    std::uint64_t n = 0;
    for (const auto& [p, qty] : side) {
      if (n == limit) break;
      append_level(out, n, p, qty);
    }
  }

  // ["price","qty"], comma-separated from the previous level; counts it in n.
  static void append_level(std::string& out, std::uint64_t& n, std::int64_t p, std::int64_t qty) {
    if (n++) out += ',';
    out += '[';
    append_quoted8(out, p);
    out += ',';
    append_quoted8(out, qty);
    out += ']';
  }

  template <class Map>
  std::int64_t keep_or_draw(const Map& old, std::int64_t price, Rng& rng) {
    const auto it = old.find(price);
    return it != old.end() ? it->second : draw_qty(rng);
  }

  // Appends ["price","qty"] pairs for levels that changed or vanished (qty 0), in the new
  // book's order; returns how many.
  template <class Map>
  static std::uint64_t diff(const Map& before, const Map& after, std::string& out) {
    std::uint64_t n = 0;
    auto pair = [&](std::int64_t p, std::int64_t qty) { append_level(out, n, p, qty); };
    for (const auto& [p, qty] : after) {
      const auto it = before.find(p);
      if (it == before.end() || it->second != qty) pair(p, qty);
    }
    for (const auto& [p, qty] : before) {
      if (!after.contains(p)) pair(p, 0);
    }
    return n;
  }

  // {"e":"<type>","E":<event ms>,"s":"<SYMBOL>"  -- the fields every event payload opens with.
  std::string& event_head(MarketMessage& m, std::string_view type) {
    std::string& s = m.payload;
    s += R"({"e":")";
    s += type;
    s += R"(","E":)";
    append_int(s, to_ms(m.event_time));
    s += R"(,"s":")";
    s += upper_;
    s += '"';
    return s;
  }

  MarketMessage& push(Queue& q, std::string_view suffix, Nanos t) {
    MarketMessage& m = q.emplace_back();
    m.stream = lower_;
    m.stream += suffix;
    m.event_time = t;
    return m;
  }
  MarketMessage& push_stream(Queue& q, const std::string& stream, Nanos t) {
    MarketMessage& m = q.emplace_back();
    m.stream = stream;
    m.event_time = t;
    return m;
  }

  std::string lower_, upper_;
  std::uint32_t kline_seconds_;
  std::string kline_stream_;
  std::int64_t tick_ = 1;
  std::int64_t qty_unit_ = 1000;
  // Ids start at plausible venue magnitudes; only their continuity matters.
  std::uint64_t trade_id_ = 100'000'000;
  std::uint64_t agg_id_ = 50'000'000;
  std::uint64_t update_id_ = 1'000'000'000;
  std::map<std::int64_t, std::int64_t, std::greater<>> bids_;
  std::map<std::int64_t, std::int64_t> asks_;
  KlineState k_;
};

bool serves_kind(std::string_view stream, const std::string& lower, std::string_view kline) {
  if (!stream.starts_with(lower) || stream.size() <= lower.size() || stream[lower.size()] != '@') {
    return false;
  }
  const std::string_view kind = stream.substr(lower.size());
  return kind == "@trade" || kind == "@aggTrade" || kind == "@bookTicker" ||
         kind == "@depth@100ms" || kind == kline;
}

std::vector<std::string> kinds_for(const std::string& lower, std::string_view kline) {
  return {lower + "@trade", lower + "@aggTrade", lower + "@bookTicker", lower + "@depth@100ms",
          lower + std::string(kline)};
}

double initial_price(std::string_view lower) {
  if (lower.starts_with("btc")) return 50'000.0;
  if (lower.starts_with("eth")) return 3'000.0;
  if (lower.starts_with("bnb")) return 300.0;
  return 100.0;
}

class SyntheticSource final : public MarketSource {
 public:
  explicit SyntheticSource(const SyntheticConfig& c)
      : config_(c), rng_(c.seed), now_(c.start_time) {
    for (const auto& sym : c.symbols) {
      SymbolMarket& m = markets_.emplace_back(sym, 60);
      mid_.push_back(initial_price(m.lower()));
      m.set_price_scale_hint(static_cast<std::int64_t>(mid_.back() * kScale));
      const std::int64_t p = round_to(static_cast<std::int64_t>(mid_.back() * kScale), m.tick());
      m.start_kline(now_ / 60'000'000'000 * 60'000'000'000, p);
    }
  }

  bool next(MarketMessage& out) override {
    while (queue_.empty())
      step();
    out = std::move(queue_.front());
    queue_.pop_front();
    return true;
  }

  bool serves(std::string_view stream) const override {
    return std::any_of(markets_.begin(), markets_.end(), [&](const SymbolMarket& m) {
      return serves_kind(stream, m.lower(), "@kline_1m");
    });
  }

  std::string depth_snapshot(std::string_view symbol, std::size_t limit) const override {
    for (const auto& m : markets_) {
      if (m.lower() == symbol) return m.snapshot(limit);
    }
    return {};
  }

  std::vector<std::string> streams() const override {
    std::vector<std::string> out;
    for (const auto& m : markets_) {
      for (auto& s : kinds_for(m.lower(), "@kline_1m"))
        out.push_back(std::move(s));
    }
    return out;
  }

 private:
  void step() {
    const double years = static_cast<double>(config_.step) / 1e9 / 31'557'600.0;
    const double sigma = config_.volatility;
    for (std::size_t i = 0; i < markets_.size(); ++i) {
      SymbolMarket& m = markets_[i];
      const Nanos length = m.kline_length();
      if (now_ >= m.kline_state().open_time + length) {
        m.kline(now_, true, queue_);
        m.start_kline(now_ / length * length, m.kline_state().c);
      }
      mid_[i] *= std::exp((config_.drift - 0.5 * sigma * sigma) * years +
                          sigma * std::sqrt(years) * rng_.normal());
      const std::int64_t tick = m.tick();
      const std::int64_t bid =
          std::max(tick, round_to(static_cast<std::int64_t>(mid_[i] * kScale), tick));
      const std::int64_t ask = bid + tick * static_cast<std::int64_t>(1 + rng_.below(2));
      const auto trades = rng_.below(static_cast<std::uint64_t>(config_.max_trades_per_step) + 1);
      for (std::uint64_t t = 0; t < trades; ++t) {
        const bool taker_buys = rng_.below(2) == 0;
        const std::int64_t qty = m.draw_qty(rng_);
        m.trade(now_, taker_buys ? ask : bid, qty, /*buyer_maker=*/!taker_buys, queue_);
      }
      m.book(now_, bid, ask, rng_, queue_);
      if (step_index_ % 10 == 0) m.kline(now_, false, queue_);  // Binance: every ~1-2 s
    }
    now_ += config_.step;
    ++step_index_;
  }

  SyntheticConfig config_;
  Rng rng_;
  Nanos now_;
  std::uint64_t step_index_ = 0;
  std::vector<SymbolMarket> markets_;
  std::vector<double> mid_;
  Queue queue_;
};

class CandleSource final : public MarketSource {
 public:
  CandleSource(std::vector<Bar> bars, const CandleSourceConfig& c)
      : bars_(std::move(bars)),
        config_(c),
        rng_(c.seed),
        market_(c.symbol,
                bars_.empty() || bars_[0].interval_seconds == 0 ? 60 : bars_[0].interval_seconds) {
    config_.trades_per_bar = std::max(4, config_.trades_per_bar);
    if (!bars_.empty()) market_.set_price_scale_hint(std::max<std::int64_t>(1, bars_[0].open));
    kline_kind_ = market_.kline_stream().substr(market_.lower().size());
  }

  bool next(MarketMessage& out) override {
    while (queue_.empty()) {
      if (next_bar_ >= bars_.size()) return false;
      expand(bars_[next_bar_++]);
    }
    out = std::move(queue_.front());
    queue_.pop_front();
    return true;
  }

  bool serves(std::string_view stream) const override {
    return serves_kind(stream, market_.lower(), kline_kind_);
  }
  std::vector<std::string> streams() const override {
    return kinds_for(market_.lower(), kline_kind_);
  }
  std::string depth_snapshot(std::string_view symbol, std::size_t limit) const override {
    return symbol == market_.lower() ? market_.snapshot(limit) : std::string();
  }

 private:
  std::int64_t path_price(const std::int64_t (&pts)[4], int i, int n) const {
    const int k1 = (n - 1) / 3;
    const int k2 = 2 * (n - 1) / 3;
    int leg = 0, lo = 0, hi = k1;
    if (i > k2) {
      leg = 2, lo = k2, hi = n - 1;
    } else if (i > k1) {
      leg = 1, lo = k1, hi = k2;
    }
    const std::int64_t a = pts[leg], b = pts[leg + 1];
    if (i == lo) return a;
    if (i == hi) return b;
    const auto raw =
        static_cast<std::int64_t>(a + static_cast<Int128>(b - a) * (i - lo) / (hi - lo));
    return round_to(raw, market_.tick());
  }

  void expand(const Bar& bar) {
    const Nanos length =
        static_cast<Nanos>(bar.interval_seconds == 0 ? 60 : bar.interval_seconds) * 1'000'000'000;
    market_.start_kline(bar.open_time, bar.open);
    const std::int64_t tick = market_.tick();
    const int n = static_cast<int>(std::min<std::int64_t>(config_.trades_per_bar, bar.volume));
    if (n < 4) {
      // Too little volume to walk the path: one quote, and the bar itself as the kline.
      market_.book(bar.open_time, std::max(tick, bar.close - tick), bar.close + tick, rng_, queue_);
      market_.set_kline(bar);
      market_.kline(bar.open_time + length, true, queue_);
      return;
    }
    const bool bullish = bar.close >= bar.open;
    const std::int64_t pts[4] = {bar.open, bullish ? bar.low : bar.high,
                                 bullish ? bar.high : bar.low, bar.close};
    const std::int64_t each = bar.volume / n;
    std::int64_t prev = bar.open;
    for (int i = 0; i < n; ++i) {
      const Nanos t = bar.open_time + length * i / n;
      const std::int64_t price = std::clamp(path_price(pts, i, n), bar.low, bar.high);
      const std::int64_t qty = i == n - 1 ? bar.volume - each * (n - 1) : each;
      const bool taker_buys = price > prev || (price == prev && rng_.below(2) == 0);
      prev = price;
      market_.trade(t, price, qty, /*buyer_maker=*/!taker_buys, queue_);
      const std::int64_t bid = taker_buys ? std::max(tick, price - tick) : price;
      const std::int64_t ask = taker_buys ? price : price + tick;
      market_.book(t, bid, ask, rng_, queue_);
      if (i % 5 == 4 && i != n - 1) market_.kline(t, false, queue_);
    }
    market_.kline(bar.open_time + length, true, queue_);
  }

  std::vector<Bar> bars_;
  CandleSourceConfig config_;
  Rng rng_;
  SymbolMarket market_;
  std::string kline_kind_;
  std::size_t next_bar_ = 0;
  Queue queue_;
};

class CaptureSource final : public MarketSource {
 public:
  explicit CaptureSource(std::vector<MarketMessage> messages) : messages_(std::move(messages)) {
    for (const auto& m : messages_)
      streams_.insert(m.stream);
  }
  bool next(MarketMessage& out) override {
    if (index_ >= messages_.size()) return false;
    const MarketMessage& m = messages_[index_++];
    out.stream.assign(m.stream);
    out.payload.assign(m.payload);
    out.event_time = m.event_time;
    return true;
  }
  bool serves(std::string_view stream) const override {
    return streams_.contains(std::string(stream));
  }
  std::vector<std::string> streams() const override { return {streams_.begin(), streams_.end()}; }

 private:
  std::vector<MarketMessage> messages_;
  std::set<std::string> streams_;
  std::size_t index_ = 0;
};

// "1633998512.0633569" -> ns, exactly (no double rounding).
bool parse_capture_time(std::string_view text, Nanos& out) {
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  std::int64_t seconds = 0;
  const auto r = std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
  if (r.ec != std::errc{} || r.ptr != whole.data() + whole.size() || whole.empty()) return false;
  std::int64_t frac = 0;
  int digits = 0;
  if (dot != std::string_view::npos) {
    for (char c : text.substr(dot + 1)) {
      if (c < '0' || c > '9') return false;
      if (digits < 9) {
        frac = frac * 10 + (c - '0');
        ++digits;
      }
    }
  }
  while (digits++ < 9)
    frac *= 10;
  out = seconds * 1'000'000'000 + frac;
  return true;
}

}  // namespace

void append_fixed8(std::string& out, std::int64_t value) {
  if (value < 0) {
    out += '-';
    // Two steps so INT64_MIN does not overflow on negation.
    const std::uint64_t mag = 0 - static_cast<std::uint64_t>(value);
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, mag / kScale);
    out.append(buf, r.ptr);
    out += '.';
    r = std::to_chars(buf, buf + sizeof buf, mag % kScale + kScale);
    out.append(buf + 1, r.ptr);
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, value / kScale);
  out.append(buf, r.ptr);
  out += '.';
  r = std::to_chars(buf, buf + sizeof buf, value % kScale + kScale);  // "1xxxxxxxx": pads
  out.append(buf + 1, r.ptr);
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string_view kline_interval_name(std::uint32_t seconds) {
  switch (seconds) {
    case 1:
      return "1s";
    case 60:
      return "1m";
    case 180:
      return "3m";
    case 300:
      return "5m";
    case 900:
      return "15m";
    case 1800:
      return "30m";
    case 3600:
      return "1h";
    case 7200:
      return "2h";
    case 14400:
      return "4h";
    case 21600:
      return "6h";
    case 28800:
      return "8h";
    case 43200:
      return "12h";
    case 86400:
      return "1d";
    case 259200:
      return "3d";
    case 604800:
      return "1w";
    default:
      return "";
  }
}

std::unique_ptr<MarketSource> make_synthetic_source(const SyntheticConfig& config) {
  return std::make_unique<SyntheticSource>(config);
}

std::unique_ptr<MarketSource> make_candle_source(std::vector<Bar> bars,
                                                 const CandleSourceConfig& config) {
  return std::make_unique<CandleSource>(std::move(bars), config);
}

Expected<std::unique_ptr<MarketSource>, std::string> load_candle_source(
    const std::string& path, const CandleSourceConfig& config) {
  auto candles = replay::load_candles(path);
  if (!candles) return Unexpected{candles.error().message};
  if (candles->bars.empty()) return Unexpected{path + ": no bars"};
  const std::uint32_t seconds = candles->bars[0].interval_seconds;
  if (kline_interval_name(seconds).empty()) {
    return Unexpected{path + ": bar length " + std::to_string(seconds) +
                      " s has no Binance kline interval name"};
  }
  return std::unique_ptr<MarketSource>(
      std::make_unique<CandleSource>(std::move(candles->bars), config));
}

Expected<std::unique_ptr<MarketSource>, std::string> load_capture_source(
    const std::string& path, const std::vector<std::string>& symbols, std::size_t* skipped) {
  std::ifstream in(path);
  if (!in) return Unexpected{"cannot open capture '" + path + "'"};
  std::vector<MarketMessage> messages;
  std::size_t bad = 0;
  std::string line;
  constexpr std::string_view kStream = R"({"stream":")";
  constexpr std::string_view kData = R"(","data":)";
  while (std::getline(in, line)) {
    std::string_view l(line);
    if (l.empty()) continue;
    const auto sep = l.find(": ");
    if (sep == std::string_view::npos) {
      ++bad;  // "<url> <-> <time>" connection markers land here too
      continue;
    }
    const std::string_view head = l.substr(0, sep);
    std::string_view payload = l.substr(sep + 2);
    if (head.find(" <- ") != std::string_view::npos || head.find("<->") != std::string_view::npos) {
      continue;
    }
    Nanos t = 0;
    const auto name_end = payload.find('"', kStream.size());
    if (!parse_capture_time(head, t) || !payload.starts_with(kStream) ||
        name_end == std::string_view::npos || !payload.ends_with('}') ||
        payload.substr(name_end).substr(0, kData.size()) != kData) {
      ++bad;
      continue;
    }
    const std::string_view stream = payload.substr(kStream.size(), name_end - kStream.size());
    const std::string_view symbol = stream.substr(0, stream.find('@'));
    if (!symbols.empty() &&
        std::find(symbols.begin(), symbols.end(), std::string(symbol)) == symbols.end()) {
      continue;
    }
    const auto data_begin = name_end + kData.size();
    MarketMessage& m = messages.emplace_back();
    m.stream = std::string(stream);
    m.payload = std::string(payload.substr(data_begin, payload.size() - 1 - data_begin));
    m.event_time = t;
  }
  if (skipped) *skipped = bad;
  if (messages.empty())
    return Unexpected{"capture '" + path + "' has no Binance combined-stream messages"};
  return std::unique_ptr<MarketSource>(std::make_unique<CaptureSource>(std::move(messages)));
}

}  // namespace be::sim
