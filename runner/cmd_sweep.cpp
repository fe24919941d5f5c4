// `botengine sweep SPEC.json`: a parameter search over a recorded market, every configuration
// a bot of one replay pass (replay/sweep.hpp), ranked by a chosen metric, written as CSV, JSON
// and HTML (replay/sweep_report.hpp). docs/CLI.md is the reference; docs/RESEARCH.md explains
// the spec, the splits and the isolation. Exit codes: 0 ok, 1 bad input, 2 usage.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <string>

#include "core/file_read.hpp"
#include "replay/backtest.hpp"
#include "replay/recorded_market.hpp"
#include "replay/sweep.hpp"
#include "replay/sweep_report.hpp"
#include "replay/sweep_space.hpp"
#include "runner/cli.hpp"

namespace be::cli {

namespace {

constexpr const char* kUsage =
    "usage: botengine sweep SPEC.json (--candles FILE [--symbol SYMBOL] |\n"
    "                       --capture FILE [--config DEPLOYMENT.json] [--venue NAME] |\n"
    "                       --journal DIR)\n"
    "                       [--search grid|random] [--samples N] [--seed N]\n"
    "                       [--split FRACTION | --walk-forward FOLDS] [--rank-by METRIC]\n"
    "                       [--out PREFIX] [--chunk N] [--top N] [--quiet]\n"
    "  SPEC.json        the base bot config and the parameters to vary (docs/RESEARCH.md)\n"
    "  --candles FILE   a candle file (CSV or JSON); --symbol names its instrument (default:\n"
    "                   the file name up to its first '_')\n"
    "  --capture FILE   a feed capture; --config and --venue as for `replay --capture`\n"
    "  --journal DIR    a journal's recorded market\n"
    "  --search, --samples, --seed   override the spec's search (grid or random)\n"
    "  --split F        in-sample = the first F of the recorded time (0 < F < 1), the rest\n"
    "                   out-of-sample\n"
    "  --walk-forward K K folds over K+1 equal parts: fold k in-sample on part k,\n"
    "                   out-of-sample on part k+1\n"
    "  --rank-by METRIC pnl, return, sharpe (default), sortino, calmar, trades, win_rate,\n"
    "                   profit_factor, expectancy, max_drawdown\n"
    "  --out PREFIX     write PREFIX.csv, PREFIX.json and PREFIX.html\n"
    "  --chunk N        configurations per replay pass (default: all, at most 2,048)\n"
    "  --top N          rows printed (default 10)\n"
    "  --quiet          no progress bar and no table\n";

constexpr cli::Usage usage{"sweep", kUsage};

int fail(std::string_view why) {
  return usage.failed(why);
}

bool parse_count(std::string_view text, std::uint64_t& out) {
  if (text.empty() || text.size() > 18) return false;
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = v;
  return true;
}

// "[#######.............]  42%  12.3 s left" on one line of a terminal, redrawn in place.
class ProgressBar {
 public:
  explicit ProgressBar(bool on) : on_(on), started_(std::chrono::steady_clock::now()) {}
  void operator()(std::uint64_t done, std::uint64_t total) {
    if (!on_ || total == 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (done < total && now - drawn_ < std::chrono::milliseconds(100)) return;
    drawn_ = now;
    const double f = static_cast<double>(done) / static_cast<double>(total);
    const double elapsed = std::chrono::duration<double>(now - started_).count();
    char bar[31];
    for (int i = 0; i < 30; ++i)
      bar[i] = i < static_cast<int>(f * 30) ? '#' : '.';
    bar[30] = '\0';
    char left[32] = "";
    if (f > 0 && done < total)
      std::snprintf(left, sizeof left, "%6.1f s left", elapsed / f - elapsed);
    std::fprintf(stderr, "\r[%s] %3.0f%% %s", bar, f * 100, left);
    if (done == total) std::fprintf(stderr, "\r%60s\r", "");
    std::fflush(stderr);
  }

 private:
  bool on_;
  std::chrono::steady_clock::time_point started_, drawn_{};
};

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

}  // namespace

int run_sweep(Args args) {
  std::string spec_file, candles, symbol, capture, config_file, venue, journal, rank_by = "sharpe",
                                                                                out_prefix, search;
  std::uint64_t samples = 0, seed = 0, chunk = 0, top = 10, folds = 0;
  bool have_seed = false, quiet = false;
  double split = 0;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    const bool has_value = i + 1 < args.size();
    auto count = [&](std::uint64_t& out) { return parse_count(args[++i], out); };
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    } else if (a == "--quiet") {
      quiet = true;
    } else if (a == "--candles" && has_value) {
      candles = std::string(args[++i]);
    } else if (a == "--symbol" && has_value) {
      symbol = std::string(args[++i]);
    } else if (a == "--capture" && has_value) {
      capture = std::string(args[++i]);
    } else if (a == "--config" && has_value) {
      config_file = std::string(args[++i]);
    } else if (a == "--venue" && has_value) {
      venue = std::string(args[++i]);
    } else if (a == "--journal" && has_value) {
      journal = std::string(args[++i]);
    } else if (a == "--search" && has_value) {
      search = std::string(args[++i]);
      if (search != "grid" && search != "random") return usage("--search is grid or random");
    } else if (a == "--samples" && has_value) {
      if (!count(samples) || samples == 0) return usage("--samples wants a positive whole number");
    } else if (a == "--seed" && has_value) {
      if (!count(seed)) return usage("--seed wants a whole number");
      have_seed = true;
    } else if (a == "--chunk" && has_value) {
      if (!count(chunk) || chunk == 0) return usage("--chunk wants a positive whole number");
    } else if (a == "--top" && has_value) {
      if (!count(top)) return usage("--top wants a whole number");
    } else if (a == "--walk-forward" && has_value) {
      if (!count(folds) || folds == 0 || folds > 100) return usage("--walk-forward wants 1 to 100");
    } else if (a == "--split" && has_value) {
      const std::string text(args[++i]);
      char* end = nullptr;
      split = std::strtod(text.c_str(), &end);
      if (end == text.c_str() || *end != '\0' || !(split > 0 && split < 1))
        return usage("--split wants a fraction between 0 and 1, e.g. 0.7");
    } else if (a == "--rank-by" && has_value) {
      rank_by = std::string(args[++i]);
      if (std::find(replay::kSweepRankMetrics.begin(), replay::kSweepRankMetrics.end(), rank_by) ==
          replay::kSweepRankMetrics.end())
        return usage("unknown metric " + rank_by);
    } else if (a == "--out" && has_value) {
      out_prefix = std::string(args[++i]);
    } else if (!a.empty() && a[0] != '-' && spec_file.empty()) {
      spec_file = std::string(a);
    } else {
      return usage("unknown or incomplete argument " + std::string(a));
    }
  }
  if (spec_file.empty()) return usage("which sweep? give its spec file");
  const int sources = !candles.empty() + !capture.empty() + !journal.empty();
  if (sources != 1) return usage("give exactly one of --candles, --capture or --journal");
  if ((!config_file.empty() || !venue.empty()) && capture.empty())
    return usage("--config and --venue go with --capture");
  if (!symbol.empty() && candles.empty()) return usage("--symbol goes with --candles");
  if (split > 0 && folds > 0) return usage("--split or --walk-forward, not both");

