// botengine's binary capture format: raw wire frames with their receive timestamps, as
// `botengine record` writes them, so a session replays through the same parsers later.
//
// File = one header, then frames back to back, each padded to 8 bytes.
//
//  File header (64 bytes)
//   0                8        12       16               24                  40          64
//   +----------------+--------+--------+----------------+-------------------+-----------+
//   | magic          | version| hdr len| created ns     | venue (NUL-pad)   | reserved  |
//   | "BECAPT\0\1"   | u32 = 1| u32=64 | i64            | char[16]          | zero      |
//   +----------------+--------+--------+----------------+-------------------+-----------+
//
//  Frame (24-byte header + payload + zero padding to a multiple of 8)
//   0        4        6        8                16       20       24
//   +--------+--------+--------+----------------+--------+--------+---------------------+
//   | length | kind   | channel| receive ns     | crc32c | zero   | payload (length B)  |
//   | u32    | u16    | u16    | i64            | u32    | u32    | + pad to 8          |
//   +--------+--------+--------+----------------+--------+--------+---------------------+
//  crc32c covers bytes [4, 16) of the header (kind, channel, receive ns) and the payload, so a
//  frame is valid only if it was written whole. All integers are little-endian.
//
// Commit rule: frames reach the file in order, one batch write in flight at a time, so a
// killed recorder leaves a valid prefix plus at most one torn batch at the end; a reader stops
// at the first frame that is not whole and reports how many bytes it ignored. A frame is
// acknowledged (safe from a process kill) once the write holding it has completed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/ids.hpp"

namespace be::capture {

inline constexpr std::array<char, 8> kMagic = {'B', 'E', 'C', 'A', 'P', 'T', '\0', '\1'};
inline constexpr std::uint32_t kFormatVersion = 1;
inline constexpr std::size_t kFileHeaderSize = 64;
inline constexpr std::size_t kFrameHeaderSize = 24;
inline constexpr std::size_t kVenueNameCapacity = 16;
// A frame bigger than this is refused by the writer and treated as corruption by the reader
// (a REST depth snapshot of 5,000 levels is about 250 KiB).
inline constexpr std::uint32_t kMaxFramePayload = 4u << 20;

enum class FrameKind : std::uint16_t {
  kReceived = 1,      // a message from the venue, as received
  kSent = 2,          // what we sent (subscriptions): kept for the record, not parsed
  kConnected = 3,     // a connection opened; payload: the URL
  kDisconnected = 4,  // a connection closed; payload: the reason
  kRest = 5,          // a REST response (a depth snapshot); payload: rest_frame(url, body)
};

// A kRest frame's payload: the request's URL, a newline, the response body as received (a URL
// holds no newline). Readers before kRest stop at such a frame ("unknown frame kind").
inline std::string rest_frame(std::string_view url, std::string_view body) {
  std::string out;
  out.reserve(url.size() + 1 + body.size());
  out.append(url).append(1, '\n').append(body);
  return out;
}
struct RestFrame {
  std::string_view url, body;
};
inline RestFrame split_rest_frame(std::string_view payload) noexcept {
  const std::size_t nl = payload.find('\n');
  if (nl == std::string_view::npos) return {payload, {}};
  return {payload.substr(0, nl), payload.substr(nl + 1)};
}

struct FileHeader {
  std::array<char, 8> magic = kMagic;
  std::uint32_t version = kFormatVersion;
  std::uint32_t header_size = kFileHeaderSize;
  Nanos created = 0;
  std::array<char, kVenueNameCapacity> venue{};
  std::array<std::uint8_t, 24> reserved{};
};
static_assert(sizeof(FileHeader) == kFileHeaderSize);

struct FrameHeader {
  std::uint32_t length = 0;
  FrameKind kind = FrameKind::kReceived;
  std::uint16_t channel = 0;  // which connection, when one recorder serves several
  Nanos receive_time = 0;
  std::uint32_t crc = 0;
  std::uint32_t reserved = 0;
};
static_assert(sizeof(FrameHeader) == kFrameHeaderSize);

constexpr std::size_t padded_frame_size(std::size_t payload) noexcept {
  return kFrameHeaderSize + ((payload + 7) & ~std::size_t{7});
}

// The CRC of a frame: over kind, channel, receive time and payload.
std::uint32_t frame_crc(const FrameHeader& header, const std::byte* payload) noexcept;

}  // namespace be::capture
