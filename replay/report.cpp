#include "replay/report.hpp"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "core/civil_time.hpp"
#include "core/fixed_point.hpp"
#include "core/json_config.hpp"

namespace be::engine {

namespace {

constexpr Nanos kCurveStep = 1'000'000'000;  // a curve keeps at most a point a second

std::int64_t bot_equity(const Fold& fold, BotId bot) {
  const auto& om = fold.orders();
  return om.realized_pnl(bot) + om.unrealized_pnl(bot) - om.fees(bot);
}

// The price an input shows for `instrument`: a trade's, a quote's mid, a bar's close; 0 if none.
double market_price(const Event& e, InstrumentId instrument) {
  switch (e.header.type) {
    case EventType::kTrade:
      return e.as<Trade>().instrument == instrument ? static_cast<double>(e.as<Trade>().price) : 0;
    case EventType::kQuote: {
      const auto q = e.as<Quote>();
      if (q.instrument != instrument || q.bid_price <= 0 || q.ask_price <= 0) return 0;
      return (static_cast<double>(q.bid_price) + static_cast<double>(q.ask_price)) / 2;
    }
    case EventType::kBar:
      return e.as<Bar>().instrument == instrument ? static_cast<double>(e.as<Bar>().close) : 0;
    default:
      return 0;
  }
}

void append_number(std::string& s, std::optional<double> v) {
  if (!v || !std::isfinite(*v)) {
    s += "null";
    return;
  }
  char b[32];
  std::snprintf(b, sizeof b, "%.4f", *v);
  s += b;
}

void append_decimal(std::string& s, std::string_view key, std::int64_t v, int scale) {
  s += '"';
  s += key;
  s += "\":\"";
  s += decimal_to_string(v, scale);
  s += '"';
}

}  // namespace

int ReportBuilder::scale() const noexcept {
  return instruments_->size() ? instruments_->price_scale(InstrumentId{0}) : 8;
}

void ReportBuilder::add_bot(BotId bot, std::string name, std::string symbol,
                            InstrumentId instrument) {
  BotStats& b = bots_[index_of(bot)];
  b.name = std::move(name);
  b.symbol = std::move(symbol);
  b.instrument = instrument;
}

void ReportBuilder::on_records(std::span<const Event> records, const Fold& fold) {
  if (records.empty()) return;
  const Nanos t = records.front().header.event_time;
  if (first_time_ == 0 || (t > 0 && t < first_time_)) first_time_ = t;
  if (next_period_ == 0) next_period_ = first_time_ + kReportPeriod;
  // Periods that ended before this input end with the equity before it.
  if (t >= next_period_) {
    const auto ended = static_cast<std::uint64_t>((t - next_period_) / kReportPeriod) + 1;
    const std::uint64_t recorded = periods_recorded(ended);
    for (auto& [id, b] : bots_)
      b.period_equity.insert(b.period_equity.end(), recorded, static_cast<double>(b.equity));
    next_period_ += static_cast<Nanos>(ended) * kReportPeriod;
  }
  const InstrumentId benchmark = bots_.empty() ? InstrumentId{0} : bots_.begin()->second.instrument;
  if (const double p = market_price(records.front(), benchmark); p > 0) {
    if (first_price_ == 0) first_price_ = p;
    last_price_ = p;
  }
  for (const Event& e : records) {
    if (e.header.type != EventType::kFillApplied) continue;
    const auto f = e.as<FillApplied>();
    BotStats& b = bots_[index_of(f.bot)];
    if (b.instrument == kNoInstrument) b.instrument = f.instrument;
    ++b.trades;
    const std::int64_t realized = f.realized_pnl - b.last_realized;
    if (realized != 0) b.closing.add_closing(static_cast<double>(realized));
    b.last_realized = f.realized_pnl;
    if (fills_.size() < kReportFillRows) {
      fills_.push_back({t, index_of(f.bot), f.side, f.price, f.quantity, f.fee, realized});
    } else {
      ++fills_omitted_;
    }
  }
  bool new_month = false;
  if (const std::int64_t day = t / 86'400'000'000'000; day != month_day_) {
    month_day_ = day;
    char stamp[kRfc3339NsChars];
    format_rfc3339_ns(t, stamp);
    if (months_.empty() || months_.back() != std::string_view(stamp, 7)) {
      months_.emplace_back(stamp, 7);
      new_month = true;
    }
  }
  std::int64_t total = 0;
  for (auto& [id, b] : bots_) {
    const BotId bot{id};
    b.equity = bot_equity(fold, bot);
    total += b.equity;
    b.drawdown.add(t, b.equity);
    if (b.month_end.size() + 1 < months_.size()) {  // a bot first seen now: 0 before
      b.month_end.insert(b.month_end.begin(), months_.size() - 1 - b.month_end.size(), 0);
    }
    if (new_month || b.month_end.empty()) b.month_end.push_back(b.equity);
    b.month_end.back() = b.equity;
    // Event time only moves forward here (answers may carry an earlier venue time).
    if (t > b.last_time) {
      if (b.in_position && b.last_time != 0) b.exposed += t - b.last_time;
      b.last_time = t;
    }
    const Position* p =
        b.instrument == kNoInstrument ? nullptr : fold.orders().position(bot, b.instrument);
    b.in_position = p != nullptr && p->quantity() != 0;
    if (b.curve.empty() || (b.curve.back().value != static_cast<double>(b.equity) &&
                            t - b.curve.back().time >= kCurveStep)) {
      b.curve.push_back({t, static_cast<double>(b.equity)});
    }
  }
  total_drawdown_.add(t, total);
  if (t > last_time_) last_time_ = t;
  if (!bots_.empty() && (curve_.empty() || (curve_.back().value != static_cast<double>(total) &&
                                            t - curve_.back().time >= kCurveStep))) {
    curve_.push_back({t, static_cast<double>(total)});
  }
  if (first_price_ > 0 && (benchmark_.empty() || t - benchmark_.back().time >= kCurveStep)) {
    benchmark_.push_back(
        {t, capital_ * std::pow(10.0, scale()) * (last_price_ / first_price_ - 1)});
  }
}

std::string ReportBuilder::bot_json(std::uint32_t id, const BotStats& b, const Fold& fold) const {
  const int sc = scale();
  const auto& om = fold.orders();
  const BotId bot{id};
  const double span = static_cast<double>(last_time_ - first_time_);
  const double unit = std::pow(10.0, sc);
  std::string s = "{\"bot\":" + std::to_string(id) + ",\"name\":";
  config::append_json_string(s, b.name);
  s += ",\"symbol\":";
  config::append_json_string(s, b.symbol);
  s += ",\"trades\":" + std::to_string(b.trades) + ',';
  append_decimal(s, "pnl", b.equity, sc);
  s += ',';
  append_decimal(s, "realized_pnl", om.realized_pnl(bot), sc);
  s += ',';
  append_decimal(s, "unrealized_pnl", om.unrealized_pnl(bot), sc);
  s += ',';
  append_decimal(s, "fees", om.fees(bot), sc);
  s += ',';
  append_decimal(s, "max_drawdown", b.drawdown.max_drawdown, sc);
  s += ",\"max_drawdown_duration_s\":";
  append_number(s, static_cast<double>(b.drawdown.longest) / 1e9);
  s += ",\"win_rate\":";
  append_number(s, b.closing.closing ? static_cast<double>(b.closing.winning) /
                                           static_cast<double>(b.closing.closing)
                                     : 0.0);
  s += ",\"exposure\":";
  append_number(s, span > 0 ? std::min(1.0, static_cast<double>(b.exposed) / span) : 0.0);
  s += ",\"closing_trades\":" + std::to_string(b.closing.closing) + ",\"profit_factor\":";
  append_number(s, b.closing.profit_factor());
  s += ',';
  append_decimal(s, "expectancy", static_cast<std::int64_t>(std::llround(b.closing.expectancy())),
                 sc);
  const RatioSet r =
      risk_ratios(b.period_equity, capital_ * unit, static_cast<double>(b.drawdown.max_drawdown));
  s += ",\"return\":";
  append_number(s, capital_ > 0 ? std::optional(static_cast<double>(b.equity) / (capital_ * unit))
                                : std::nullopt);
  s += ",\"sharpe\":";
  append_number(s, r.sharpe);
  s += ",\"sortino\":";
  append_number(s, r.sortino);
  s += ",\"calmar\":";
  append_number(s, r.calmar);
  return s + '}';
}

std::vector<ReportBuilder::Month> ReportBuilder::monthly() const {
  std::vector<Month> out;
  for (std::size_t m = 0; m < months_.size(); ++m) {
    Month month{months_[m], {}};
    for (const auto& [id, b] : bots_) {
      // The month's last equity minus the previous month's (0 before the first).
      const std::int64_t end = m < b.month_end.size() ? b.month_end[m] : 0;
      month.pnl.push_back(end - (m > 0 && m - 1 < b.month_end.size() ? b.month_end[m - 1] : 0));
    }
    out.push_back(std::move(month));
  }
  return out;
}

std::string ReportBuilder::json(const Fold& fold) const {
  const int sc = scale();
  std::string s = "{\"bots\":[";
  std::int64_t total = 0, fees = 0, realized = 0;
  std::uint64_t trades = 0;
  for (const auto& [id, b] : bots_) {
    if (id != bots_.begin()->first) s += ',';
    s += bot_json(id, b, fold);
    total += b.equity;
    fees += fold.orders().fees(BotId{id});
    realized += fold.orders().realized_pnl(BotId{id});
    trades += b.trades;
  }
  s += "],\"total\":{\"trades\":" + std::to_string(trades) + ',';
  append_decimal(s, "pnl", total, sc);
  s += ',';
  append_decimal(s, "realized_pnl", realized, sc);
  s += ',';
  append_decimal(s, "fees", fees, sc);
  s += ',';
  append_decimal(s, "max_drawdown", total_drawdown_.max_drawdown, sc);
  s += ",\"max_drawdown_duration_s\":";
  append_number(s, static_cast<double>(total_drawdown_.longest) / 1e9);
  s += "},";
  // The event-time span, as every client-facing time is written (core/civil_time.hpp).
  append_time_fields(s, "from", first_time_);
  s += ',';
  append_time_fields(s, "to", last_time_);
  s += ",\"equity_points\":" + std::to_string(curve_.size());
  char capital[64];
  std::snprintf(capital, sizeof capital, "%.8g", capital_);
  s += ",\"capital\":\"" + std::string(capital) +
       "\",\"annualisation\":\"returns per 60 s of event time over the capital; Sharpe and "
       "Sortino x sqrt(525600) (365 days of 24 h), no risk-free rate; Calmar = annualised PnL "
       "/ max drawdown\",\"benchmark\":{\"symbol\":";
  const std::string bench_symbol = bots_.empty() ? std::string() : bots_.begin()->second.symbol;
  config::append_json_string(s, bench_symbol);
  s += ",\"return\":";
  append_number(s, first_price_ > 0 ? std::optional(last_price_ / first_price_ - 1) : std::nullopt);
  s += "},\"monthly\":[";
  const std::vector<Month> months = monthly();
  for (std::size_t m = 0; m < months.size(); ++m) {
    s += m ? ",{\"month\":\"" : "{\"month\":\"";
    s += months[m].month + "\",\"pnl\":[";
    for (std::size_t k = 0; k < months[m].pnl.size(); ++k) {
      s += k ? ",\"" : "\"";
      s += decimal_to_string(months[m].pnl[k], sc) + '"';
    }
    s += "]}";
  }
  s += "],\"fills\":[";
  for (std::size_t i = 0; i < fills_.size(); ++i) {
    const Fill& f = fills_[i];
    s += i ? ",{" : "{";
    append_time_fields(s, "time", f.time);
    s += ",\"bot\":" + std::to_string(f.bot) + ",\"side\":\"" +
         (f.side == Side::kBuy    ? "buy"
          : f.side == Side::kSell ? "sell"
                                  : "none") +
         "\",";
    append_decimal(s, "price", f.price, sc);
    s += ',';
    const BotStats& b = bots_.at(f.bot);
    append_decimal(s, "quantity", f.quantity,
                   b.instrument == kNoInstrument ? 8 : instruments_->qty_scale(b.instrument));
    s += ',';
    append_decimal(s, "fee", f.fee, sc);
    s += ',';
    append_decimal(s, "realized_pnl", f.realized, sc);
    s += '}';
  }
  s += "],\"fills_not_listed\":" + std::to_string(fills_omitted_) + '}';
  return s;
}

}  // namespace be::engine
