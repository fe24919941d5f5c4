// Internal to feed/ (no simdjson here, so tests may include it): exact decimal text to fixed
// point on the parsers' hot path.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/fixed_point.hpp"
#include "feed/types.hpp"

namespace be::feed::detail {

// parse_decimal's common case without its per-digit overflow checks: plain "ddd[.ddd]" with
// at most 18 significant digits once scaled (below 10^18, so int64 cannot overflow) and no
// more fraction digits than `scale`. Anything else (a sign, an exponent, more digits, a stray
// character) goes to core's parse_decimal, which decides and names the error; both agree on
// every input (tests/feed/parser_fields_test.cpp checks them against each other).
constexpr RejectReason decimal_to_fixed(std::string_view text, int scale,
                                        std::int64_t& out) noexcept {
  const std::size_t n = text.size();
  std::size_t i = 0;
  std::uint64_t v = 0;
  while (i < n && static_cast<unsigned>(text[i] - '0') < 10u) {
    v = v * 10 + static_cast<unsigned>(text[i] - '0');
    ++i;
  }
  const std::size_t int_digits = i;
  std::size_t frac_digits = 0;
  if (i < n && text[i] == '.') {
    ++i;
    while (i < n && static_cast<unsigned>(text[i] - '0') < 10u) {
      v = v * 10 + static_cast<unsigned>(text[i] - '0');
      ++i;
      ++frac_digits;
    }
    if (frac_digits == 0) i = 0;  // "1." is malformed: let parse_decimal say so
  }
  if (i == n && int_digits > 0 && scale >= 0 && frac_digits <= static_cast<std::size_t>(scale) &&
      int_digits + static_cast<std::size_t>(scale) <= 18) {
    constexpr std::uint64_t kPow10[] = {1,
                                        10,
                                        100,
                                        1'000,
                                        10'000,
                                        100'000,
                                        1'000'000,
                                        10'000'000,
                                        100'000'000,
                                        1'000'000'000,
                                        10'000'000'000,
                                        100'000'000'000,
                                        1'000'000'000'000,
                                        10'000'000'000'000,
                                        100'000'000'000'000,
                                        1'000'000'000'000'000,
                                        10'000'000'000'000'000,
                                        100'000'000'000'000'000,
                                        1'000'000'000'000'000'000};
    out = static_cast<std::int64_t>(v * kPow10[static_cast<std::size_t>(scale) - frac_digits]);
    return RejectReason::kNone;
  }
  const auto parsed = parse_decimal(text, scale);
  if (!parsed) return RejectReason::kBadNumber;
  out = *parsed;
  return RejectReason::kNone;
}

}  // namespace be::feed::detail
