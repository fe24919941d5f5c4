// The results model of a harness run and its four renderings: JSON (machine-readable, the
// input of `botengine bench compare`), a readable table, an SVG latency-percentile plot and
// the machine manifest (embedded in the JSON, printed on the table).
//
// JSON layout (schema 1, snake_case; latencies in integer nanoseconds):
//   {"schema":1,"tool":"botengine bench",
//    "config":{"pipeline",["feed",]"topology","idle","journal","rate","duration_s","warmup_s",
//              "seed"},
//    "counts":{"sent","late","max_lag_ns","measured","rejected","orders","sustained_per_s",
//              "catch_up_ns","kept_up"},
//    "series":[{"name","count","min","mean","p50","p90","p99","p99_9","p99_99","max",
//               "saturated"}, ...],            (stages in pipeline order, then tick_to_order)
//    "uncorrected":{...same fields...},         (from actual send time: shows what CO hides)
//    "manifest":{"cpu_model","logical_cpus","kernel","compiler","cxx_flags","build_type",
//                "git_commit","date_utc",
//                "placement":{"policy","threads":[{"name","cpus"}, ...]},  (cpus: "0-1,3")
//                "steal":{"known","before_ticks","after_ticks","total_ticks","percent"},
//                "load":{"known","before":[1m,5m,15m],"after":[1m,5m,15m]}}}
//   placement: every thread of the process as the OS had it while the run was measured
//   (names from /proc/self/task/*/comm, CPUs from sched_getaffinity); steal: the "cpu" line
//   of /proc/stat before and after the measured run (USER_HZ ticks over every CPU; percent =
//   steal / all ticks in between, -1 when unknown); load: /proc/loadavg before and after.
//
// Thread-safety: plain values; the writers are pure functions of their arguments.
// Errors: writers return false (and leave `error` set) when a file cannot be written.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/harness/histogram.hpp"

namespace be::bench {

// A thread as the OS had placed it.
struct PlacedThread {
  std::string name;
  std::string cpus;  // cpulist, "0-1,3"
};

// The hypervisor's steal time and the load, at one moment.
struct SystemSample {
  bool known = false;  // /proc/stat's "cpu" line was read (load_known: /proc/loadavg)
  std::uint64_t steal_ticks = 0;
  std::uint64_t total_ticks = 0;  // user+nice+system+idle+iowait+irq+softirq+steal
  bool load_known = false;
  double load[3] = {0, 0, 0};  // 1, 5, 15 minutes
};

struct Manifest {
  std::string cpu_model;
  unsigned logical_cpus = 0;
  std::string kernel;  // uname: sysname release version machine
  std::string compiler;
  std::string cxx_flags;
  std::string build_type;
  std::string git_commit;
  std::string date_utc;                   // ISO 8601, when the manifest was collected
  std::string placement_policy = "none";  // the config's threads.policy
  std::vector<PlacedThread> threads;      // observe_threads() during the measured run
  SystemSample before, after;             // around the measured run
};

// Reads steal and total ticks from `proc_stat`'s "cpu" line and the load from `loadavg`.
SystemSample sample_system(const std::string& proc_stat = "/proc/stat",
                           const std::string& loadavg = "/proc/loadavg");
// Steal between the samples as a percent of every CPU tick in between; -1 when unknown.
double steal_percent(const SystemSample& before, const SystemSample& after);
// This process's threads, named and placed as the OS has them now.
std::vector<PlacedThread> observe_threads();

// Reads the CPU model and processor count from `cpuinfo` (normally /proc/cpuinfo), uname(2),
// the CMake-configured compiler/flags/build type/commit, and the current UTC date. Fields it
// cannot learn are "unknown", never empty.
Manifest collect_manifest(const std::string& cpuinfo_path = "/proc/cpuinfo");

struct RunConfig {
  std::string pipeline = "engine";  // what the frames went through: engine | parser
  // How the frames arrived: "inject" (the in-process injector calls the pipeline) or
  // "sim-ws" (the simulator over loopback WebSocket, bench/harness/sim_feed.hpp). Written to
  // the JSON and the table only when not "inject", so earlier results read the same.
  std::string feed = "inject";
  std::string topology = "fused";
  std::string idle = "spin";  // what the engine's stage threads do with an empty queue
  std::string journal = "off";
  std::uint64_t rate = 0;
  double duration_s = 0;
  double warmup_s = 0;
  std::uint64_t seed = 1;
};

struct RunCounts {
  std::uint64_t sent = 0;
  std::uint64_t late = 0;
  std::int64_t max_lag_ns = 0;
  std::uint64_t measured = 0;  // messages after warm-up
  std::uint64_t rejected = 0;  // frames the pipeline refused (should be 0)
  std::uint64_t orders = 0;    // orders that reached the venue
  // The engine's pipeline (bench/harness/engine_probe.hpp): injected inputs folded per second
  // (first intended -> last finished), the last one's intended -> finished, and whether the
  // engine kept up (nothing refused, everything folded, catch_up within 10 ms).
  double sustained_per_s = 0;
  std::int64_t catch_up_ns = 0;
  bool kept_up = false;
};

struct SeriesSummary {
  std::string name;
  std::uint64_t count = 0;
  std::uint64_t min = 0;
  double mean = 0;
  std::uint64_t p50 = 0, p90 = 0, p99 = 0, p99_9 = 0, p99_99 = 0, max = 0;
  std::uint64_t saturated = 0;
};
SeriesSummary summarize(std::string name, const Histogram& h);

struct RunResult {
  RunConfig config;
  RunCounts counts;
  std::vector<SeriesSummary> series;
  SeriesSummary uncorrected;
  Manifest manifest;
};

std::string to_json(const RunResult& r);
std::string to_json(const Manifest& m);
std::string to_table(const RunResult& r);
// One line per series (the histograms, named) over percentiles on a log "nines" x axis
// (0%, 90%, 99%, ... up to the resolution the sample count allows) and latency on a log y
// axis. `title` goes on top.
std::string to_svg(const std::vector<std::pair<std::string, const Histogram*>>& series,
                   std::string_view title);

// "850ns", "12.3us", "4.56ms", "1.23s".
std::string format_ns(double ns);
std::string json_escape(std::string_view s);

// Writes `text` to `path`; false and `error` set on failure.
bool write_file(const std::string& path, std::string_view text, std::string& error);

}  // namespace be::bench
