#include "feed/order_book.hpp"

#include <algorithm>
#include <functional>

#include "core/state_io.hpp"

namespace be::feed {

namespace {

// The seed this hash has always started from: it is not FNV's offset basis (a digit short of
// 14695981039346656037), kept so that the book's hashes stay what they were.
constexpr std::uint64_t kBookHashSeed = 1469598103934665603ULL;

}  // namespace

OrderBook::OrderBook(const OrderBookConfig& config) : config_(config) {
  bids_.price.resize(config.depth);
  bids_.quantity.resize(config.depth);
  asks_.price.resize(config.depth);
  asks_.quantity.resize(config.depth);
  asks_.descending = true;
}

void OrderBook::apply(const Event& event, EventSink sink) {
  if (!event.is<BookDelta>()) return;
  apply(event.as<BookDelta>(), event.header.event_time, event.header.receive_time, sink);
}

void OrderBook::clear() noexcept {
  bids_.size = 0;
  asks_.size = 0;
}

std::optional<BookLevel> OrderBook::best(Side side) const noexcept {
  const Ladder& l = ladder(side);
  if (l.size == 0) return std::nullopt;
  return BookLevel{l.price[l.size - 1], l.quantity[l.size - 1]};
}

std::int64_t OrderBook::quantity_at(Side side, std::int64_t price) const noexcept {
  const Ladder& l = ladder(side);
  const auto end = l.price.begin() + static_cast<std::ptrdiff_t>(l.size);
  const auto it = l.descending ? std::lower_bound(l.price.begin(), end, price, std::greater<>())
                               : std::lower_bound(l.price.begin(), end, price);
  if (it == end || *it != price) return 0;
  return l.quantity[static_cast<std::size_t>(it - l.price.begin())];
}

void OrderBook::set_level(Side side, std::int64_t price, std::int64_t quantity) noexcept {
  if (side != Side::kBuy && side != Side::kSell) return;  // an empty update's marker
  Ladder& l = side == Side::kBuy ? bids_ : asks_;
  // Worst first, best last: levels at and after `pos` are better than (or equal to) `price`.
  const auto price_slot = [&](std::size_t i) {
    return l.price.begin() + static_cast<std::ptrdiff_t>(i);
  };
  const auto quantity_slot = [&](std::size_t i) {
    return l.quantity.begin() + static_cast<std::ptrdiff_t>(i);
  };
  const auto begin = price_slot(0);
  const auto end = price_slot(l.size);
  const auto it = l.descending ? std::lower_bound(begin, end, price, std::greater<>())
                               : std::lower_bound(begin, end, price);
  const auto pos = static_cast<std::size_t>(it - begin);
  if (it != end && *it == price) {
    if (quantity == 0) {  // remove: shift the better levels down by one
      std::copy(price_slot(pos + 1), end, price_slot(pos));
      std::copy(quantity_slot(pos + 1), quantity_slot(l.size), quantity_slot(pos));
      --l.size;
    } else {
      l.quantity[pos] = quantity;
    }
    return;
  }
  if (quantity == 0) return;  // removing a level we do not hold (outside our depth)
  const std::size_t capacity = l.price.size();
  if (capacity == 0) return;
  if (l.size == capacity) {
    ++stats_["truncated_levels"];
    if (pos == 0) return;  // worse than every level held
    // Evict the worst (the first) and insert just below the better levels.
    std::copy(price_slot(1), price_slot(pos), price_slot(0));
    std::copy(quantity_slot(1), quantity_slot(pos), quantity_slot(0));
    l.price[pos - 1] = price;
    l.quantity[pos - 1] = quantity;
    return;
  }
  std::copy_backward(price_slot(pos), price_slot(l.size), price_slot(l.size + 1));
  std::copy_backward(quantity_slot(pos), quantity_slot(l.size), quantity_slot(l.size + 1));
  l.price[pos] = price;
  l.quantity[pos] = quantity;
  ++l.size;
}

// Decides, on an update's first level, whether the whole update applies.
bool OrderBook::begin_update(const BookDelta& d, Nanos event_time, Nanos receive_time,
                             EventSink sink) {
  if (state_ == BookState::kAwaitingSnapshot) {
    ++stats_["dropped_unsynced"];
    return false;
  }
  if (config_.sequencing == Sequencing::kNone) return true;
  const std::uint64_t next = last_update_id_ + 1;
  if (state_ == BookState::kSyncing) {
    if (d.last_update_id <= last_update_id_) {
      ++stats_["dropped_stale"];
      return false;
    }
    if (d.first_update_id <= next) {  // and next <= u, as u > last_update_id_
      state_ = BookState::kLive;
      return true;
    }
  } else if (d.first_update_id == next) {
    return true;
  }
  // A gap: what we hold can no longer be trusted.
  ++stats_["gaps"];
  Connectivity gap;
  gap.venue = config_.venue;
  gap.state = ConnectivityState::kGap;
  gap.instrument = config_.instrument;
  gap.expected_sequence = next;
  gap.received_sequence = d.first_update_id;
  sink(Event::make(gap, event_time, receive_time, index_of(config_.venue)));
  clear();
  state_ = BookState::kAwaitingSnapshot;
  return false;
}

void OrderBook::apply(const BookDelta& d, Nanos event_time, Nanos receive_time, EventSink sink) {
  if (d.instrument != config_.instrument) return;
  const bool end = (d.flags & BookDelta::kEndOfUpdate) != 0;
  if ((d.flags & BookDelta::kSnapshot) != 0) {
    if (!in_snapshot_) {
      clear();
      in_snapshot_ = true;
      in_update_ = false;
    }
    set_level(d.side, d.price, d.quantity);
    if (end) {
      in_snapshot_ = false;
      last_update_id_ = d.last_update_id;
      state_ = config_.sequencing == Sequencing::kBinance ? BookState::kSyncing : BookState::kLive;
    }
    return;
  }
  if (in_snapshot_) {  // a snapshot cut short by an update: discard it, wait for another
    in_snapshot_ = false;
    clear();
    state_ = BookState::kAwaitingSnapshot;
  }
  if (!in_update_) {
    in_update_ = true;
    applying_update_ = begin_update(d, event_time, receive_time, sink);
  }
  if (applying_update_) set_level(d.side, d.price, d.quantity);
  if (end) {
    in_update_ = false;
    if (applying_update_) {
      ++stats_["applied_updates"];
      if (config_.sequencing == Sequencing::kBinance) last_update_id_ = d.last_update_id;
    }
    applying_update_ = false;
  }
}

// Every field as a 64-bit word (native byte order, as state_io writes everything).
std::uint64_t OrderBook::state_hash() const noexcept {
  state_io::Hasher h(kBookHashSeed);
  h.put(static_cast<std::uint64_t>(state_));
  h.put(last_update_id_);
  for (const Ladder* l : {&bids_, &asks_}) {
    h.put(static_cast<std::uint64_t>(l->size));
    for (std::size_t i = l->size; i-- > 0;) {  // best first, as level() numbers them
      h.put(static_cast<std::uint64_t>(l->price[i]));
      h.put(static_cast<std::uint64_t>(l->quantity[i]));
    }
  }
  return h.value();
}

}  // namespace be::feed
