// One symbol's simulated venue state for the market sources (market.cpp): ids, a 10-level
// book and the current kline, and the seeded draws and fixed-point helpers they use. Emits
// Binance payloads; no I/O, no clock. Internal to sim/.
//
// Thread-safety: used by one source, on one thread.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "sim/market.hpp"

namespace be::sim::market_detail {

__extension__ using Int128 = __int128;  // quote volume = price * qty needs 126 bits

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
inline std::int64_t tick_for(std::int64_t price) {
  std::int64_t tick = 1;
  while (price / tick >= 10'000'000)
    tick *= 10;
  return tick;
}

inline std::int64_t round_to(std::int64_t v, std::int64_t step) {
  const std::int64_t down = v / step * step;
  return v - down >= step / 2 + step % 2 ? down + step : down;
}

inline std::int64_t mul_scaled(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<Int128>(a) * b / kScale);
}

inline void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

inline void append_quoted8(std::string& out, std::int64_t v) {
  out += '"';
  append_fixed8(out, v);
  out += '"';
}

inline std::int64_t to_ms(Nanos t) {
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

inline bool serves_kind(std::string_view stream, const std::string& lower, std::string_view kline) {
  if (!stream.starts_with(lower) || stream.size() <= lower.size() || stream[lower.size()] != '@') {
    return false;
  }
  const std::string_view kind = stream.substr(lower.size());
  return kind == "@trade" || kind == "@aggTrade" || kind == "@bookTicker" ||
         kind == "@depth@100ms" || kind == kline;
}

inline std::vector<std::string> kinds_for(const std::string& lower, std::string_view kline) {
  return {lower + "@trade", lower + "@aggTrade", lower + "@bookTicker", lower + "@depth@100ms",
          lower + std::string(kline)};
}

inline double initial_price(std::string_view lower) {
  if (lower.starts_with("btc")) return 50'000.0;
  if (lower.starts_with("eth")) return 3'000.0;
  if (lower.starts_with("bnb")) return 300.0;
  return 100.0;
}

}  // namespace be::sim::market_detail
