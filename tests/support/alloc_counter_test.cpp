#include "tests/support/alloc_counter.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
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

}  // namespace
