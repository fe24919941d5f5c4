// `botengine replay`: runs recorded inputs through the engine's fold on one thread as fast as
// the CPU allows (the same code `botengine run` uses), from a journal or from a raw capture.
//   DIR              a journal directory
//   --verify         re-derive every output and compare it, and the periodic state hashes,
//                    with the journal; print the first divergent record with both versions
//   --archive DIR    also read the segments retention archived there (decompressed into
//                    --scratch DIR, default DIR/scratch); without it a journal whose first
//                    segments were retired replays from the oldest snapshot it still holds
//   --capture FILE   a feed capture (text or binary) through the real parsers instead
//                    (replay/capture_replay.hpp): instruments and paper venue from
//                    --config DEPLOYMENT.json, or derived from the capture's symbols
//   --bots FILE      a backtest: the recorded market with the bots in FILE (one bot config
//                    or a JSON array of them) instead of the recorded ones; the paper venue
//                    answers in process (replay/backtest.hpp); writes --report PREFIX.json
//                    and .html. A bot whose symbol the recording lacks is named with the
//                    symbols it has; when no bot can trade, the backtest is refused
// docs/CLI.md is the reference; exit codes: 0 ok, 1 divergence or bad input file, 2 usage.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "core/file_read.hpp"
#include "core/json_config.hpp"
#include "engine/engine.hpp"
#include "engine/fold.hpp"
#include "engine/journal_check.hpp"
#include "engine/journal_replayer.hpp"
#include "feed/capture.hpp"
#include "journal/reader.hpp"
#include "oms/venue.hpp"
#include "replay/backtest.hpp"
#include "replay/capture_replay.hpp"
#include "runner/cli.hpp"
#include "runner/plugin_loader.hpp"
#include "strategies/plugin/catalog.hpp"

