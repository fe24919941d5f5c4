// The order book's naive twin (STYLE.md #6): std::map per side, the sequencing rules written
// out as plainly as possible, no capacity tricks beyond "keep the best `depth` levels".
// Slow and obviously right; OrderBook must agree with it on every step.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "core/event.hpp"
#include "feed/order_book.hpp"

namespace be::feed::test {

class NaiveBook {
 public:
  NaiveBook(InstrumentId instrument, std::size_t depth) : instrument_(instrument), depth_(depth) {}

  // Returns true when this delta produced a gap.
  bool apply(const BookDelta& d) {
    if (d.instrument != instrument_) return false;
    const bool end = d.flags & BookDelta::kEndOfUpdate;
    if (d.flags & BookDelta::kSnapshot) {
      if (!in_snapshot_) {
        bids_.clear();
        asks_.clear();
        in_snapshot_ = true;
        in_update_ = false;
      }
      set(d.side, d.price, d.quantity);
      if (end) {
        in_snapshot_ = false;
        last_ = d.last_update_id;
        state_ = BookState::kSyncing;
      }
      return false;
    }
    if (in_snapshot_) {
      in_snapshot_ = false;
      bids_.clear();
      asks_.clear();
      state_ = BookState::kAwaitingSnapshot;
    }
    bool gap = false;
    if (!in_update_) {
      in_update_ = true;
      applying_ = false;
      if (state_ == BookState::kSyncing) {
        if (d.last_update_id <= last_) {
          applying_ = false;
        } else if (d.first_update_id <= last_ + 1 && last_ + 1 <= d.last_update_id) {
          applying_ = true;
          state_ = BookState::kLive;
        } else {
          gap = true;
        }
      } else if (state_ == BookState::kLive) {
        if (d.first_update_id == last_ + 1) {
          applying_ = true;
        } else {
          gap = true;
        }
      }
      if (gap) {
        bids_.clear();
        asks_.clear();
        state_ = BookState::kAwaitingSnapshot;
      }
    }
    if (applying_) set(d.side, d.price, d.quantity);
    if (end) {
      in_update_ = false;
      if (applying_) last_ = d.last_update_id;
      applying_ = false;
    }
    return gap;
  }

  std::vector<BookLevel> levels(Side side) const {
    std::vector<BookLevel> out;
    if (side == Side::kBuy) {
      for (const auto& [p, q] : bids_)
        out.push_back({p, q});
    } else {
      for (const auto& [p, q] : asks_)
        out.push_back({p, q});
    }
    return out;
  }
  BookState state() const { return state_; }
  std::uint64_t last_update_id() const { return last_; }

 private:
  void set(Side side, std::int64_t price, std::int64_t qty) {
    if (side == Side::kBuy) {
      set_in(bids_, price, qty);
    } else if (side == Side::kSell) {
      set_in(asks_, price, qty);
    }
  }
  template <class Map>
  void set_in(Map& m, std::int64_t price, std::int64_t qty) {
    if (qty == 0) {
      m.erase(price);
      return;
    }
    if (m.count(price) == 0 && m.size() == depth_) {
      // Full: keep the best `depth_` levels.
      const auto worst = std::prev(m.end());
      if (!m.key_comp()(price, worst->first)) return;
      m.erase(worst);
    }
    m[price] = qty;
  }

  InstrumentId instrument_;
  std::size_t depth_;
  std::map<std::int64_t, std::int64_t, std::greater<>> bids_;
  std::map<std::int64_t, std::int64_t> asks_;
  BookState state_ = BookState::kAwaitingSnapshot;
  std::uint64_t last_ = 0;
  bool in_snapshot_ = false;
  bool in_update_ = false;
  bool applying_ = false;
};

}  // namespace be::feed::test
