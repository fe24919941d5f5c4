#include "bench/harness/results.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include "bench/harness/build_info.hpp"
#include "core/json_config.hpp"
#include "core/markup.hpp"
#include "core/thread_placement.hpp"

namespace be::bench {
namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  const auto e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string{} : s.substr(b, e - b + 1);
}

std::string or_unknown(std::string s) {
  return s.empty() ? std::string("unknown") : s;
}

// The commit of the checked-out tree when the source is still there (a configure-time
// hash goes stale when a build is not reconfigured), else the configure-time one.
std::string git_commit() {
  const std::string cmd =
      std::string("git -C '") + build_info::kSourceDir + "' describe --always --dirty 2>/dev/null";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[128];
    while (std::fgets(buf, sizeof buf, p))
      out += buf;
    pclose(p);
  }
  out = trim(out);
  return out.empty() ? std::string(build_info::kGitCommit) : out;
}

void field(std::ostringstream& o, std::string_view key, std::string_view value, bool comma = true) {
  o << '"' << key << "\":\"" << json_escape(value) << '"' << (comma ? "," : "");
}

void num(std::ostringstream& o, std::string_view key, auto value, bool comma = true) {
  o << '"' << key << "\":" << value << (comma ? "," : "");
}

void series_json(std::ostringstream& o, const SeriesSummary& s) {
  o << '{';
  field(o, "name", s.name);
  num(o, "count", s.count);
  num(o, "min", s.min);
  char mean[32];
  std::snprintf(mean, sizeof mean, "%.1f", s.mean);
  num(o, "mean", mean);
  num(o, "p50", s.p50);
  num(o, "p90", s.p90);
  num(o, "p99", s.p99);
  num(o, "p99_9", s.p99_9);
  num(o, "p99_99", s.p99_99);
  num(o, "max", s.max);
  num(o, "saturated", s.saturated, false);
  o << '}';
}

void load_json(std::ostringstream& o, std::string_view key, const SystemSample& s,
               bool comma = true) {
  char text[96];
  std::snprintf(text, sizeof text, "[%.2f,%.2f,%.2f]", s.load[0], s.load[1], s.load[2]);
  num(o, key, text, comma);
}

void manifest_json(std::ostringstream& o, const Manifest& m) {
  o << '{';
  field(o, "cpu_model", m.cpu_model);
  num(o, "logical_cpus", m.logical_cpus);
  field(o, "kernel", m.kernel);
  field(o, "compiler", m.compiler);
  field(o, "cxx_flags", m.cxx_flags);
  field(o, "build_type", m.build_type);
  field(o, "git_commit", m.git_commit);
  field(o, "date_utc", m.date_utc);
  o << "\"placement\":{";
  field(o, "policy", m.placement_policy);
  o << "\"threads\":[";
  for (std::size_t i = 0; i < m.threads.size(); ++i) {
    o << (i ? ",{" : "{");
    field(o, "name", m.threads[i].name);
    field(o, "cpus", m.threads[i].cpus, false);
    o << '}';
  }
  o << "]},\"steal\":{";
  const bool steal_known = m.before.known && m.after.known;
  num(o, "known", steal_known ? "true" : "false");
  num(o, "before_ticks", m.before.steal_ticks);
  num(o, "after_ticks", m.after.steal_ticks);
  num(o, "total_ticks", m.after.total_ticks - std::min(m.after.total_ticks, m.before.total_ticks));
  char percent[32];
  std::snprintf(percent, sizeof percent, "%.3f", steal_percent(m.before, m.after));
  num(o, "percent", percent, false);
  o << "},\"load\":{";
  num(o, "known", m.before.load_known && m.after.load_known ? "true" : "false");
  load_json(o, "before", m.before);
  load_json(o, "after", m.after, false);
  o << "}}";
}

}  // namespace

std::string json_escape(std::string_view s) {
  std::string quoted;
  config::append_json_string(quoted, s);
  return quoted.substr(1, quoted.size() - 2);
}

