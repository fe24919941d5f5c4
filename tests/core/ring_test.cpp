// SpscRing: compile-time contracts, single-thread edges (wrap-around, partial commits,
// capacity 1 and 2, full rejection), fused one-thread use, a two-thread transfer of millions
// of items checked by sequence and sum, and zero heap allocations per item.
#include "core/spsc_ring.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/agent.hpp"
#include "core/event.hpp"
#include "tests/support/alloc_counter.hpp"

namespace be {
namespace {

using U64Ring = SpscRing<std::uint64_t>;

// ---- compile-time contracts (STYLE.md #4) ----
static_assert(noexcept(std::declval<U64Ring&>().try_push(std::uint64_t{})));
static_assert(noexcept(std::declval<U64Ring&>().try_pop(std::declval<std::uint64_t&>())));
static_assert(noexcept(std::declval<U64Ring&>().claim(1)));
static_assert(noexcept(std::declval<U64Ring&>().commit(1)));
static_assert(noexcept(std::declval<U64Ring&>().peek(1)));
static_assert(noexcept(std::declval<U64Ring&>().release(1)));
static_assert(noexcept(std::declval<const U64Ring&>().size_approx()));
static_assert(alignof(U64Ring) >= kCacheLine, "indices must start on their own cache lines");
static_assert(sizeof(U64Ring) >= 3 * kFalseSharingSpan, "read-only, producer, consumer spans");
static_assert(!std::is_copy_constructible_v<U64Ring> && !std::is_move_constructible_v<U64Ring>,
              "the other thread holds a reference: the ring must not move");
// The hot record rides the ring by value.
static_assert(sizeof(SpscRing<Event>) >= 3 * kFalseSharingSpan);

// The sanitizers slow each item ~10-50x; keep millions there, tens of millions in release.
#if defined(BE_SANITIZER_THREAD) || defined(BE_SANITIZER_ADDRESS)
constexpr std::uint64_t kTransferCount = 2'000'000;
#else
constexpr std::uint64_t kTransferCount = 20'000'000;
#endif

TEST(SpscRing, shouldRejectCapacityThatIsNotAPowerOfTwo) {
  EXPECT_THROW(U64Ring(0), std::invalid_argument);
  EXPECT_THROW(U64Ring(3), std::invalid_argument);
  EXPECT_THROW(U64Ring(1000), std::invalid_argument);
  EXPECT_NO_THROW(U64Ring(1));
  EXPECT_NO_THROW(U64Ring(1024));
}

TEST(SpscRing, shouldRejectPushWhenFullAndAcceptAgainAfterPop) {
  U64Ring ring(4);
  for (std::uint64_t i = 0; i < 4; ++i)
    EXPECT_TRUE(ring.try_push(i));
  EXPECT_FALSE(ring.try_push(99));
  EXPECT_EQ(ring.size_approx(), 4u);
  std::uint64_t out = 0;
  ASSERT_TRUE(ring.try_pop(out));
  EXPECT_EQ(out, 0u);
  EXPECT_TRUE(ring.try_push(4));
  EXPECT_FALSE(ring.try_push(5));
  for (std::uint64_t expect = 1; expect <= 4; ++expect) {
    ASSERT_TRUE(ring.try_pop(out));
    EXPECT_EQ(out, expect);
  }
  EXPECT_FALSE(ring.try_pop(out));
  EXPECT_TRUE(ring.empty_approx());
}

TEST(SpscRing, shouldWorkWithCapacityOneAcrossManyWraps) {
  U64Ring ring(1);
  std::uint64_t out = 0;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    ASSERT_TRUE(ring.try_push(i));
    ASSERT_FALSE(ring.try_push(i + 1)) << "capacity 1 holds exactly one item";
    ASSERT_TRUE(ring.try_pop(out));
    ASSERT_EQ(out, i);
    ASSERT_FALSE(ring.try_pop(out));
  }
}

TEST(SpscRing, shouldWorkWithCapacityTwoUsingBatches) {
  U64Ring ring(2);
  std::uint64_t next = 0;
  std::uint64_t expect = 0;
  for (int round = 0; round < 100; ++round) {
    auto slots = ring.claim(2);
    for (auto& s : slots)
      s = next++;
    ring.commit(slots.size());
    auto items = ring.peek(2);
    for (auto v : items)
      ASSERT_EQ(v, expect++);
    ring.release(items.size());
  }
  EXPECT_GT(expect, 100u);
  EXPECT_EQ(expect, next);
}

TEST(SpscRing, shouldStopClaimAtTheEndOfStorageAndContinueAfterTheWrap) {
  U64Ring ring(8);
  std::uint64_t out = 0;
  for (std::uint64_t i = 0; i < 6; ++i)
    ASSERT_TRUE(ring.try_push(i));
  for (std::uint64_t i = 0; i < 6; ++i)
    ASSERT_TRUE(ring.try_pop(out));
  // tail at slot 6: only 2 contiguous slots remain before the wrap although 8 are free.
  auto first = ring.claim(5);
  ASSERT_EQ(first.size(), 2u);
  first[0] = 100;
  first[1] = 101;
  EXPECT_EQ(ring.commit(2), 2u);
  auto second = ring.claim(3);
  ASSERT_EQ(second.size(), 3u) << "the run restarts at slot 0";
  second[0] = 102;
  second[1] = 103;
  second[2] = 104;
  ring.commit(3);
  // The consumer sees the same split: 2 before the wrap, then 3.
  auto a = ring.peek(10);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0], 100u);
  EXPECT_EQ(a[1], 101u);
  ring.release(2);
  auto b = ring.peek(10);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0], 102u);
  EXPECT_EQ(b[2], 104u);
  ring.release(3);
  EXPECT_TRUE(ring.peek(1).empty());
}

