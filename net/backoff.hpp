// Reconnect delays: exponential backoff with multiplicative jitter from a seeded generator.
//
// delay(n) = min(cap, initial * multiplier^n) * (1 + jitter * u),  u uniform in [-1, 1),
// clamped to [0, cap]. The generator is std::mt19937_64, whose output sequence the standard
// fixes, and u is derived from its raw bits (not std::uniform_real_distribution, whose output
// is implementation-defined), so a seed gives the same schedule on every platform: a test or
// a replay can predict every delay.
//
// Thread-safety: none; owned by the connection's I/O thread.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

#include "core/ids.hpp"

namespace be::net {

struct BackoffPolicy {
  Nanos initial = 1'000'000'000;  // 1 s
  double multiplier = 2.0;
  Nanos cap = 30'000'000'000;  // 30 s
  double jitter = 0.10;        // +-10 %
  std::uint64_t seed = 0x5eedu;
};

class Backoff {
 public:
  explicit Backoff(const BackoffPolicy& policy) noexcept : policy_(policy), rng_(policy.seed) {}

  // The delay before the next attempt, then advances the schedule.
  Nanos next() noexcept {
    const double base = std::min(static_cast<double>(policy_.cap),
                                 static_cast<double>(policy_.initial) *
                                     std::pow(policy_.multiplier, static_cast<double>(attempt_)));
    // 53 random bits -> [0, 1) -> [-1, 1).
    const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53 * 2.0 - 1.0;
    const double jittered = base * (1.0 + policy_.jitter * u);
    if (attempt_ < 64) ++attempt_;  // multiplier^64 already saturates any cap
    return std::clamp(static_cast<Nanos>(jittered), Nanos{0}, policy_.cap);
  }

  // After a successful connection the next failure starts again from `initial`. The jitter
  // stream is not rewound: two clients sharing a seed still spread after their first outage.
  void reset() noexcept { attempt_ = 0; }

  std::uint32_t attempts() const noexcept { return attempt_; }
  const BackoffPolicy& policy() const noexcept { return policy_; }

 private:
  BackoffPolicy policy_;
  std::mt19937_64 rng_;
  std::uint32_t attempt_ = 0;
};

}  // namespace be::net