Manifest collect_manifest(const std::string& cpuinfo_path) {
  Manifest m;
  std::ifstream in(cpuinfo_path);
  std::string line;
  unsigned processors = 0;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = trim(line.substr(0, colon));
    if (key == "processor") ++processors;
    if (key == "model name" && m.cpu_model.empty()) m.cpu_model = trim(line.substr(colon + 1));
  }
  m.cpu_model = or_unknown(m.cpu_model);
  m.logical_cpus = processors ? processors : std::thread::hardware_concurrency();
  utsname u{};
  if (uname(&u) == 0) {
    m.kernel = std::string(u.sysname) + " " + u.release + " " + u.version + " " + u.machine;
  }
  m.kernel = or_unknown(m.kernel);
  m.compiler = or_unknown(trim(build_info::kCompiler));
  m.cxx_flags = or_unknown(trim(build_info::kCxxFlags));
  m.build_type = or_unknown(build_info::kBuildType);
  m.git_commit = or_unknown(git_commit());
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
  m.date_utc = date;
  m.before = sample_system();
  return m;
}

SystemSample sample_system(const std::string& proc_stat, const std::string& loadavg) {
  SystemSample s;
  std::ifstream stat(proc_stat);
  std::string label;
  if (stat >> label && label == "cpu") {
    std::uint64_t ticks[8] = {};
    std::size_t read = 0;
    while (read < 8 && stat >> ticks[read])
      ++read;
    if (read == 8) {  // user nice system idle iowait irq softirq steal (guest is in user)
      s.known = true;
      s.steal_ticks = ticks[7];
      for (const std::uint64_t t : ticks)
        s.total_ticks += t;
    }
  }
  std::ifstream load(loadavg);
  s.load_known = static_cast<bool>(load >> s.load[0] >> s.load[1] >> s.load[2]);
  if (!s.load_known) s.load[0] = s.load[1] = s.load[2] = 0;
  return s;
}

double steal_percent(const SystemSample& before, const SystemSample& after) {
  if (!before.known || !after.known || after.total_ticks <= before.total_ticks ||
      after.steal_ticks < before.steal_ticks) {
    return -1;
  }
  return 100.0 * static_cast<double>(after.steal_ticks - before.steal_ticks) /
         static_cast<double>(after.total_ticks - before.total_ticks);
}

std::vector<PlacedThread> observe_threads() {
  std::vector<PlacedThread> out;
  for (const ThreadPlacementInfo& t : current_thread_placements())
    out.push_back({t.name, to_string(t.cpus)});
  return out;
}

SeriesSummary summarize(std::string name, const Histogram& h) {
  SeriesSummary s;
  s.name = std::move(name);
  s.count = h.count();
  s.min = h.min();
  s.mean = h.mean();
  s.p50 = h.percentile(50);
  s.p90 = h.percentile(90);
  s.p99 = h.percentile(99);
  s.p99_9 = h.percentile(99.9);
  s.p99_99 = h.percentile(99.99);
  s.max = h.max();
  s.saturated = h.saturated();
  return s;
}

std::string to_json(const RunResult& r) {
  std::ostringstream o;
  o << "{\"schema\":1,\"tool\":\"botengine bench\",\"config\":{";
  field(o, "pipeline", r.config.pipeline);
  if (r.config.feed != "inject") field(o, "feed", r.config.feed);
  field(o, "topology", r.config.topology);
  field(o, "idle", r.config.idle);
  field(o, "journal", r.config.journal);
  num(o, "rate", r.config.rate);
  num(o, "duration_s", r.config.duration_s);
  num(o, "warmup_s", r.config.warmup_s);
  num(o, "seed", r.config.seed, false);
  o << "},\"counts\":{";
  num(o, "sent", r.counts.sent);
  num(o, "late", r.counts.late);
  num(o, "max_lag_ns", r.counts.max_lag_ns);
  num(o, "measured", r.counts.measured);
  num(o, "rejected", r.counts.rejected);
  num(o, "orders", r.counts.orders);
  num(o, "sustained_per_s", static_cast<std::uint64_t>(r.counts.sustained_per_s + 0.5));
  num(o, "catch_up_ns", r.counts.catch_up_ns);
  o << "\"kept_up\":" << (r.counts.kept_up ? "true" : "false");
  o << "},\"series\":[";
  for (std::size_t i = 0; i < r.series.size(); ++i) {
    if (i) o << ',';
    series_json(o, r.series[i]);
  }
  o << "],\"uncorrected\":";
  series_json(o, r.uncorrected);
  o << ",\"manifest\":";
  manifest_json(o, r.manifest);
  o << "}\n";
  return o.str();
}

std::string to_json(const Manifest& m) {
  std::ostringstream o;
  manifest_json(o, m);
  o << "\n";
  return o.str();
}

