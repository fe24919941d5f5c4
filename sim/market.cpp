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

#include "core/names.hpp"
#include "feed/candle_file.hpp"
#include "sim/symbol_market.hpp"

namespace be::sim {

namespace {

using namespace market_detail;  // NOLINT: the sources are this file's only users

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

namespace {
// Binance's kline interval names, by bar length in seconds.
constexpr std::array<Named<std::uint32_t>, 15> kKlineIntervals{{
    {1, "1s"},
    {60, "1m"},
    {180, "3m"},
    {300, "5m"},
    {900, "15m"},
    {1800, "30m"},
    {3600, "1h"},
    {7200, "2h"},
    {14400, "4h"},
    {21600, "6h"},
    {28800, "8h"},
    {43200, "12h"},
    {86400, "1d"},
    {259200, "3d"},
    {604800, "1w"},
}};
}  // namespace

std::string_view kline_interval_name(std::uint32_t seconds) {
  return name_of(kKlineIntervals, seconds, "");
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