TEST(SpscRing, shouldPublishOnlyTheCommittedPrefixOfAClaim) {
  U64Ring ring(8);
  auto slots = ring.claim(4);
  ASSERT_EQ(slots.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i)
    slots[i] = 10 + i;
  EXPECT_EQ(ring.commit(1), 1u);
  EXPECT_EQ(ring.size_approx(), 1u);
  auto seen = ring.peek(8);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], 10u);
  // A partial release leaves the rest readable, in order.
  ASSERT_TRUE(ring.try_push(11));
  ASSERT_TRUE(ring.try_push(12));
  auto three = ring.peek(8);
  ASSERT_EQ(three.size(), 3u);
  EXPECT_EQ(ring.release(1), 1u);
  std::uint64_t out = 0;
  ASSERT_TRUE(ring.try_pop(out));
  EXPECT_EQ(out, 11u);
  ASSERT_TRUE(ring.try_pop(out));
  EXPECT_EQ(out, 12u);
  EXPECT_FALSE(ring.try_pop(out));
}

TEST(SpscRing, shouldReturnEmptyClaimWhenFullAndCommitZeroHarmlessly) {
  U64Ring ring(4);
  auto all = ring.claim(4);
  ASSERT_EQ(all.size(), 4u);
  ring.commit(4);
  EXPECT_TRUE(ring.claim(1).empty());
  EXPECT_EQ(ring.commit(0), 0u);
  EXPECT_FALSE(ring.try_push(1));
  EXPECT_EQ(ring.size_approx(), 4u);
  EXPECT_TRUE(ring.claim(0).empty());
}

#ifdef NDEBUG
// In release builds the asserts are off; the ring must still never publish unclaimed slots.
TEST(SpscRing, shouldClampCommitAndReleaseBeyondWhatWasClaimedOrPeeked) {
  U64Ring ring(8);
  auto slots = ring.claim(2);
  ASSERT_EQ(slots.size(), 2u);
  slots[0] = 1;
  slots[1] = 2;
  EXPECT_EQ(ring.commit(5), 2u);
  EXPECT_EQ(ring.size_approx(), 2u);
  auto seen = ring.peek(1);
  EXPECT_EQ(ring.release(7), 1u);
  EXPECT_EQ(seen.size(), 1u);
  EXPECT_EQ(ring.size_approx(), 1u);
}
#endif

