// Paired comparison of two builds or two configs measured alternately (A B A B ...) on a
// noisy machine. Each pair is run back to back, so slow drift of the machine (another
// helper's build, thermal state) hits both sides of a pair about equally; the per-pair
// ratio B/A cancels it, and the spread of those ratios says whether a difference is real.
//
// Inputs are result files of either kind:
//   * `botengine bench` JSON: metrics "<series>.p50", ".p90", ".p99", ".p99_9", ".p99_99",
//     ".max" for every series (lower is better);
//   * Google Benchmark JSON (--benchmark_format=json or --benchmark_out): metric "<name>"
//     = real_time in ns, the "median" aggregate when repetitions were reported, else each
//     iteration run's value (repeated names: their median).
//
// Thread-safety: pure functions. Errors: load_metrics returns a message naming the file and
// what is wrong with it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/expected.hpp"

namespace be::bench {

using Metrics = std::map<std::string, double>;  // name -> value (ns; lower is better)

Expected<Metrics, std::string> load_metrics(const std::string& path);

struct RatioSummary {
  std::string metric;
  std::size_t pairs = 0;
  double median_a = 0, median_b = 0;  // medians of the raw values
  double median = 0;                  // of per-pair B/A
  double min = 0, q1 = 0, q3 = 0, max = 0;
  // "slower" when the whole IQR of B/A is above 1 + threshold's half and the median is
  // above 1 + threshold; "faster" symmetrically; "same" otherwise.
  std::string verdict;
};

// `pairs[i]` = (A_i, B_i). Metrics missing from any run are left out. `threshold` is the
// relative change the verdict calls significant (0.05 = 5 %).
std::vector<RatioSummary> compare_pairs(const std::vector<std::pair<Metrics, Metrics>>& pairs,
                                        double threshold = 0.05);

// Linear-interpolated quantile q in [0,1] of `v` (sorted copy).
double quantile(std::vector<double> v, double q);

std::string format_comparison(const std::vector<RatioSummary>& rows);

}  // namespace be::bench
