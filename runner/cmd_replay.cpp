// `botengine replay`: runs recorded inputs through the engine's fold on one thread as fast as
// the CPU allows (the same code `botengine run` uses), from a journal or from a raw capture.
//   DIR              a journal directory
//   --verify         re-derive every output and compare it, and the periodic state hashes,
//                    with the journal; print the first divergent record with both versions
//   --capture FILE   a feed capture (text or binary) through the real parsers instead
//                    (replay/capture_replay.hpp): instruments and paper venue from
//                    --config DEPLOYMENT.json, or derived from the capture's symbols
//   --bots FILE      a backtest: the recorded market with the bots in FILE (a JSON array of
//                    bot configs) instead of the recorded ones; the paper venue answers in
//                    process (replay/backtest.hpp); writes --report PREFIX.json and .html
// docs/CLI.md is the reference; exit codes: 0 ok, 1 divergence or bad input file, 2 usage.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "core/json_config.hpp"
#include "feed/capture.hpp"
#include "journal/reader.hpp"
#include "oms/venue.hpp"
#include "replay/backtest.hpp"
#include "replay/capture_replay.hpp"
#include "runner/cli.hpp"
#include "engine/engine.hpp"
#include "engine/fold.hpp"

namespace be::cli {

namespace {

constexpr const char* kUsage =
    "usage: botengine replay DIR [--verify] [--bots FILE --report PREFIX] [--quiet]\n"
    "       botengine replay --capture FILE [--config DEPLOYMENT.json] [--venue NAME]\n"
    "                        [--bots FILE --report PREFIX] [--quiet]\n"
    "  DIR             a journal directory (e.g. ./data/journal)\n"
    "  --verify        compare every re-derived output and state hash with the journal\n"
    "  --capture FILE  replay a feed capture (cryptofeed text or `capture record` binary)\n"
    "                  through the real parsers instead of a journal\n"
    "  --config FILE   with --capture: instruments and paper venue from this deployment\n"
    "                  config (default: derived from the capture's symbols)\n"
    "  --venue NAME    with --capture: the capture's venue when its name or header does not\n"
    "                  say (binance, binance_us, coinbase, kraken)\n"
    "  --bots FILE     backtest: replay the recorded market with these bot configs\n"
    "  --report PREFIX write PREFIX.json and PREFIX.html (with --bots)\n";

int usage(const std::string& why) {
  std::fprintf(stderr, "botengine replay: %s\n%s", why.c_str(), kUsage);
  return kExitUsage;
}

int fail(const std::string& why) {
  std::fprintf(stderr, "botengine replay: %s\n", why.c_str());
  return kExitFailure;
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

struct Options {
  std::string dir, capture, config_file, venue, bots_file, report_prefix;
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
    auto text = replay::read_text_file(o.config_file);
    if (!text) return fail(text.error());
    auto parsed = engine::parse_engine_config(*text);
    if (!parsed) return fail(o.config_file + ": " + config::format_errors(parsed.error()));
    config = std::move(*parsed);
  } else {
    auto derived = replay::derive_config(**file, venue);
    if (!derived) return fail(o.capture + ": " + derived.error());
    config = std::move(*derived);
  }

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

int replay_journal(const Options& o, std::vector<std::string> bots) {
  auto reader = journal::Reader::open(o.dir);
  if (!reader) return fail(reader.error().message);
  // The deployment config is the journal's first blob of kind kEngineConfigBlobKind.
  engine::EngineConfig config;
  journal::RecordView view;
  for (int k = 0; k < 16; ++k) {
    if ((*reader)->next(view) != journal::ReadStatus::kRecord) break;
    if (view.type == EventType::kBlob && view.blob_kind == engine::kEngineConfigBlobKind) {
      const std::string_view text(reinterpret_cast<const char*>(view.payload.data()),
                                  view.payload.size());
      auto parsed = engine::parse_engine_config(text);
      if (!parsed) {
        return fail("the journal's config: " + config::format_errors(parsed.error()));
      }
      config = std::move(*parsed);
      break;
    }
  }
  (*reader)->seek(1);
  const bool backtesting = !o.bots_file.empty();
  // A backtest answers orders in process; a replay of the recorded bots drops the paper
  // venue's answers because the journal holds them as inputs.
  std::optional<replay::Backtest> backtest;
  if (backtesting) backtest.emplace(config, std::move(bots), true);
  oms::DiscardResponses discard;
  const engine::InstrumentTable instruments(config.instruments);
  const auto balances = engine::paper_balances(config, instruments);
  engine::Fold fold(engine::fold_config(config, balances), discard);

  const auto started = std::chrono::steady_clock::now();
  SequenceNumber ordinal = 0;
  std::uint64_t derived = 0, compared = 0, hashes_checked = 0;
  std::vector<Event> produced;
  std::size_t next_produced = 0;
  for (;;) {
    const auto status = (*reader)->next(view);
    if (status == journal::ReadStatus::kEnd) break;
    if (status == journal::ReadStatus::kError) return fail((*reader)->error().message);
    Event e;
    if (auto err = journal::decode(view, e); !err.ok()) return fail(err.message);
    if (backtesting) {
      // Only the market (and reference data, time) from the recording.
      if (replay::Backtest::is_market(e)) backtest->market(e);
      continue;
    }
    if (!e.derived()) {
      if (o.verify && next_produced < produced.size()) {
        std::printf("divergence before journal record %" PRIu64
                    ": the replay derived %zu more record(s) for the previous input, first: %s\n",
                    view.sequence, produced.size() - next_produced,
                    std::string(to_string(produced[next_produced].header.type)).c_str());
        return kExitFailure;
      }
      const auto records = fold.apply(e, ++ordinal);
      produced.assign(records.begin() + 1, records.end());
      next_produced = 0;
      continue;
    }
    ++derived;
    if (!o.verify) continue;
    if (e.header.type == EventType::kStateHash) {
      const auto recorded = e.as<StateHash>();
      const engine::StateHashes mine = fold.hashes();
      ++hashes_checked;
      if (recorded.combined != mine.combined) {
        std::printf("state hash divergence at journal record %" PRIu64 " (input %" PRIu64
                    "):\n  journal: strategy %016" PRIx64 " risk %016" PRIx64 " orders %016" PRIx64
                    "\n  replay:  strategy %016" PRIx64 " risk %016" PRIx64 " orders %016" PRIx64
                    "\n",
                    view.sequence, ordinal, recorded.strategy, recorded.risk, recorded.orders,
                    mine.strategy, mine.risk, mine.orders);
        return kExitFailure;
      }
      continue;
    }
    if (next_produced >= produced.size()) {
      std::printf("divergence at journal record %" PRIu64
                  ": the journal has a derived %s the "
                  "replay did not produce\n  journal: %s\n",
                  view.sequence, std::string(to_string(e.header.type)).c_str(),
                  hex(e.payload).c_str());
      return kExitFailure;
    }
    const Event& mine = produced[next_produced++];
    ++compared;
    if (mine.header.type != e.header.type || mine.header.flags != e.header.flags ||
        std::memcmp(mine.payload.data(), e.payload.data(), e.payload.size()) != 0) {
      std::printf("divergence at journal record %" PRIu64 " (input %" PRIu64
                  ")\n  journal: %s flags %u %s\n"
                  "  replay:  %s flags %u %s\n",
                  view.sequence, ordinal, std::string(to_string(e.header.type)).c_str(),
                  e.header.flags, hex(e.payload).c_str(),
                  std::string(to_string(mine.header.type)).c_str(), mine.header.flags,
                  hex(mine.payload).c_str());
      return kExitFailure;
    }
  }
  const double seconds = seconds_since(started);
  const std::uint64_t inputs = backtesting ? backtest->inputs() : ordinal;
  if (!o.quiet) {
    std::printf("replayed %" PRIu64 " inputs (%" PRIu64
                " derived records in the journal) in %.3f s: "
                "%.0f inputs/s\n",
                inputs, derived, seconds, rate(inputs, seconds));
    std::printf("state hash %016" PRIx64 "\n",
                (backtesting ? backtest->fold() : fold).hashes().combined);
  }
  if (o.verify) {
    std::printf("verified: %" PRIu64 " derived records and %" PRIu64
                " state hashes match the journal\n",
                compared, hashes_checked);
  }
  if (!backtesting) return kExitOk;
  return finish_backtest(*backtest, o.report_prefix, o.quiet);
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
