// The event stream and the notifications: the orders stage hands journaled records to two
// rings (stream_record); the publisher thread ("be-publish") formats the stream's JSON into the
// API's buffer, indexed by journal sequence (stream_buffer.hpp), and hands notifications to the
// notifier.
#include "engine/engine_impl.hpp"

namespace be::engine {

// ---- Orders stage side -----------------------------------------------------------------------

void Engine::Impl::stream_record(const Event& e) noexcept {
  if (e.header.type == EventType::kNotification && !notify_ring.try_push(e)) {
    notify_overflow.store(true, std::memory_order_release);
  }
  if (e.header.type == EventType::kBotStatus) {
    const auto status = e.as<BotStatus>();
    const auto bot = static_cast<std::size_t>(index_of(status.bot));
    if (status.from == BotState::kDeleted && bot < stream_owners.size())
      stream_owners[bot].store(status.user_id, std::memory_order_relaxed);
  }
  const bool price = e.header.type == EventType::kTrade;
  if (e.derived() || e.header.type == EventType::kConnectivity ||
      e.header.type == EventType::kOrderUpdate || (price && price_due(e))) {
    if (!stream_ring.try_push(e)) {
      stream_dropped.fetch_add(1, std::memory_order_relaxed);
      // Prices are conflated anyway (docs/API.md); anything else is a loss clients must hear of.
      if (!price) stream_lost_through.store(e.header.sequence, std::memory_order_relaxed);
    }
  }
}

bool Engine::Impl::price_due(const Event& trade) noexcept {
  const auto i = static_cast<std::size_t>(index_of(trade.as<Trade>().instrument));
  if (i >= price_streamed_at.size()) return false;
  if (trade.header.event_time < price_streamed_at[i] + kPriceStreamInterval) return false;
  price_streamed_at[i] = trade.header.event_time;
  return true;
}

// ---- Publisher thread ------------------------------------------------------------------------

int PublisherAgent::do_work() {
  int work = im.watch_journal() + im.watch_disk();
  if (!reoffered) {
    // What recovery found past the notifier's cursor goes first (here, not in on_start:
    // start() need not wait for the notifier).
    reoffered = true;
    std::lock_guard lock(im.notify_mutex);
    if (im.notify) {
      for (const Engine::Impl::PendingNotification& p : im.pending_notifications)
        im.notify(p.sequence, p.time, p.note);
    }
    work += static_cast<int>(im.pending_notifications.size());
    im.pending_notifications.clear();
  }
  if (im.replica.divergence_alert.exchange(false, std::memory_order_acq_rel)) {
    ++work;
    Notification note;
    note.kind = NotificationKind::kReplicaDivergence;
    note.value1 = static_cast<std::int64_t>(im.replica.divergences.load());
    Nanos time = 0;
    {
      std::lock_guard lock(im.replica.mutex);
      note.cause = im.replica.first_divergence->sequence;
      time = im.replica.first_divergence->journaled.header.event_time;
    }
    std::lock_guard lock(im.notify_mutex);
    if (im.notify) im.notify(0, time, note);
  }
  Event e;
  while (im.notify_ring.try_pop(e)) {
    ++work;
    if (im.notify_overflow.load(std::memory_order_acquire)) continue;
    std::lock_guard lock(im.notify_mutex);
    if (im.notify) im.notify(e.header.sequence, e.header.event_time, e.as<Notification>());
  }
  while (im.stream_ring.try_pop(e)) {
    ++work;
    im.publish_stream(e);
  }
  // After the items popped: a loss is stored before any later record is pushed, and the
  // buffer must not call seqs servable that precede it.
  const SequenceNumber lost = im.stream_lost_through.load(std::memory_order_acquire);
  if (lost > im.stream_lost_seen) {
    im.stream_lost_seen = lost;
    im.stream.lost(lost);
  }
  return work;
}

void Engine::Impl::publish_stream(const Event& e) {
  StreamItem item;
  item.json = stream_json(e, instruments);
  if (item.json.empty()) return;
  item.seq = e.header.sequence;
  item.bot = stream_owner(e);
  const auto bot = static_cast<std::size_t>(index_of(item.bot));
  if (item.bot != kNoBot && bot < stream_owners.size())
    item.owner = UserId{stream_owners[bot].load(std::memory_order_relaxed)};
  if (e.header.type == EventType::kTrade)
    item.price_instrument = static_cast<std::uint32_t>(index_of(e.as<Trade>().instrument));
  stream.push(std::move(item));
}

void Engine::Impl::stream_open() {
  for (const stage::BotSummary& b : fold.strategy().describe()) {
    const auto bot = static_cast<std::size_t>(index_of(b.id));
    if (bot < stream_owners.size())
      stream_owners[bot].store(static_cast<std::uint32_t>(b.owner), std::memory_order_relaxed);
  }
  stream.reset(next_position - 1);
}

// ---- ControlPlane ------------------------------------------------------------------------------

StreamBatch Engine::stream_since(SequenceNumber after, std::size_t max) const {
  return impl_->stream.since(after, max);
}

StreamWindow Engine::stream_window() const {
  return impl_->stream.window();
}

void Engine::set_notification_handler(NotificationHandler handler) {
  std::lock_guard lock(impl_->notify_mutex);
  impl_->notify = std::move(handler);
}

}  // namespace be::engine
