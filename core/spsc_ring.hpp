// SpscRing<T>: the bounded single-producer single-consumer ring that connects pipeline stages
// (docs/ARCHITECTURE.md §2). One thread pushes, one thread pops; they may be the same thread (the
// `fused` topology runs every stage on one thread and the rings still sit between them).
//
// Layout (each box starts on its own false-sharing span of kFalseSharingSpan bytes):
//
//   +------------------------------+  read-only after construction: both sides read it,
//   | slots_ | mask_ | capacity_   |  nobody writes it, so it never bounces between cores
//   +------------------------------+
//   | tail_ (atomic, producer)     |  written by the producer only; the consumer reads it
//   | cached_head_ (producer only) |  when its own cached copy says "empty"
//   +------------------------------+
//   | head_ (atomic, consumer)     |  written by the consumer only; the producer reads it
//   | cached_tail_ (consumer only) |  when its own cached copy says "full"
//   +------------------------------+
//
//   heap: [ pad | slot 0 | slot 1 | ... | slot capacity-1 | pad ]
//   The pads keep whatever the allocator puts next to the storage off the first and last
//   slot's cache lines.
//
// Indices are free-running 64-bit counters (never wrap in practice: 2^64 items at 1e9/s is
// ~585 years); the slot is `index & mask_`. That makes the whole capacity usable (capacity 1
// works) and makes "full" (tail - head == capacity) and "empty" (tail == head) unambiguous.
//
// Each side keeps a private copy of the other side's index and only reloads the shared atomic
// when that copy says it cannot proceed. In steady state the producer touches only its own
// line and the slot lines, which is what removes cache-line ping-pong on the indices.
//
// Element contract: T must be trivially copyable (hot records are, docs/ARCHITECTURE.md §3) and
// default constructible. Every slot holds a live T for the ring's whole lifetime (value-constructed
// once at construction), so claim() can hand out writable slots, pop is a plain copy, and no
// destructor runs per item. Nothing here allocates, locks, throws or makes a syscall after
// the constructor.
//
// Thread-safety: exactly one producer thread calls try_push/claim/commit and exactly one
// consumer thread calls try_pop/peek/release (they may be the same thread). size_approx(),
// capacity() and empty_approx() may be called from any thread. The ring must outlive both
// sides; moving or copying it is forbidden because the other thread holds a reference.
#pragma once

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <type_traits>

namespace be {

// 64-byte lines on every x86-64 and most ARM servers. std::hardware_destructive_interference_
// size would say the same, but GCC 12 warns (-Winterference-size, an error here) whenever a
// header uses it because its value may differ between translation units built with different
// -mtune flags. Intel's adjacent-line prefetcher pulls lines in 128-byte pairs, so the two
// indices are kept two lines apart to stay clear of that too.
inline constexpr std::size_t kCacheLine = 64;
inline constexpr std::size_t kFalseSharingSpan = 2 * kCacheLine;

template <class T>
class SpscRing {
  static_assert(std::is_trivially_copyable_v<T>,
                "SpscRing carries fixed-size records by value: T must be trivially copyable");
  static_assert(std::is_nothrow_default_constructible_v<T>,
                "every slot holds a live T from construction on");
  static_assert(alignof(T) <= kFalseSharingSpan, "over-aligned T is not supported");
  static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
                "the indices must be lock-free atomics, or the ring is not lock-free");

 public:
  using value_type = T;

  // Largest accepted capacity: keeps the allocation size (with pads) far from overflow.
  static constexpr std::size_t kMaxCapacity = std::size_t{1} << 40;

  // Allocates capacity slots once. Throws std::invalid_argument when capacity is not a power
  // of two (or is 0, or exceeds kMaxCapacity) and std::bad_alloc when memory is short:
  // construction is setup, never the hot path.
  explicit SpscRing(std::size_t capacity)
      : capacity_(checked_capacity(capacity)), mask_(capacity_ - 1) {
    storage_ = static_cast<T*>(
        ::operator new[](alloc_slots(capacity_) * sizeof(T), std::align_val_t{kStorageAlign}));
    std::uninitialized_value_construct_n(storage_, alloc_slots(capacity_));
    slots_ = storage_ + kPadSlots;
  }

  ~SpscRing() {
    // T is trivially copyable, hence trivially destructible: nothing to destroy per slot.
    ::operator delete[](storage_, std::align_val_t{kStorageAlign});
  }

  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;
  SpscRing(SpscRing&&) = delete;
  SpscRing& operator=(SpscRing&&) = delete;

  // ---- producer side -------------------------------------------------------------------

