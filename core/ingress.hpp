// Ingress<T>: the multi-producer -> single-consumer hand-off from I/O threads (operator
// commands, venue responses, market-data sockets) to the sequencer (docs/ARCHITECTURE.md §2). It is
// the only multi-producer queue in the engine; stages talk over SpscRing.
//
// Built on moodycamel::ConcurrentQueue with explicit producers (one ProducerToken per producer
// thread) and a single consumer token. What moodycamel actually guarantees, and what this
// wrapper adds so that "bounded, never allocates after construction, never blocks" is true:
//
//  - try_enqueue never allocates, but it is not a capacity bound by itself: it fails only when
//    the pre-allocated block pool (blocks of kBlockSize items) runs dry, and each explicit
//    producer keeps the blocks it once used for good (they are reused by that producer only).
//    One bursting producer could therefore starve the others. Ingress enforces the bound
//    itself with one shared in-flight counter: a push that would exceed capacity() is
//    refused and counted. The pool is sized so that every producer can have the whole
//    capacity outstanding once (max_producers * (capacity / kBlockSize + 2) blocks), so a push
//    that passes the counter always finds a block (pool_exhausted() stays 0; a test checks it).
//  - An explicit producer's block index starts at EXPLICIT_INITIAL_INDEX_SIZE entries and
//    growing it allocates, which try_enqueue refuses to do. The traits below raise that size
//    so a producer can hold capacity() items with the initial index; the constructor rejects
//    capacities above kMaxCapacity for that reason.
//  - Creating a ProducerToken allocates the producer's state the first time. The constructor
//    creates and retires max_producers tokens, so make_producer() later recycles them and
//    never allocates. Implicit (token-less) producers are disabled: they allocate per thread.
//  - Order is FIFO per producer only; items from different producers interleave arbitrarily.
//    The sequencer, not the queue, defines the global order.
//
// Element contract: T trivially copyable (a fixed-size record), so enqueue cannot throw.
//
// Thread-safety: make_producer() and each Producer's methods may be called from any thread,
// but one Producer must be used by one thread at a time. drain() is for one consumer thread.
// Counters may be read from any thread. Lifetime: the Ingress must outlive its Producers.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/expected.hpp"

// moodycamel is compiled as a SYSTEM header, but GCC 12 still reports some middle-end
// warnings from its inlined code against our -Werror targets: -Wnull-dereference in the
// producer-list walk (it cannot prove the list is non-empty), -Wmaybe-uninitialized through a
// moved ProducerToken, and -Wtsan because it uses std::atomic_thread_fence, which TSan does
// not model (see the suppression note in tests/core/ingress_test.cpp). Silenced for this
// header only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#if !defined(__clang__)  // a GCC-only warning: clang would reject the unknown group
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#if defined(__SANITIZE_THREAD__)
#pragma GCC diagnostic ignored "-Wtsan"
#endif
#include <concurrentqueue/concurrentqueue.h>
#pragma GCC diagnostic pop

namespace be {

enum class IngressError : std::uint8_t {
  kNone = 0,
  kTooManyProducers,  // max_producers Producers are alive; destroy one first
  kOutOfMemory,       // moodycamel could not create the producer (cannot happen after warm-up)
};

struct IngressQueueTraits : moodycamel::ConcurrentQueueDefaultTraits {
  // Block index entries per explicit producer: bounds how many blocks one producer may hold
  // without allocating (see kMaxCapacity). 1024 entries cost 16 KiB per producer.
  static const std::size_t EXPLICIT_INITIAL_INDEX_SIZE = 1024;
  // 0 disables implicit producers: every push must go through a pre-made token.
  static const std::size_t INITIAL_IMPLICIT_PRODUCER_HASH_SIZE = 0;
};

template <class T>
class Ingress {
  static_assert(std::is_trivially_copyable_v<T>,
                "Ingress carries fixed-size records: T must be trivially copyable");
  static_assert(std::is_nothrow_default_constructible_v<T>);

  using Queue = moodycamel::ConcurrentQueue<T, IngressQueueTraits>;

 public:
  static constexpr std::size_t kBlockSize = IngressQueueTraits::BLOCK_SIZE;
  // A producer holding `capacity` items spans up to capacity / kBlockSize + 2 blocks, and
  // each needs an index entry.
  static constexpr std::size_t kMaxCapacity =
      (IngressQueueTraits::EXPLICIT_INITIAL_INDEX_SIZE - 2) * kBlockSize;
  static_assert(kMaxCapacity == 32704, "keep the constructor's error text in step");
  static constexpr std::size_t kMaxProducers = 256;

  // A producer handle: one per I/O thread. Default-constructed handles are invalid and refuse
  // every push (without counting it as "full"). Movable, not copyable.
  class Producer {
   public:
    Producer() noexcept = default;
    Producer(Producer&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)), token_(std::move(other.token_)) {
      other.token_.reset();
    }
    Producer& operator=(Producer&& other) noexcept {
      if (this != &other) {
        retire();
        owner_ = std::exchange(other.owner_, nullptr);
        token_ = std::move(other.token_);
        other.token_.reset();
      }
      return *this;
    }
    Producer(const Producer&) = delete;
    Producer& operator=(const Producer&) = delete;
    ~Producer() { retire(); }

    bool valid() const noexcept { return owner_ != nullptr && token_.has_value(); }

