// A local order book for one instrument, rebuilt from a snapshot plus BookDelta events.
//
// Sequencing (Binance's rules, docs/FEEDS.md "Book sequencing"):
//  - Deltas before the first snapshot are dropped (counted): the caller buffers or resyncs.
//  - After a snapshot with lastUpdateId L, updates with u <= L are stale and dropped; the
//    first applied update must have U <= L+1 <= u.
//  - Afterwards each update's U must be the previous update's u + 1.
//  - Anything else is a gap: the book emits Connectivity{state=kGap, expected=L+1,
//    received=U} to the sink, clears itself and waits for a new snapshot.
// With Sequencing::kNone (Coinbase, Kraken: no U/u) updates apply in arrival order once a
// snapshot has been seen.
//
// Capacity: `depth` levels per side, held as sorted arrays allocated at construction; an
// update never allocates. Each array is kept best-LAST (bids ascending, asks descending):
// nearly all traffic is near the top of the book, and a level inserted or removed there then
// shifts only the few better levels, not the whole depth (bench/feed/book_bench.cpp). A level worse
// than the worst held one when the side is full is ignored and counted (truncated_levels());
// inserting a better one evicts the worst. Only the top of a truncated side is exact, which is what
// a depth-limited book promises.
//
// Thread-safety: none; one owner. Errors: none thrown; gaps are events, misuse is counted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/counters.hpp"
#include "core/event.hpp"
#include "feed/types.hpp"

namespace be::feed {

struct BookLevel {
  std::int64_t price = 0;
  std::int64_t quantity = 0;
  bool operator==(const BookLevel&) const = default;
};

enum class BookState : std::uint8_t { kAwaitingSnapshot, kSyncing, kLive };
enum class Sequencing : std::uint8_t { kBinance, kNone };

struct OrderBookConfig {
  InstrumentId instrument{};
  VenueId venue{};
  std::size_t depth = 1000;  // levels per side
  Sequencing sequencing = Sequencing::kBinance;
};

// What the book did with the updates it was given.
inline constexpr auto kOrderBookCounters = counter_table({
    {"applied_updates", "Depth updates applied to the book."},
    {"dropped_stale", "Depth updates older than the book's snapshot, dropped while syncing."},
    {"dropped_unsynced", "Depth updates dropped before the book had a snapshot."},
    {"gaps", "Sequence gaps: the book stopped trusting its levels and awaits a snapshot."},
    {"truncated_levels", "Levels beyond the book's depth, dropped or evicted."},
});
using OrderBookStats = Counters<kOrderBookCounters>;

class OrderBook {
 public:
  explicit OrderBook(const OrderBookConfig& config);

  // Applies one event: BookDeltas for this instrument are applied, anything else ignored.
  // May emit a Connectivity gap event to `sink`.
  void apply(const Event& event, EventSink sink);
  void apply(const BookDelta& delta, Nanos event_time, Nanos receive_time, EventSink sink);

  BookState state() const noexcept { return state_; }
  bool live() const noexcept { return state_ == BookState::kLive; }
  std::uint64_t last_update_id() const noexcept { return last_update_id_; }

  std::size_t depth(Side side) const noexcept { return ladder(side).size; }
  // Precondition: i < depth(side). Level 0 is the best.
  BookLevel level(Side side, std::size_t i) const noexcept {
    const Ladder& l = ladder(side);
    return {l.price[l.size - 1 - i], l.quantity[l.size - 1 - i]};
  }
  std::optional<BookLevel> best_bid() const noexcept { return best(Side::kBuy); }
  std::optional<BookLevel> best_ask() const noexcept { return best(Side::kSell); }
  // The quantity resting at `price` on `side`; 0 when there is no such level.
  std::int64_t quantity_at(Side side, std::int64_t price) const noexcept;

  // A hash of everything observable (state, last update id, every level): equal books hash
  // equal, so a twin or a replay can be compared cheaply (STYLE.md #7).
  std::uint64_t state_hash() const noexcept;

  const OrderBookStats& stats() const noexcept { return stats_; }

 private:
  struct Ladder {
    std::vector<std::int64_t> price;  // sized to capacity once; `size` are in use
    std::vector<std::int64_t> quantity;
    std::size_t size = 0;
    bool descending = false;  // asks: worst (highest) first, so the best is last
  };

  const Ladder& ladder(Side side) const noexcept { return side == Side::kBuy ? bids_ : asks_; }
  std::optional<BookLevel> best(Side side) const noexcept;
  void set_level(Side side, std::int64_t price, std::int64_t quantity) noexcept;
  void clear() noexcept;
  bool begin_update(const BookDelta& d, Nanos event_time, Nanos receive_time, EventSink sink);

  OrderBookConfig config_;
  Ladder bids_;
  Ladder asks_;
  BookState state_ = BookState::kAwaitingSnapshot;
  std::uint64_t last_update_id_ = 0;
  bool in_snapshot_ = false;
  bool in_update_ = false;
  bool applying_update_ = false;
  OrderBookStats stats_;
};

}  // namespace be::feed
