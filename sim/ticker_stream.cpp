// <symbol>@ticker from a source's trades and book tickers (ticker_stream.hpp).
#include "sim/ticker_stream.hpp"

#include <charconv>
#include <map>
#include <string>
#include <vector>

#include "core/fixed_point.hpp"

namespace be::sim {

namespace {

constexpr Nanos kSecond = 1'000'000'000;
constexpr Nanos kDay = 86'400 * kSecond;
constexpr std::int64_t kOne = 100'000'000;  // 1.0 at scale 8
__extension__ typedef __int128 Int128;      // products of two scale-8 values

std::optional<std::string_view> raw_field(std::string_view json, std::string_view key) {
  std::string pattern = "\"";
  pattern += key;
  pattern += "\":";
  const auto at = json.find(pattern);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = json.substr(at + pattern.size());
  if (!rest.empty() && rest.front() == '"') {
    rest.remove_prefix(1);
    const auto end = rest.find('"');
    if (end == std::string_view::npos) return std::nullopt;
    return rest.substr(0, end);
  }
  const auto end = rest.find_first_of(",}");
  return rest.substr(0, end);
}

// One symbol's window.
struct Window {
  std::string upper;  // "BTCUSDT"
  bool open = false;
  Nanos open_time = 0, last_time = 0, last_sent = 0;
  std::int64_t first_price = 0, high = 0, low = 0, last = 0, last_qty = 0;
  std::int64_t volume = 0, quote_volume = 0;
  std::int64_t first_id = 0, last_id = 0, count = 0;
  std::int64_t bid = 0, bid_qty = 0, ask = 0, ask_qty = 0;
};

void field(std::string& out, std::string_view key, std::int64_t fixed8) {
  out += ",\"";
  out += key;
  out += "\":\"";
  append_fixed8(out, fixed8);
  out += '"';
}

void integer(std::string& out, std::string_view key, std::int64_t value) {
  out += ",\"";
  out += key;
  out += "\":";
  out += std::to_string(value);
}

class TickerSource final : public MarketSource {
 public:
  explicit TickerSource(std::unique_ptr<MarketSource> inner) : inner_(std::move(inner)) {}

  bool next(MarketMessage& out) override {
    if (queued_ > 0) {
      std::swap(out, tickers_[2 - queued_]);
      --queued_;
      return true;
    }
    if (!inner_->next(out)) return false;
    if (const auto symbol = symbol_of(out.stream, "@trade"); !symbol.empty()) {
      on_trade(symbol, out);
    } else if (const auto quoted = symbol_of(out.stream, "@bookTicker"); !quoted.empty()) {
      Window& w = windows_[std::string(quoted)];
      w.bid = decimal_field(out.payload, "b").value_or(w.bid);
      w.bid_qty = decimal_field(out.payload, "B").value_or(w.bid_qty);
      w.ask = decimal_field(out.payload, "a").value_or(w.ask);
      w.ask_qty = decimal_field(out.payload, "A").value_or(w.ask_qty);
    }
    return true;
  }

  bool serves(std::string_view stream) const override {
    if (inner_->serves(stream)) return true;
    auto symbol = symbol_of(stream, "@ticker");
    if (symbol.empty()) symbol = symbol_of(stream, "@miniTicker");
    return !symbol.empty() && inner_->serves(std::string(symbol) + "@trade");
  }

  std::vector<std::string> streams() const override {
    std::vector<std::string> all = inner_->streams();
    const std::size_t n = all.size();
    for (std::size_t i = 0; i < n; ++i) {
      const auto symbol = symbol_of(all[i], "@trade");
      if (symbol.empty()) continue;
      all.push_back(std::string(symbol) + "@ticker");
      all.push_back(std::string(symbol) + "@miniTicker");
    }
    return all;
  }

  std::string depth_snapshot(std::string_view symbol, std::size_t limit) const override {
    return inner_->depth_snapshot(symbol, limit);
  }

