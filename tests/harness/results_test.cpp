#include "bench/harness/results.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace be::bench {
namespace {

RunResult sample_result(const Histogram& a, const Histogram& b) {
  RunResult r;
  r.config = {.pipeline = "parser",
              .topology = "fused",
              .idle = "spin",
              .journal = "off",
              .rate = 100'000,
              .duration_s = 2,
              .warmup_s = 0.5,
              .seed = 3};
  r.counts = {.sent = 250'000,
              .late = 12,
              .max_lag_ns = 40'000,
              .measured = 200'000,
              .rejected = 0,
              .orders = 7,
              .sustained_per_s = 99'876.4,
              .catch_up_ns = 35'000,
              .kept_up = true};
  r.series = {summarize("parse \"q\"", a), summarize("tick_to_order", b)};
  r.uncorrected = summarize("uncorrected", a);
  r.manifest = collect_manifest();
  return r;
}

// Minimal XML well-formedness for what to_svg emits: every tag closes in order, attribute
// values are quoted, no stray '<' or '&' in text.
bool well_formed_xml(const std::string& s, std::string& why) {
  std::vector<std::string> stack;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '&') {
      const auto semi = s.find(';', i);
      const std::string ent = s.substr(i, semi == std::string::npos ? 0 : semi - i + 1);
      if (ent != "&amp;" && ent != "&lt;" && ent != "&gt;" && ent != "&quot;") {
        why = "bad entity at " + std::to_string(i);
        return false;
      }
      i = semi + 1;
      continue;
    }
    if (s[i] != '<') {
      ++i;
      continue;
    }
    const auto end = s.find('>', i);
    if (end == std::string::npos) {
      why = "unterminated tag";
      return false;
    }
    std::string tag = s.substr(i + 1, end - i - 1);
    if (std::count(tag.begin(), tag.end(), '"') % 2 != 0 || tag.find('<') != std::string::npos) {
      why = "bad attributes in <" + tag + ">";
      return false;
    }
    if (tag.starts_with("/")) {
      const std::string name = tag.substr(1);
      if (stack.empty() || stack.back() != name) {
        why = "unbalanced </" + name + ">";
        return false;
      }
      stack.pop_back();
    } else if (!tag.ends_with("/")) {
      stack.push_back(tag.substr(0, tag.find_first_of(" \n")));
    }
    i = end + 1;
  }
  if (!stack.empty()) why = "unclosed <" + stack.back() + ">";
  return stack.empty();
}