std::string format_ns(double ns) {
  char buf[32];
  if (ns < 1'000) {
    std::snprintf(buf, sizeof buf, "%.0fns", ns);
  } else if (ns < 1'000'000) {
    std::snprintf(buf, sizeof buf, "%.3gus", ns / 1e3);
  } else if (ns < 1'000'000'000) {
    std::snprintf(buf, sizeof buf, "%.3gms", ns / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.3gs", ns / 1e9);
  }
  return buf;
}

std::string to_table(const RunResult& r) {
  std::ostringstream o;
  const RunConfig& c = r.config;
  char head[256];
  std::snprintf(head, sizeof head,
                "pipeline=%s topology=%s idle=%s journal=%s rate=%llu/s duration=%.1fs "
                "warmup=%.1fs seed=%llu\n",
                c.pipeline.c_str(), c.topology.c_str(), c.idle.c_str(), c.journal.c_str(),
                static_cast<unsigned long long>(c.rate), c.duration_s, c.warmup_s,
                static_cast<unsigned long long>(c.seed));
  o << head;
  if (c.feed != "inject") o << "feed=" << c.feed << '\n';
  std::snprintf(head, sizeof head,
                "sent=%llu measured=%llu late=%llu max_lag=%s rejected=%llu orders=%llu\n",
                static_cast<unsigned long long>(r.counts.sent),
                static_cast<unsigned long long>(r.counts.measured),
                static_cast<unsigned long long>(r.counts.late),
                format_ns(static_cast<double>(r.counts.max_lag_ns)).c_str(),
                static_cast<unsigned long long>(r.counts.rejected),
                static_cast<unsigned long long>(r.counts.orders));
  o << head;
  if (r.config.pipeline != "parser") {
    std::snprintf(head, sizeof head, "sustained=%.0f/s catch_up=%s kept_up=%s\n",
                  r.counts.sustained_per_s,
                  format_ns(static_cast<double>(r.counts.catch_up_ns)).c_str(),
                  r.counts.kept_up ? "yes" : "no");
    o << head;
  }
  o << "latency from intended send time (coordinated omission corrected):\n";
  std::snprintf(head, sizeof head, "  %-22s %10s %9s %9s %9s %9s %9s %9s\n", "series", "count",
                "p50", "p90", "p99", "p99.9", "p99.99", "max");
  o << head;
  auto row = [&](const SeriesSummary& s) {
    char line[256];
    std::snprintf(line, sizeof line, "  %-22s %10llu %9s %9s %9s %9s %9s %9s\n", s.name.c_str(),
                  static_cast<unsigned long long>(s.count), format_ns(double(s.p50)).c_str(),
                  format_ns(double(s.p90)).c_str(), format_ns(double(s.p99)).c_str(),
                  format_ns(double(s.p99_9)).c_str(), format_ns(double(s.p99_99)).c_str(),
                  format_ns(double(s.max)).c_str());
    o << line;
  };
  for (const SeriesSummary& s : r.series)
    row(s);
  o << "uncorrected (from actual send time; what a closed-loop tool would report):\n";
  row(r.uncorrected);
  const Manifest& m = r.manifest;
  o << "machine: " << m.cpu_model << ", " << m.logical_cpus << " logical CPUs, " << m.kernel
    << "\nbuild: " << m.compiler << " " << m.build_type << " [" << m.cxx_flags << "] commit "
    << m.git_commit << "\ndate: " << m.date_utc << "\nthreads (placement " << m.placement_policy
    << "):";
  for (const PlacedThread& t : m.threads)
    o << ' ' << t.name << '@' << t.cpus;
  char system[160];
  std::snprintf(system, sizeof system,
                "\nsteal: %.2f%% of CPU time during the run; load %.2f -> %.2f (1 min)\n",
                steal_percent(m.before, m.after), m.before.load[0], m.after.load[0]);
  o << system;
  return o.str();
}

std::string to_svg(const std::vector<std::pair<std::string, const Histogram*>>& series,
                   std::string_view title) {
  constexpr double kW = 900, kH = 520, kLeft = 80, kRight = 180, kTop = 40, kBottom = 60;
  constexpr const char* kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                     "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  std::uint64_t most = 0, lo = ~0ull, hi = 1;
  for (const auto& [name, h] : series) {
    if (!h || h->count() == 0) continue;
    most = std::max(most, h->count());
    lo = std::min(lo, std::max<std::uint64_t>(1, h->min()));
    hi = std::max(hi, h->max());
  }
  if (lo == ~0ull) lo = 1;
  // x: "nines" = -log10(1 - p); the last resolvable percentile with n samples is 1 - 1/n.
  const double x_max = std::clamp(
      std::ceil(std::log10(static_cast<double>(std::max<std::uint64_t>(most, 10)))), 1.0, 7.0);
  const double y_lo = std::floor(std::log10(static_cast<double>(lo)));
  double y_hi = std::ceil(std::log10(static_cast<double>(hi)));
  if (y_hi <= y_lo) y_hi = y_lo + 1;
  const double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  auto px = [&](double nines) { return kLeft + pw * nines / x_max; };
  auto py = [&](double ns) {
    const double l = std::log10(std::max(ns, 1.0));
    return kTop + ph * (1.0 - (l - y_lo) / (y_hi - y_lo));
  };

  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(1);
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kW << "\" height=\"" << kH
    << "\" viewBox=\"0 0 " << kW << ' ' << kH
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  o << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o << "<text x=\"" << kW / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">"
    << escape_markup(title) << "</text>\n";
  // Grid and axis labels.
  for (int k = 0; k <= static_cast<int>(x_max); ++k) {
    const double x = px(k);
    // 0 nines -> 0%, 1 -> 90%, 2 -> 99%, 3 -> 99.9%, ...
    static constexpr const char* kLabels[] = {"0%",     "90%",     "99%",      "99.9%",
                                              "99.99%", "99.999%", "99.9999%", "99.99999%"};
    const char* label = kLabels[std::min<int>(k, 7)];
    o << "<line x1=\"" << x << "\" y1=\"" << kTop << "\" x2=\"" << x << "\" y2=\"" << kTop + ph
      << "\" stroke=\"#ddd\"/>\n<text x=\"" << x << "\" y=\"" << kTop + ph + 18
      << "\" text-anchor=\"middle\">" << label << "</text>\n";
  }
  for (int k = static_cast<int>(y_lo); k <= static_cast<int>(y_hi); ++k) {
    const double y = py(std::pow(10.0, k));
    o << "<line x1=\"" << kLeft << "\" y1=\"" << y << "\" x2=\"" << kLeft + pw << "\" y2=\"" << y
      << "\" stroke=\"#ddd\"/>\n<text x=\"" << kLeft - 6 << "\" y=\"" << y + 4
      << "\" text-anchor=\"end\">" << format_ns(std::pow(10.0, k)) << "</text>\n";
  }
  o << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << pw << "\" height=\"" << ph
    << "\" fill=\"none\" stroke=\"black\"/>\n";
  o << "<text x=\"" << kLeft + pw / 2 << "\" y=\"" << kH - 18
    << "\" text-anchor=\"middle\">percentile</text>\n";
  o << "<text x=\"18\" y=\"" << kTop + ph / 2
    << "\" text-anchor=\"middle\" transform=\"rotate(-90 18 " << kTop + ph / 2
    << ")\">latency from intended send time</text>\n";
  // One polyline per series, sampled every 0.02 nines, then the max at the right edge.
  std::size_t color = 0;
  for (const auto& [name, h] : series) {
    const char* c = kColors[color++ % std::size(kColors)];
    const double ly = kTop + 16.0 * static_cast<double>(color);
    o << "<line x1=\"" << kLeft + pw + 10 << "\" y1=\"" << ly - 4 << "\" x2=\"" << kLeft + pw + 30
      << "\" y2=\"" << ly - 4 << "\" stroke=\"" << c << "\" stroke-width=\"2\"/>\n<text x=\""
      << kLeft + pw + 34 << "\" y=\"" << ly << "\">" << escape_markup(name) << "</text>\n";
    if (!h || h->count() == 0) continue;
    o << "<polyline fill=\"none\" stroke=\"" << c << "\" stroke-width=\"1.5\" points=\"";
    for (int step = 0; step * 0.02 < x_max; ++step) {
      const double nines = step * 0.02;
      const double p = 100.0 * (1.0 - std::pow(10.0, -nines));
      o << px(nines) << ',' << py(static_cast<double>(h->percentile(p))) << ' ';
    }
    o << px(x_max) << ',' << py(static_cast<double>(h->max())) << "\"/>\n";
  }
  o << "</svg>\n";
  return o.str();
}

bool write_file(const std::string& path, std::string_view text, std::string& error) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    error = "cannot open " + path + " for writing";
    return false;
  }
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) {
    error = "cannot write " + path;
    return false;
  }
  return true;
}

}  // namespace be::bench