 private:
  void on_trade(std::string_view symbol, const MarketMessage& trade) {
    const auto price = decimal_field(trade.payload, "p");
    const auto qty = decimal_field(trade.payload, "q");
    if (!price || !qty) return;
    const std::int64_t id = integer_field(trade.payload, "t").value_or(0);
    Window& w = windows_[std::string(symbol)];
    if (!w.open || trade.event_time - w.open_time >= kDay) {
      w.open = true;
      w.open_time = trade.event_time;
      w.first_price = w.high = w.low = *price;
      w.volume = w.quote_volume = w.count = 0;
      w.first_id = id;
      w.last_sent = trade.event_time - kSecond;  // the first trade is published
    }
    w.high = std::max(w.high, *price);
    w.low = std::min(w.low, *price);
    w.last = *price;
    w.last_qty = *qty;
    w.last_time = trade.event_time;
    w.volume += *qty;
    w.quote_volume += static_cast<std::int64_t>(static_cast<Int128>(*price) * *qty / kOne);
    w.last_id = id;
    ++w.count;
    if (trade.event_time - w.last_sent < kSecond) return;
    w.last_sent = trade.event_time;
    if (w.upper.empty()) w.upper = to_upper(symbol);
    format_ticker(w, trade.event_time, tickers_[0]);
    tickers_[0].stream = std::string(symbol) + "@ticker";
    format_mini(w, trade.event_time, tickers_[1]);
    tickers_[1].stream = std::string(symbol) + "@miniTicker";
    tickers_[0].event_time = tickers_[1].event_time = trade.event_time;
    queued_ = 2;
  }

  static void head(std::string& out, std::string_view event, const Window& w, Nanos now) {
    out = "{\"e\":\"";
    out += event;
    out += '"';
    integer(out, "E", now / 1'000'000);
    out += ",\"s\":\"" + w.upper + "\"";
  }

  // Binance's 24hrMiniTicker payload.
  static void format_mini(const Window& w, Nanos now, MarketMessage& m) {
    std::string& out = m.payload;
    head(out, "24hrMiniTicker", w, now);
    field(out, "c", w.last);
    field(out, "o", w.first_price);
    field(out, "h", w.high);
    field(out, "l", w.low);
    field(out, "v", w.volume);
    field(out, "q", w.quote_volume);
    out += '}';
  }

  // Binance's 24hrTicker payload, field for field.
  static void format_ticker(const Window& w, Nanos now, MarketMessage& m) {
    std::string& out = m.payload;
    const std::int64_t now_ms = now / 1'000'000;
    const std::int64_t change = w.last - w.first_price;
    head(out, "24hrTicker", w, now);
    field(out, "p", change);
    // Percent with three decimals, as Binance prints it ("-1.234").
    const std::int64_t milli_pct = w.first_price > 0 ? change * 100'000 / w.first_price : 0;
    out += ",\"P\":\"";
    if (milli_pct < 0) out += '-';
    const std::int64_t mag = milli_pct < 0 ? -milli_pct : milli_pct;
    out += std::to_string(mag / 1000) + ".";
    const std::string frac = std::to_string(mag % 1000);
    out += std::string(3 - frac.size(), '0') + frac + "\"";
    field(out, "w",
          w.volume > 0
              ? static_cast<std::int64_t>(static_cast<Int128>(w.quote_volume) * kOne / w.volume)
              : w.last);
    field(out, "x", w.first_price);
    field(out, "c", w.last);
    field(out, "Q", w.last_qty);
    field(out, "b", w.bid);
    field(out, "B", w.bid_qty);
    field(out, "a", w.ask);
    field(out, "A", w.ask_qty);
    field(out, "o", w.first_price);
    field(out, "h", w.high);
    field(out, "l", w.low);
    field(out, "v", w.volume);
    field(out, "q", w.quote_volume);
    integer(out, "O", w.open_time / 1'000'000);
    integer(out, "C", now_ms);
    integer(out, "F", w.first_id);
    integer(out, "L", w.last_id);
    integer(out, "n", w.count);
    out += '}';
  }

  std::unique_ptr<MarketSource> inner_;
  std::map<std::string, Window, std::less<>> windows_;
  MarketMessage tickers_[2];  // @ticker, @miniTicker: sent after the trade, in that order
  int queued_ = 0;
};

}  // namespace

std::unique_ptr<MarketSource> with_ticker_streams(std::unique_ptr<MarketSource> inner) {
  return std::make_unique<TickerSource>(std::move(inner));
}

std::string_view symbol_of(std::string_view stream, std::string_view kind) {
  if (!stream.ends_with(kind) || stream.size() == kind.size()) return {};
  const std::string_view symbol = stream.substr(0, stream.size() - kind.size());
  return symbol.find('@') == std::string_view::npos ? symbol : std::string_view{};
}

std::optional<std::int64_t> decimal_field(std::string_view json, std::string_view key) {
  const auto text = raw_field(json, key);
  if (!text) return std::nullopt;
  const auto value = parse_decimal(*text, 8);
  if (!value) return std::nullopt;
  return value.value();
}

std::optional<std::int64_t> integer_field(std::string_view json, std::string_view key) {
  const auto text = raw_field(json, key);
  if (!text) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return value;
}

}  // namespace be::sim
