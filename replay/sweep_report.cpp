#include "replay/sweep_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/civil_time.hpp"
#include "core/fixed_point.hpp"
#include "core/json_config.hpp"
#include "core/markup.hpp"
#include "replay/report_html.hpp"

namespace be::replay {

namespace {

using engine::html::fixed;

bool smaller_is_better(std::string_view metric) {
  return metric == "max_drawdown";
}

std::optional<double> mean_over(const SweepTable& t, std::size_t c, bool in) {
  const SweepResult& r = *t.result;
  double sum = 0;
  std::size_t n = 0;
  for (const SweepFold& f : r.plan.folds) {
    const auto v = metric_value(r.run(c, in ? f.in : f.out).metrics, t.rank_by, r.price_scale);
    if (!v || !std::isfinite(*v)) return std::nullopt;  // undefined in one fold: undefined
    sum += *v;
    ++n;
  }
  if (n == 0) return std::nullopt;
  return sum / static_cast<double>(n);
}

std::string label_key(const std::string& label) {
  std::string k;
  for (char ch : label)
    if (ch != ' ') k += ch;
  return k;
}

std::string number(std::optional<double> v, int decimals = 6) {
  return v && std::isfinite(*v) ? fixed(*v, decimals) : std::string();
}

// Every metric of one run as (name, text) pairs, money as exact decimals.
std::vector<std::pair<std::string, std::string>> metric_cells(const SweepMetrics& m, int scale) {
  return {{"trades", std::to_string(m.trades)},
          {"closing_trades", std::to_string(m.closing_trades)},
          {"pnl", decimal_to_string(m.pnl, scale)},
          {"realized_pnl", decimal_to_string(m.realized_pnl, scale)},
          {"fees", decimal_to_string(m.fees, scale)},
          {"return", number(m.return_ratio)},
          {"max_drawdown", decimal_to_string(m.max_drawdown, scale)},
          {"max_drawdown_duration_s", fixed(m.max_drawdown_duration_s, 0)},
          {"win_rate", number(m.win_rate)},
          {"profit_factor", number(m.profit_factor)},
          {"expectancy", number(m.expectancy / std::pow(10.0, scale))},
          {"sharpe", number(m.sharpe)},
          {"sortino", number(m.sortino)},
          {"calmar", number(m.calmar)},
          {"exposure", number(m.exposure)}};
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s)
    q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + '"';
}

// In-sample against out-of-sample values, one dot per configuration, on round axes.
std::string scatter(const SweepTable& t, const std::vector<std::size_t>& order) {
  constexpr double W = 900, H = 460, L = 90, R = 30, T = 20, B = 60;
  std::vector<std::pair<double, double>> points;
  for (std::size_t c : order) {
    const auto in = in_sample_value(t, c), out = out_of_sample_value(t, c);
    if (in && out && std::isfinite(*in) && std::isfinite(*out)) points.emplace_back(*in, *out);
  }
  std::string svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 900 460\" "
      "role=\"img\" aria-label=\"in-sample against out-of-sample " +
      escape_markup(t.rank_by) +
      "\" class=\"chart\"><rect width=\"900\" height=\"460\" fill=\"#fff\"/>";
  if (points.empty()) {
    return svg +
           "<text x=\"450\" y=\"200\" text-anchor=\"middle\">no configuration has both "
           "values</text></svg>";
  }
  double x0 = points[0].first, x1 = x0, y0 = points[0].second, y1 = y0;
  for (const auto& [x, y] : points) {
    x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
  }
  auto axis = [](double& lo, double& hi) {
    if (hi == lo) lo -= 0.5, hi += 0.5;
    const double step = engine::html::nice_step(hi - lo);
    lo = std::floor(lo / step) * step, hi = std::ceil(hi / step) * step;
    return step;
  };
  const double sx = axis(x0, x1), sy = axis(y0, y1);
  auto px = [&](double v) { return L + (W - L - R) * (v - x0) / (x1 - x0); };
  auto py = [&](double v) { return T + (H - T - B) * (1 - (v - y0) / (y1 - y0)); };
  auto decimals = [](double step) {
    return step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step)));
  };
  for (double v = y0; v <= y1 + sy / 2; v += sy) {
    svg += "<line x1=\"" + fixed(L, 0) + "\" x2=\"" + fixed(W - R, 0) + "\" y1=\"" +
           fixed(py(v), 1) + "\" y2=\"" + fixed(py(v), 1) + "\" stroke=\"#d0d7de\"/><text x=\"" +
           fixed(L - 6, 0) + "\" y=\"" + fixed(py(v) + 4, 1) +
           "\" text-anchor=\"end\" font-size=\"12\">" + fixed(v, decimals(sy)) + "</text>";
  }
  for (double v = x0; v <= x1 + sx / 2; v += sx) {
    svg += "<line x1=\"" + fixed(px(v), 1) + "\" x2=\"" + fixed(px(v), 1) + "\" y1=\"" +
           fixed(H - B, 0) + "\" y2=\"" + fixed(H - B + 5, 0) +
           "\" stroke=\"#57606a\"/><text x=\"" + fixed(px(v), 1) + "\" y=\"" +
           fixed(H - B + 20, 0) + "\" text-anchor=\"middle\" font-size=\"12\">" +
           fixed(v, decimals(sx)) + "</text>";
  }
  svg += "<line x1=\"" + fixed(L, 0) + "\" x2=\"" + fixed(L, 0) + "\" y1=\"" + fixed(T, 0) +
         "\" y2=\"" + fixed(H - B, 0) + "\" stroke=\"#57606a\"/><line x1=\"" + fixed(L, 0) +
         "\" x2=\"" + fixed(W - R, 0) + "\" y1=\"" + fixed(H - B, 0) + "\" y2=\"" +
         fixed(H - B, 0) + "\" stroke=\"#57606a\"/>";
  svg += "<text x=\"" + fixed(W / 2, 0) + "\" y=\"" + fixed(H - B + 40, 0) +
         "\" text-anchor=\"middle\" font-size=\"12\">in-sample " + escape_markup(t.rank_by) +
         "</text><text transform=\"translate(16 " + fixed((H - B) / 2, 0) +
         ") rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">out-of-sample " +
         escape_markup(t.rank_by) + "</text>";
  for (const auto& [x, y] : points) {
    svg += "<circle cx=\"" + fixed(px(x), 1) + "\" cy=\"" + fixed(py(y), 1) +
           "\" r=\"3\" fill=\"#1f6feb\" fill-opacity=\"0.6\"/>";
  }
  return svg + "</svg>";
}

}  // namespace

