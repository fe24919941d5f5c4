// `botengine bench`: the end-to-end latency harness (docs/BENCHMARKS.md, "End-to-end
// harness"), and `botengine bench compare` for paired A/B result files.
//
//   bench run [--pipeline engine|parser] [--feed inject|sim-ws|sim-ws-uring[-wait]]
//             [--rate N] [--duration S] [--warmup S]
//             [--topology fused|pipelined] [--idle spin|yield|backoff]
//             [--journal off|async|durable] [--seed N] [--venue paper|live-sim] [--accounts N]
//             [--out DIR] [--data-dir DIR]
//   bench compare [--threshold F] [--fail-on-slower] A1.json B1.json [A2.json B2.json ...]
//
// `run` injects Binance trade/bookTicker frames (bench/harness/wire_gen.hpp) open-loop at
// --rate through the real pipeline: Engine::offer_frame parses each on this thread and
// offers it to the ingress; the engine's LatencyProbe reports each input's stage stamps,
// recorded from the frame's intended send time (bench/harness/injector.hpp explains the
// coordinated-omission correction). `--pipeline parser` runs the feed parser alone.
// `--feed sim-ws` sends the same frames from the simulator over loopback WebSocket instead
// (bench/harness/sim_feed.hpp): net::WsClient's I/O thread receives, parses and offers them,
// as a live venue connection does; `sim-ws-uring` receives with the io_uring client
// (net/uring/ws_client.hpp) polled by the engine's pipeline thread itself, which parses and
// folds each frame with no hop (engine/polled_feed.hpp; `--pipeline parser`: a polling
// thread of its own); `sim-ws-uring-wait` on a thread of its own sleeping in the kernel.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runner/cli.hpp"

#if defined(BE_HAVE_BENCH_HARNESS)
#include "bench/harness/compare.hpp"
#include "bench/harness/injector.hpp"
#include "bench/harness/parser_pipeline.hpp"
#include "bench/harness/results.hpp"
#include "bench/harness/sim_feed.hpp"
#include "bench/harness/wire_gen.hpp"
#endif
#if defined(BE_BENCH_HAVE_ENGINE)
#include "bench/harness/bench_accounts.hpp"
#include "bench/harness/engine_fixture.hpp"
#include "bench/harness/engine_probe.hpp"
#include "bench/harness/live_sim_bench.hpp"
#include "bench/harness/polled_sim_feed.hpp"
#include "bench/harness/scale_workload.hpp"
#include "engine/engine.hpp"
#endif

