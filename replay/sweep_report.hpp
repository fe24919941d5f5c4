// A sweep's results (replay/sweep.hpp) as CSV, JSON and one self-contained HTML page, every
// configuration ranked by a chosen metric (kSweepRankMetrics):
//  - without a split, by the metric over the whole recording;
//  - with a holdout or walk-forward split, by the in-sample metric (the mean over the folds'
//    in-sample parts), with the out-of-sample one (the mean over the folds' out-of-sample
//    parts) beside it, so a configuration that only fits its in-sample data shows.
// Undefined values (a Sharpe without trades) rank last; ties keep configuration order, so the
// same results always give the same table. Larger is better except max_drawdown.
//
// CSV: one row per configuration in rank order: rank, config, one column per parameter, the
// in- and out-of-sample ranking values, then every metric of every period as
// "<period>_<metric>" (period labels: all, in, out, part1, part2, ...). Money at the price
// scale as exact decimals; ratios with 6 decimals; undefined values empty.
// HTML: the ranking table (the first kSweepHtmlRows rows) and, with a split, an SVG scatter
// of in-sample against out-of-sample values (html helpers of replay/report_html.hpp).
//
// Thread-safety: pure functions. Allocates (tool code).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "replay/sweep.hpp"
#include "replay/sweep_space.hpp"

namespace be::replay {

inline constexpr std::size_t kSweepHtmlRows = 500;

struct SweepTable {
  const SweepSpec* spec = nullptr;
  const std::vector<SweepConfiguration>* configurations = nullptr;
  const SweepResult* result = nullptr;
  std::string rank_by = "sharpe";
  std::string market;  // what was replayed, for the page ("candles BTCUSDT_...json")
};

// The ranking value of configuration `c` in-sample (or over everything without a split) and
// out-of-sample (nullopt without a split).
std::optional<double> in_sample_value(const SweepTable& t, std::size_t c);
std::optional<double> out_of_sample_value(const SweepTable& t, std::size_t c);
// Configuration indexes, best first.
std::vector<std::size_t> rank_configurations(const SweepTable& t);

std::string sweep_csv(const SweepTable& t);
std::string sweep_json(const SweepTable& t);
std::string sweep_html(const SweepTable& t);

}  // namespace be::replay
