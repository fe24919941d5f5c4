// The latency histograms' percentiles and the Prometheus text of /metrics, from the published
// read model and the engine's counters.
#include <cstdio>

#include "engine/engine_impl.hpp"

namespace be::engine {

std::uint64_t Log2Histogram::percentile(double p) const noexcept {
  if (count == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(p * static_cast<double>(count - 1)) + 1;
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < buckets.size(); ++b) {
    seen += buckets[b];
    if (seen >= rank) return b == 0 ? 0 : (std::uint64_t{1} << b) - 1;  // bucket upper bound
  }
  return max;
}

std::string Engine::metrics_text() const {
  const auto model = read_model();
  std::string out;
  auto line = [&out](std::string_view name, std::string_view labels, double value) {
    out += name;
    if (!labels.empty()) {
      out += '{';
      out += labels;
      out += '}';
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, " %.17g\n", value);
    out += buf;
  };
  if (!model) return out;
  const EngineView& e = model->engine;
  out +=
      "# HELP botengine_inputs_total Inputs sequenced and applied.\n# TYPE botengine_inputs_total "
      "counter\n";
  line("botengine_inputs_total", "", static_cast<double>(e.inputs));
  out += "# TYPE botengine_orders_sent_total counter\n";
  line("botengine_orders_sent_total", "", static_cast<double>(e.orders_sent));
  out += "# TYPE botengine_fills_total counter\n";
  line("botengine_fills_total", "", static_cast<double>(e.fills));
  out +=
      "# HELP botengine_risk_rejects_total Pre-trade risk rejects by reason.\n# TYPE "
      "botengine_risk_rejects_total counter\n";
  for (const auto& [reason, n] : e.rejects_by_reason)
    line("botengine_risk_rejects_total", "reason=\"" + reason + "\"", static_cast<double>(n));
  // Every stage's and the journal's own counters and gauges, named after their tables
  // (core/counters.hpp).
  for (const CounterView& c : e.counters) {
    const bool gauge = c.kind == CounterKind::kGauge;
    const std::string name = "botengine_" + c.name + (gauge ? "" : "_total");
    out += "# HELP " + name + " " + std::string(c.help) + "\n# TYPE " + name +
           (gauge ? " gauge\n" : " counter\n");
    line(name, "", static_cast<double>(c.value));
  }
  out += "# TYPE botengine_events_per_second gauge\n";
  line("botengine_events_per_second", "", e.events_per_second);
  out +=
      "# HELP botengine_journal_lag Records sequenced but not yet committed.\n# TYPE "
      "botengine_journal_lag gauge\n";
  line("botengine_journal_lag", "",
       static_cast<double>(
           e.last_sequence > e.journal_committed ? e.last_sequence - e.journal_committed : 0));
  line("botengine_journal_committed_sequence", "", static_cast<double>(e.journal_committed));
  line("botengine_journal_durable_sequence", "", static_cast<double>(e.journal_durable));
  out +=
      "# HELP botengine_disk_free_bytes Free bytes on the journal's filesystem (-1: not "
      "watched).\n# TYPE botengine_disk_free_bytes gauge\n";
  line("botengine_disk_free_bytes", "", static_cast<double>(e.disk_free_bytes));
  out +=
      "# HELP botengine_disk_reserve 1 while below the reserve floor: new bots and orders "
      "adding exposure are refused.\n# TYPE botengine_disk_reserve gauge\n";
  line("botengine_disk_reserve", "", e.disk_reserve ? 1.0 : 0.0);
  out +=
      "# HELP botengine_ring_depth Inputs waiting in the ingress queue.\n# TYPE "
      "botengine_ring_depth gauge\n";
  line("botengine_ring_depth", "ring=\"ingress\"",
       static_cast<double>(impl_->ingress.size_approx()));
  line("botengine_ring_depth", "ring=\"feedback\"",
       static_cast<double>(impl_->feedback.size_approx()));
  line("botengine_feedback_rejected_total", "", static_cast<double>(impl_->feedback_full.load()));
  if (impl_->config.topology == Topology::kPipelined) {
    line("botengine_ring_depth", "ring=\"strategy_to_risk\"",
         static_cast<double>(impl_->to_risk.size_approx()));
    line("botengine_ring_depth", "ring=\"risk_to_orders\"",
         static_cast<double>(impl_->to_orders.size_approx()));
  }
  line("botengine_ingress_rejected_total", "", static_cast<double>(impl_->ingress.rejected()));
  line("botengine_stream_dropped_total", "", static_cast<double>(impl_->stream_dropped.load()));
  out +=
      "# HELP botengine_stage_latency_ns Per-stage latency (log2 buckets' upper bounds).\n# TYPE "
      "botengine_stage_latency_ns summary\n";
  for (const StageLatency& s : e.latency) {
    line("botengine_stage_latency_ns", "stage=\"" + s.stage + "\",quantile=\"0.5\"",
         static_cast<double>(s.p50));
    line("botengine_stage_latency_ns", "stage=\"" + s.stage + "\",quantile=\"0.99\"",
         static_cast<double>(s.p99));
    line("botengine_stage_latency_ns_count", "stage=\"" + s.stage + "\"",
         static_cast<double>(s.count));
  }
  out += "# TYPE botengine_bots gauge\n";
  for (BotState state :
       {BotState::kStopped, BotState::kRunning, BotState::kPaused, BotState::kError}) {
    const auto n = std::count_if(model->bots.begin(), model->bots.end(),
                                 [&](const BotView& b) { return b.state == state; });
    line("botengine_bots", "state=\"" + std::string(to_string(state)) + "\"",
         static_cast<double>(n));
  }
  for (const FeedView& f : e.feeds) {
    line("botengine_feed_up", "venue=\"" + f.venue + "\"", f.state == "connected" ? 1 : 0);
    line("botengine_feed_messages_total", "venue=\"" + f.venue + "\"",
         static_cast<double>(f.messages));
  }
  line("botengine_healthy", "", e.healthy ? 1 : 0);
  {
    std::lock_guard lock(impl_->problems_mutex);
    out +=
        "# HELP botengine_halted 1 once an exception in an engine thread stopped the engine.\n"
        "# TYPE botengine_halted gauge\n";
    line("botengine_halted", "", impl_->halt_reason.empty() ? 0 : 1);
    out +=
        "# HELP botengine_thread_pin_failed Engine threads running unpinned: their CPU could not "
        "be had.\n# TYPE botengine_thread_pin_failed gauge\n";
    for (const Impl::PinFailure& f : impl_->pin_failures) {
      line("botengine_thread_pin_failed",
           "thread=\"" + f.thread + "\",cpu=\"" + std::to_string(f.cpu) + "\"", 1);
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
