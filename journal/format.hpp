// The journal's on-disk record frame (docs/ARCHITECTURE.md §3 and §5). Every value in every named
// LMDB database (`events`, `snapshots`, `meta`) is one frame:
//
//   0        2         4                 8                        8+length   12+length
//   +--------+---------+-----------------+------------------------+----------+
//   | type   | version | length (u32)    | payload (length bytes) | CRC32C   |
//   +--------+---------+-----------------+------------------------+----------+
//   header: little-endian u16, u16, u32              trailer: little-endian u32
//
//   CRC32C = crc32c(key bytes ++ header ++ payload). For `events` and `snapshots` the key is
//   the big-endian u64 sequence, so a frame copied or moved under another key fails its CRC.
//
// Event frames (`events`, type = EventType, version = the payload struct's kVersion):
//
//   payload of a fixed event (length 120):
//   0       2        4          8               16                24                 120
//   +-------+--------+----------+---------------+-----------------+------------------+
//   | flags | source | reserved | event_time ns | receive_time ns | Event::payload   |
//   +-------+--------+----------+---------------+-----------------+ (96 bytes, as in |
//                                                                  |  memory)         |
//                                                                  +------------------+
//   payload of a kBlob event (length 40 + size, size <= BlobRef::kMaxSize):
//   0 ........................ 24        32       36      40            40+size
//   | same 24-byte prefix      | blob_id | size   | kind  | blob bytes   |
//
//   The sequence is not repeated in the payload: it is the key, and the CRC binds them.
//
// Snapshot frames (`snapshots`, key = big-endian sequence of the last applied event):
//   type kSnapshotFrameType, version 1, payload = state_hash u64 ++ serialized state bytes.
// Meta frames (`meta`, key = ASCII name): type kMetaFrameType, version 1, payload = value.
//
// Multi-byte fields are little-endian (the in-memory layout of every supported target:
// x86-64 and arm64); the static_assert below refuses to build elsewhere.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "core/crc32c.hpp"
#include "core/event.hpp"

namespace be::journal {

static_assert(std::endian::native == std::endian::little,
              "the journal frame is little-endian; a big-endian port needs byte swaps here");

inline constexpr std::size_t kFrameHeaderSize = 8;
inline constexpr std::size_t kFrameTrailerSize = 4;
inline constexpr std::size_t kFrameOverhead = kFrameHeaderSize + kFrameTrailerSize;

inline constexpr std::size_t kEventPrefixSize = 24;  // flags, source, reserved, two times
inline constexpr std::size_t kFixedEventPayloadSize = kEventPrefixSize + kPayloadCapacity;
inline constexpr std::size_t kBlobHeaderSize = 16;  // blob_id, size, kind
inline constexpr std::size_t kBlobPayloadOffset = kEventPrefixSize + kBlobHeaderSize;
inline constexpr std::size_t kMaxEventFrameSize =
    kFrameOverhead + kBlobPayloadOffset + BlobRef::kMaxSize;

// Frame types outside EventType's range (it stops below 256).
inline constexpr std::uint16_t kSnapshotFrameType = 0xFF01;
inline constexpr std::uint16_t kMetaFrameType = 0xFF02;

using SeqKey = std::array<std::byte, 8>;

inline SeqKey seq_key(SequenceNumber seq) noexcept {
  SeqKey k;
  for (int i = 7; i >= 0; --i) {
    k[static_cast<std::size_t>(i)] = static_cast<std::byte>(seq & 0xFFu);
    seq >>= 8;
  }
  return k;
}

inline SequenceNumber seq_from_key(const void* key) noexcept {
  // One load and a byte swap (the key is big-endian; the target little-endian, see above).
  std::uint64_t v;
  std::memcpy(&v, key, sizeof v);
  return __builtin_bswap64(v);
}

// Size of the frame encode_event() writes for `e`.
inline std::size_t event_frame_size(const Event& e) noexcept {
  if (e.header.type == EventType::kBlob) {
    return kFrameOverhead + kBlobPayloadOffset + e.as<BlobRef>().size;
  }
  return kFrameOverhead + kFixedEventPayloadSize;
}

// Writes the frame of `e` under `key` into `out`, which holds event_frame_size(e) bytes.
// Precondition: for kBlob, size <= BlobRef::kMaxSize and data points at size readable bytes.
void encode_event(const SeqKey& key, const Event& e, std::byte* out) noexcept;

// Writes a frame with an arbitrary payload under an arbitrary key (meta, snapshots, tests).
// `out` holds kFrameOverhead + payload.size() bytes; `payload` may already sit at
// out + kFrameHeaderSize (it is then not copied).
void encode_frame(std::span<const std::byte> key, std::uint16_t type, std::uint16_t version,
                  std::span<const std::byte> payload, std::byte* out) noexcept;

enum class FrameStatus : std::uint8_t {
  kOk,
  kTooShort,        // fewer bytes than a header and trailer
  kLengthMismatch,  // header length disagrees with the stored value size
  kBadCrc,
};

struct FrameView {
  std::uint16_t type = 0;
  std::uint16_t version = 0;
  std::span<const std::byte> payload;
};

// Checks size and CRC of a stored value; on kOk fills `out` (payload points into `value`).
FrameStatus parse_frame(std::span<const std::byte> key, std::span<const std::byte> value,
                        FrameView& out) noexcept;

const char* to_string(FrameStatus s) noexcept;

}  // namespace be::journal
