#include "tests/support/alloc_counter.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

namespace {

// The counter must see both C and C++ allocations, or a zero-allocation test proves nothing.
TEST(AllocationCounter, shouldCountNewAndMalloc) {
  if (!be::test::allocation_counting_available()) GTEST_SKIP() << "sanitizer owns malloc";
  const auto before = be::test::allocation_count();
  auto p = std::make_unique<int>(42);
  void* raw = std::malloc(64);
  asm volatile("" : : "r"(raw) : "memory");  // keep the compiler from eliding the pair
  std::free(raw);
  std::vector<int> v(100);
  EXPECT_GE(be::test::allocation_count() - before, 3u);
  EXPECT_EQ(*p, 42);
  EXPECT_EQ(v.size(), 100u);
}

// The per-thread count sees this thread's allocations and none of another thread's.
TEST(AllocationCounter, shouldCountOnlyTheCallingThreadsAllocationsPerThread) {
  if (!be::test::allocation_counting_available()) GTEST_SKIP() << "sanitizer owns malloc";
  const auto mine = be::test::thread_allocation_count();
  std::uint64_t other_before = 0, other_after = 0;
  std::thread other([&] {
    other_before = be::test::thread_allocation_count();
    auto q = std::make_unique<long>(7);
    asm volatile("" : : "r"(q.get()) : "memory");
    other_after = be::test::thread_allocation_count();
  });
  other.join();  // std::thread's own state was allocated here, before `between`
  const auto between = be::test::thread_allocation_count();
  auto p = std::make_unique<int>(1);
  asm volatile("" : : "r"(p.get()) : "memory");
  EXPECT_EQ(be::test::thread_allocation_count() - between, 1u);
  EXPECT_GE(between - mine, 1u) << "the thread's state";
  EXPECT_EQ(other_after - other_before, 1u);
}

}  // namespace
