// The backtest report as one self-contained HTML page: the bots side by side, SVG charts with
// axes and UTC time labels, monthly PnL, the fills, and the JSON (wrapped, never wider than
// the page). No script, font, style sheet or image is loaded from anywhere.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/civil_time.hpp"
#include "core/fixed_point.hpp"
#include "core/markup.hpp"
#include "replay/report.hpp"
#include "replay/report_html.hpp"

namespace be::engine {

namespace html {

std::string fixed(double v, int decimals) {
  char b[48];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}

// A round step near span / 5: 1, 2 or 5 times a power of ten.
double nice_step(double span) {
  const double raw = span / 5;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

std::string page_head(std::string_view title) {
  return "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width\"><title>" +
         escape_markup(title) +
         "</title><style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
         "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #d0d7de;"
         "padding:3px 6px;text-align:right}th{background:#f6f8fa}td:first-child,th:first-child"
         "{text-align:left}.scroll{overflow:auto;max-width:100%;max-height:30em}"
         "svg.chart{width:100%;height:auto;max-width:900px}pre{background:#f6f8fa;padding:1em;"
         "white-space:pre-wrap;overflow-wrap:anywhere;max-height:30em;overflow:auto}</style>"
         "</head><body>";
}

}  // namespace html

namespace {

constexpr std::size_t kMaxChartPoints = 1'000;  // per series; more is thinned evenly
constexpr std::size_t kHtmlFillRows = 500;
constexpr const char* kColours[] = {"#1f6feb", "#d1242f", "#1a7f37", "#9a6700",
                                    "#8250df", "#bf3989", "#0a7ea4", "#57606a"};

using html::fixed;
using html::nice_step;

// A UTC time label precise enough for the chart's span.
std::string time_label(Nanos t, Nanos span) {
  const std::string s = rfc3339_ns(t);                          // YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ
  if (span < 120'000'000'000) return s.substr(11, 8);           // HH:MM:SS
  if (span < 2 * 86'400'000'000'000LL) return s.substr(11, 5);  // HH:MM
  if (span < 60 * 86'400'000'000'000LL) {                       // MM-DD HH:MM
    std::string label = s.substr(5, 11);
    label[5] = ' ';
    return label;
  }
  return s.substr(0, 10);  // YYYY-MM-DD
}

using Series = ReportBuilder::Series;

// A line chart: value axis with round ticks (in the quote currency), time axis with UTC labels,
// a legend. Values arrive in fixed-point units and are divided by `unit`.
std::string svg_chart(const std::vector<Series>& series, double unit, std::string_view label) {
  // The plot area ends 60 px above the legend, which takes a row per four series.
  const double legend_rows = static_cast<double>((series.size() + 3) / 4);
  constexpr double W = 900, L = 90, R = 30, T = 20;
  const double B = 60 + 18 * legend_rows, H = 340 + B;
  Nanos t0 = INT64_MAX, t1 = INT64_MIN;
  double lo = 0, hi = 0;
  for (const Series& s : series) {
    for (const auto& p : s.points) {
      t0 = std::min(t0, p.time), t1 = std::max(t1, p.time);
      lo = std::min(lo, p.value / unit), hi = std::max(hi, p.value / unit);
    }
  }
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 900 " + fixed(H, 0) +
                    "\" role=\"img\" "
                    "aria-label=\"" +
                    escape_markup(label) +
                    "\" class=\"chart\">"
                    "<rect width=\"900\" height=\"" +
                    fixed(H, 0) + "\" fill=\"#fff\"/>";
  if (t0 > t1) return svg + "<text x=\"450\" y=\"150\" text-anchor=\"middle\">no data</text></svg>";
  if (t1 == t0) t1 = t0 + 1;
  if (hi == lo) hi = lo + 1;
  const double step = nice_step(hi - lo);
  lo = std::floor(lo / step) * step, hi = std::ceil(hi / step) * step;
  auto x = [&](Nanos t) {
    return L + (W - L - R) * static_cast<double>(t - t0) / static_cast<double>(t1 - t0);
  };
  auto y = [&](double v) { return T + (H - T - B) * (1 - (v - lo) / (hi - lo)); };
  const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step)));
  for (double v = lo; v <= hi + step / 2; v += step) {
    svg += "<line x1=\"" + fixed(L, 0) + "\" x2=\"" + fixed(W - R, 0) + "\" y1=\"" +
           fixed(y(v), 1) + "\" y2=\"" + fixed(y(v), 1) +
           "\" stroke=\"#d0d7de\" stroke-width=\"1\"/>";
    svg += "<text x=\"" + fixed(L - 6, 0) + "\" y=\"" + fixed(y(v) + 4, 1) +
           "\" text-anchor=\"end\" font-size=\"12\">" + fixed(v, decimals) + "</text>";
  }
  for (int i = 0; i <= 5; ++i) {
    const Nanos t = t0 + (t1 - t0) / 5 * i;
    svg += "<line x1=\"" + fixed(x(t), 1) + "\" x2=\"" + fixed(x(t), 1) + "\" y1=\"" +
           fixed(H - B, 0) + "\" y2=\"" + fixed(H - B + 5, 0) + "\" stroke=\"#57606a\"/>";
    const char* anchor = i == 0 ? "start" : i == 5 ? "end" : "middle";  // inside the chart
    svg += "<text x=\"" + fixed(x(t), 1) + "\" y=\"" + fixed(H - B + 20, 0) + "\" text-anchor=\"" +
           anchor + "\" font-size=\"12\">" + escape_markup(time_label(t, t1 - t0)) + "</text>";
  }
  svg += "<line x1=\"" + fixed(L, 0) + "\" x2=\"" + fixed(L, 0) + "\" y1=\"" + fixed(T, 0) +
         "\" y2=\"" + fixed(H - B, 0) + "\" stroke=\"#57606a\"/><line x1=\"" + fixed(L, 0) +
         "\" x2=\"" + fixed(W - R, 0) + "\" y1=\"" + fixed(H - B, 0) + "\" y2=\"" +
         fixed(H - B, 0) + "\" stroke=\"#57606a\"/>";
  svg += "<text x=\"" + fixed(W / 2, 0) + "\" y=\"" + fixed(H - B + 38, 0) +
         "\" text-anchor=\"middle\" font-size=\"12\">time (UTC), from " +
         escape_markup(rfc3339_ns(t0)) + "</text><text transform=\"translate(16 " +
         fixed((H - B) / 2, 0) + ") rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">" +
         escape_markup(label) + "</text>";
  for (std::size_t i = 0; i < series.size(); ++i) {
    const Series& s = series[i];
    const char* colour = kColours[i % std::size(kColours)];
    const std::size_t every = std::max<std::size_t>(1, s.points.size() / kMaxChartPoints);
    svg += "<polyline fill=\"none\" stroke=\"" + std::string(colour) +
           "\" stroke-width=\"1.5\" points=\"";
    for (std::size_t k = 0; k < s.points.size(); ++k) {
      if (k % every != 0 && k + 1 != s.points.size()) continue;
      svg += fixed(x(s.points[k].time), 1) + ',' + fixed(y(s.points[k].value / unit), 1) + ' ';
    }
    svg += "\"/>";
    // The legend: four series a row, below the time axis' caption.
    const double lx = L + static_cast<double>(i % 4) * 200,
                 ly = H - B + 60 + 18 * static_cast<double>(i / 4);
    svg += "<rect x=\"" + fixed(lx, 0) + "\" y=\"" + fixed(ly - 6, 0) +
           "\" width=\"14\" height=\"4\" fill=\"" + colour + "\"/><text x=\"" + fixed(lx + 18, 0) +
           "\" y=\"" + fixed(ly, 0) + "\" font-size=\"12\">" + escape_markup(s.name) + "</text>";
  }
  return svg + "</svg>";
}

}  // namespace

