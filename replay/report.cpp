#include "replay/report.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "core/civil_time.hpp"
#include "core/fixed_point.hpp"
#include "core/json_config.hpp"

namespace be::engine {

namespace {

std::int64_t bot_equity(const Fold& fold, BotId bot) {
  const auto& om = fold.orders();
  return om.realized_pnl(bot) + om.unrealized_pnl(bot) - om.fees(bot);
}

}  // namespace

void ReportBuilder::on_records(std::span<const Event> records, const Fold& fold) {
  if (records.empty()) return;
  const Nanos t = records.front().header.event_time;
  if (first_time_ == 0 || (t > 0 && t < first_time_)) first_time_ = t;
  for (const Event& e : records) {
    if (e.header.type != EventType::kFillApplied) continue;
    const auto f = e.as<FillApplied>();
    BotStats& b = bots_[index_of(f.bot)];
    b.instrument = f.instrument;
    ++b.trades;
    if (f.realized_pnl != b.last_realized) {
      ++b.closing_trades;
      if (f.realized_pnl > b.last_realized) ++b.winning_trades;
      b.last_realized = f.realized_pnl;
    }
  }
  std::int64_t total = 0;
  for (auto& [id, b] : bots_) {
    const BotId bot{id};
    const std::int64_t eq = bot_equity(fold, bot);
    total += eq;
    b.peak_equity = std::max(b.peak_equity, eq);
    b.max_drawdown = std::max(b.max_drawdown, b.peak_equity - eq);
    // Event time only moves forward here (answers may carry an earlier venue time).
    if (t > b.last_time) {
      if (b.in_position && b.last_time != 0) b.exposed += t - b.last_time;
      b.last_time = t;
    }
    const Position* p = fold.orders().position(bot, b.instrument);
    b.in_position = p != nullptr && p->quantity() != 0;
  }
  peak_ = std::max(peak_, total);
  max_drawdown_ = std::max(max_drawdown_, peak_ - total);
  if (t > last_time_) last_time_ = t;
  // The curve keeps a point when equity moves, at most one per second of event time.
  if (!bots_.empty() && (curve_.empty() || (curve_.back().equity != total &&
                                            t - curve_.back().time >= 1'000'000'000))) {
    curve_.push_back({t, total});
  }
}

std::string ReportBuilder::json(const Fold& fold) const {
  const int scale = instruments_->size() ? instruments_->price_scale(InstrumentId{0}) : 8;
  const double span = static_cast<double>(last_time_ - first_time_);
  std::string s = "{\"bots\":[";
  bool first = true;
  std::int64_t total = 0, fees = 0, realized = 0;
  std::uint64_t trades = 0;
  for (const auto& [id, b] : bots_) {
    const BotId bot{id};
    const auto& om = fold.orders();
    const std::int64_t eq = bot_equity(fold, bot);
    total += eq;
    fees += om.fees(bot);
    realized += om.realized_pnl(bot);
    trades += b.trades;
    if (!first) s += ',';
    first = false;
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "{\"bot\":%u,\"trades\":%" PRIu64
                  ",\"pnl\":\"%s\",\"realized_pnl\":\"%s\","
                  "\"unrealized_pnl\":\"%s\",\"fees\":\"%s\",\"max_drawdown\":\"%s\","
                  "\"win_rate\":%.4f,\"exposure\":%.4f}",
                  id, b.trades, decimal_to_string(eq, scale).c_str(),
                  decimal_to_string(om.realized_pnl(bot), scale).c_str(),
                  decimal_to_string(om.unrealized_pnl(bot), scale).c_str(),
                  decimal_to_string(om.fees(bot), scale).c_str(),
                  decimal_to_string(b.max_drawdown, scale).c_str(),
                  b.closing_trades ? static_cast<double>(b.winning_trades) /
                                         static_cast<double>(b.closing_trades)
                                   : 0.0,
                  span > 0 ? std::min(1.0, static_cast<double>(b.exposed) / span) : 0.0);
    s += buf;
  }
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "],\"total\":{\"trades\":%" PRIu64
                ",\"pnl\":\"%s\",\"realized_pnl\":\"%s\","
                "\"fees\":\"%s\",\"max_drawdown\":\"%s\"},",
                trades, decimal_to_string(total, scale).c_str(),
                decimal_to_string(realized, scale).c_str(), decimal_to_string(fees, scale).c_str(),
                decimal_to_string(max_drawdown_, scale).c_str());
  s += buf;
  // The event-time span, as every client-facing time is written (core/civil_time.hpp).
  append_time_fields(s, "from", first_time_);
  s += ',';
  append_time_fields(s, "to", last_time_);
  s += ",\"equity_points\":" + std::to_string(curve_.size()) + '}';
  return s;
}

std::string ReportBuilder::html(const Fold& fold) const {
  const int scale = instruments_->size() ? instruments_->price_scale(InstrumentId{0}) : 8;
  std::string svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 800 300\" "
      "role=\"img\" aria-label=\"Equity curve\"><rect width=\"800\" height=\"300\" "
      "fill=\"#fff\"/>";
  if (curve_.size() >= 2) {
    std::int64_t lo = curve_[0].equity, hi = curve_[0].equity;
    for (const Point& p : curve_)
      lo = std::min(lo, p.equity), hi = std::max(hi, p.equity);
    if (hi == lo) hi = lo + 1;
    const double t0 = static_cast<double>(curve_.front().time);
    const double tspan = std::max(1.0, static_cast<double>(curve_.back().time) - t0);
    svg += "<polyline fill=\"none\" stroke=\"#1f6feb\" stroke-width=\"2\" points=\"";
    for (const Point& p : curve_) {
      char pt[64];
      std::snprintf(pt, sizeof pt, "%.1f,%.1f ",
                    20 + 760 * (static_cast<double>(p.time) - t0) / tspan,
                    280 - 260 * static_cast<double>(p.equity - lo) / static_cast<double>(hi - lo));
      svg += pt;
    }
    svg += "\"/>";
    svg += "<text x=\"22\" y=\"16\" font-size=\"12\">" + decimal_to_string(hi, scale) +
           "</text><text x=\"22\" y=\"295\" font-size=\"12\">" + decimal_to_string(lo, scale) +
           "</text>";
  }
  svg += "</svg>";
  std::string report = json(fold);
  std::string escaped;
  for (char c : report)
    escaped += c == '<' ? std::string("&lt;") : std::string(1, c);
  return "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>botengine "
         "backtest report</title><style>body{font-family:sans-serif;margin:2em}pre{background:"
         "#f6f8fa;padding:1em;white-space:pre-wrap}</style></head><body><h1>Backtest report</h1>"
         "<h2>Equity (all bots, quote currency)</h2>" +
         svg + "<h2>Figures</h2><pre id=\"report\">" + escaped + "</pre></body></html>\n";
}

}  // namespace be::engine
