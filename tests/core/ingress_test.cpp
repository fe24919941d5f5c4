// Ingress: the bound is exact and reported, producers are capped and recycled, several
// threads deliver every item in per-producer order, and nothing allocates after construction.
#include "core/ingress.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/agent.hpp"
#include "core/event.hpp"
#include "tests/support/alloc_counter.hpp"

#if defined(BE_SANITIZER_THREAD)
// moodycamel::ConcurrentQueue hands a drained block back to its producer through
// std::atomic_thread_fence, which TSan does not model (GCC warns -Wtsan; moodycamel's header
// itself notes "TSAN can false report races in lock-free code"), so TSan reports the reuse of
// a block slot as a race. Suppress reports with a moodycamel frame only: SpscRing and
// Ingress's own atomics are still checked.
extern "C" const char* __tsan_default_suppressions() {
  return "race:moodycamel::ConcurrentQueue\n";
}
#endif

namespace be {
namespace {

using U64Ingress = Ingress<std::uint64_t>;

static_assert(noexcept(std::declval<U64Ingress::Producer&>().try_push(std::uint64_t{})));
static_assert(noexcept(std::declval<U64Ingress&>().drain(std::span<std::uint64_t>{})));
static_assert(!std::is_copy_constructible_v<U64Ingress::Producer>);

#if defined(BE_SANITIZER_THREAD) || defined(BE_SANITIZER_ADDRESS)
constexpr std::uint64_t kPerProducer = 200'000;
#else
constexpr std::uint64_t kPerProducer = 1'000'000;
#endif

// Tags an item with its producer in the top 16 bits and its per-producer sequence below.
constexpr std::uint64_t tag(std::uint64_t producer, std::uint64_t seq) {
  return (producer << 48) | seq;
}

TEST(Ingress, shouldRejectCapacityOrProducerCountOutOfRange) {
  EXPECT_THROW(U64Ingress(0, 1), std::invalid_argument);
  EXPECT_THROW(U64Ingress(U64Ingress::kMaxCapacity + 1, 1), std::invalid_argument);
  EXPECT_THROW(U64Ingress(16, 0), std::invalid_argument);
  EXPECT_THROW(U64Ingress(16, U64Ingress::kMaxProducers + 1), std::invalid_argument);
  EXPECT_NO_THROW(U64Ingress(U64Ingress::kMaxCapacity, 2));
}

TEST(Ingress, shouldRejectPushWhenFullCountItAndAcceptAgainAfterDrain) {
  U64Ingress ingress(100, 1);
  auto producer = ingress.make_producer();
  ASSERT_TRUE(producer.has_value());
  for (std::uint64_t i = 0; i < 100; ++i)
    ASSERT_TRUE(producer->try_push(i)) << i;
  EXPECT_FALSE(producer->try_push(100));
  EXPECT_FALSE(producer->try_push(101));
  EXPECT_EQ(ingress.rejected(), 2u);
  EXPECT_EQ(ingress.size_approx(), 100u);

  std::array<std::uint64_t, 64> out{};
  std::uint64_t expect = 0;
  for (std::size_t n; (n = ingress.drain(out)) != 0;) {
    for (std::size_t i = 0; i < n; ++i)
      ASSERT_EQ(out[i], expect++);
  }
  EXPECT_EQ(expect, 100u);
  EXPECT_EQ(ingress.size_approx(), 0u);
  EXPECT_TRUE(producer->try_push(7));
  EXPECT_EQ(ingress.rejected(), 2u);
  EXPECT_EQ(ingress.pool_exhausted(), 0u);
}

TEST(Ingress, shouldPushBulkAllOrNothing) {
  U64Ingress ingress(10, 1);
  auto producer = ingress.make_producer();
  ASSERT_TRUE(producer.has_value());
  const std::array<std::uint64_t, 6> six{1, 2, 3, 4, 5, 6};
  EXPECT_TRUE(producer->try_push_bulk(six));
  EXPECT_FALSE(producer->try_push_bulk(six)) << "12 > capacity 10: nothing may be enqueued";
  EXPECT_EQ(ingress.size_approx(), 6u);
  EXPECT_EQ(ingress.rejected(), 6u);
  std::array<std::uint64_t, 16> out{};
  EXPECT_EQ(ingress.drain(out), 6u);
  EXPECT_EQ(out[5], 6u);
}

TEST(Ingress, shouldRefuseProducersBeyondTheLimitAndRecycleReleasedOnes) {
  U64Ingress ingress(32, 2);
  auto a = ingress.make_producer();
  auto b = ingress.make_producer();
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  auto c = ingress.make_producer();
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error(), IngressError::kTooManyProducers);