std::optional<double> in_sample_value(const SweepTable& t, std::size_t c) {
  if (t.result->plan.folds.empty()) {
    return metric_value(t.result->run(c, 0).metrics, t.rank_by, t.result->price_scale);
  }
  return mean_over(t, c, true);
}

std::optional<double> out_of_sample_value(const SweepTable& t, std::size_t c) {
  if (t.result->plan.folds.empty()) return std::nullopt;
  return mean_over(t, c, false);
}

std::vector<std::size_t> rank_configurations(const SweepTable& t) {
  const std::size_t n = t.configurations->size();
  std::vector<std::optional<double>> key(n);
  for (std::size_t c = 0; c < n; ++c) {
    key[c] = in_sample_value(t, c);
    if (key[c] && !std::isfinite(*key[c])) key[c].reset();
  }
  std::vector<std::size_t> order(n);
  for (std::size_t c = 0; c < n; ++c)
    order[c] = c;
  const bool smaller = smaller_is_better(t.rank_by);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (!key[a] || !key[b]) return key[a].has_value() && !key[b].has_value();
    return smaller ? *key[a] < *key[b] : *key[a] > *key[b];
  });
  return order;
}

std::string sweep_csv(const SweepTable& t) {
  const SweepResult& r = *t.result;
  std::string s = "rank,config";
  for (const SweepAxis& axis : t.spec->axes)
    s += ',' + csv_field(axis.path);
  s += ",in_sample_" + t.rank_by + ",out_of_sample_" + t.rank_by;
  const SweepMetrics none;
  for (const SweepPeriod& p : r.plan.periods) {
    for (const auto& [name, value] : metric_cells(none, r.price_scale))
      s += ',' + label_key(p.label) + '_' + name;
  }
  s += '\n';
  const auto order = rank_configurations(t);
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::size_t c = order[k];
    s += std::to_string(k + 1) + ',' + std::to_string(c);
    for (const std::string& v : (*t.configurations)[c].values)
      s += ',' + csv_field(v);
    s += ',' + number(in_sample_value(t, c)) + ',' + number(out_of_sample_value(t, c));
    for (std::size_t p = 0; p < r.plan.periods.size(); ++p) {
      for (const auto& [name, value] : metric_cells(r.run(c, p).metrics, r.price_scale))
        s += ',' + value;
    }
    s += '\n';
  }
  return s;
}

