// A fixed-capacity table of orders keyed by client order id, shared by the order manager and
// the paper venue. Allocation happens only in the constructor (and in rebuild_index, a
// restore-time call); find/insert/retire are O(1) expected and allocation-free.
//
// Lifetime of a slot: insert() -> live -> retire() when the order is terminal -> evicted,
// oldest retired first, only when an insert finds no free slot. Terminal orders therefore stay
// findable as long as room allows, so a late fill or a second cancel reject still finds its
// order instead of being reported as an unknown id.
//
// Determinism: slot choice depends only on the sequence of calls (a free stack and a FIFO of
// retired slots, both part of the snapshot); iteration is in slot order, never hash order.
// Thread-safety: none. Index: core/record_index.hpp over the keys (client order id -> slot).
#pragma once

#include <cstdint>
#include <vector>

#include "core/record_index.hpp"
#include "core/seeded_rng.hpp"
#include "oms/order.hpp"

namespace be::oms {

template <class Record>
class OrderTable {
 public:
  static constexpr std::uint32_t kNone = 0xFFFF'FFFFu;

  // Precondition: 0 < capacity < 2^30.
  explicit OrderTable(std::uint32_t capacity)
      : records_(capacity),
        keys_(capacity),
        used_(capacity, 0),
        retired_flag_(capacity, 0),
        free_(capacity),
        retired_(capacity, kNone),
        index_(capacity) {
    // Pop order: slot 0 first.
    for (std::uint32_t k = 0; k < capacity; ++k)
      free_[k] = capacity - 1 - k;
    free_top_ = capacity;
  }

  std::uint32_t capacity() const noexcept { return static_cast<std::uint32_t>(records_.size()); }
  std::uint32_t size() const noexcept { return capacity() - free_top_; }
  std::uint32_t live() const noexcept { return size() - retired_count_; }

  std::uint32_t find(ClientOrderId id) const noexcept { return index_.find(keys_, id); }

  // Precondition: find(id) == kNone. Returns the new slot (its record value-initialised), or
  // kNone when every slot holds a live order.
  std::uint32_t insert(ClientOrderId id) noexcept {
    if (free_top_ == 0) {
      if (retired_count_ == 0) return kNone;
      evict_oldest_retired();
    }
    const std::uint32_t s = free_[--free_top_];
    used_[s] = 1;
    keys_[s] = id;
    records_[s] = Record{};
    index_.insert(keys_, s);
    return s;
  }

  // The slot the next insert() evicts to make room (the oldest retired order), or kNone when
  // it takes a free slot or fails: whose remembered order is about to go.
  std::uint32_t next_eviction() const noexcept {
    return free_top_ == 0 && retired_count_ != 0 ? retired_[retired_head_] : kNone;
  }

  // The order in `slot` is terminal: it may be evicted from now on. Idempotent.
  void retire(std::uint32_t slot) noexcept {
    if (retired_flag_[slot]) return;
    retired_flag_[slot] = 1;
    retired_[(retired_head_ + retired_count_) % capacity()] = slot;
    ++retired_count_;
  }

  bool used(std::uint32_t slot) const noexcept { return used_[slot] != 0; }
  bool retired(std::uint32_t slot) const noexcept { return retired_flag_[slot] != 0; }
  ClientOrderId key(std::uint32_t slot) const noexcept { return keys_[slot]; }
  Record& operator[](std::uint32_t slot) noexcept { return records_[slot]; }
  const Record& operator[](std::uint32_t slot) const noexcept { return records_[slot]; }

  // f(slot) for every used slot, in slot order.
  template <class F>
  void for_each(F&& f) const {
    for (std::uint32_t s = 0; s < capacity(); ++s)
      if (used_[s]) f(s);
  }

