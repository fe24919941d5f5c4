// The Prometheus text of /metrics (exposition format 0.0.4), from the published read model and
// the engine's counters. Every family has HELP and TYPE, one prefix (`botengine_`), counters
// end in `_total`, durations are in seconds and timestamps in Unix seconds (Prometheus' base
// units), and no label takes a value per bot, account or user: those figures belong to the API
// (at 10,000 bots such labels would swamp any Prometheus). `promtool check metrics` passes on
// a live scrape (tests/api/metrics_test.sh).
#include <charconv>
#include <cstdio>

#include "core/codes.hpp"
#include "engine/engine_impl.hpp"

namespace be::engine {

namespace {

// Appends families and samples to one exposition text.
class Exposition {
 public:
  explicit Exposition(std::string& out) : out_(out) {}

  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  }
  void sample(std::string_view name, std::string_view labels, double value) {
    out_ += name;
    if (!labels.empty()) out_.append("{").append(labels).append("}");
    char buf[64];  // the shortest text that reads back as the same double
    const auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
    out_.append(" ").append(buf, end).append("\n");
  }
  // A family with one unlabelled sample.
  void single(std::string_view name, std::string_view type, std::string_view help, double value) {
    family(name, type, help);
    sample(name, "", value);
  }

 private:
  std::string& out_;
};

std::string label(std::string_view name, std::string_view value) {
  return std::string(name) + "=\"" + std::string(value) + "\"";
}

double seconds(std::uint64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

// A latency histogram family, one histogram per `key` label value (exact counts at
// kLatencyBoundsNs): botengine_stage_latency_seconds{stage}, botengine_replica_seconds{kind}.
void latency_histograms(Exposition& x, std::string_view family, std::string_view key,
                        std::string_view help, const std::vector<StageLatency>& histograms) {
  x.family(family, "histogram", help);
  const std::string bucket = std::string(family) + "_bucket";
  for (const StageLatency& s : histograms) {
    const std::string which = label(key, s.stage);
    for (std::size_t i = 0; i < kLatencyBoundsNs.size(); ++i) {
      char le[32];
      std::snprintf(le, sizeof le, "%g", seconds(kLatencyBoundsNs[i]));
      x.sample(bucket, which + "," + label("le", le), static_cast<double>(s.cumulative[i]));
    }
    x.sample(bucket, which + ",le=\"+Inf\"", static_cast<double>(s.count));
    x.sample(std::string(family) + "_sum", which, seconds(s.sum));
    x.sample(std::string(family) + "_count", which, static_cast<double>(s.count));
  }
}

// The shadow replica: what it verified and found, and how far behind it is.
void replica_families(Exposition& x, const EngineView& e) {
  x.single("botengine_replica_divergences_total", "counter",
           "Journaled derived records the shadow replica re-derived otherwise (any: the engine "
           "is unhealthy, GET /api/v1/health names the first).",
           static_cast<double>(e.replica_divergences));
  x.single("botengine_replica_sequence", "gauge",
           "Journal position the shadow replica has applied and verified (what the read model "
           "shows).",
           static_cast<double>(e.replica_position));
  x.single("botengine_replica_snapshots_total", "counter",
           "Snapshots the shadow replica wrote to the journal.",
           static_cast<double>(e.replica_snapshots));
  x.single("botengine_replica_full_spins_total", "counter",
           "Times the pipeline waited for room in the shadow replica's ring.",
           static_cast<double>(e.replica_full_spins));
  latency_histograms(
      x, "botengine_replica_seconds", "kind",
      "The shadow replica (kind: lag, from the pipeline finishing an input to the "
      "replica applying it; freshness, to a read model showing it; publish, building "
      "and swapping in one read model).",
      e.replica_latency);
}

// Throughput, risk and the stages' own counter tables (core/counters.hpp).
void flow_families(Exposition& x, const EngineView& e) {
  x.single("botengine_inputs_total", "counter", "Inputs sequenced and applied.",
           static_cast<double>(e.inputs));
  x.single("botengine_orders_sent_total", "counter", "Orders sent to a venue.",
           static_cast<double>(e.orders_sent));
  x.single("botengine_fills_total", "counter", "Fills applied to the order table.",
           static_cast<double>(e.fills));
  x.single("botengine_events_per_second", "gauge",
           "Inputs per second over the last publish interval.", e.events_per_second);
  // Every reason, zero included, so a rate over any reason exists from the first scrape.
  x.family("botengine_risk_rejects_total", "counter", "Pre-trade risk rejects by reason.");
  for (int r = 1; r < kRejectReasonCount; ++r) {
    const std::string_view reason = to_string(static_cast<RiskRejectReason>(r));
    std::uint64_t n = 0;
    for (const auto& [name, count] : e.rejects_by_reason) {
      if (name == reason) n = count;
    }
    x.sample("botengine_risk_rejects_total", label("reason", reason), static_cast<double>(n));
  }
  for (const CounterView& c : e.counters) {
    const bool gauge = c.kind == CounterKind::kGauge;
    const std::string name = "botengine_" + std::string(c.name) + (gauge ? "" : "_total");
    x.single(name, gauge ? "gauge" : "counter", c.help, static_cast<double>(c.value));
  }
}

// One gauge each: the journal's positions and health, and its disk.
void journal_families(Exposition& x, const EngineView& e) {
  struct Gauge {
    std::string_view name;
    std::string_view help;
    double value;
  };
  const auto position = [](SequenceNumber s) { return static_cast<double>(s); };
  const Gauge gauges[] = {
      {"botengine_journal_lag", "Records sequenced but not yet committed.",
       position(e.last_sequence > e.journal_committed ? e.last_sequence - e.journal_committed : 0)},
      {"botengine_last_sequence", "Journal position of the last input applied.",
       position(e.last_sequence)},
      {"botengine_journal_committed_sequence",
       "Highest journal position committed (readable after a crash of the process).",
       position(e.journal_committed)},
      {"botengine_journal_durable_sequence",
       "Highest journal position synced to disk (kept across a power loss).",
       position(e.journal_durable)},
      {"botengine_journal_failed",
       "1 once the journal refused a write: the engine no longer records (see health).",
       e.journal_failed ? 1.0 : 0.0},
      {"botengine_disk_free_bytes", "Free bytes on the journal's filesystem (-1: not watched).",
       static_cast<double>(e.disk_free_bytes)},
      {"botengine_disk_reserve",
       "1 while below the reserve floor: new bots and orders adding exposure are refused.",
       e.disk_reserve ? 1.0 : 0.0},
  };
  for (const Gauge& g : gauges)
    x.single(g.name, "gauge", g.help, g.value);
}

// Bots by state, feeds by venue (venues come from the deployment, not from users), kill
// switches by scope, health.
void state_families(Exposition& x, const ReadModel& m) {
  const EngineView& e = m.engine;
  x.family("botengine_bots", "gauge", "Bots by state.");
  for (BotState state :
       {BotState::kStopped, BotState::kRunning, BotState::kPaused, BotState::kError}) {
    const auto n = std::count_if(m.bots.begin(), m.bots.end(),
                                 [&](const BotView& b) { return b.state == state; });
    x.sample("botengine_bots", label("state", to_string(state)), static_cast<double>(n));
  }
  x.family("botengine_live_accounts", "gauge",
           "Live accounts by their gateway's state (refused: preflight refused it; the runner "
           "tries again on a backoff).");
  for (std::string_view state :
       {"connecting", "connected", "disconnected", "refused", "dry_run", "no_gateway"}) {
    const auto n = std::count_if(m.accounts.begin(), m.accounts.end(), [&](const AccountView& a) {
      return a.mode == "live" && !a.removed && a.connection == state;
    });
    x.sample("botengine_live_accounts", label("state", state), static_cast<double>(n));
  }
  x.family("botengine_feed_up", "gauge",
           "1 while the venue's feed is connected and fresh (0: disconnected, reconnecting, "
           "stale or gapped).");
  for (const FeedView& f : e.feeds)
    x.sample("botengine_feed_up", label("venue", f.venue), f.state == "connected" ? 1 : 0);
  x.family("botengine_feed_messages_total", "counter", "Frames received from the venue's feed.");
  for (const FeedView& f : e.feeds) {
    x.sample("botengine_feed_messages_total", label("venue", f.venue),
             static_cast<double>(f.messages));
  }
  x.family("botengine_feed_rejects_total", "counter",
           "Frames from the venue's feed the parser refused.");
  for (const FeedView& f : e.feeds) {
    x.sample("botengine_feed_rejects_total", label("venue", f.venue),
             static_cast<double>(f.rejects));
  }
  x.family("botengine_kill_switches_latched", "gauge",
           "Kill switches latched, by scope (global: 0 or 1; account: accounts stopped).");
  x.sample("botengine_kill_switches_latched", "scope=\"global\"", e.global_kill_switch ? 1 : 0);
  x.sample("botengine_kill_switches_latched", "scope=\"account\"",
           static_cast<double>(e.killed_accounts.size()));
  x.single("botengine_healthy", "gauge",
           "1 when feeds, journal and pipeline are live (GET /api/v1/health says why not).",
           e.healthy ? 1 : 0);
  x.single("botengine_published_timestamp_seconds", "gauge",
           "Wall time the read model was last published, Unix seconds (stale: the pipeline is "
           "stuck).",
           static_cast<double>(e.published_wall_time) / 1e9);
}

}  // namespace

std::string Engine::metrics_text() const {
  const auto model = read_model();
  std::string out;
  if (!model) return out;
  Exposition x(out);
  const EngineView& e = model->engine;
  flow_families(x, e);
  journal_families(x, e);
  x.family("botengine_ring_depth", "gauge", "Inputs waiting in each ring.");
  x.sample("botengine_ring_depth", "ring=\"ingress\"",
           static_cast<double>(impl_->ingress.size_approx()));
  x.sample("botengine_ring_depth", "ring=\"feedback\"",
           static_cast<double>(impl_->feedback.size_approx()));
  if (impl_->config.topology == Topology::kPipelined) {
    x.sample("botengine_ring_depth", "ring=\"strategy_to_risk\"",
             static_cast<double>(impl_->to_risk.size_approx()));
    x.sample("botengine_ring_depth", "ring=\"risk_to_orders\"",
             static_cast<double>(impl_->to_orders.size_approx()));
  }
  x.single("botengine_feedback_rejected_total", "counter",
           "Venue answers and loop-backs the full feedback ring refused (the sequencer fell "
           "behind).",
           static_cast<double>(impl_->feedback_full.load()));
  // The live-answers ring (engine_impl.hpp): lost answers, waits for room, resyncs.
  const struct {
    const char* name;
    const char* help;
    const std::atomic<std::uint64_t>& value;
  } live_answers[] = {
      {"botengine_live_answers_rejected_total",
       "Live venue answers lost to the full live-answers ring after waiting for room (each "
       "one's account is resynced: its orders asked about at the venue).",
       impl_->live_answers_full},
      {"botengine_live_answers_waits_total",
       "Live venue answers whose gateway thread waited for room in the full live-answers ring "
       "(backpressure).",
       impl_->live_answers_waits},
      {"botengine_live_resyncs_total",
       "Live accounts resynced (order channel down then up, journaled) after an answer was "
       "lost.",
       impl_->live_resyncs},
  };
  for (const auto& c : live_answers)
    x.single(c.name, "counter", c.help, static_cast<double>(c.value.load()));
  x.single("botengine_ingress_rejected_total", "counter", "Inputs the full ingress queue refused.",
           static_cast<double>(impl_->ingress.rejected()));
  x.single("botengine_stream_dropped_total", "counter",
           "Event stream messages dropped: the publisher's buffer was full.",
           static_cast<double>(impl_->stream_dropped.load()));
  latency_histograms(x, "botengine_stage_latency_seconds", "stage",
                     "Per-stage latency of each input since the engine started (stage: feed, "
                     "strategy, risk, orders, fold, journal, tick_to_order).",
                     e.latency);
  replica_families(x, e);
  state_families(x, *model);
  {
    std::lock_guard lock(impl_->problems_mutex);
    x.single("botengine_halted", "gauge",
             "1 once an exception in an engine thread stopped the engine.",
             impl_->halt_reason.empty() ? 0 : 1);
    x.family("botengine_thread_pin_failed", "gauge",
             "Threads running unpinned: their CPUs could not be had.");
    for (const ThreadPlacementFailure& f : thread_placement_failures()) {
      x.sample("botengine_thread_pin_failed",
               label("thread", f.thread) + "," + label("cpu", to_string(f.cpus)), 1);
    }
  }
  std::function<std::string()> extra;
  {
    std::lock_guard lock(impl_->notify_mutex);
    extra = impl_->metrics_extra;
  }
  if (extra) out += extra();
  return out;
}

void Engine::set_metrics_extra(std::function<std::string()> extra) {
  std::lock_guard lock(impl_->notify_mutex);
  impl_->metrics_extra = std::move(extra);
}

}  // namespace be::engine
