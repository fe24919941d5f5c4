// The event stream and the notifications: the orders stage hands journaled records to two
// rings (stream_record); the publisher thread ("be-publish") formats the stream's JSON for the
// API's bounded buffer and hands notifications to the notifier.
#include "engine/engine_impl.hpp"

namespace be::engine {

// ---- Orders stage side -----------------------------------------------------------------------

void Engine::Impl::stream_record(const Event& e) noexcept {
  if (e.header.type == EventType::kNotification && !notify_ring.try_push(e)) {
    notify_overflow.store(true, std::memory_order_release);
  }
  if (e.derived() || e.header.type == EventType::kConnectivity ||
      e.header.type == EventType::kOrderUpdate ||
      (e.header.type == EventType::kTrade && price_due(e))) {
    if (!stream_ring.try_push(e)) stream_dropped.fetch_add(1, std::memory_order_relaxed);
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
  return work;
}

void Engine::Impl::publish_stream(const Event& e) {
  StreamItem item;
  item.json = stream_json(e, instruments);
  if (item.json.empty()) return;
  item.bot = stream_owner(e);
  std::lock_guard lock(stream_mutex);
  item.cursor = ++stream_cursor;
  stream.push_back(std::move(item));
  while (stream.size() > config.stream_capacity)
    stream.pop_front();
}

// ---- ControlPlane ------------------------------------------------------------------------------

std::vector<StreamItem> Engine::stream_since(std::uint64_t cursor, std::size_t max,
                                             bool& lost) const {
  std::lock_guard lock(impl_->stream_mutex);
  lost = false;
  std::vector<StreamItem> out;
  const auto& s = impl_->stream;
  if (s.empty()) return out;
  const std::uint64_t oldest = s.front().cursor;
  if (cursor + 1 < oldest) lost = true;
  const std::uint64_t start = std::max(cursor + 1, oldest);
  for (std::size_t i = static_cast<std::size_t>(start - oldest); i < s.size() && out.size() < max;
       ++i) {
    out.push_back(s[i]);
  }
  return out;
}

std::uint64_t Engine::stream_head() const {
  std::lock_guard lock(impl_->stream_mutex);
  return impl_->stream_cursor;
}

void Engine::set_notification_handler(NotificationHandler handler) {
  std::lock_guard lock(impl_->notify_mutex);
  impl_->notify = std::move(handler);
}

}  // namespace be::engine