  auto text = read_file(spec_file);
  if (!text) return fail(text.error());
  const std::string dir = spec_file.find('/') == std::string::npos
                              ? std::string(".")
                              : spec_file.substr(0, spec_file.rfind('/'));
  auto spec = replay::parse_sweep_spec(*text, spec_file, dir);
  if (!spec) return fail(spec.error());
  if (!search.empty())
    spec->search = search == "grid" ? replay::SweepSearch::kGrid : replay::SweepSearch::kRandom;
  if (samples) spec->samples = samples;
  if (have_seed) spec->seed = seed;
  auto configurations = replay::expand(*spec);
  if (!configurations) return fail(spec_file + ": " + configurations.error());

  auto market = !candles.empty()   ? replay::load_candle_market(candles, symbol)
                : !capture.empty() ? replay::load_capture_market(capture, config_file, venue)
                                   : replay::load_journal_market(journal);
  if (!market) return fail(market.error());

  std::vector<std::string> bots;
  for (const replay::SweepConfiguration& c : *configurations)
    bots.push_back(c.bot_json);
  for (const replay::BotWithoutMarket& bot : replay::bots_without_market(market->config, bots)) {
    return fail(replay::describe(bot, market->config, market->what));
  }
  const auto refusals = replay::sweep_refusals(bots);
  if (!refusals.empty()) return fail(refusals.front());

