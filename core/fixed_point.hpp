// Exact decimal <-> fixed-point conversion for prices, quantities and money.
//
// A fixed-point value is an int64 count of 10^-scale units; the scale belongs to the
// instrument (price_scale, qty_scale), not to the value. "51613.38000000" at scale 8 is
// 5161338000000. No double is involved in either direction (docs/ARCHITECTURE.md §4): a string that
// cannot be represented exactly is an error, never a silent rounding.
//
// Thread-safety: pure functions. Allocation: none, except the std::string convenience.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "core/names.hpp"

namespace be {

inline constexpr int kMaxDecimalScale = 18;

enum class DecimalError : std::uint8_t {
  kEmpty = 1,        // "" or "-"
  kMalformed,        // a character that is not a digit, or a misplaced '.' or '-'
  kTooManyDecimals,  // non-zero digits beyond the scale: representing it would round
  kOutOfRange,       // magnitude does not fit int64 at this scale
  kBadScale,         // scale outside [0, kMaxDecimalScale]
};

inline constexpr std::array<Named<DecimalError>, 5> kDecimalErrorNames{{
    {DecimalError::kEmpty, "empty decimal"},
    {DecimalError::kMalformed, "malformed decimal"},
    {DecimalError::kTooManyDecimals, "more decimal places than the scale allows"},
    {DecimalError::kOutOfRange, "decimal out of int64 range at this scale"},
    {DecimalError::kBadScale, "scale outside 0..18"},
}};

constexpr std::string_view to_string(DecimalError e) noexcept {
  return name_of(kDecimalErrorNames, e, "unknown decimal error");
}

namespace detail {
inline constexpr std::uint64_t kPow10[] = {1ULL,
                                           10ULL,
                                           100ULL,
                                           1000ULL,
                                           10000ULL,
                                           100000ULL,
                                           1000000ULL,
                                           10000000ULL,
                                           100000000ULL,
                                           1000000000ULL,
                                           10000000000ULL,
                                           100000000000ULL,
                                           1000000000000ULL,
                                           10000000000000ULL,
                                           100000000000000ULL,
                                           1000000000000000ULL,
                                           10000000000000000ULL,
                                           100000000000000000ULL,
                                           1000000000000000000ULL};
}  // namespace detail

constexpr std::uint64_t pow10(int scale) noexcept {
  return detail::kPow10[scale];
}

// Parses [-]digits[.digits] into a value at `scale`. Trailing zeros past the scale are
// accepted ("1.50000000000" at scale 8); any other digit past it is kTooManyDecimals.
// Leading '+', exponents, whitespace, and a '.' without digits on both sides are malformed.
constexpr Expected<std::int64_t, DecimalError> parse_decimal(std::string_view text,
                                                             int scale) noexcept {
  if (scale < 0 || scale > kMaxDecimalScale) return Unexpected{DecimalError::kBadScale};
  std::size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) i = 1;
  if (i == text.size()) return Unexpected{DecimalError::kEmpty};

  // The magnitude is accumulated in uint64 with explicit overflow checks; the int64 limit is
  // applied at the end so that INT64_MIN itself is representable.
  std::uint64_t magnitude = 0;
  std::size_t integer_digits = 0;
  for (; i < text.size() && text[i] != '.'; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return Unexpected{DecimalError::kMalformed};
    if (__builtin_mul_overflow(magnitude, 10ULL, &magnitude) ||
        __builtin_add_overflow(magnitude, static_cast<std::uint64_t>(c - '0'), &magnitude)) {
      return Unexpected{DecimalError::kOutOfRange};
    }
    ++integer_digits;
  }
  if (integer_digits == 0) return Unexpected{DecimalError::kMalformed};
  if (__builtin_mul_overflow(magnitude, pow10(scale), &magnitude)) {
    return Unexpected{DecimalError::kOutOfRange};
  }
  if (i < text.size()) {  // text[i] == '.'
    ++i;
    if (i == text.size()) return Unexpected{DecimalError::kMalformed};
    int place = 0;
    for (; i < text.size(); ++i, ++place) {
      const char c = text[i];
      if (c < '0' || c > '9') return Unexpected{DecimalError::kMalformed};
      if (place < scale) {
        const std::uint64_t digit_value =
            static_cast<std::uint64_t>(c - '0') * pow10(scale - 1 - place);
        if (__builtin_add_overflow(magnitude, digit_value, &magnitude)) {
          return Unexpected{DecimalError::kOutOfRange};
        }
      } else if (c != '0') {
        return Unexpected{DecimalError::kTooManyDecimals};
      }
    }
  }
  constexpr auto kMaxPositive =
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (negative) {
    if (magnitude > kMaxPositive + 1) return Unexpected{DecimalError::kOutOfRange};
    return static_cast<std::int64_t>(0 - magnitude);  // two's complement; INT64_MIN included
  }
  if (magnitude > kMaxPositive) return Unexpected{DecimalError::kOutOfRange};
  return static_cast<std::int64_t>(magnitude);
}

// Longest output: '-' + 19 integer digits + '.' + 18 decimals.
inline constexpr std::size_t kMaxDecimalChars = 1 + 19 + 1 + kMaxDecimalScale;

// Writes `value` with exactly `scale` decimals ("51613.38000000" at scale 8, "5" at scale 0).
// Returns the number of chars written; `out` must hold kMaxDecimalChars. No terminator.
// Precondition: 0 <= scale <= kMaxDecimalScale.
constexpr std::size_t format_decimal(std::int64_t value, int scale, std::span<char> out) noexcept {
  const bool negative = value < 0;
  std::uint64_t magnitude =
      negative ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
  char digits[kMaxDecimalChars] = {};
  std::size_t n = 0;  // digits produced, least significant first
  int produced_decimals = 0;
  do {
    digits[n++] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
    ++produced_decimals;
  } while (magnitude != 0 || produced_decimals <= scale);
  // digits[0 .. scale) are the decimals, the rest the integer part (at least one digit).
  std::size_t pos = 0;
  if (negative) out[pos++] = '-';
  for (std::size_t k = n; k > static_cast<std::size_t>(scale); --k)
    out[pos++] = digits[k - 1];
  if (scale > 0) {
    out[pos++] = '.';
    for (int k = scale; k > 0; --k)
      out[pos++] = digits[k - 1];
  }
  return pos;
}

inline std::string decimal_to_string(std::int64_t value, int scale) {
  char buffer[kMaxDecimalChars];
  return std::string(buffer, format_decimal(value, scale, buffer));
}

}  // namespace be