  // Copies value into the ring. Returns false, leaving the ring unchanged, when it is full.
  bool try_push(const T& value) noexcept {
    // Relaxed: only this thread ever writes tail_.
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - cached_head_ == capacity_) {
      // Acquire pairs with the consumer's release of head_: the consumer has finished reading
      // every slot below head before we overwrite one of them.
      cached_head_ = head_.load(std::memory_order_acquire);
      if (tail - cached_head_ == capacity_) return false;
    }
    slots_[tail & mask_] = value;
    // Release publishes the slot write above before the consumer can see the new tail.
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Claims up to n contiguous free slots for writing in place and returns them (possibly
  // fewer than n: the free space may be smaller, or the run stops at the end of the storage;
  // an empty span means full or n == 0). Nothing is visible to the consumer until commit().
  // A second claim() without commit() replaces the first; do not try_push() between claim()
  // and commit() (both write at the tail, so the claimed slots would shift by one).
  std::span<T> claim(std::size_t n) noexcept {
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    std::uint64_t free = capacity_ - (tail - cached_head_);
    if (free < n) {
      cached_head_ = head_.load(std::memory_order_acquire);  // same pairing as try_push
      free = capacity_ - (tail - cached_head_);
    }
    const std::span<T> run = run_at(tail, free, n);
    claimed_ = run.size();
    return run;
  }

  // Publishes the first k slots of the last claim() in order. Returns the number published:
  // k, or the claimed count if k exceeds it (a caller bug, asserted in debug builds; clamping
  // guarantees the consumer never sees a slot that was not claimed).
  std::size_t commit(std::size_t k) noexcept {
    assert(k <= claimed_ && "commit() more than claim() returned");
    k = std::min(k, claimed_);
    claimed_ = 0;
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    tail_.store(tail + k, std::memory_order_release);  // publishes the in-place writes
    return k;
  }

  // ---- consumer side -------------------------------------------------------------------

  // Copies the oldest item into out and removes it. Returns false when the ring is empty.
  bool try_pop(T& out) noexcept {
    // Relaxed: only this thread ever writes head_.
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    if (head == cached_tail_) {
      // Acquire pairs with the producer's release of tail_: the slot contents are visible.
      cached_tail_ = tail_.load(std::memory_order_acquire);
      if (head == cached_tail_) return false;
    }
    out = slots_[head & mask_];
    // Release: our read of the slot happens before the producer may reuse it.
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

  // Returns up to n contiguous readable items, oldest first, without removing them (fewer when
  // fewer are available or the run reaches the end of the storage; empty when the ring is
  // empty). The items stay valid and unchanged until release() gives their slots back.
  std::span<const T> peek(std::size_t n) noexcept {
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    std::uint64_t available = cached_tail_ - head;
    if (available < n) {
      cached_tail_ = tail_.load(std::memory_order_acquire);  // same pairing as try_pop
      available = cached_tail_ - head;
    }
    const std::span<T> run = run_at(head, available, n);
    peeked_ = run.size();
    return run;
  }

  // Removes the first k items of the last peek(). Returns the number removed: k, or the peeked
  // count if k exceeds it (asserted in debug builds, clamped so unread items are never lost).
  std::size_t release(std::size_t k) noexcept {
    assert(k <= peeked_ && "release() more than peek() returned");
    k = std::min(k, peeked_);
    peeked_ = 0;
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    head_.store(head + k, std::memory_order_release);  // our reads happen before reuse
    return k;
  }

  // ---- any thread ----------------------------------------------------------------------

  std::size_t capacity() const noexcept { return capacity_; }

  // A snapshot that may be stale by the time it returns when the other side is running. It is
  // exact when called from the producer or consumer thread while the other side is idle, and
  // always within [0, capacity]. Monitoring only; never use it to decide whether a push fits.
  std::size_t size_approx() const noexcept {
    // head first: tail read afterwards is >= that head, so the difference is never negative;
    // a stale head can make it exceed capacity, hence the clamp.
    const std::uint64_t head = head_.load(std::memory_order_acquire);
    const std::uint64_t tail = tail_.load(std::memory_order_acquire);
    return static_cast<std::size_t>(std::min<std::uint64_t>(tail - head, capacity_));
  }

  // Exact on the consumer thread for "nothing to pop right now"; approximate elsewhere.
  bool empty_approx() const noexcept { return size_approx() == 0; }

 private:
  static constexpr std::size_t kStorageAlign = std::max(kFalseSharingSpan, alignof(T));
  static constexpr std::size_t kPadSlots = (kFalseSharingSpan + sizeof(T) - 1) / sizeof(T);
  static constexpr std::size_t alloc_slots(std::size_t capacity) noexcept {
    return capacity + 2 * kPadSlots;
  }

  // At most n slots from position on, within `limit` usable ones, stopping at the end of the
  // storage: a batch never wraps, the next one starts again at slot 0.
  std::span<T> run_at(std::uint64_t position, std::uint64_t limit, std::size_t n) const noexcept {
    const auto index = static_cast<std::size_t>(position & mask_);
    return {slots_ + index, std::min({n, static_cast<std::size_t>(limit), capacity_ - index})};
  }

  static std::size_t checked_capacity(std::size_t capacity) {
    if (capacity == 0 || (capacity & (capacity - 1)) != 0 || capacity > kMaxCapacity) {
      throw std::invalid_argument("SpscRing capacity must be a power of two in [1, 2^40]");
    }
    return capacity;
  }

  // Read-only after construction.
  alignas(kFalseSharingSpan) T* slots_ = nullptr;
  T* storage_ = nullptr;
  const std::size_t capacity_;
  const std::size_t mask_;

  // Producer's line.
  alignas(kFalseSharingSpan) std::atomic<std::uint64_t> tail_{0};
  std::uint64_t cached_head_ = 0;
  std::size_t claimed_ = 0;

  // Consumer's line.
  alignas(kFalseSharingSpan) std::atomic<std::uint64_t> head_{0};
  std::uint64_t cached_tail_ = 0;
  std::size_t peeked_ = 0;
  // No tail padding needed: alignas on the members rounds sizeof up to a whole span, so
  // whatever follows the ring in memory cannot share the consumer's line.
};

}  // namespace be
