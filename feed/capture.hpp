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
// 2. botengine's own binary capture (written by the recorder, a later task): layout drawn in
//    docs/FEEDS.md and beside BinaryCaptureHeader below.
//
// Thread-safety: none; a reader is used by one thread. Lifetime: records' string_views point
// into the reader's buffer and stay valid until the reader is destroyed.
#pragma once

#include <array>
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

// ---- botengine binary capture, version 1 ------------------------------------------------
// All integers little-endian. A file is one header then frames until end of file.
//
//  File header (64 bytes)
//   0          8        10       12       16       18       20              32
//   +----------+--------+--------+--------+--------+--------+---------------+
//   | magic    | version| hdr    | flags  | venue  | rsvd   | created_ns    |
//   | BECAPT\0\1| u16 =1 | size=64| u32    | u16    | u16    | i64 (at 24)   |
//   +----------+--------+--------+--------+--------+--------+---------------+
//   32: stream name, 32 bytes NUL-padded ("binance-spot", "coinbase", ...)
//
//  Frame (16-byte header + payload + 4-byte CRC32C, then zero padding to 8 bytes)
//   0                 8          12     13      14       16
//   +-----------------+----------+------+-------+--------+---------------------+--------+
//   | receive_time_ns | length   | kind | flags | rsvd   | payload (length B)  | crc32c |
//   | i64             | u32      | u8   | u8    | u16    |                     | u32    |
//   +-----------------+----------+------+-------+--------+---------------------+--------+
//   crc32c (Castagnoli) covers the 16-byte frame header and the payload.
//   kind: CaptureLineKind. Commit rule: a frame exists once its CRC matches; a torn tail
//   (short frame or bad CRC at the end of the file) is a crash artefact, reported and ignored.
inline constexpr char kBinaryCaptureMagic[8] = {'B', 'E', 'C', 'A', 'P', 'T', '\0', '\1'};
inline constexpr std::uint16_t kBinaryCaptureVersion = 1;
inline constexpr std::size_t kBinaryCaptureHeaderSize = 64;
inline constexpr std::size_t kBinaryFrameHeaderSize = 16;
inline constexpr std::uint32_t kBinaryCaptureMaxFrame = 16u << 20;

struct BinaryCaptureHeader {
  std::uint16_t version = kBinaryCaptureVersion;
  std::uint32_t flags = 0;
  Venue venue = Venue::kUnknown;
  Nanos created_ns = 0;
  std::array<char, 32> stream{};  // NUL-padded
};

enum class BinaryCaptureError : std::uint8_t {
  kNone = 0,
  kShortHeader,
  kBadMagic,
  kUnsupportedVersion,
  kTornFrame,  // the file ends inside a frame
  kBadCrc,     // a frame whose CRC32C does not match
  kOversizedFrame,
};
std::string_view to_string(BinaryCaptureError e) noexcept;

std::uint32_t crc32c(std::uint32_t crc, const void* data, std::size_t size) noexcept;

// Appends one frame to `out` (the recorder's encoding, here for tests and tools).
void append_binary_frame(std::string& out, Nanos receive_time, CaptureLineKind kind,
                         std::string_view payload);
// Appends a file header to `out`.
void append_binary_header(std::string& out, const BinaryCaptureHeader& header);

// Reads a binary capture held in memory (the caller maps or reads the file).
class BinaryCaptureReader {
 public:
  // Validates the header; on error the reader yields nothing.
  explicit BinaryCaptureReader(std::string_view bytes) noexcept;

  BinaryCaptureError header_error() const noexcept { return header_error_; }
  const BinaryCaptureHeader& header() const noexcept { return header_; }
  // The next frame; false at the end or at the first bad frame (then error() says why).
  bool next(CaptureRecord& out) noexcept;
  BinaryCaptureError error() const noexcept { return error_; }

 private:
  std::string_view bytes_;
  std::size_t position_ = kBinaryCaptureHeaderSize;
  BinaryCaptureHeader header_;
  BinaryCaptureError header_error_ = BinaryCaptureError::kNone;
  BinaryCaptureError error_ = BinaryCaptureError::kNone;
};

}  // namespace be::feed