std::string sweep_json(const SweepTable& t) {
  const SweepResult& r = *t.result;
  std::string s = "{\"rank_by\":";
  config::append_json_string(s, t.rank_by);
  s += ",\"market\":";
  config::append_json_string(s, t.market);
  s += ",\"search\":\"";
  s += t.spec->search == SweepSearch::kGrid ? "grid" : "random";
  s += "\",\"seed\":" + std::to_string(t.spec->seed) +
       ",\"configurations\":" + std::to_string(t.configurations->size()) +
       ",\"passes\":" + std::to_string(r.passes) + ",\"periods\":[";
  for (std::size_t p = 0; p < r.plan.periods.size(); ++p) {
    s += p ? ",{\"label\":" : "{\"label\":";
    config::append_json_string(s, r.plan.periods[p].label);
    s +=
        ",\"inputs\":" + std::to_string(r.plan.periods[p].part.end - r.plan.periods[p].part.begin) +
        '}';
  }
  s += "],\"folds\":[";
  for (std::size_t f = 0; f < r.plan.folds.size(); ++f) {
    s += (f ? ",{\"in\":" : "{\"in\":") + std::to_string(r.plan.folds[f].in) +
         ",\"out\":" + std::to_string(r.plan.folds[f].out) + '}';
  }
  s += "],\"ranking\":[";
  const auto order = rank_configurations(t);
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::size_t c = order[k];
    s += k ? ",{\"rank\":" : "{\"rank\":";
    s += std::to_string(k + 1) + ",\"config\":" + std::to_string(c) + ",\"parameters\":{";
    for (std::size_t a = 0; a < t.spec->axes.size(); ++a) {
      if (a) s += ',';
      config::append_json_string(s, t.spec->axes[a].path);
      s += ':' + (*t.configurations)[c].values[a];
    }
    const auto in = in_sample_value(t, c), out = out_of_sample_value(t, c);
    s += "},\"in_sample\":" + (in ? number(in) : std::string("null")) +
         ",\"out_of_sample\":" + (out ? number(out) : std::string("null")) + ",\"runs\":{";
    for (std::size_t p = 0; p < r.plan.periods.size(); ++p) {
      if (p) s += ',';
      config::append_json_string(s, label_key(r.plan.periods[p].label));
      s += ":{";
      bool first = true;
      for (const auto& [name, value] : metric_cells(r.run(c, p).metrics, r.price_scale)) {
        if (!first) s += ',';
        first = false;
        config::append_json_string(s, name);
        s += ':';
        if (value.empty()) {
          s += "null";
        } else if (name == "pnl" || name == "realized_pnl" || name == "fees" ||
                   name == "max_drawdown") {
          config::append_json_string(s, value);  // exact decimals stay strings
        } else {
          s += value;
        }
      }
      s += '}';
    }
    s += "}}";
  }
  return s + "]}";
}

std::string sweep_html(const SweepTable& t) {
  const SweepResult& r = *t.result;
  const bool split = !r.plan.folds.empty();
  std::string h =
      engine::html::page_head("botengine sweep report") + "<h1>Parameter sweep</h1><p>" +
      std::to_string(t.configurations->size()) + " configurations (" +
      (t.spec->search == SweepSearch::kGrid ? std::string("grid")
                                            : "random, seed " + std::to_string(t.spec->seed)) +
      ") of <code>" + escape_markup(t.market) + "</code> in " + std::to_string(r.passes) +
      " replay passes, ranked by " + escape_markup(t.rank_by) +
      (split ? " in-sample (the mean over the folds), with the out-of-sample value "
               "beside it"
             : std::string(" over the whole recording")) +
      ". Figures as in the backtest report: Sharpe and Sortino from returns per 60 s, "
      "annualised by sqrt(525600), no risk-free rate.</p>";
  if (split) {
    h += "<h2>In-sample against out-of-sample</h2><p>A configuration far below the diagonal "
         "fitted its in-sample data better than the market that followed.</p>" +
         scatter(t, rank_configurations(t));
  }
  h += "<h2>Ranking</h2><div class=\"scroll\"><table id=\"ranking\"><tr><th>rank</th>"
       "<th>config</th>";
  for (const SweepAxis& axis : t.spec->axes)
    h += "<th>" + escape_markup(axis.path) + "</th>";
  h += "<th>" + std::string(split ? "in-sample " : "") + escape_markup(t.rank_by) + "</th>";
  if (split) h += "<th>out-of-sample " + escape_markup(t.rank_by) + "</th>";
  for (const SweepPeriod& p : r.plan.periods) {
    h += "<th>" + escape_markup(p.label) + " trades</th><th>" + escape_markup(p.label) +
         " PnL</th><th>" + escape_markup(p.label) + " max drawdown</th>";
  }
  h += "</tr>";
  const auto order = rank_configurations(t);
  for (std::size_t k = 0; k < order.size() && k < kSweepHtmlRows; ++k) {
    const std::size_t c = order[k];
    h += "<tr><td>" + std::to_string(k + 1) + "</td><td>" + std::to_string(c) + "</td>";
    for (const std::string& v : (*t.configurations)[c].values)
      h += "<td>" + escape_markup(v) + "</td>";
    const auto in = in_sample_value(t, c);
    h += "<td>" + (in ? number(in, 4) : std::string("–")) + "</td>";
    if (split) {
      const auto out = out_of_sample_value(t, c);
      h += "<td>" + (out ? number(out, 4) : std::string("–")) + "</td>";
    }
    for (std::size_t p = 0; p < r.plan.periods.size(); ++p) {
      const SweepMetrics& m = r.run(c, p).metrics;
      h += "<td>" + std::to_string(m.trades) + "</td><td>" +
           decimal_to_string(m.pnl, r.price_scale) + "</td><td>" +
           decimal_to_string(m.max_drawdown, r.price_scale) + "</td>";
    }
    h += "</tr>";
  }
  h += "</table></div>";
  if (order.size() > kSweepHtmlRows) {
    h += "<p>" + std::to_string(order.size() - kSweepHtmlRows) +
         " more configurations are in the CSV and JSON.</p>";
  }
  return h + "</body></html>\n";
}

}  // namespace be::replay