TEST(SpscRing, shouldCarryEventsByValueInFusedOneThreadPipeline) {
  // Fused topology: one thread runs stage A (producer) then stage B (consumer) per cycle.
  SpscRing<Event> ring(64);
  std::uint64_t produced = 0;
  std::uint64_t consumed = 0;
  std::uint64_t sum = 0;
  for (int cycle = 0; cycle < 10'000; ++cycle) {
    const int burst = cycle % 70;  // sometimes more than fits: the producer must see "full"
    for (int i = 0; i < burst; ++i) {
      Event e{};
      e.header.sequence = produced + 1;
      if (!ring.try_push(e)) break;
      ++produced;
    }
    Event e{};
    while (ring.try_pop(e)) {
      ASSERT_EQ(e.header.sequence, consumed + 1) << "out of order";
      ++consumed;
      sum += e.header.sequence;
    }
  }
  EXPECT_EQ(consumed, produced);
  EXPECT_EQ(sum, produced * (produced + 1) / 2);
  EXPECT_GT(produced, 300'000u);
}

// A full or empty ring makes the waiting side give up its core: the test machine has 2 shared
// cores and sanitizer builds are slow, so spinning would mostly wait for the scheduler.
void wait_a_little() {
  std::this_thread::yield();
}

// Two threads, tens of millions of items. The consumer checks every value is the next in
// sequence (catches loss, duplication and reordering) and the sum (catches torn payloads).
void transfer_and_check(bool batched) {
  U64Ring ring(1024);
  std::thread producer([&] {
    std::uint64_t next = 1;
    if (batched) {
      while (next <= kTransferCount) {
        auto slots = ring.claim(
            static_cast<std::size_t>(std::min<std::uint64_t>(64, kTransferCount - next + 1)));
        if (slots.empty()) {
          wait_a_little();
          continue;
        }
        for (auto& s : slots)
          s = next++;
        ring.commit(slots.size());
      }
    } else {
      while (next <= kTransferCount) {
        if (ring.try_push(next)) {
          ++next;
        } else {
          wait_a_little();
        }
      }
    }
  });
  std::uint64_t expect = 1;
  std::uint64_t sum = 0;
  bool in_order = true;
  while (expect <= kTransferCount) {
    if (batched) {
      auto items = ring.peek(64);
      if (items.empty()) {
        wait_a_little();
        continue;
      }
      for (auto v : items) {
        in_order &= (v == expect++);
        sum += v;
      }
      ring.release(items.size());
    } else {
      std::uint64_t v = 0;
      if (!ring.try_pop(v)) {
        wait_a_little();
        continue;
      }
      in_order &= (v == expect++);
      sum += v;
    }
  }
  producer.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(sum, kTransferCount * (kTransferCount + 1) / 2);
  std::uint64_t extra = 0;
  EXPECT_FALSE(ring.try_pop(extra)) << "nothing beyond the last item";
}

TEST(SpscRing, shouldTransferMillionsOfItemsBetweenTwoThreadsInOrder) {
  transfer_and_check(false);
}

TEST(SpscRing, shouldTransferMillionsOfItemsInBatchesBetweenTwoThreadsInOrder) {
  transfer_and_check(true);
}

TEST(SpscRing, shouldTransferBetweenTwoPinnedThreads) {
  if (!cpu_allowed(0) || !cpu_allowed(1)) GTEST_SKIP() << "CPUs 0 and 1 are not both available";
  U64Ring ring(256);
  constexpr std::uint64_t kCount = kTransferCount / 10;
  std::uint64_t sum = 0;
  std::thread consumer([&] {
    EXPECT_TRUE(pin_current_thread(1).has_value());
    std::uint64_t v = 0;
    for (std::uint64_t got = 0; got < kCount;) {
      if (ring.try_pop(v)) {
        sum += v;
        ++got;
      } else {
        wait_a_little();
      }
    }
  });
  std::thread producer([&] {
    EXPECT_TRUE(pin_current_thread(0).has_value());
    for (std::uint64_t i = 1; i <= kCount;) {
      if (ring.try_push(i)) {
        ++i;
      } else {
        wait_a_little();
      }
    }
  });
  producer.join();
  consumer.join();
  EXPECT_EQ(sum, kCount * (kCount + 1) / 2);
}

TEST(SpscRing, shouldNotAllocatePerItemAfterConstruction) {
  if (!test::allocation_counting_available()) {
    GTEST_SKIP() << "allocation counting is off under sanitizers";
  }
  U64Ring ring(256);
  constexpr std::uint64_t kCount = 1'000'000;
  std::atomic<bool> ready{false};
  std::uint64_t sum = 0;
  std::thread consumer([&] {
    ready.store(true, std::memory_order_release);
    std::uint64_t v = 0;
    for (std::uint64_t got = 0; got < kCount;) {
      auto items = ring.peek(32);
      if (!items.empty()) {
        for (auto x : items)
          sum += x;
        got += ring.release(items.size());
      } else if (ring.try_pop(v)) {
        sum += v;
        ++got;
      }
    }
  });
  while (!ready.load(std::memory_order_acquire))
    wait_a_little();  // thread creation allocates
  const std::uint64_t before = test::allocation_count();
  for (std::uint64_t i = 1; i <= kCount;) {
    if (i % 2 == 0) {
      auto slots =
          ring.claim(static_cast<std::size_t>(std::min<std::uint64_t>(16, kCount - i + 1)));
      for (auto& s : slots)
        s = i++;
      ring.commit(slots.size());
    } else if (ring.try_push(i)) {
      ++i;
    }
  }
  while (!ring.empty_approx())
    wait_a_little();
  const std::uint64_t after = test::allocation_count();
  consumer.join();
  EXPECT_EQ(after - before, 0u) << "the ring allocated on its hot path";
  EXPECT_EQ(sum, kCount * (kCount + 1) / 2);
}

}  // namespace
}  // namespace be