    // Enqueues a copy of item. Returns false when the ingress is full (counted in rejected())
    // or the handle is invalid. Never blocks, never allocates.
    bool try_push(const T& item) noexcept {
      if (!valid()) return false;
      if (!owner_->reserve(1)) return false;
      if (owner_->queue_.try_enqueue(*token_, item)) return true;
      owner_->unreserve_exhausted(1);
      return false;
    }

    // All or nothing: enqueues every item of items, or none and returns false (full, counted
    // once per item in rejected(), or invalid handle).
    bool try_push_bulk(std::span<const T> items) noexcept {
      if (!valid()) return false;
      if (items.empty()) return true;
      if (!owner_->reserve(items.size())) return false;
      if (owner_->queue_.try_enqueue_bulk(*token_, items.data(), items.size())) return true;
      owner_->unreserve_exhausted(items.size());
      return false;
    }

   private:
    friend class Ingress;
    Producer(Ingress* owner, moodycamel::ProducerToken token) noexcept
        : owner_(owner), token_(std::move(token)) {}

    void retire() noexcept {
      if (owner_ == nullptr) return;
      // Destroying the token marks moodycamel's producer inactive so a later make_producer()
      // recycles it, items still queued included (the consumer drains them as usual).
      token_.reset();
      owner_->live_producers_.fetch_sub(1, std::memory_order_acq_rel);
      owner_ = nullptr;
    }

    Ingress* owner_ = nullptr;
    std::optional<moodycamel::ProducerToken> token_;
  };

  // Throws std::invalid_argument for capacity outside [1, kMaxCapacity] or max_producers
  // outside [1, kMaxProducers], std::bad_alloc when memory is short. All memory the ingress
  // will ever use is allocated here.
  Ingress(std::size_t capacity, std::size_t max_producers)
      : capacity_(checked(capacity, 1, kMaxCapacity, "Ingress capacity must be in [1, 32704]")),
        max_producers_(
            checked(max_producers, 1, kMaxProducers, "Ingress max_producers must be in [1, 256]")),
        queue_(max_producers_ * ((capacity_ + kBlockSize - 1) / kBlockSize + 2) * kBlockSize),
        consumer_token_(queue_) {
    std::vector<moodycamel::ProducerToken> warm;
    warm.reserve(max_producers_);
    for (std::size_t i = 0; i < max_producers_; ++i) {
      warm.emplace_back(queue_);
      if (!warm.back().valid()) throw std::bad_alloc();
    }
    // Tokens go out of scope here: their producers become inactive and wait to be recycled.
  }

  Ingress(const Ingress&) = delete;
  Ingress& operator=(const Ingress&) = delete;

  // Returns a producer handle, recycling one pre-made at construction (no allocation).
  // Thread-safe. Fails with kTooManyProducers while max_producers handles are alive.
  Expected<Producer, IngressError> make_producer() {
    if (live_producers_.fetch_add(1, std::memory_order_acq_rel) >= max_producers_) {
      live_producers_.fetch_sub(1, std::memory_order_acq_rel);
      return Unexpected{IngressError::kTooManyProducers};
    }
    moodycamel::ProducerToken token(queue_);
    if (!token.valid()) {
      live_producers_.fetch_sub(1, std::memory_order_acq_rel);
      return Unexpected{IngressError::kOutOfMemory};
    }
    return Producer(this, std::move(token));
  }

  // Consumer: moves up to out.size() items into out and returns how many. Per-producer FIFO.
  // 0 means "nothing found this time", not proof of emptiness while producers are running.
  std::size_t drain(std::span<T> out) noexcept {
    const std::size_t n = queue_.try_dequeue_bulk(consumer_token_, out.data(), out.size());
    // Release pairs with reserve()'s acquire: a producer that sees the lower count also sees
    // the slots we emptied, so it reuses its own blocks instead of taking new ones.
    if (n != 0) in_flight_.fetch_sub(n, std::memory_order_release);
    return n;
  }

  std::size_t capacity() const noexcept { return capacity_; }
  std::size_t max_producers() const noexcept { return max_producers_; }
  // Items pushed and not yet drained; approximate while threads run.
  std::size_t size_approx() const noexcept { return in_flight_.load(std::memory_order_relaxed); }
  // Pushes refused because the ingress was full (items, not calls).
  std::uint64_t rejected() const noexcept { return rejected_.load(std::memory_order_relaxed); }
  // Pushes refused by moodycamel despite room under capacity(): must stay 0 (see header).
  std::uint64_t pool_exhausted() const noexcept {
    return pool_exhausted_.load(std::memory_order_relaxed);
  }

 private:
  static std::size_t checked(std::size_t v, std::size_t lo, std::size_t hi, const char* what) {
    if (v < lo || v > hi) throw std::invalid_argument(what);
    return v;
  }

  bool reserve(std::size_t n) noexcept {
    if (in_flight_.fetch_add(n, std::memory_order_acquire) + n > capacity_) {
      in_flight_.fetch_sub(n, std::memory_order_relaxed);
      rejected_.fetch_add(n, std::memory_order_relaxed);
      return false;
    }
    return true;
  }

  void unreserve_exhausted(std::size_t n) noexcept {
    in_flight_.fetch_sub(n, std::memory_order_relaxed);
    rejected_.fetch_add(n, std::memory_order_relaxed);
    pool_exhausted_.fetch_add(1, std::memory_order_relaxed);
  }

  const std::size_t capacity_;
  const std::size_t max_producers_;
  Queue queue_;
  moodycamel::ConsumerToken consumer_token_;
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<std::size_t> live_producers_{0};
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<std::uint64_t> pool_exhausted_{0};
};

}  // namespace be
