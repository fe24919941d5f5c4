// Counts heap allocations in this process, every thread included, so a test can prove that
// a hot path allocates nothing after warm-up: take a snapshot, run the path, compare.
//
// It replaces operator new/delete and interposes malloc/calloc/realloc (glibc's __libc_*
// entry points do the work), so allocations inside C libraries such as LMDB count too.
// Link tests/support:be_alloc_counter into a test binary to use it. Under ASan or TSan the
// sanitizer owns malloc, so counting is off there and allocation_counting_available()
// returns false: tests skip with a message rather than pass vacuously.
#pragma once

#include <cstdint>

namespace be::test {

bool allocation_counting_available() noexcept;
std::uint64_t allocation_count() noexcept;
// Allocations made by the calling thread only (for a path that runs on one thread while
// others in the process allocate).
std::uint64_t thread_allocation_count() noexcept;

}  // namespace be::test