std::vector<Series> ReportBuilder::chart_series() const {
  std::vector<Series> out;
  for (const auto& [id, b] : bots_) {
    Series s{"bot " + std::to_string(id) + (b.name.empty() ? "" : " " + b.name), b.curve};
    if (!s.points.empty() && s.points.back().time < last_time_) {
      s.points.push_back({last_time_, static_cast<double>(b.equity)});
    }
    out.push_back(std::move(s));
  }
  if (bots_.size() > 1) out.push_back({"all bots", curve_});
  if (!benchmark_.empty()) {
    out.push_back({"buy and hold " + (bots_.empty() ? std::string() : bots_.begin()->second.symbol),
                   benchmark_});
  }
  return out;
}

std::string ReportBuilder::html(const Fold& fold) const {
  const std::string report = json(fold);
  const double unit = std::pow(10.0, scale());
  std::string h =
      html::page_head("botengine backtest report") + "<h1>Backtest report</h1><p>" +
      escape_markup(rfc3339_ns(first_time_)) + " to " + escape_markup(rfc3339_ns(last_time_)) +
      " (event time, UTC). Money in the quote currency; returns over a capital of " +
      fixed(capital_, 2) +
      ". Sharpe and Sortino from returns per 60 s, annualised by sqrt(525600) (365 days of "
      "24 h), no risk-free rate; Calmar = annualised PnL / max drawdown; profit factor and "
      "expectancy over the closing trades' realized PnL before fees.</p>";
  h += "<h2>Bots side by side</h2><div class=\"scroll\"><table id=\"bots\"><tr><th>bot</th>"
       "<th>symbol</th><th>trades</th><th>PnL</th><th>return</th><th>fees</th>"
       "<th>max drawdown</th><th>drawdown duration (s)</th><th>win rate</th>"
       "<th>profit factor</th><th>expectancy</th><th>Sharpe</th><th>Sortino</th>"
       "<th>Calmar</th><th>exposure</th></tr>";
  const auto& om = fold.orders();
  auto cell = [](std::optional<double> v, int d) { return v ? fixed(*v, d) : std::string("–"); };
  for (const auto& [id, b] : bots_) {
    const RatioSet r =
        risk_ratios(b.period_equity, capital_ * unit, static_cast<double>(b.drawdown.max_drawdown));
    const double span = static_cast<double>(last_time_ - first_time_);
    h += "<tr><td>" + std::to_string(id) + ' ' + escape_markup(b.name) + "</td><td>" +
         escape_markup(b.symbol) + "</td><td>" + std::to_string(b.trades) + "</td><td>" +
         decimal_to_string(b.equity, scale()) + "</td><td>" +
         (capital_ > 0 ? fixed(100 * static_cast<double>(b.equity) / (capital_ * unit), 3) + "%"
                       : std::string("–")) +
         "</td><td>" + decimal_to_string(om.fees(BotId{id}), scale()) + "</td><td>" +
         decimal_to_string(b.drawdown.max_drawdown, scale()) + "</td><td>" +
         fixed(static_cast<double>(b.drawdown.longest) / 1e9, 0) + "</td><td>" +
         (b.closing.closing ? fixed(100.0 * static_cast<double>(b.closing.winning) /
                                        static_cast<double>(b.closing.closing),
                                    1) +
                                  "%"
                            : std::string("–")) +
         "</td><td>" + cell(b.closing.profit_factor(), 2) + "</td><td>" +
         fixed(b.closing.expectancy() / unit, 4) + "</td><td>" + cell(r.sharpe, 2) + "</td><td>" +
         cell(r.sortino, 2) + "</td><td>" + cell(r.calmar, 2) + "</td><td>" +
         fixed(span > 0 ? 100 * std::min(1.0, static_cast<double>(b.exposed) / span) : 0, 1) +
         "%</td></tr>";
  }
  h += "</table></div><h2>Equity and buy-and-hold benchmark</h2>" +
       svg_chart(chart_series(), unit, "PnL (quote currency)");
  h += "<h2>Monthly PnL</h2><div class=\"scroll\"><table id=\"monthly\"><tr><th>month</th>";
  for (const auto& [id, b] : bots_)
    h += "<th>bot " + std::to_string(id) + "</th>";
  h += "</tr>";
  for (const Month& month : monthly()) {
    h += "<tr><td>" + month.month + "</td>";
    for (std::int64_t pnl : month.pnl)
      h += "<td>" + decimal_to_string(pnl, scale()) + "</td>";
    h += "</tr>";
  }
  h += "</table></div><h2>Fills</h2><div class=\"scroll\"><table id=\"fills\"><tr><th>time (UTC)"
       "</th><th>bot</th><th>side</th><th>price</th><th>quantity</th><th>fee</th>"
       "<th>realized PnL</th></tr>";
  for (std::size_t i = 0; i < fills_.size() && i < kHtmlFillRows; ++i) {
    const Fill& f = fills_[i];
    const BotStats& b = bots_.at(f.bot);
    h +=
        "<tr><td>" + rfc3339_ns(f.time) + "</td><td>" + std::to_string(f.bot) + "</td><td>" +
        (f.side == Side::kBuy    ? "buy"
         : f.side == Side::kSell ? "sell"
                                 : "") +
        "</td><td>" + decimal_to_string(f.price, scale()) + "</td><td>" +
        decimal_to_string(
            f.quantity, b.instrument == kNoInstrument ? 8 : instruments_->qty_scale(b.instrument)) +
        "</td><td>" + decimal_to_string(f.fee, scale()) + "</td><td>" +
        decimal_to_string(f.realized, scale()) + "</td></tr>";
  }
  h += "</table></div>";
  const std::uint64_t unlisted =
      fills_omitted_ + (fills_.size() > kHtmlFillRows ? fills_.size() - kHtmlFillRows : 0);
  if (unlisted) h += "<p>" + std::to_string(unlisted) + " more fills are not listed here.</p>";
  return h + "<h2>Figures (JSON)</h2><pre id=\"report\">" + escape_markup(report) +
         "</pre></body></html>\n";
}

}  // namespace be::engine
