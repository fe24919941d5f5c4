// The event stream's bounded buffer, indexed by journal sequence (docs/API.md, "Event stream"):
// the publisher thread pushes formatted items in journal order, the API's stream sessions read
// what follows a client's `since`. Header-only so that the API's test fixture serves its
// stream through the same buffer as the engine.
//
// The window: every stream event with first_seq <= seq <= head_seq is held, so a client that
// saw seq N can resume exactly when N >= first_seq - 1. first_seq moves on when the oldest item
// is evicted (capacity) or an event never reached the buffer (lost(): the engine's ring was
// full); at start it is the journal's position + 1, since the previous run's stream is gone.
//
// Thread-safety: every member takes one mutex (one writer, a few readers, none on the
// pipeline's threads).
#pragma once

#include <algorithm>
#include <deque>
#include <mutex>
#include <vector>

#include "engine/control.hpp"

namespace be::engine {

class StreamBuffer {
 public:
  StreamBuffer(std::size_t capacity, std::size_t instruments)
      : capacity_(std::max<std::size_t>(capacity, 1)), latest_price_(instruments, 0) {}

  // Before the first push: the journal's last sequence (0 for a new or no journal).
  void reset(SequenceNumber journal_position) {
    std::lock_guard lock(mutex_);
    items_.clear();
    std::fill(latest_price_.begin(), latest_price_.end(), SequenceNumber{0});
    first_ = journal_position + 1;
    head_ = journal_position;
  }

  // Items arrive in increasing seq order (the journal's).
  void push(StreamItem item) {
    std::lock_guard lock(mutex_);
    head_ = std::max(head_, item.seq);
    if (item.price_instrument < latest_price_.size())
      latest_price_[item.price_instrument] = item.seq;
    items_.push_back(std::move(item));
    while (items_.size() > capacity_) {
      first_ = std::max(first_, items_.front().seq + 1);
      items_.pop_front();
    }
  }

  // A stream event with this seq never reached the buffer: no client can resume before it.
  void lost(SequenceNumber seq) {
    std::lock_guard lock(mutex_);
    first_ = std::max(first_, seq + 1);
    head_ = std::max(head_, seq);
  }

  // At most `max` items with seq > after, oldest first. When `after` < first_seq - 1 the
  // client missed events: resync is set and the items start at first_seq.
  StreamBatch since(SequenceNumber after, std::size_t max) const {
    std::lock_guard lock(mutex_);
    StreamBatch out;
    out.window = window_locked();
    out.resync = after + 1 < first_;
    const SequenceNumber from = out.resync ? first_ - 1 : after;
    auto it = std::upper_bound(items_.begin(), items_.end(), from,
                               [](SequenceNumber s, const StreamItem& i) { return s < i.seq; });
    for (; it != items_.end() && out.items.size() < max; ++it)
      out.items.push_back(*it);
    return out;
  }

  // The window, with the seq of the newest price event held per instrument (ascending).
  StreamWindow window() const {
    std::lock_guard lock(mutex_);
    StreamWindow w = window_locked();
    for (SequenceNumber s : latest_price_)
      if (s >= first_) w.latest_prices.push_back(s);
    std::sort(w.latest_prices.begin(), w.latest_prices.end());
    return w;
  }

 private:
  StreamWindow window_locked() const {
    StreamWindow w;
    w.first_seq = first_;
    w.head_seq = head_;
    return w;
  }

  mutable std::mutex mutex_;
  std::size_t capacity_;
  std::deque<StreamItem> items_;
  std::vector<SequenceNumber> latest_price_;  // by instrument index; 0: none yet
  SequenceNumber first_ = 1;
  SequenceNumber head_ = 0;
};

}  // namespace be::engine
