#include "feed/capture.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "core/names.hpp"

namespace be::feed {

constexpr std::array<Named<Venue>, 5> kVenueNames{{
    {Venue::kUnknown, "unknown"},
    {Venue::kBinance, "binance"},
    {Venue::kBinanceUs, "binance_us"},
    {Venue::kCoinbase, "coinbase"},
    {Venue::kKraken, "kraken"},
}};

std::string_view to_string(Venue venue) noexcept {
  return name_of(kVenueNames, venue);
}

Venue venue_from_name(std::string_view name) noexcept {
  std::array<char, 16> lower{};
  if (name.size() > lower.size()) return Venue::kUnknown;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  const std::string_view n(lower.data(), name.size());
  return code_of(kVenueNames, n).value_or(Venue::kUnknown);
}

Venue venue_from_capture_name(std::string_view path) noexcept {
  if (const auto slash = path.rfind('/'); slash != std::string_view::npos) {
    path.remove_prefix(slash + 1);
  }
  return venue_from_name(path.substr(0, path.find('.')));
}

constexpr std::array<Named<CaptureError>, 3> kCaptureErrorNames{{
    {CaptureError::kEmptyLine, "empty line"},
    {CaptureError::kMalformedLine, "malformed capture line"},
    {CaptureError::kBadTimestamp, "bad capture timestamp"},
}};

std::string_view to_string(CaptureError e) noexcept {
  return name_of(kCaptureErrorNames, e, "unknown capture error");
}

Expected<Nanos, CaptureError> parse_capture_time(std::string_view text) noexcept {
  std::int64_t seconds = 0;
  std::size_t i = 0;
  for (; i < text.size() && text[i] != '.'; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return Unexpected{CaptureError::kBadTimestamp};
    seconds = seconds * 10 + (c - '0');
    // int64 ns end in 2262 (9223372036 s); checked per digit so `seconds` cannot overflow.
    if (seconds > 9'223'372'035LL) return Unexpected{CaptureError::kBadTimestamp};
  }
  if (i == 0) return Unexpected{CaptureError::kBadTimestamp};
  std::int64_t fraction = 0;
  int places = 0;
  if (i < text.size()) {
    ++i;
    if (i == text.size()) return Unexpected{CaptureError::kBadTimestamp};
    for (; i < text.size(); ++i) {
      const char c = text[i];
      if (c < '0' || c > '9') return Unexpected{CaptureError::kBadTimestamp};
      if (places < 9) {
        fraction = fraction * 10 + (c - '0');
        ++places;
      }
    }
  }
  for (; places < 9; ++places)
    fraction *= 10;
  const Nanos ns = seconds * 1'000'000'000LL + fraction;
  if (ns <= 0) return Unexpected{CaptureError::kBadTimestamp};
  return ns;
}

Expected<CaptureRecord, CaptureError> parse_capture_line(std::string_view line) noexcept {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return Unexpected{CaptureError::kEmptyLine};
  CaptureRecord r;
  std::string_view rest = line;
  if (line.starts_with("configuration: ")) {
    r.kind = CaptureLineKind::kConfig;
    r.payload = line.substr(15);
    return r;
  }
  if (line.front() < '0' || line.front() > '9') {
    // "<url> <op> <time>[: payload]"
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos) return Unexpected{CaptureError::kMalformedLine};
    r.url = line.substr(0, space);
    rest = line.substr(space + 1);
    if (rest.starts_with("<-> ")) {
      r.kind = CaptureLineKind::kConnect;
      const auto t = parse_capture_time(rest.substr(4));
      if (!t) return Unexpected{t.error()};
      r.receive_time = *t;
      return r;
    }
    if (rest.starts_with("<- ")) {
      r.kind = CaptureLineKind::kSent;
      rest.remove_prefix(3);
    } else if (rest.starts_with("-> ")) {
      r.kind = CaptureLineKind::kHttp;
      rest.remove_prefix(3);
    } else {
      return Unexpected{CaptureError::kMalformedLine};
    }
  }
  const std::size_t colon = rest.find(": ");
  if (colon == std::string_view::npos) return Unexpected{CaptureError::kMalformedLine};
  const auto t = parse_capture_time(rest.substr(0, colon));
  if (!t) return Unexpected{t.error()};
  r.receive_time = *t;
  r.payload = rest.substr(colon + 2);
  return r;
}

bool TextCaptureReader::open(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    error = "cannot read '" + path + "'";
    return false;
  }
  assign(std::move(buffer).str(), venue_from_capture_name(path));
  return true;
}

void TextCaptureReader::assign(std::string text, Venue venue) {
  text_ = std::move(text);
  venue_ = venue;
  position_ = 0;
  lines_ = 0;
  bad_lines_ = 0;
}

bool TextCaptureReader::next(CaptureRecord& out) noexcept {
  while (position_ < text_.size()) {
    const std::size_t end = text_.find('\n', position_);
    const std::size_t stop = end == std::string::npos ? text_.size() : end;
    const std::string_view line(text_.data() + position_, stop - position_);
    position_ = stop + 1;
    ++lines_;
    const auto record = parse_capture_line(line);
    if (record) {
      out = *record;
      return true;
    }
    if (record.error() != CaptureError::kEmptyLine) ++bad_lines_;
  }
  return false;
}

}  // namespace be::feed
