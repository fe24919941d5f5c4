// The three steps of one input through the fold, and the journal hand-off. Fused: the
// sequencer runs them back to back; pipelined: the sequencer, risk and orders threads one each
// (topology.cpp). The hot path: nothing here allocates, locks or throws after warm-up (the
// test seam's fault_point throws only when a test armed it).
#include <thread>

#include "engine/engine_impl.hpp"

namespace be::engine {

bool Engine::Impl::journal_append(const Event& e) {
  if (!writer) return true;
  for (std::uint32_t spins = 0;; ++spins) {
    const auto status = writer->try_append(e);
    if (status == journal::AppendStatus::kOk) return true;
    if (status != journal::AppendStatus::kFull) {
      // Off the hot path from here: the engine stops taking inputs with the journal's own
      // reason (errno and free space), so every waiting and later command is refused with it.
      std::string why = journal_failure();
      if (why.empty()) why = std::string("journal: ") + journal::to_string(status);
      {
        std::lock_guard lock(problems_mutex);  // the replica reads it when it publishes
        journal_error = why;
      }
      halt(why);
      return false;
    }
    ++journal_full_spins;
    if (spins > 64) std::this_thread::yield();
  }
}

void Engine::Impl::sequence_step(const InputItem& item, Slot& slot) {
  StageTimes& times = slot.times;
  times = StageTimes{};
  times.intended = item.intended;
  times.received = item.event.header.receive_time;
  times.sequenced = wall_now();
  times.type = item.event.header.type;
  fault_point(EngineStage::kStrategy);
  fold.strategy_phase(item.event, ++ordinal, slot.batch);
  sequenced.store(ordinal, std::memory_order_release);
  times.strategy = wall_now();
}

void Engine::Impl::risk_step(Slot& slot) {
  fault_point(EngineStage::kRisk);
  fold.risk_phase(slot.batch);
  slot.times.risk = wall_now();
}

// The order manager, then everything that leaves the fold: the journal, the stream and the
// notifier, the replica, the loop-back rejects, the metrics and the latency probe.
void Engine::Impl::orders_step(Slot& slot) {
  fault_point(EngineStage::kOrders);
  fold.order_phase(slot.batch);
  StageTimes& times = slot.times;
  times.orders = wall_now();
  const auto records = slot.batch.records.records();
  const SequenceNumber input_position = next_position;
  bool has_order = false;
  for (std::size_t i = 0; i < records.size(); ++i) {
    Event e = records[i];
    e.header.sequence = next_position++;
    if (perturb_next_derived.load(std::memory_order_relaxed) && e.derived()) [[unlikely]]
      perturb(e);
    if (!journal_append(e)) stop_requested.store(true);
    if (e.header.type == EventType::kOrderNew) has_order = true;
    stream_record(e);
    if (e.header.type == EventType::kOperatorCommand) note_command(e, slot.batch);
    // The last record carries when the fold finished the input: the replica's lag from it.
    replica_offer(e, i + 1 == records.size() ? times.orders : 0);
  }
  journaled_through.store(next_position - 1, std::memory_order_release);
  times.journaled = wall_now();
  for (const VenueAction& a : slot.batch.actions) {
    if (a.kind == VenueAction::Kind::kLoopBackReject) {
      push_from_pipeline(Event::make(a.reject, slot.batch.engine_time, wall_now()));
    }
  }
  // Live accounts' sends leave now that their records are journaled (durable: these are the
  // released ones).
  if (deliver_live(slot.batch)) times.sent = wall_now();
  latency.strategy.record(times.strategy - times.sequenced);
  latency.risk.record(times.risk - times.strategy);
  latency.orders.record(times.orders - times.risk);
  latency.fold.record(times.orders - times.sequenced);
  latency.journal.record(times.journaled - times.orders);
  if (times.received != 0) latency.feed.record(times.sequenced - times.received);
  hold_or_finish(slot, input_position, has_order);
  self.applied_.store(slot.batch.ordinal, std::memory_order_release);
}

void Engine::Impl::apply_input(const InputItem& item) {
  sequence_step(item, direct);
  risk_step(direct);
  orders_step(direct);
}

void Engine::Impl::finish_probe(StageTimes& times) {
  if (times.sent != 0) {
    const Nanos origin = times.intended != 0 ? times.intended : times.received;
    if (origin != 0) latency.tick_to_order.record(times.sent - origin);
  }
  if (LatencyProbe* p = self.probe_.load(std::memory_order_acquire)) p->on_input(times);
}

Event Engine::Impl::clock_tick(Nanos now) const {
  Timer t;
  t.owner = kNoBot;
  t.deadline = now;
  return Event::make(t, now, now);
}

}  // namespace be::engine