namespace be::cli {

#if !defined(BE_HAVE_BENCH_HARNESS)

int run_bench(Args) {
  std::fprintf(stderr,
               "botengine bench: this build has no harness (configure with BE_BUILD_BENCH=ON "
               "or BE_BUILD_TESTS=ON)\n");
  return kExitFailure;
}

#else

namespace {

constexpr const char* kUsage =
    "usage: botengine bench run [--pipeline engine|parser]\n"
    "                           [--feed inject|sim-ws|sim-ws-uring|sim-ws-uring-wait]\n"
    "                           [--rate N] [--duration S]\n"
    "                           [--warmup S] [--topology fused|pipelined]\n"
    "                           [--idle spin|yield|backoff]\n"
    "                           [--journal off|async|durable] [--seed N] [--out DIR]\n"
    "                           [--data-dir DIR] [--bots N] [--venue paper|live-sim]\n"
    "                           [--accounts N] [--instruments M [--inputs K]]\n"
    "       botengine bench compare [--threshold F] [--fail-on-slower] A1 B1 [A2 B2 ...]\n"
    "\n"
    "run: open-loop injection of Binance frames at a fixed rate through the real pipeline;\n"
    "     per-stage and tick-to-order latency percentiles from each frame's intended send\n"
    "     time. Writes DIR/result.json, result.txt, latency.svg, manifest.json (default\n"
    "     DIR: ./bench-out). Defaults: engine, 100000/s, 10 s after 2 s warm-up, fused,\n"
    "     idle spin (each stage thread burns a core: pipelined needs 4 cores for that;\n"
    "     use yield on fewer), journal off, seed 1, 4 bots (grid, DCA, RSI, market maker\n"
    "     cycling; bench/harness/engine_fixture.hpp), venue paper. --venue live-sim: the bots\n"
    "     on a live account through the Binance gateway over TLS to the simulator's\n"
    "     exchange on loopback; orders = tick-to-wire (until SSL_write returned).\n"
    "     --accounts N: the bots on N paper accounts of one user, made by command (bot i on\n"
    "     account i mod N); default: all on the deployment's default account.\n"
    "     --instruments M: the scale workload instead (bench/harness/scale_workload.hpp):\n"
    "     --bots N mixed bots over M instruments drawn from --seed, a skewed market of K\n"
    "     inputs (default 1000000) through the fold alone, timed per input; writes\n"
    "     DIR/scale.json.\n"
    "     --feed sim-ws: the frames come from the simulator over loopback WebSocket, each\n"
    "     sent at its intended time, received by the WebSocket client's I/O thread (the\n"
    "     kernel, both WebSocket layers and the parser included; series sender_lag is the\n"
    "     sender's own lateness). --feed sim-ws-uring: received instead by the io_uring\n"
    "     client (net/uring) polled by the engine's pipeline thread, which parses and folds\n"
    "     each frame there (ingest without a hop; --pipeline parser: a polling thread of its\n"
    "     own); sim-ws-uring-wait: a thread of its own sleeps in the kernel until data\n"
    "     arrives (the Beast client's wake-up model) and offers to the ingress.\n"
    "compare: result files of alternating runs (A B A B ...; botengine bench JSON or Google\n"
    "     Benchmark JSON); per-metric median of the per-pair ratios B/A with min, quartiles\n"
    "     and max. --fail-on-slower exits 1 when a metric is slower beyond the threshold\n"
    "     (default 0.05).\n";

constexpr cli::Usage usage{"bench", kUsage};

bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  const std::string text(s);
  out = std::strtoull(text.c_str(), &end, 10);
  return end && *end == '\0' && text[0] != '-';
}

bool parse_double(std::string_view s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  const std::string text(s);
  out = std::strtod(text.c_str(), &end);
  return end && *end == '\0' && out >= 0;
}

struct RunOptions {
  std::string pipeline = "engine";
  std::string feed = "inject";
  std::uint64_t rate = 100'000;
  double duration_s = 10;
  double warmup_s = 2;
  std::string topology = "fused";
  std::string idle = "spin";
  std::string journal = "off";
  std::uint64_t seed = 1;
  std::string out = "./bench-out";
  std::string data_dir;
  std::size_t bots = 4;
  std::string venue = "paper";
  std::size_t accounts = 0;     // 0: the bots in the config, on the default account
  std::size_t instruments = 0;  // > 0: the scale workload
  std::uint64_t inputs = 1'000'000;
};

// What every pipeline returns: counters beyond the recorder's histograms.
struct PipelineCounts {
  std::uint64_t refused = 0;
  std::uint64_t orders = 0;
};

std::vector<std::pair<std::string, const bench::Histogram*>> plot_series(
    const bench::LatencyRecorder& rec) {
  std::vector<std::pair<std::string, const bench::Histogram*>> out;
  for (std::size_t i = 0; i < rec.names().size(); ++i)
    out.emplace_back(rec.names()[i], &rec.series(i));
  return out;
}

int write_outputs(const RunOptions& o, const bench::RunResult& result,
                  const bench::LatencyRecorder& rec) {
  if (!make_directory("bench", o.out)) return kExitFailure;
  const std::string table = bench::to_table(result);
  char title[160];
  std::snprintf(title, sizeof title, "%s %s journal=%s %llu msgs/s (%s)", o.pipeline.c_str(),
                o.topology.c_str(), o.journal.c_str(), static_cast<unsigned long long>(o.rate),
                result.manifest.date_utc.c_str());
  std::string error;
  const std::filesystem::path dir(o.out);
  if (!bench::write_file((dir / "result.json").string(), bench::to_json(result), error) ||
      !bench::write_file((dir / "result.txt").string(), table, error) ||
      !bench::write_file((dir / "latency.svg").string(), bench::to_svg(plot_series(rec), title),
                         error) ||
      !bench::write_file((dir / "manifest.json").string(), bench::to_json(result.manifest),
                         error)) {
    std::fprintf(stderr, "botengine bench: %s\n", error.c_str());
    return kExitFailure;
  }
  std::fputs(table.c_str(), stdout);
  std::printf("wrote %s/{result.json,result.txt,latency.svg,manifest.json}\n", o.out.c_str());
  return kExitOk;
}

std::uint64_t message_count(const RunOptions& o) {
  return static_cast<std::uint64_t>(static_cast<double>(o.rate) * (o.duration_s + o.warmup_s));
}

Nanos warmup_ns(const RunOptions& o) {
  return static_cast<Nanos>(o.warmup_s * 1e9);
}

// --feed sim-ws: the schedule's frames from the simulator over loopback WebSocket into
// offer(frame, receive_time, intended) on the client's I/O thread (wall-clock times). The
// sender's lag joins the results as a series; a run whose frames could not all be matched
// to their schedule slots fails with the reason in `error`.
// attach (engine, sim-ws-uring): the caller polls the feed (the engine's pipeline thread);
// attach(&feed) once it started, attach(nullptr) before it stops.
template <class Offer>
bench::InjectorStats feed_from_sim(const RunOptions& o, bench::LatencyRecorder& rec,
                                   bench::RunResult& result, std::string& error, Offer&& offer,
                                   const std::function<void(bench::SimWsFeed*)>& attach = {}) {
  bench::SimFeedConfig config;
  config.rate = o.rate;
  config.count = message_count(o);
  config.measure_from_offset = warmup_ns(o);
  config.wire.seed = o.seed;
  config.client = o.feed == "sim-ws" ? bench::FeedClient::kBeast : bench::FeedClient::kUring;
  // The polling thread idles as --idle says; sim-ws-uring-wait sleeps in the kernel instead.
  config.idle = o.feed == "sim-ws-uring-wait" ? "wait" : o.idle == "spin" ? "busy_spin" : o.idle;
  config.poll_in_caller = static_cast<bool>(attach);
  bench::SimWsFeed feed(config, offer);
  rec.set_measure_from(feed.schedule().start + warmup_ns(o));
  if (auto started = feed.start(); !started) {
    error = started.error();
    return {};
  }
  if (attach) attach(&feed);
  const auto run = static_cast<Nanos>((o.duration_s + o.warmup_s) * 1e9);
  result.manifest.before = bench::sample_system();
  const bool done = feed.wait_done(run + 30'000'000'000);
  result.manifest.after = bench::sample_system();
  result.manifest.threads = bench::observe_threads();  // while the feed's threads still run
  if (attach) attach(nullptr);
  feed.stop();
  const bench::SimFeedResult r = feed.result();
  error = !r.error.empty() ? r.error : done ? "" : "the run did not finish within 30 s of its end";
  result.series.push_back(bench::summarize("sender_lag", feed.sender_lag()));
  result.series.push_back(bench::summarize("wire", feed.wire()));
  return r.sender;
}

// Runs the schedule through `offer`; the wire generator is fed the intended time as the
// frame's event time so Binance's "E" moves with the schedule.
// The manifest gets the threads' placement as it was during the run, and the steal time and
// load around it.
template <class Clock, class Offer>
bench::InjectorStats inject(const RunOptions& o, Clock& clock, bench::LatencyRecorder& rec,
                            bench::Manifest& manifest, Offer&& offer) {
  bench::WireGenerator gen(bench::WireGenConfig{.seed = o.seed});
  std::string frame;
  frame.reserve(512);
  const auto count = message_count(o);
  // Start a little ahead so the first intended time is not already late.
  const bench::Schedule schedule{.start = clock.now() + 1'000'000, .rate = o.rate};
  rec.set_measure_from(schedule.start + static_cast<Nanos>(o.warmup_s * 1e9));
  manifest.before = bench::sample_system();
  const auto stats =
      bench::run_open_loop(clock, schedule, count, [&](std::uint64_t, Nanos intended) {
        gen.next(intended, frame);
        offer(frame, intended);
      });
  manifest.after = bench::sample_system();
  manifest.threads = bench::observe_threads();
  return stats;
}

// A run whose feed failed (frames not matched to their slots) exits non-zero with why.
int finish(int rc, const std::string& feed_error) {
  if (feed_error.empty()) return rc;
  std::fprintf(stderr, "botengine bench: the feed failed: %s\n", feed_error.c_str());
  return kExitFailure;
}

int run_parser(const RunOptions& o, bench::RunResult& result) {
  const bool socket = o.feed != "inject";
  // From the socket: "received" (the client's read completed) before "parse".
  std::vector<std::string> stages = bench::parser_pipeline_stages();
  if (socket) stages.insert(stages.begin(), "received");
  bench::LatencyRecorder rec(std::move(stages));
  bench::WireGenConfig gen_cfg;
  auto pipeline = bench::make_parser_pipeline(rec, gen_cfg.symbols,
                                              socket ? wall_now : monotonic_now, socket ? 1 : 0);
  std::string error;
  bench::InjectorStats stats;
  if (socket) {
    stats = feed_from_sim(o, rec, result, error,
                          [&](std::string_view frame, std::size_t, Nanos rx, Nanos intended) {
                            rec.on_stage(0, intended, rx);
                            pipeline->offer(frame, rx, intended);
                            rec.on_uncorrected(rx, wall_now(), intended);
                          });
  } else {
    bench::SteadyClock clock;
    stats = inject(o, clock, rec, result.manifest, [&](std::string_view frame, Nanos intended) {
      const Nanos sent = clock.now();
      pipeline->offer(frame, WallClock{}.now(), intended);
      rec.on_uncorrected(sent, clock.now(), intended);
    });
  }
  result.counts = {.sent = stats.sent,
                   .late = stats.late,
                   .max_lag_ns = stats.max_lag,
                   .measured = rec.series(0).count(),
                   .rejected = pipeline->rejected(),
                   .orders = 0};
  for (std::size_t i = 0; i < rec.names().size(); ++i) {
    result.series.insert(result.series.begin() + static_cast<std::ptrdiff_t>(i),
                         bench::summarize(rec.names()[i], rec.series(i)));
  }
  result.uncorrected = bench::summarize("uncorrected", rec.uncorrected());
  const int rc = write_outputs(o, result, rec);
  return finish(rc, error);
}

#if defined(BE_BENCH_HAVE_ENGINE)

int run_engine(const RunOptions& o, bench::RunResult& result) {
  const bool live = o.venue == "live-sim";  // bots created on the live account after start
  const bool by_command = live || o.accounts > 0;
  auto parsed = engine::parse_engine_config(bench::engine_config_json(by_command ? 0 : o.bots));
  if (!parsed) {
    std::fprintf(stderr, "botengine bench: the built-in bench config is invalid:\n");
    for (const auto& e : parsed.error()) {
      std::fprintf(stderr, "  %s: %s\n", e.field.c_str(), e.message.c_str());
    }
    return kExitFailure;
  }
  engine::EngineConfig config = std::move(*parsed);
  // Both words were checked against these names when the options were read.
  config.journal = engine::journal_mode_from(o.journal).value_or(engine::JournalMode::kDurable);
  config.topology = engine::topology_from(o.topology).value_or(engine::Topology::kFused);
  config.idle = o.idle;
  // Room for a backlog: an overloaded pipeline shows up as latency (and as late sends), and
  // only a backlog beyond 32,000 inputs (the ingress' ceiling) as refused offers.
  config.ingress_capacity = 32'000;
  // A fresh journal per run: recovery of an old one would replay it before the bench.
  config.data_dir =
      o.data_dir.empty() ? (std::filesystem::path(o.out) / "data").string() : o.data_dir;
  std::error_code ec;
  std::filesystem::remove_all(config.data_dir, ec);
  // The deployment default (policy auto): on 2 CPUs the pipeline thread has one to itself and
  // the injector (this thread) shares the other with the rest, as a feed thread would.
  engine::place_threads(config);
  result.manifest.placement_policy = to_string(config.threads.policy);
  bench::PolledSimFeed hot;  // --feed sim-ws-uring; outlives the engine's threads
  auto opened = engine::Engine::open(config);
  if (!opened) {
    std::fprintf(stderr, "botengine bench: %s\n", opened.error().c_str());
    return kExitFailure;
  }
  engine::Engine& eng = **opened;
  const WallClock wall_clock;  // outlives live_sim's gateway
  std::unique_ptr<bench::LiveSimBench> live_sim;
  if (live) {
    auto venue = bench::LiveSimBench::start_venue(wall_clock);
    if (!venue) {
      std::fprintf(stderr, "botengine bench: %s\n", venue.error().c_str());
      return kExitFailure;
    }
    live_sim = std::move(*venue);
    eng.attach_live_venues(live_sim.get());
  }
  bench::LatencyRecorder rec(bench::engine_stages());
  bench::EngineProbe probe(rec);
  eng.set_latency_probe(&probe);
  bench::offer_feed_connected(eng);
  if (auto started = eng.start(); !started) {
    std::fprintf(stderr, "botengine bench: %s\n", started.error().c_str());
    return kExitFailure;
  }
  if (by_command) {
    Expected<bool, std::string> up = true;
    if (live_sim) {
      up = live_sim->connect(eng, config, o.bots);
    } else if (auto made = bench::create_bench_accounts(eng, o.accounts,
                                                        R"("venue":"binance","mode":"paper")")) {
      up = bench::start_bench_bots(eng, *made, o.bots);
    } else {
      up = Unexpected(made.error());
    }
    if (!up) {
      std::fprintf(stderr, "botengine bench: %s\n", up.error().c_str());
      eng.stop();
      return kExitFailure;
    }
  }
  std::atomic<std::uint64_t> refused{0};  // the offering thread only; read after it stopped
  std::string error;
  bench::InjectorStats stats;
  if (o.feed == "sim-ws-uring") {  // the pipeline thread polls the socket (no hop)
    eng.set_polled_feed(0, &hot);
    stats = feed_from_sim(
        o, rec, result, error,
        [&](std::string_view frame, std::size_t readable, Nanos rx, Nanos intended) {
          hot.deliver(frame, readable, rx, intended);
        },
        [&](bench::SimWsFeed* feed) { feed ? hot.attach(feed) : hot.detach(); });
  } else if (o.feed != "inject") {
    stats = feed_from_sim(o, rec, result, error,
                          [&](std::string_view frame, std::size_t, Nanos rx, Nanos intended) {
                            if (!eng.offer_frame(0, frame, rx, intended))
                              refused.fetch_add(1, std::memory_order_relaxed);
                          });
  } else {
    bench::RealtimeClock clock;
    stats = inject(o, clock, rec, result.manifest, [&](std::string_view frame, Nanos intended) {
      if (!eng.offer_frame(0, frame, clock.now(), intended))
        refused.fetch_add(1, std::memory_order_relaxed);
    });
  }
  const bool drained = eng.drain(30'000'000'000);
  eng.set_latency_probe(nullptr);
  eng.stop();
  if (live_sim) {
    std::fputs(live_sim->report().c_str(), stdout);
    live_sim->stop();
  }
  if (!drained) std::fprintf(stderr, "botengine bench: the engine did not drain within 30 s\n");
  result.counts = {.sent = stats.sent,
                   .late = stats.late,
                   .max_lag_ns = stats.max_lag,
                   .measured = rec.series(bench::kOrders).count(),
                   .rejected = refused.load(),
                   .orders = probe.orders()};
  // Kept up: nothing refused, every frame folded, no backlog past kKeepUpSlack at the end.
  const bench::Throughput tp = probe.throughput();
  result.counts.sustained_per_s = tp.sustained;
  result.counts.catch_up_ns = tp.catch_up;
  result.counts.kept_up = drained && refused.load() == 0 && tp.inputs == stats.sent &&
                          tp.catch_up <= bench::kKeepUpSlack;
  std::size_t at = 0;  // the engine's series first, then the feed's (sender_lag) if any
  for (std::size_t i = 0; i < rec.names().size(); ++i) {
    if (i == bench::kJournaled && o.journal == "off") continue;
    result.series.insert(result.series.begin() + static_cast<std::ptrdiff_t>(at++),
                         bench::summarize(rec.names()[i], rec.series(i)));
  }
  result.uncorrected = bench::summarize("uncorrected", rec.uncorrected());
  const int rc = write_outputs(o, result, rec);
  return finish(rc != kExitOk ? rc : (drained ? kExitOk : kExitFailure), error);
}

// --instruments M: the scale workload through the fold (docs/BENCHMARKS.md "Scale").
int run_scale(const RunOptions& o) {
  const bench::ScaleOptions s{.bots = o.bots,
                              .instruments = o.instruments,
                              .seed = o.seed,
                              .market_inputs = o.inputs,
                              .warmup_inputs = std::max<std::uint64_t>(o.inputs / 5, 1000)};
  const bench::ScaleRun run = bench::run_scale(s);
  if (!run.error.empty()) {
    std::fprintf(stderr, "botengine bench: %s\n", run.error.c_str());
    return kExitFailure;
  }
  std::fputs(bench::scale_table(s, run.result).c_str(), stdout);
  std::string error;
  if (!make_directory("bench", o.out) ||
      !bench::write_file((std::filesystem::path(o.out) / "scale.json").string(),
                         bench::scale_json(s, run.result), error)) {
    std::fprintf(stderr, "botengine bench: %s\n", error.c_str());
    return kExitFailure;
  }
  std::printf("wrote %s/scale.json\n", o.out.c_str());
  return run.result.restore_same_hash && run.result.record_overflow == 0 ? kExitOk : kExitFailure;
}

#else

int run_scale(const RunOptions&) {
  std::fprintf(stderr, "botengine bench: this build has no engine (engine/)\n");
  return kExitFailure;
}

int run_engine(const RunOptions&, bench::RunResult&) {
  std::fprintf(stderr,
               "botengine bench: this build has no engine (engine/); use --pipeline parser\n");
  return kExitFailure;
}

#endif

int bench_run(Args args) {
  RunOptions o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    }
    if (i + 1 >= args.size()) return usage("missing value after " + std::string(a));
    const std::string_view v = args[++i];
    if (a == "--pipeline") {
      o.pipeline = v;
      if (o.pipeline != "engine" && o.pipeline != "parser")
        return usage("--pipeline engine|parser");
    } else if (a == "--feed") {
      o.feed = v;
      if (o.feed != "inject" && o.feed != "sim-ws" && o.feed != "sim-ws-uring" &&
          o.feed != "sim-ws-uring-wait") {
        return usage("--feed inject|sim-ws|sim-ws-uring|sim-ws-uring-wait");
      }
    } else if (a == "--rate") {
      if (!parse_u64(v, o.rate) || o.rate == 0 || o.rate > 100'000'000) {
        return usage("--rate takes messages per second in 1..100000000");
      }
    } else if (a == "--duration") {
      if (!parse_double(v, o.duration_s) || o.duration_s <= 0)
        return usage("--duration takes seconds > 0");
    } else if (a == "--warmup") {
      if (!parse_double(v, o.warmup_s)) return usage("--warmup takes seconds >= 0");
    } else if (a == "--topology") {
      o.topology = v;
      if (o.topology != "fused" && o.topology != "pipelined")
        return usage("--topology fused|pipelined");
    } else if (a == "--idle") {
      o.idle = v;
      if (o.idle != "spin" && o.idle != "yield" && o.idle != "backoff")
        return usage("--idle spin|yield|backoff");
    } else if (a == "--journal") {
      o.journal = v;
      if (o.journal != "off" && o.journal != "async" && o.journal != "durable") {
        return usage("--journal off|async|durable");
      }
    } else if (a == "--seed") {
      if (!parse_u64(v, o.seed)) return usage("--seed takes an unsigned integer");
    } else if (a == "--out") {
      o.out = v;
    } else if (a == "--data-dir") {
      o.data_dir = v;
    } else if (a == "--venue") {
      o.venue = v;
      if (o.venue != "paper" && o.venue != "live-sim") return usage("--venue paper|live-sim");
    } else if (a == "--accounts") {
      std::uint64_t n = 0;
      if (!parse_u64(v, n) || n == 0 || n > 1'000) return usage("--accounts takes 1..1000");
      o.accounts = static_cast<std::size_t>(n);
    } else if (a == "--bots") {
      std::uint64_t n = 0;
      if (!parse_u64(v, n) || n > 10'000) return usage("--bots takes a count in 0..10000");
      o.bots = static_cast<std::size_t>(n);
    } else if (a == "--instruments") {
      std::uint64_t n = 0;
      if (!parse_u64(v, n) || n == 0 || n > 10'000) return usage("--instruments takes 1..10000");
      o.instruments = static_cast<std::size_t>(n);
    } else if (a == "--inputs") {
      if (!parse_u64(v, o.inputs) || o.inputs == 0) return usage("--inputs takes a count > 0");
    } else {
      return usage("unknown option " + std::string(a));
    }
  }
  if (o.instruments > 0) return run_scale(o);
  if (o.pipeline == "parser" && (o.topology != "fused" || o.journal != "off")) {
    return usage("--pipeline parser has no topology or journal: leave them at fused/off");
  }
  bench::RunResult result;
  result.config = {.pipeline = o.venue == "live-sim" ? "engine/live-sim" : o.pipeline,
                   .feed = o.feed,
                   .topology = o.topology,
                   .idle = o.idle,
                   .journal = o.journal,
                   .rate = o.rate,
                   .duration_s = o.duration_s,
                   .warmup_s = o.warmup_s,
                   .seed = o.seed};
  result.manifest = bench::collect_manifest();
  return o.pipeline == "parser" ? run_parser(o, result) : run_engine(o, result);
}

int bench_compare(Args args) {
  double threshold = 0.05;
  bool fail_on_slower = false;
  std::vector<std::string> files;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    }
    if (a == "--threshold") {
      if (i + 1 >= args.size() || !parse_double(args[++i], threshold) || threshold >= 1) {
        return usage("--threshold takes a fraction in [0, 1)");
      }
    } else if (a == "--fail-on-slower") {
      fail_on_slower = true;
    } else {
      files.emplace_back(a);
    }
  }
  if (files.size() < 2 || files.size() % 2 != 0) {
    return usage("compare takes result files in A B pairs (A1 B1 A2 B2 ...)");
  }
  std::vector<std::pair<bench::Metrics, bench::Metrics>> pairs;
  for (std::size_t i = 0; i < files.size(); i += 2) {
    auto a = bench::load_metrics(files[i]);
    auto b = bench::load_metrics(files[i + 1]);
    if (!a || !b) {
      std::fprintf(stderr, "botengine bench compare: %s\n", (!a ? a.error() : b.error()).c_str());
      return kExitFailure;
    }
    pairs.emplace_back(std::move(*a), std::move(*b));
  }
  const auto rows = bench::compare_pairs(pairs, threshold);
  if (rows.empty()) {
    std::fprintf(stderr, "botengine bench compare: no metric is present in every file\n");
    return kExitFailure;
  }
  std::printf("%zu pairs; ratio = B/A per pair (lower is better for B); threshold %.0f%%\n",
              pairs.size(), threshold * 100);
  std::fputs(bench::format_comparison(rows).c_str(), stdout);
  bool slower = false;
  for (const auto& r : rows)
    slower |= r.verdict == "slower";
  return fail_on_slower && slower ? kExitFailure : kExitOk;
}

}  // namespace

int run_bench(Args args) {
  if (args.empty()) return usage("missing subcommand: run or compare");
  if (args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (args[0] == "run") return bench_run(args.subspan(1));
  if (args[0] == "compare") return bench_compare(args.subspan(1));
  return usage("unknown subcommand '" + std::string(args[0]) + "'");
}

#endif

}  // namespace be::cli
