#include "bench/harness/compare.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "bench/harness/results.hpp"

namespace be::bench {
namespace {

std::string temp_file(const std::string& name, const std::string& text) {
  const auto p = std::filesystem::temp_directory_path() /
                 ("be_harness_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream(p) << text;
  return p.string();
}

// Noisy pairs: each pair shares a machine-drift factor; B is A times `effect`.
std::vector<std::pair<Metrics, Metrics>> noisy_pairs(double effect, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto noise = [&] { return 1.0 + 0.02 * (static_cast<double>(rng() % 1000) / 1000.0 - 0.5); };
  std::vector<std::pair<Metrics, Metrics>> pairs;
  for (int i = 0; i < 9; ++i) {
    const double drift = 1.0 + 0.5 * static_cast<double>(i % 3);  // the machine gets busy
    pairs.push_back({{{"x", 1000 * drift * noise()}}, {{"x", 1000 * drift * effect * noise()}}});
  }
  return pairs;
}

TEST(Compare, shouldCallAConsistentSlowdownSlowerDespiteMachineDrift) {
  const auto rows = compare_pairs(noisy_pairs(1.20, 1));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].verdict, "slower");
  EXPECT_NEAR(rows[0].median, 1.20, 0.03);
  EXPECT_LE(rows[0].min, rows[0].q1);
  EXPECT_LE(rows[0].q1, rows[0].median);
  EXPECT_LE(rows[0].median, rows[0].q3);
  EXPECT_LE(rows[0].q3, rows[0].max);
  EXPECT_EQ(rows[0].pairs, 9u);
}

TEST(Compare, shouldCallNoiseTheSameAndASpeedupFaster) {
  EXPECT_EQ(compare_pairs(noisy_pairs(1.0, 2))[0].verdict, "same");
  EXPECT_EQ(compare_pairs(noisy_pairs(0.8, 3))[0].verdict, "faster");
}

TEST(Compare, shouldLeaveOutMetricsMissingFromAnyRun) {
  std::vector<std::pair<Metrics, Metrics>> pairs = {{{{"a", 1}, {"b", 2}}, {{"a", 1}, {"b", 2}}},
                                                    {{{"a", 1}}, {{"a", 2}}}};
  const auto rows = compare_pairs(pairs);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].metric, "a");
  EXPECT_DOUBLE_EQ(rows[0].median, 1.5);
}

TEST(Compare, shouldLoadPercentilesFromAHarnessResult) {
  Histogram h;
  for (int i = 1; i <= 1000; ++i)
    h.record(i);
  RunResult r;
  r.series = {summarize("parse", h)};
  r.manifest = collect_manifest();
  const auto path = temp_file("run.json", to_json(r));
  const auto m = load_metrics(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(m.has_value()) << m.error();
  EXPECT_EQ(m->at("parse.p50"), 500.0);
  EXPECT_EQ(m->at("parse.max"), 1000.0);
  EXPECT_EQ(m->count("parse.p99_99"), 1u);
}

TEST(Compare, shouldLoadMediansFromGoogleBenchmarkJson) {
  const auto path = temp_file("gb.json", R"({"context":{},"benchmarks":[
    {"name":"BM_a","run_name":"BM_a","run_type":"iteration","real_time":10,"time_unit":"ns"},
    {"name":"BM_a","run_name":"BM_a","run_type":"iteration","real_time":30,"time_unit":"ns"},
    {"name":"BM_a","run_name":"BM_a","run_type":"iteration","real_time":20,"time_unit":"ns"},
    {"name":"BM_b","run_name":"BM_b","run_type":"iteration","real_time":2,"time_unit":"us"},
    {"name":"BM_c_median","run_name":"BM_c","run_type":"aggregate","aggregate_name":"median",
     "real_time":1.5,"time_unit":"ms"},
    {"name":"BM_c_mean","run_name":"BM_c","run_type":"aggregate","aggregate_name":"mean",
     "real_time":9,"time_unit":"ms"}]})");
  const auto m = load_metrics(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(m.has_value()) << m.error();
  EXPECT_EQ(m->at("BM_a"), 20.0);
  EXPECT_EQ(m->at("BM_b"), 2000.0);
  EXPECT_EQ(m->at("BM_c"), 1.5e6);
}

TEST(Compare, shouldNameTheFileAndTheProblemForBadInput) {
  const auto bad = temp_file("bad.json", "{\"series\": [ {\"name\": \"x\"} ]}");
  auto m = load_metrics(bad);
  std::filesystem::remove(bad);
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().find("bad.json"), std::string::npos);
  EXPECT_NE(m.error().find("p50"), std::string::npos);
  m = load_metrics("/nonexistent.json");
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().find("/nonexistent.json"), std::string::npos);
  const auto other = temp_file("other.json", "[1,2]");
  m = load_metrics(other);
  std::filesystem::remove(other);
  EXPECT_FALSE(m.has_value());
}

TEST(Compare, shouldInterpolateQuantiles) {
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(quantile({}, 0.5), 0.0);
}

}  // namespace
}  // namespace be::bench