  ASSERT_TRUE(a->try_push(tag(1, 0)));
  { U64Ingress::Producer retired = std::move(*a); }  // destroying the handle frees its place
  EXPECT_FALSE(a->valid());
  EXPECT_FALSE(a->try_push(1)) << "a moved-from handle refuses pushes";
  auto d = ingress.make_producer();
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(d->try_push(tag(2, 0)));

  // The retired producer's queued item is still delivered.
  std::array<std::uint64_t, 8> out{};
  std::size_t total = 0;
  for (std::size_t n; (n = ingress.drain(out)) != 0;)
    total += n;
  EXPECT_EQ(total, 2u);
}

TEST(Ingress, shouldRefusePushOnDefaultConstructedProducer) {
  U64Ingress::Producer none;
  EXPECT_FALSE(none.valid());
  EXPECT_FALSE(none.try_push(1));
}

// Several producer threads race one consumer. Every item arrives exactly once, each producer's
// items arrive in the order it pushed them, and the pool never runs dry under the bound.
void deliver_from_several_threads(std::size_t capacity, std::uint64_t per_producer) {
  constexpr std::size_t kProducers = 4;
  U64Ingress ingress(capacity, kProducers);
  std::vector<std::thread> threads;
  std::atomic<std::uint64_t> full_retries{0};
  for (std::size_t p = 0; p < kProducers; ++p) {
    auto producer = ingress.make_producer();
    ASSERT_TRUE(producer.has_value());
    threads.emplace_back([&full_retries, p, per_producer, prod = std::move(*producer)]() mutable {
      std::uint64_t retries = 0;
      for (std::uint64_t seq = 0; seq < per_producer;) {
        if (prod.try_push(tag(p, seq))) {
          ++seq;
        } else {
          ++retries;
          std::this_thread::yield();  // full: let the consumer run (2 cores, 5 threads)
        }
      }
      full_retries.fetch_add(retries, std::memory_order_relaxed);
    });
  }
  std::array<std::uint64_t, kProducers> next{};
  std::array<std::uint64_t, kProducers> sums{};
  std::array<std::uint64_t, 256> out{};
  bool ordered = true;
  for (std::uint64_t received = 0; received < kProducers * per_producer;) {
    const std::size_t n = ingress.drain(out);
    if (n == 0) {
      std::this_thread::yield();
      continue;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t p = out[i] >> 48;
      const std::uint64_t seq = out[i] & ((std::uint64_t{1} << 48) - 1);
      ASSERT_LT(p, kProducers);
      ordered &= (seq == next[p]);
      next[p] = seq + 1;
      sums[p] += seq;
    }
    received += n;
  }
  for (auto& t : threads)
    t.join();
  EXPECT_TRUE(ordered);
  for (std::size_t p = 0; p < kProducers; ++p) {
    EXPECT_EQ(next[p], per_producer) << "producer " << p;
    EXPECT_EQ(sums[p], per_producer * (per_producer - 1) / 2) << "producer " << p;
  }
  EXPECT_EQ(ingress.drain(out), 0u);
  EXPECT_EQ(ingress.rejected(), full_retries.load());
  EXPECT_EQ(ingress.pool_exhausted(), 0u);
}

TEST(Ingress, shouldDeliverEveryItemInPerProducerOrderFromSeveralThreads) {
  deliver_from_several_threads(1024, kPerProducer);
}

// A tiny ingress (not a block multiple) is full most of the time, so producers keep racing the
// consumer for freed blocks: the bound must still keep moodycamel's pool from running dry.
TEST(Ingress, shouldNeverRunThePoolDryWhenASmallIngressIsFullMostOfTheTime) {
  deliver_from_several_threads(40, kPerProducer / 10);
}

// Each producer in turn holds the full capacity: the pre-allocated pool must cover that for
// all of them, with no allocation after construction (make_producer included).
TEST(Ingress, shouldLetEachProducerFillTheCapacityWithoutAllocating) {
  if (!test::allocation_counting_available()) {
    GTEST_SKIP() << "allocation counting is off under sanitizers";
  }
  constexpr std::size_t kCapacity = 1000;  // not a block multiple on purpose
  constexpr std::size_t kProducers = 3;
  U64Ingress ingress(kCapacity, kProducers);
  std::array<std::uint64_t, 128> out{};
  const std::uint64_t before = test::allocation_count();
  for (int round = 0; round < 3; ++round) {
    std::vector<U64Ingress::Producer> producers;
    producers.reserve(kProducers);  // counted, but outside the ingress: subtracted below
    for (std::size_t p = 0; p < kProducers; ++p) {
      auto made = ingress.make_producer();
      ASSERT_TRUE(made.has_value());
      producers.push_back(std::move(*made));
    }
    for (std::size_t p = 0; p < kProducers; ++p) {
      // Leave a partial block behind from the last round, then fill to the brim.
      for (std::size_t i = 0; i < kCapacity; ++i)
        ASSERT_TRUE(producers[p].try_push(i)) << i;
      ASSERT_FALSE(producers[p].try_push(0));
      std::size_t drained = 0;
      for (std::size_t n; (n = ingress.drain(out)) != 0;)
        drained += n;
      ASSERT_EQ(drained, kCapacity);
      ASSERT_TRUE(producers[p].try_push(1));  // a partial block carried into the next round
      ASSERT_EQ(ingress.drain(out), 1u);
    }
  }
  const std::uint64_t after = test::allocation_count();
  EXPECT_EQ(after - before, 3u) << "only the three vector.reserve calls may allocate";
  EXPECT_EQ(ingress.pool_exhausted(), 0u);
  EXPECT_EQ(ingress.rejected(), kProducers * 3);
}

TEST(Ingress, shouldNotAllocateWhileThreadsPushAndTheConsumerDrains) {
  if (!test::allocation_counting_available()) {
    GTEST_SKIP() << "allocation counting is off under sanitizers";
  }
  constexpr std::size_t kProducers = 2;
  constexpr std::uint64_t kCount = 200'000;
  Ingress<Event> ingress(512, kProducers);
  std::atomic<bool> go{false};
  std::atomic<bool> finish{false};
  std::atomic<int> started{0};
  std::vector<std::thread> threads;
  for (std::size_t p = 0; p < kProducers; ++p) {
    auto made = ingress.make_producer();
    ASSERT_TRUE(made.has_value());
    threads.emplace_back([&, prod = std::move(*made)]() mutable {
      started.fetch_add(1);
      while (!go.load(std::memory_order_acquire))
        std::this_thread::yield();
      Event e{};
      for (std::uint64_t i = 1; i <= kCount;) {
        e.header.sequence = i;
        if (prod.try_push(e)) {
          ++i;
        } else {
          std::this_thread::yield();
        }
      }
      // Stay alive until the count is taken: thread exit is not the path under test.
      while (!finish.load(std::memory_order_acquire))
        std::this_thread::yield();
    });
  }
  while (started.load() != static_cast<int>(kProducers))
    std::this_thread::yield();
  std::array<Event, 64> out{};
  const std::uint64_t before = test::allocation_count();
  go.store(true, std::memory_order_release);
  std::uint64_t received = 0;
  std::uint64_t sum = 0;
  while (received < kProducers * kCount) {
    const std::size_t n = ingress.drain(out);
    if (n == 0) std::this_thread::yield();
    for (std::size_t i = 0; i < n; ++i)
      sum += out[i].header.sequence;
    received += n;
  }
  const std::uint64_t after = test::allocation_count();
  finish.store(true, std::memory_order_release);
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(after - before, 0u) << "the ingress allocated on its hot path";
  EXPECT_EQ(sum, kProducers * kCount * (kCount + 1) / 2);
  EXPECT_EQ(ingress.pool_exhausted(), 0u);
}

}  // namespace
}  // namespace be