  replay::SweepSplit how;
  if (split > 0) how = {replay::SweepSplit::Kind::kHoldout, split, 0};
  if (folds > 0) how = {replay::SweepSplit::Kind::kWalkForward, 0, folds};
  auto plan = replay::plan_sweep(*market, how);
  if (!plan) return fail(plan.error());

  replay::SweepOptions options;
  options.chunk = chunk;
  ProgressBar bar(!quiet && isatty(STDERR_FILENO));
  options.progress = [&bar](std::uint64_t done, std::uint64_t total) { bar(done, total); };
  const auto started = std::chrono::steady_clock::now();
  const replay::SweepResult result = replay::run_sweep(*market, *plan, bots, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  replay::SweepTable table{&*spec, &*configurations, &result, rank_by,
                           !candles.empty()   ? candles
                           : !capture.empty() ? capture
                                              : journal};
  std::size_t refused = 0;
  for (const replay::SweepRun& run : result.runs)
    refused += !run.created;
  if (!quiet) {
    std::printf("swept %zu configurations x %zu periods in %zu passes (%" PRIu64
                " inputs) in %.3f s\n",
                bots.size(), plan->periods.size(), result.passes, result.inputs, seconds);
    if (result.rerun_passes != 0) {
      std::printf(
          "%zu passes ran out of order slots (%u per configuration) and ran again with "
          "more: --chunk N with a smaller N may be faster\n",
          result.rerun_passes, replay::kSweepOrdersPerBot);
    }
    const auto order = replay::rank_configurations(table);
    std::printf("%-5s %-7s %-14s %-14s %s\n", "rank", "config",
                plan->folds.empty() ? rank_by.c_str() : ("in " + rank_by).c_str(),
                plan->folds.empty() ? "" : ("out " + rank_by).c_str(), "parameters");
    for (std::size_t k = 0; k < order.size() && k < top; ++k) {
      const std::size_t c = order[k];
      auto cell = [](std::optional<double> v) {
        char b[32];
        if (!v) return std::string("-");
        std::snprintf(b, sizeof b, "%.4f", *v);
        return std::string(b);
      };
      std::string params;
      for (std::size_t a = 0; a < spec->axes.size(); ++a)
        params += (a ? " " : "") + spec->axes[a].path + "=" + (*configurations)[c].values[a];
      std::printf("%-5zu %-7zu %-14s %-14s %s\n", k + 1, c,
                  cell(replay::in_sample_value(table, c)).c_str(),
                  plan->folds.empty() ? "" : cell(replay::out_of_sample_value(table, c)).c_str(),
                  params.c_str());
    }
  }
  if (refused) {
    std::fprintf(stderr,
                 "botengine sweep: %zu runs whose config the engine refused (no bot "
                 "was created); their rows are empty\n",
                 refused);
  }
  if (!out_prefix.empty()) {
    for (const auto& [suffix, content] : {std::pair{".csv", replay::sweep_csv(table)},
                                          std::pair{".json", replay::sweep_json(table) + "\n"},
                                          std::pair{".html", replay::sweep_html(table)}}) {
      if (!write_file(out_prefix + suffix, content))
        return fail("cannot write " + out_prefix + suffix);
    }
    std::printf("results: %s.csv, %s.json, %s.html\n", out_prefix.c_str(), out_prefix.c_str(),
                out_prefix.c_str());
  }
  return kExitOk;
}

}  // namespace be::cli