namespace be::cli {

namespace {

constexpr const char* kUsage =
    "usage: botengine replay DIR [--verify] [--archive DIR [--scratch DIR]]\n"
    "                        [--bots FILE --report PREFIX] [--quiet]\n"
    "       botengine replay --capture FILE [--config DEPLOYMENT.json] [--venue NAME]\n"
    "                        [--bots FILE --report PREFIX] [--quiet]\n"
    "  DIR             a journal directory (e.g. ./data/journal)\n"
    "  --verify        compare every re-derived output and state hash with the journal\n"
    "  --archive DIR   also replay the segments retention archived to DIR (decompressed\n"
    "                  one at a time into --scratch DIR, default DIR/scratch); without it a\n"
    "                  journal whose first segments were retired replays from the oldest\n"
    "                  snapshot it still holds\n"
    "  --capture FILE  replay a feed capture (cryptofeed text or `capture record` binary)\n"
    "                  through the real parsers instead of a journal\n"
    "  --config FILE   with --capture: instruments and paper venue from this deployment\n"
    "                  config (default: derived from the capture's symbols)\n"
    "  --venue NAME    with --capture: the capture's venue when its name or header does not\n"
    "                  say (binance, binance_us, coinbase, kraken)\n"
    "  --bots FILE     backtest: replay the recorded market with these bot configs (one\n"
    "                  config or a JSON array of them)\n"
    "  --report PREFIX write PREFIX.json and PREFIX.html (with --bots)\n";

constexpr cli::Usage usage{"replay", kUsage};

int fail(std::string_view why) {
  return usage.failed(why);
}

std::string hex(std::span<const std::byte> bytes) {
  std::string s;
  char b[3];
  for (std::byte x : bytes) {
    std::snprintf(b, sizeof b, "%02x", static_cast<unsigned>(x));
    s += b;
  }
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point started) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

double rate(std::uint64_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0.0;
}

// The end of every backtest, journal or capture: the report printed and written.
int finish_backtest(const replay::Backtest& backtest, const std::string& report_prefix,
                    bool quiet) {
  if (!quiet) std::printf("%s\n", backtest.report_json().c_str());
  if (!report_prefix.empty()) {
    if (auto error = backtest.write_report(report_prefix)) return fail(*error);
    std::printf("report: %s.json, %s.html\n", report_prefix.c_str(), report_prefix.c_str());
  }
  return kExitOk;
}

// Names every bot that trades a symbol the recording lacks (with the symbols it has): its
// report would stay empty without a word. False when no bot can trade at all.
bool check_bots_have_market(const engine::EngineConfig& config,
                            const std::vector<std::string>& bots, std::string_view what) {
  const auto missing = replay::bots_without_market(config, bots);
  for (const replay::BotWithoutMarket& bot : missing) {
    std::fprintf(stderr, "botengine replay: warning: %s\n",
                 replay::describe(bot, config, what).c_str());
  }
  return bots.empty() || missing.size() < bots.size();
}

constexpr const char* kNoBotCanTrade =
    "no bot trades a symbol this recording has: nothing to backtest";

struct Options {
  std::string dir, capture, config_file, venue, bots_file, report_prefix, archive, scratch;
  bool verify = false, quiet = false;
};

int replay_capture(const Options& o, std::vector<std::string> bots) {
  auto file = replay::CaptureFile::open(o.capture);
  if (!file) return fail(file.error());
  feed::Venue venue = (*file)->venue();
  if (!o.venue.empty()) {
    venue = feed::venue_from_name(o.venue);
    if (venue == feed::Venue::kUnknown) return usage("unknown venue " + o.venue);
  }
  if (venue == feed::Venue::kUnknown) {
    return fail("cannot tell the venue of " + o.capture + " from its name; pass --venue");
  }
  engine::EngineConfig config;
  if (!o.config_file.empty()) {
    auto text = read_file(o.config_file);
    if (!text) return fail(text.error());
    auto parsed = engine::parse_engine_config(*text);
    if (!parsed) return fail(o.config_file + ": " + config::format_errors(parsed.error()));
    config = std::move(*parsed);
    if (auto plugins = install_plugins(*text, o.config_file); !plugins)
      return fail(plugins.error());
  } else {
    auto derived = replay::derive_config(**file, venue);
    if (!derived) return fail(o.capture + ": " + derived.error());
    config = std::move(*derived);
  }

  if (!check_bots_have_market(config, bots, "the capture")) return fail(kNoBotCanTrade);
  replay::Backtest backtest(config, std::move(bots), !o.bots_file.empty());
  const auto started = std::chrono::steady_clock::now();
  auto stats = replay::feed_capture(**file, venue, config,
                                    [&backtest](const Event& e) { backtest.market(e); });
  const double seconds = seconds_since(started);
  if (!stats) return fail(stats.error());

  const feed::FeedStats& f = stats->feed;
  if (!o.quiet) {
    std::printf("replayed %" PRIu64 " inputs from %" PRIu64
                " capture records in %.3f s: "
                "%.0f inputs/s\n",
                backtest.inputs(), stats->records, seconds, rate(backtest.inputs(), seconds));
    std::printf("  %zu instruments%s, %" PRIu64 " market events, %" PRIu64 " clock ticks, %" PRIu64
                " connects, %" PRIu64 " disconnects\n",
                config.instruments.size(), o.config_file.empty() ? " (derived)" : "",
                stats->market_events, stats->ticks, stats->connects, stats->disconnects);
    std::printf("state hash %016" PRIx64 "\n", backtest.fold().hashes().combined);
  }
  // What was not replayed is always said: a silent skip would read as a clean replay.
  std::printf("skipped: %" PRIu64 " rejected messages, %" PRIu64 " bad lines, %" PRIu64
              " not market data, %" PRIu64 " without a time, %" PRIu64 " time jumps\n",
              f.rejected(), stats->bad_lines, stats->not_parsed, stats->untimed, stats->time_jumps);
  for (std::size_t r = 1; r < feed::kRejectReasonCount; ++r) {
    if (f.by_reject[r] == 0) continue;
    const auto name = feed::to_string(static_cast<feed::RejectReason>(r));
    std::printf("  rejected %-26.*s %" PRIu64 "\n", static_cast<int>(name.size()), name.data(),
                f.by_reject[r]);
  }
  if (!stats->tail.empty()) std::printf("  capture tail: %s\n", stats->tail.c_str());
  if (!backtest.reporting()) return kExitOk;
  return finish_backtest(backtest, o.report_prefix, o.quiet);
}

// --verify's report of the first divergence, both versions (docs/CLI.md).
void print_divergence(const engine::ReplayDivergence& d) {
  using engine::ReplayDifference;
  const std::string journaled(to_string(d.journaled.header.type));
  const std::string replayed(to_string(d.replayed.header.type));
  switch (d.what) {
    case ReplayDifference::kNone:
      return;
    case ReplayDifference::kExtra:
      std::printf("divergence before journal record %" PRIu64
                  ": the replay derived %zu more record(s) for the previous input, first: %s\n",
                  d.sequence, d.extra, replayed.c_str());
      return;
    case ReplayDifference::kMissing:
      std::printf("divergence at journal record %" PRIu64
                  ": the journal has a derived %s the "
                  "replay did not produce\n  journal: %s\n",
                  d.sequence, journaled.c_str(), hex(d.journaled.payload).c_str());
      return;
    case ReplayDifference::kStateHash: {
      const auto recorded = d.journaled.as<StateHash>();
      const auto mine = d.replayed.as<StateHash>();
      std::printf("state hash divergence at journal record %" PRIu64 " (input %" PRIu64
                  "):\n  journal: strategy %016" PRIx64 " risk %016" PRIx64 " orders %016" PRIx64
                  "\n  replay:  strategy %016" PRIx64 " risk %016" PRIx64 " orders %016" PRIx64
                  "\n",
                  d.sequence, d.input, recorded.strategy, recorded.risk, recorded.orders,
                  mine.strategy, mine.risk, mine.orders);
      return;
    }
    case ReplayDifference::kType:
    case ReplayDifference::kFlags:
    case ReplayDifference::kPayload:
      std::printf("divergence at journal record %" PRIu64 " (input %" PRIu64
                  ")\n  journal: %s flags %u %s\n"
                  "  replay:  %s flags %u %s\n",
                  d.sequence, d.input, journaled.c_str(), d.journaled.header.flags,
                  hex(d.journaled.payload).c_str(), replayed.c_str(), d.replayed.header.flags,
                  hex(d.replayed.payload).c_str());
      return;
  }
}

int replay_journal(const Options& o, std::vector<std::string> bots) {
  auto reader = journal::Reader::open(o.dir, journal::ReaderOptions{o.archive, o.scratch});
  if (!reader) return fail(reader.error().message);
  // The deployment the journal recorded (none: the defaults), and where the replay starts.
  auto start = engine::plan_replay(**reader);
  if (!start) return fail(start.error());
  const engine::EngineConfig& config = start->config;
  // The plugins the recorded deployment names; a bot journaled with another build of one is
  // refused with both hashes (strategies/plugin/plugin_bot.hpp) and stops the replay.
  if (auto plugins = install_plugins(config.source_text, "the journal's deployment config");
      !plugins) {
    return fail(plugins.error());
  }
  for (SequenceNumber damaged : start->damaged_snapshots) {
    std::printf("warning: the snapshot at sequence %" PRIu64 " is damaged and was skipped\n",
                damaged);
  }
  if (start->snapshot != 0) {
    // Said every time: a replay that did not start at the beginning must never read as one.
    std::printf("records before %" PRIu64
                " were retired (archived or deleted): replaying from the snapshot at sequence "
                "%" PRIu64 " (--archive DIR replays them)\n",
                start->first_record, start->snapshot);
  }

  if (!o.bots_file.empty()) {
    // A backtest: only the recording's market, with other bots, in the backtest's own fold.
    if (!check_bots_have_market(config, bots, "the journal")) return fail(kNoBotCanTrade);
    replay::Backtest backtest(config, std::move(bots), true);
    const auto started = std::chrono::steady_clock::now();
    auto fed = replay::feed_journal(**reader, backtest);
    if (!fed) return fail(fed.error());
    if (auto refused = plugin::take_refused_build()) return fail(*refused);
    const double seconds = seconds_since(started);
    if (!o.quiet) {
      // The journal's derived records are the recorded bots': none of them is replayed.
      std::printf("replayed %" PRIu64
                  " inputs (0 derived records in the journal) in %.3f s: %.0f inputs/s\n",
                  backtest.inputs(), seconds, rate(backtest.inputs(), seconds));
      std::printf("state hash %016" PRIx64 "\n", backtest.fold().hashes().combined);
    }
    return finish_backtest(backtest, o.report_prefix, o.quiet);
  }

  // A replay of the recorded bots drops the paper venue's answers: the journal holds them as
  // inputs.
  oms::DiscardResponses discard;
  const engine::InstrumentTable instruments(config.instruments);
  const auto balances = engine::paper_balances(config, instruments);
  engine::Fold fold(engine::fold_config(config, balances), discard);
  if (start->snapshot != 0) {
    if (auto restored = engine::restore_snapshot(**reader, start->snapshot, fold); !restored) {
      if (auto refused = plugin::take_refused_build()) return fail(*refused);
      return fail(restored.error());
    }
  }
  engine::JournalReplayer::Options options;
  options.compare = o.verify;
  options.stop_at_divergence = true;
  engine::JournalReplayer replayer(**reader, &fold, options);
  const auto started = std::chrono::steady_clock::now();
  const auto replayed = replayer.run(start->snapshot + 1);
  if (!replayed) return fail(replayed.error());
  if (auto refused = plugin::take_refused_build()) return fail(*refused);
  if (replayed->first_divergence) {
    print_divergence(*replayed->first_divergence);
    return kExitFailure;
  }
  const double seconds = seconds_since(started);
  const engine::ReplayCounts& n = replayed->counts;
  if (!o.quiet) {
    std::printf("replayed %" PRIu64 " inputs (%" PRIu64
                " derived records in the journal) in %.3f s: "
                "%.0f inputs/s\n",
                n.inputs, n.derived, seconds, rate(n.inputs, seconds));
    std::printf("state hash %016" PRIx64 "\n", fold.hashes().combined);
  }
  if (o.verify) {
    // What `run` would restore from: every snapshot, against the state it records.
    const auto snapshots = engine::check_snapshots(**reader, config);
    if (!snapshots) return fail(snapshots.error());
    std::printf("verified: %" PRIu64 " derived records and %" PRIu64
                " state hashes match the journal\n",
                n.compared, n.hashes_checked);
    std::printf("verified: %" PRIu64 " snapshots restore to the state they record\n",
                snapshots->snapshots);
  }
  return kExitOk;
}

}  // namespace

int run_replay(Args args) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    } else if (a == "--verify") {
      o.verify = true;
    } else if (a == "--quiet") {
      o.quiet = true;
    } else if (a == "--bots" && has_value) {
      o.bots_file = std::string(args[++i]);
    } else if (a == "--report" && has_value) {
      o.report_prefix = std::string(args[++i]);
    } else if (a == "--capture" && has_value) {
      o.capture = std::string(args[++i]);
    } else if (a == "--archive" && has_value) {
      o.archive = std::string(args[++i]);
    } else if (a == "--scratch" && has_value) {
      o.scratch = std::string(args[++i]);
    } else if (a == "--config" && has_value) {
      o.config_file = std::string(args[++i]);
    } else if (a == "--venue" && has_value) {
      o.venue = std::string(args[++i]);
    } else if (!a.empty() && a[0] != '-' && o.dir.empty()) {
      o.dir = std::string(a);
    } else {
      return usage("unknown argument " + std::string(a));
    }
  }
  const bool capture = !o.capture.empty();
  if (capture && !o.dir.empty()) return usage("a journal DIR or --capture FILE, not both");
  if (!capture && o.dir.empty()) return usage("which journal? give its directory");
  if (!capture && (!o.config_file.empty() || !o.venue.empty())) {
    return usage("--config and --venue go with --capture (a journal records its config)");
  }
  if (capture && !o.archive.empty()) return usage("--archive goes with a journal DIR");
  if (!o.scratch.empty() && o.archive.empty()) return usage("--scratch goes with --archive");
  if (capture && o.verify) {
    return usage("--verify compares with a journal's derived records; a capture has none");
  }
  if (!o.bots_file.empty() && o.verify)
    return usage("--verify checks a replay of the recorded bots; drop --bots");
  if (!o.report_prefix.empty() && o.bots_file.empty()) return usage("--report needs --bots");

  std::vector<std::string> bots;
  if (!o.bots_file.empty()) {
    auto loaded = replay::load_bot_configs(o.bots_file);
    if (!loaded) return fail(loaded.error());
    bots = std::move(*loaded);
  }
  return capture ? replay_capture(o, std::move(bots)) : replay_journal(o, std::move(bots));
}

}  // namespace be::cli
