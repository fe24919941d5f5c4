// Which sanitizer this test binary is built under, for the few tests whose load must shrink
// there: TSan runs threaded code 5-15x slower, so a flood sized for release would spend the
// whole drain deadline being instrumented rather than testing anything new.
#pragma once

namespace be::test {

#if defined(__SANITIZE_THREAD__)
inline constexpr bool kThreadSanitizer = true;
#else
inline constexpr bool kThreadSanitizer = false;
#endif

}  // namespace be::test
