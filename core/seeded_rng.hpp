// The project's one seeded generator: splitmix64. Tiny, fast, and its whole state is one word
// that snapshots with its owner (a bot, the sweep's random search). `mix` is the same step as
// a pure function, for draws keyed by ids (the paper venue's latency per bot and order), so a
// draw depends on its key alone and never on what else was drawn before it.
//
// Determinism: the same seed gives the same sequence on every platform (integers only;
// uniform() is exact: 53 bits scaled by a power of two). Thread-safety: a value.
#pragma once

#include <cstdint>

namespace be {

// splitmix64's output function of one state word.
constexpr std::uint64_t splitmix64_mix(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

class SeededRng {
 public:
  static constexpr std::uint64_t kGamma = 0x9E3779B97F4A7C15ULL;

  explicit SeededRng(std::uint64_t seed = 0) noexcept : state_(seed) {}
  std::uint64_t next() noexcept { return splitmix64_mix(state_ += kGamma); }
  // Uniform in [0, 1).
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n) for n > 0 (the modulo bias is below 2^-40 for n < 2^24).
  std::uint64_t below(std::uint64_t n) noexcept { return next() % n; }
  std::uint64_t state() const noexcept { return state_; }
  void set_state(std::uint64_t s) noexcept { state_ = s; }

 private:
  std::uint64_t state_;
};

}  // namespace be
