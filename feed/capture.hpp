// Readers for recorded market data.
//
// 1. Text captures in cryptofeed's format (../shared/data/captures, README.md there):
//      <receive unix time>: <payload>            a received frame
//      <url> <-> <time>                          a connect
//      <url> <- <time>: <payload>                what the client sent (subscriptions)
//      <url> -> <time>: <body>                   a REST response (*.http.* and *.0 files)
//      configuration: {...}                      the recorder's settings (kConfig)
//    The venue comes from the file name (BINANCE.ws.1.0 -> kBinance).
//
// 2. botengine's own binary capture is defined, written and read in feed/record/
//    (capture_format.hpp; docs/FEEDS.md draws it). Its frames carry the same
//    (receive time, payload) pairs, so they go through CaptureDispatcher unchanged.
//
// Thread-safety: none; a reader is used by one thread. Lifetime: records' string_views point
// into the reader's buffer and stay valid until the reader is destroyed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "core/ids.hpp"

namespace be::feed {

enum class Venue : std::uint8_t { kUnknown = 0, kBinance, kBinanceUs, kCoinbase, kKraken };

std::string_view to_string(Venue venue) noexcept;
// The VenueId stamped into events' `source` for each venue (stable: journaled).
constexpr VenueId venue_id(Venue v) noexcept {
  return VenueId{static_cast<std::uint16_t>(v)};
}
// "BINANCE.ws.1.0" or "/path/to/KRAKEN.0" -> the venue; kUnknown when the prefix is unknown.
Venue venue_from_capture_name(std::string_view path) noexcept;
// "binance", "binance_us", "coinbase", "kraken" (case-insensitive) -> the venue.
Venue venue_from_name(std::string_view name) noexcept;

// kConfig: cryptofeed's "configuration: {...}" line (the recorder's settings, no market data).
enum class CaptureLineKind : std::uint8_t { kMessage, kConnect, kSent, kHttp, kConfig };

struct CaptureRecord {
  CaptureLineKind kind = CaptureLineKind::kMessage;
  Nanos receive_time = 0;
  std::string_view url;      // kConnect, kSent, kHttp
  std::string_view payload;  // empty for kConnect
};

enum class CaptureError : std::uint8_t {
  kEmptyLine = 1,
  kMalformedLine,  // no recognisable "<time>: " or "<url> <op> <time>" shape
  kBadTimestamp,   // the time is not a positive decimal number of seconds
};
std::string_view to_string(CaptureError e) noexcept;

// One line (without its '\n') -> a record. Pure; no allocation.
Expected<CaptureRecord, CaptureError> parse_capture_line(std::string_view line) noexcept;

// "1633998512.0633569" -> ns; digits past the 9th decimal are truncated (sub-ns noise).
Expected<Nanos, CaptureError> parse_capture_time(std::string_view text) noexcept;

// A whole text capture in memory, iterated line by line; bad lines are counted and skipped.
class TextCaptureReader {
 public:
  // Reads `path` whole. On failure returns false and sets `error` (the reader stays empty).
  bool open(const std::string& path, std::string& error);
  // Uses `text` (e.g. a test's literal) as the capture.
  void assign(std::string text, Venue venue);

  // The next record; false at the end. Never fails: bad lines go to bad_lines().
  bool next(CaptureRecord& out) noexcept;
  void rewind() noexcept { position_ = 0; }

  Venue venue() const noexcept { return venue_; }
  std::uint64_t lines() const noexcept { return lines_; }
  std::uint64_t bad_lines() const noexcept { return bad_lines_; }
  std::size_t size_bytes() const noexcept { return text_.size(); }

 private:
  std::string text_;
  std::size_t position_ = 0;
  Venue venue_ = Venue::kUnknown;
  std::uint64_t lines_ = 0;
  std::uint64_t bad_lines_ = 0;
};

}  // namespace be::feed
