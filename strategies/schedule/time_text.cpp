#include "strategies/schedule/time_text.hpp"

#include "core/civil_time.hpp"

#include <charconv>
#include <system_error>

namespace be::sched {
namespace {

// Exactly `digits` decimal digits at text[pos..]; -1 otherwise.
int fixed_digits(std::string_view text, std::size_t pos, std::size_t digits) noexcept {
  if (pos + digits > text.size()) return -1;
  int v = 0;
  for (std::size_t i = pos; i < pos + digits; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

bool leap(int y) noexcept {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

}  // namespace

std::optional<std::uint32_t> parse_duration_seconds(std::string_view text,
                                                    std::uint32_t max_seconds) noexcept {
  if (text.size() < 2) return std::nullopt;
  std::uint64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return std::nullopt;
  }
  const std::string_view digits = text.substr(0, text.size() - 1);
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size() || n == 0) return std::nullopt;
  if (n > max_seconds / unit) return std::nullopt;
  return static_cast<std::uint32_t>(n * unit);
}

std::optional<int> parse_clock_minutes(std::string_view text) noexcept {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  const int h = fixed_digits(text, 0, 2);
  const int m = fixed_digits(text, 3, 2);
  if (h < 0 || m < 0 || m > 59) return std::nullopt;
  if (h == 24 && m == 0) return 1440;
  if (h > 23) return std::nullopt;
  return h * 60 + m;
}

std::optional<Nanos> parse_utc_instant(std::string_view text) noexcept {
  // YYYY-MM-DDTHH:MM:SSZ
  if (text.size() != 20 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':' ||
      text[19] != 'Z') {
    return std::nullopt;
  }
  const int y = fixed_digits(text, 0, 4);
  const int mo = fixed_digits(text, 5, 2);
  const int d = fixed_digits(text, 8, 2);
  const int h = fixed_digits(text, 11, 2);
  const int mi = fixed_digits(text, 14, 2);
  const int s = fixed_digits(text, 17, 2);
  if (y < 1970 || y > 2200 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
      s < 0 || s > 59) {
    return std::nullopt;
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int month_days = kDays[mo - 1] + (mo == 2 && leap(y) ? 1 : 0);
  if (d > month_days) return std::nullopt;
  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return days * kNanosPerDay + (static_cast<Nanos>(h) * 3600 + mi * 60 + s) * kNanosPerSecond;
}

}  // namespace be::sched
