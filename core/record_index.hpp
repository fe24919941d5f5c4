// An index from a record's key to its position in a caller's array of records: open
// addressing with linear probing over a power-of-two table at least twice the records'
// capacity, backward-shift deletion (no tombstones, so lookups stay short however long the
// index lives). It stores positions only; keys are read from the records through `key_of`,
// so it costs 4 bytes a bucket. Sized once at construction: find, insert and erase never
// allocate (the hot path's rule); `rebuild` (a restore) does not allocate either.
//
// Used by oms::OrderTable (client order id -> slot) and by risk's tracked orders, a vector
// compacted by swap-and-pop (`moved` re-points the record that filled the hole). Hash with
// core/seeded_rng.hpp's splitmix64_mix, the project's one mixer.
// Thread-safety: none. Determinism: positions only, no iteration: nothing here depends on
// the table's layout.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace be {

// KeyOf: `Key operator()(const Record&) const`; Hash: `std::uint64_t operator()(const Key&)`.
template <class Record, class Key, class KeyOf, class Hash>
class RecordIndex {
 public:
  static constexpr std::uint32_t kNone = 0xFFFF'FFFFu;

  explicit RecordIndex(std::size_t capacity) {
    std::size_t buckets = 16;
    while (buckets < capacity * 2)
      buckets <<= 1;
    index_.assign(buckets, kNone);
    mask_ = buckets - 1;
  }

  // The position of the record with `key`, or kNone.
  std::uint32_t find(const std::vector<Record>& records, const Key& key) const noexcept {
    for (std::size_t b = home(key);; b = (b + 1) & mask_) {
      const std::uint32_t p = index_[b];
      if (p == kNone) return kNone;
      if (KeyOf{}(records[p]) == key) return p;
    }
  }
  // records[position] is new. Precondition: fewer records than the capacity.
  void insert(const std::vector<Record>& records, std::uint32_t position) noexcept {
    std::size_t b = home(KeyOf{}(records[position]));
    while (index_[b] != kNone)
      b = (b + 1) & mask_;
    index_[b] = position;
  }
  // records[position] is about to leave. Call before the array changes.
  void erase(const std::vector<Record>& records, std::uint32_t position) noexcept {
    std::size_t hole = bucket_of(records, position);
    for (std::size_t j = (hole + 1) & mask_;; j = (j + 1) & mask_) {
      const std::uint32_t p = index_[j];
      if (p == kNone) break;
      // The entry at j may fill the hole unless its home lies cyclically in (hole, j].
      const std::size_t h = home(KeyOf{}(records[p]));
      if (((j - h) & mask_) >= ((j - hole) & mask_)) {
        index_[hole] = p;
        hole = j;
      }
    }
    index_[hole] = kNone;
  }
  // The record at `from` is about to move to `to` (swap-and-pop fills a hole with the last).
  void moved(const std::vector<Record>& records, std::uint32_t from, std::uint32_t to) noexcept {
    index_[bucket_of(records, from)] = to;
  }
  // Nothing indexed (a caller rebuilding from only some of its records).
  void clear() noexcept { std::fill(index_.begin(), index_.end(), kNone); }
  // Every record indexed afresh (after a restore replaced the array).
  void rebuild(const std::vector<Record>& records) noexcept {
    clear();
    for (std::size_t p = 0; p < records.size(); ++p)
      insert(records, static_cast<std::uint32_t>(p));
  }

 private:
  std::size_t home(const Key& key) const noexcept {
    return static_cast<std::size_t>(Hash{}(key)) & mask_;
  }
  std::size_t bucket_of(const std::vector<Record>& records, std::uint32_t position) const noexcept {
    std::size_t b = home(KeyOf{}(records[position]));
    while (index_[b] != position)
      b = (b + 1) & mask_;
    return b;
  }

  std::vector<std::uint32_t> index_;
  std::size_t mask_ = 0;
};

}  // namespace be
