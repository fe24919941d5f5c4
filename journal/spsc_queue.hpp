// The writer's input queue contract, and a minimal bounded SPSC queue that satisfies it.
//
// JournalWriter<Q> accepts any Q modelling EventQueue, so the engine can hand it
// core/spsc_ring.hpp's ring (through a three-line adapter if its names differ) without
// touching journal/. This queue exists so journal/ builds and is tested on its own.
#pragma once

#include <atomic>
#include <concepts>
#include <cstddef>
#include <memory>
#include <new>

#include "core/event.hpp"

namespace be::journal {

// One producer calls try_push, one consumer (the writer thread) calls try_pop; both are
// non-blocking, allocation-free and return false when full / empty. Constructible from a
// capacity (a minimum: an implementation may round up).
template <class Q>
concept EventQueue = std::constructible_from<Q, std::size_t> &&
    requires(Q& q, const Event& in, Event& out) {
  { q.try_push(in) } -> std::same_as<bool>;
  { q.try_pop(out) } -> std::same_as<bool>;
};

template <class T>
class SpscQueue {
 public:
  // Capacity is rounded up to a power of two. Allocates once, here.
  explicit SpscQueue(std::size_t capacity) {
    std::size_t c = 2;
    while (c < capacity)
      c <<= 1;
    mask_ = c - 1;
    slots_ = std::make_unique<T[]>(c);
  }

  // Producer thread only.
  bool try_push(const T& v) noexcept {
    const std::size_t t = tail_.load(std::memory_order_relaxed);
    if (t - head_cache_ > mask_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (t - head_cache_ > mask_) return false;
    }
    slots_[t & mask_] = v;
    tail_.store(t + 1, std::memory_order_release);  // publishes the slot written above
    return true;
  }

  // Consumer thread only.
  bool try_pop(T& out) noexcept {
    const std::size_t h = head_.load(std::memory_order_relaxed);
    if (h == tail_cache_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (h == tail_cache_) return false;
    }
    out = slots_[h & mask_];
    head_.store(h + 1, std::memory_order_release);  // the slot may now be overwritten
    return true;
  }

 private:
  // Producer and consumer indices on their own cache lines: no false sharing between the
  // two threads; each side caches the other's index to touch the shared line rarely.
  static constexpr std::size_t kLine = 64;
  alignas(kLine) std::atomic<std::size_t> tail_{0};
  std::size_t head_cache_ = 0;
  alignas(kLine) std::atomic<std::size_t> head_{0};
  std::size_t tail_cache_ = 0;
  alignas(kLine) std::size_t mask_ = 0;
  std::unique_ptr<T[]> slots_;
};

static_assert(EventQueue<SpscQueue<Event>>);

}  // namespace be::journal
