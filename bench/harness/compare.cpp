#include "bench/harness/compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include <simdjson.h>

namespace be::bench {
namespace {

double to_ns(double value, std::string_view unit) {
  if (unit == "us") return value * 1e3;
  if (unit == "ms") return value * 1e6;
  if (unit == "s") return value * 1e9;
  return value;
}

// An optional string field: `fallback` when absent or not a string.
std::string_view string_or(simdjson::dom::element e, const char* key, std::string_view fallback) {
  std::string_view v;
  return e[key].get_string().get(v) == simdjson::SUCCESS ? v : fallback;
}

}  // namespace

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto i = static_cast<std::size_t>(std::floor(pos));
  const std::size_t j = std::min(i + 1, v.size() - 1);
  return v[i] + (v[j] - v[i]) * (pos - static_cast<double>(i));
}

Expected<Metrics, std::string> load_metrics(const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.load(path).get(doc); err) {
    return Unexpected(path + ": not readable JSON (" + simdjson::error_message(err) + ")");
  }
  Metrics out;
  simdjson::dom::array series;
  if (doc["series"].get_array().get(series) == simdjson::SUCCESS) {
    for (simdjson::dom::element s : series) {
      std::string_view name;
      if (s["name"].get_string().get(name)) return Unexpected(path + ": a series has no name");
      for (const char* field : {"p50", "p90", "p99", "p99_9", "p99_99", "max"}) {
        std::uint64_t v = 0;
        if (s[field].get_uint64().get(v)) {
          return Unexpected(path + ": series " + std::string(name) + " has no " + field);
        }
        out[std::string(name) + "." + field] = static_cast<double>(v);
      }
    }
    return out;
  }
  simdjson::dom::array benchmarks;
  if (doc["benchmarks"].get_array().get(benchmarks) == simdjson::SUCCESS) {
    std::map<std::string, std::vector<double>> runs;
    Metrics medians;
    for (simdjson::dom::element b : benchmarks) {
      std::string_view name;
      double t = 0;
      if (b["name"].get_string().get(name) || b["real_time"].get_double().get(t)) {
        return Unexpected(path + ": a benchmark entry lacks name or real_time");
      }
      const std::string_view unit = string_or(b, "time_unit", "ns");
      if (string_or(b, "run_type", "iteration") == "aggregate") {
        if (string_or(b, "aggregate_name", "") == "median") {
          medians[std::string(string_or(b, "run_name", name))] = to_ns(t, unit);
        }
      } else {
        runs[std::string(name)].push_back(to_ns(t, unit));
      }
    }
    for (auto& [name, values] : runs)
      out[name] = quantile(values, 0.5);
    for (auto& [name, v] : medians)
      out[name] = v;  // the reported median wins
    if (out.empty()) return Unexpected(path + ": no benchmark results");
    return out;
  }
  return Unexpected(path + ": neither a botengine bench result nor Google Benchmark JSON");
}

std::vector<RatioSummary> compare_pairs(const std::vector<std::pair<Metrics, Metrics>>& pairs,
                                        double threshold) {
  std::vector<RatioSummary> rows;
  if (pairs.empty()) return rows;
  for (const auto& [metric, first] : pairs.front().first) {
    std::vector<double> a, b, ratios;
    bool everywhere = true;
    for (const auto& [ma, mb] : pairs) {
      const auto ia = ma.find(metric);
      const auto ib = mb.find(metric);
      if (ia == ma.end() || ib == mb.end()) {
        everywhere = false;
        break;
      }
      a.push_back(ia->second);
      b.push_back(ib->second);
      // A zero on side A (an empty series) has no ratio; 1 keeps it neutral.
      ratios.push_back(ia->second > 0 ? ib->second / ia->second : 1.0);
    }
    if (!everywhere) continue;
    RatioSummary r;
    r.metric = metric;
    r.pairs = ratios.size();
    r.median_a = quantile(a, 0.5);
    r.median_b = quantile(b, 0.5);
    r.median = quantile(ratios, 0.5);
    r.min = quantile(ratios, 0.0);
    r.q1 = quantile(ratios, 0.25);
    r.q3 = quantile(ratios, 0.75);
    r.max = quantile(ratios, 1.0);
    if (r.median > 1 + threshold && r.q1 > 1 + threshold / 2) {
      r.verdict = "slower";
    } else if (r.median < 1 - threshold && r.q3 < 1 - threshold / 2) {
      r.verdict = "faster";
    } else {
      r.verdict = "same";
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string format_comparison(const std::vector<RatioSummary>& rows) {
  std::ostringstream o;
  char line[512];
  std::snprintf(line, sizeof line, "%-44s %5s %12s %12s %8s %8s %8s %8s %8s  %s\n", "metric",
                "pairs", "A median", "B median", "B/A med", "min", "q1", "q3", "max", "verdict");
  o << line;
  for (const RatioSummary& r : rows) {
    std::snprintf(line, sizeof line, "%-44s %5zu %12.1f %12.1f %8.3f %8.3f %8.3f %8.3f %8.3f  %s\n",
                  r.metric.c_str(), r.pairs, r.median_a, r.median_b, r.median, r.min, r.q1, r.q3,
                  r.max, r.verdict.c_str());
    o << line;
  }
  return o.str();
}

}  // namespace be::bench