  // Visits the whole table state (fixed size for a capacity); see core/state_io.hpp.
  template <class V>
  void fields(V& v) {
    v(free_top_);
    v(retired_head_);
    v(retired_count_);
    for (std::uint32_t s = 0; s < capacity(); ++s) {
      v(used_[s]);
      v(retired_flag_[s]);
      v(keys_[s].bot);
      v(keys_[s].sequence);
      v(free_[s]);
      v(retired_[s]);
      records_[s].fields(v);
    }
  }
  // After fields() read a snapshot: checks that the free stack, the retired FIFO and the used
  // flags agree and that no key repeats, then rebuilds the index. False: not a table this
  // code wrote (the caller discards the whole object).
  bool rebuild_index() {
    const std::uint32_t n = capacity();
    if (free_top_ > n || retired_head_ >= n || retired_count_ > n) return false;
    std::vector<std::uint8_t> seen(n, 0);
    for (std::uint32_t k = 0; k < free_top_; ++k) {
      const std::uint32_t s = free_[k];
      if (s >= n || seen[s] || used_[s]) return false;
      seen[s] = 1;
    }
    std::uint32_t used_count = 0;
    std::uint32_t retired_flags = 0;
    for (std::uint32_t s = 0; s < n; ++s) {
      if (used_[s] > 1 || retired_flag_[s] > 1) return false;
      if (!used_[s] && retired_flag_[s]) return false;
      used_count += used_[s];
      retired_flags += retired_flag_[s];
    }
    if (used_count + free_top_ != n || retired_flags != retired_count_) return false;
    std::fill(seen.begin(), seen.end(), 0);
    for (std::uint32_t k = 0; k < retired_count_; ++k) {
      const std::uint32_t s = retired_[(retired_head_ + k) % n];
      if (s >= n || seen[s] || !retired_flag_[s]) return false;
      seen[s] = 1;
    }
    index_.clear();
    for (std::uint32_t s = 0; s < n; ++s) {
      if (!used_[s]) continue;
      if (find(keys_[s]) != kNone) return false;
      index_.insert(keys_, s);
    }
    return true;
  }

  // Takes over `old`'s orders, each in the slot it had (a snapshot restored into other table
  // sizes): false when `old` uses a slot this table does not have. The free slots `old` had
  // are taken first, in its order, then the ones this table has beyond it, lowest first; the
  // retired orders keep their eviction order. Allocates only in rebuild_index.
  bool adopt(const OrderTable& old) {
    const std::uint32_t n = capacity();
    const std::uint32_t m = old.capacity();
    for (std::uint32_t s = n; s < m; ++s)
      if (old.used_[s]) return false;
    free_top_ = 0;
    for (std::uint32_t s = n; s-- > m;)
      free_[free_top_++] = s;
    for (std::uint32_t k = 0; k < old.free_top_; ++k)
      if (old.free_[k] < n) free_[free_top_++] = old.free_[k];
    for (std::uint32_t s = 0; s < n; ++s) {
      const bool had = s < m;
      used_[s] = had ? old.used_[s] : 0;
      retired_flag_[s] = had ? old.retired_flag_[s] : 0;
      keys_[s] = had ? old.keys_[s] : ClientOrderId{};
      records_[s] = had ? old.records_[s] : Record{};
      retired_[s] = kNone;
    }
    retired_head_ = 0;
    retired_count_ = old.retired_count_;
    for (std::uint32_t k = 0; k < old.retired_count_ && k < n; ++k)
      retired_[k] = old.retired_[(old.retired_head_ + k) % m];
    return retired_count_ <= n && rebuild_index();
  }

 private:
  struct KeyOfId {
    ClientOrderId operator()(const ClientOrderId& id) const noexcept { return id; }
  };
  struct HashId {
    std::uint64_t operator()(const ClientOrderId& id) const noexcept {
      return splitmix64_mix(id.sequence * SeededRng::kGamma + index_of(id.bot));
    }
  };

  void evict_oldest_retired() noexcept {
    const std::uint32_t s = retired_[retired_head_];
    retired_[retired_head_] = kNone;
    retired_head_ = (retired_head_ + 1) % capacity();
    --retired_count_;
    retired_flag_[s] = 0;
    used_[s] = 0;
    erase_from_index(s);
    free_[free_top_++] = s;
  }

  void erase_from_index(std::uint32_t slot) noexcept {
    index_.erase(keys_, slot);
    keys_[slot] = ClientOrderId{};
  }

  std::vector<Record> records_;
  std::vector<ClientOrderId> keys_;
  std::vector<std::uint8_t> used_;
  std::vector<std::uint8_t> retired_flag_;
  std::vector<std::uint32_t> free_;     // stack of free slots
  std::vector<std::uint32_t> retired_;  // FIFO ring of retired slots, oldest at head
  RecordIndex<ClientOrderId, ClientOrderId, KeyOfId, HashId> index_;  // used slots by key
  std::uint32_t free_top_ = 0;
  std::uint32_t retired_head_ = 0;
  std::uint32_t retired_count_ = 0;
};

}  // namespace be::oms
