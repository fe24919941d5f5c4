// Durable mode (journal "durable" with the paper venue): an input's orders may leave only once
// the journal's durable watermark covers the input, so a crash never leaves an order at the
// venue that the journal does not know. The fold holds the sends (FoldConfig::hold_sends);
// this side watches the watermark, tells the latency probe when the orders left, and feeds
// the fold a kReleaseTimer input naming the last input whose sends may go. Runs on the thread
// that finishes inputs (fused: the sequencer; pipelined: the orders stage).
#include "engine/engine_impl.hpp"

namespace be::engine {

void Engine::Impl::hold_or_finish(Slot& slot, SequenceNumber input_position, bool has_order) {
  StageTimes& times = slot.times;
  // Anything the fold holds waits for a release (a live account's held sends are not in the
  // batch's actions: they leave with the release input).
  bool sends = has_order || fold.order_stage().holds_sends();
  for (const VenueAction& a : slot.batch.actions)
    sends = sends || a.kind != VenueAction::Kind::kLoopBackReject;
  if (sends && config.journal == JournalMode::kDurable && writer) {
    pending_probes.push_back({input_position, slot.batch.ordinal, times, has_order});
    if (!has_order) finish_probe(times);
  } else {
    if (has_order && times.sent == 0) times.sent = times.journaled;
    finish_probe(times);
  }
}

void Engine::Impl::release_durable() {
  if (!writer || (pending_probes.empty() && release_offered == release_through)) return;
  const Nanos now = wall_now();
  if (!pending_probes.empty()) {
    const SequenceNumber durable = writer->durable();
    while (!pending_probes.empty() && pending_probes.front().position <= durable) {
      PendingProbe& p = pending_probes.front();
      if (p.has_order) {
        p.times.sent = now;
        finish_probe(p.times);
      }
      release_through = std::max(release_through, p.ordinal);
      pending_probes.pop_front();
    }
  }
  if (release_offered < release_through && fold_holds_sends()) {
    Timer t;
    t.owner = kNoBot;
    t.timer_id = kReleaseTimer;
    t.deadline = static_cast<Nanos>(release_through);
    // Refused (ring full): offered again on the next call.
    if (feedback.try_push(InputItem{Event::make(t, now, now), 0}))
      release_offered = release_through;
  } else {
    release_offered = release_through;
  }
}

}  // namespace be::engine