TEST(Results, shouldWriteWellFormedJsonWithEverySeriesAndTheManifest) {
  Histogram a, b;
  for (int i = 1; i <= 1000; ++i)
    a.record(i * 100), b.record(i * 1000);
  const RunResult r = sample_result(a, b);
  const std::string json = to_json(r);

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  std::uint64_t rate = 0;
  EXPECT_EQ(doc["config"]["rate"].get_uint64().get(rate), simdjson::SUCCESS);
  EXPECT_EQ(rate, 100'000u);
  simdjson::dom::array series;
  ASSERT_EQ(doc["series"].get_array().get(series), simdjson::SUCCESS);
  ASSERT_EQ(series.size(), 2u);
  std::string_view name;
  ASSERT_EQ(series.at(0)["name"].get_string().get(name), simdjson::SUCCESS);
  EXPECT_EQ(name, "parse \"q\"");
  std::uint64_t p99 = 0;
  ASSERT_EQ(series.at(1)["p99"].get_uint64().get(p99), simdjson::SUCCESS);
  EXPECT_EQ(p99, b.percentile(99));
  // Whether the engine kept up, and at what rate.
  std::uint64_t sustained = 0, catch_up = 0;
  bool kept_up = false;
  ASSERT_EQ(doc["counts"]["sustained_per_s"].get_uint64().get(sustained), simdjson::SUCCESS);
  EXPECT_EQ(sustained, 99'876u);
  ASSERT_EQ(doc["counts"]["catch_up_ns"].get_uint64().get(catch_up), simdjson::SUCCESS);
  EXPECT_EQ(catch_up, 35'000u);
  ASSERT_EQ(doc["counts"]["kept_up"].get_bool().get(kept_up), simdjson::SUCCESS);
  EXPECT_TRUE(kept_up);
  for (const char* f :
       {"cpu_model", "kernel", "compiler", "cxx_flags", "build_type", "git_commit", "date_utc"}) {
    std::string_view v;
    ASSERT_EQ(doc["manifest"][f].get_string().get(v), simdjson::SUCCESS) << f;
    EXPECT_FALSE(v.empty()) << f;
  }
  std::uint64_t cpus = 0;
  ASSERT_EQ(doc["manifest"]["logical_cpus"].get_uint64().get(cpus), simdjson::SUCCESS);
  EXPECT_GT(cpus, 0u);
}

// What issue 17's targets require of a run: the threads' placement, steal time and load.
TEST(Results, shouldCarryPlacementStealAndLoadInTheManifestJson) {
  Histogram a, b;
  a.record(100), b.record(1000);
  RunResult r = sample_result(a, b);
  r.manifest.placement_policy = "auto";
  r.manifest.threads = {{"botengine", "0"}, {"be-seq", "1"}, {"be-\"odd\"", "0-1"}};
  r.manifest.before = {.known = true,
                       .steal_ticks = 40,
                       .total_ticks = 10'000,
                       .load_known = true,
                       .load = {0.5, 0.25, 0.125}};
  r.manifest.after = {.known = true,
                      .steal_ticks = 90,
                      .total_ticks = 11'000,
                      .load_known = true,
                      .load = {1.75, 0.5, 0.25}};
  for (const std::string& json : {to_json(r), to_json(r.manifest)}) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
    simdjson::dom::element m = doc;  // the manifest alone, or inside the result
    if (doc["manifest"].error() == simdjson::SUCCESS) {
      ASSERT_EQ(doc["manifest"].get(m), simdjson::SUCCESS);
    }
    std::string_view policy;
    ASSERT_EQ(m["placement"]["policy"].get_string().get(policy), simdjson::SUCCESS) << json;
    EXPECT_EQ(policy, "auto");
    simdjson::dom::array threads;
    ASSERT_EQ(m["placement"]["threads"].get_array().get(threads), simdjson::SUCCESS);
    ASSERT_EQ(threads.size(), 3u);
    std::string_view name, cpus;
    ASSERT_EQ(threads.at(1)["name"].get_string().get(name), simdjson::SUCCESS);
    ASSERT_EQ(threads.at(1)["cpus"].get_string().get(cpus), simdjson::SUCCESS);
    EXPECT_EQ(name, "be-seq");
    EXPECT_EQ(cpus, "1");
    ASSERT_EQ(threads.at(2)["name"].get_string().get(name), simdjson::SUCCESS);
    EXPECT_EQ(name, "be-\"odd\"");
    std::uint64_t before = 0, after = 0, total = 0;
    ASSERT_EQ(m["steal"]["before_ticks"].get_uint64().get(before), simdjson::SUCCESS);
    ASSERT_EQ(m["steal"]["after_ticks"].get_uint64().get(after), simdjson::SUCCESS);
    ASSERT_EQ(m["steal"]["total_ticks"].get_uint64().get(total), simdjson::SUCCESS);
    EXPECT_EQ(before, 40u);
    EXPECT_EQ(after, 90u);
    EXPECT_EQ(total, 1000u);
    double percent = 0, load_after = 0;
    ASSERT_EQ(m["steal"]["percent"].get_double().get(percent), simdjson::SUCCESS);
    EXPECT_DOUBLE_EQ(percent, 5.0);
    bool known = false;
    ASSERT_EQ(m["load"]["known"].get_bool().get(known), simdjson::SUCCESS);
    EXPECT_TRUE(known);
    ASSERT_EQ(m["load"]["after"].at(0).get_double().get(load_after), simdjson::SUCCESS);
    EXPECT_DOUBLE_EQ(load_after, 1.75);
  }
  const std::string table = to_table(r);
  EXPECT_NE(table.find("threads (placement auto): botengine@0 be-seq@1"), std::string::npos)
      << table;
  EXPECT_NE(table.find("steal: 5.00% of CPU time during the run; load 0.50 -> 1.75"),
            std::string::npos)
      << table;
}

TEST(Results, shouldReadStealFromProcStatAndLoadFromLoadavg) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("be_harness_proc_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "stat")
        << "cpu  100 2 30 4000 5 6 7 80 9 0\ncpu0 50 1 15 2000 2 3 3 40 0 0\n";
    std::ofstream(dir / "loadavg") << "0.42 0.30 0.25 2/345 6789\n";
    std::ofstream(dir / "bad") << "intr 1 2 3\n";
  }
  const SystemSample s = sample_system((dir / "stat").string(), (dir / "loadavg").string());
  EXPECT_TRUE(s.known);
  EXPECT_EQ(s.steal_ticks, 80u);
  EXPECT_EQ(s.total_ticks, 100u + 2 + 30 + 4000 + 5 + 6 + 7 + 80) << "guest is inside user";
  EXPECT_TRUE(s.load_known);
  EXPECT_DOUBLE_EQ(s.load[0], 0.42);
  EXPECT_DOUBLE_EQ(s.load[2], 0.25);
  const SystemSample none = sample_system((dir / "bad").string(), (dir / "missing").string());
  EXPECT_FALSE(none.known);
  EXPECT_FALSE(none.load_known);
  EXPECT_EQ(steal_percent(none, s), -1) << "unknown is not zero";
  EXPECT_EQ(steal_percent(s, s), -1) << "no ticks in between";
  std::filesystem::remove_all(dir);
  // This machine's, and this process's threads as the OS has placed them.
  const SystemSample here = sample_system();
  EXPECT_TRUE(here.known);
  EXPECT_GT(here.total_ticks, 0u);
  const std::vector<PlacedThread> threads = observe_threads();
  ASSERT_FALSE(threads.empty());
  EXPECT_FALSE(threads.front().name.empty());
  EXPECT_NE(threads.front().cpus, "any") << "the OS always says where a thread may run";
  EXPECT_TRUE(collect_manifest().before.known) << "sampled when the manifest is collected";
}

TEST(Results, shouldReadTheManifestFromProcAndTheBuild) {
  const Manifest m = collect_manifest();
  EXPECT_NE(m.compiler, "unknown");
  EXPECT_NE(m.build_type, "unknown");
  EXPECT_NE(m.kernel, "unknown");
  EXPECT_NE(m.git_commit, "unknown");
  EXPECT_EQ(m.date_utc.size(), 20u) << m.date_utc;  // 2026-01-01T00:00:00Z
  EXPECT_GT(m.logical_cpus, 0u);
}

TEST(Results, shouldTakeCpuModelAndCountFromCpuinfo) {
  const auto path =
      std::filesystem::temp_directory_path() / ("be_harness_cpuinfo_" + std::to_string(::getpid()));
  {
    std::ofstream out(path);
    out << "processor\t: 0\nmodel name\t: Test CPU @ 3.00GHz\nflags\t\t: sse\n\n"
           "processor\t: 1\nmodel name\t: Test CPU @ 3.00GHz\n";
  }
  const Manifest m = collect_manifest(path.string());
  std::filesystem::remove(path);
  EXPECT_EQ(m.cpu_model, "Test CPU @ 3.00GHz");
  EXPECT_EQ(m.logical_cpus, 2u);
  const Manifest missing = collect_manifest("/nonexistent/cpuinfo");
  EXPECT_EQ(missing.cpu_model, "unknown");
}

TEST(Results, shouldDrawOneWellFormedLinePerSeriesInTheSvg) {
  Histogram a, b, empty;
  for (int i = 1; i <= 100'000; ++i)
    a.record(i), b.record(i * 10);
  const std::string svg = to_svg({{"parse", &a}, {"risk <&>", &b}, {"none", &empty}}, "run \"x\"");
  std::string why;
  EXPECT_TRUE(well_formed_xml(svg, why)) << why;
  EXPECT_TRUE(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  std::size_t lines = 0;
  for (auto p = svg.find("<polyline"); p != std::string::npos; p = svg.find("<polyline", p + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 2u);  // an empty series gets a legend entry, not a line
  EXPECT_NE(svg.find("99.99%"), std::string::npos);
  EXPECT_NE(svg.find("risk &lt;&amp;&gt;"), std::string::npos);
}

TEST(Results, shouldPrintEverySeriesInTheTable) {
  Histogram a, b;
  a.record(1500);
  b.record(2'500'000);
  const std::string t = to_table(sample_result(a, b));
  EXPECT_NE(t.find("tick_to_order"), std::string::npos);
  EXPECT_NE(t.find("2.5ms"), std::string::npos);
  EXPECT_NE(t.find("1.5us"), std::string::npos);
  EXPECT_NE(t.find("machine:"), std::string::npos);
}

TEST(Results, shouldFormatDurationsWithUnits) {
  EXPECT_EQ(format_ns(850), "850ns");
  EXPECT_EQ(format_ns(12'300), "12.3us");
  EXPECT_EQ(format_ns(4'560'000), "4.56ms");
  EXPECT_EQ(format_ns(1.23e9), "1.23s");
}

TEST(Results, shouldReportAnUnwritablePath) {
  std::string error;
  EXPECT_FALSE(write_file("/nonexistent/dir/x.json", "{}", error));
  EXPECT_NE(error.find("/nonexistent/dir/x.json"), std::string::npos);
}

}  // namespace
}  // namespace be::bench
