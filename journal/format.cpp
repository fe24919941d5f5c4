#include "journal/format.hpp"

#include <array>

#include "core/names.hpp"

namespace be::journal {
namespace {

void put16(std::byte* p, std::uint16_t v) noexcept {
  std::memcpy(p, &v, 2);
}
void put32(std::byte* p, std::uint32_t v) noexcept {
  std::memcpy(p, &v, 4);
}
void put64(std::byte* p, std::uint64_t v) noexcept {
  std::memcpy(p, &v, 8);
}

// The CRC path, picked once. parse_frame runs per record read (replay and recovery read
// millions): one pick per frame and direct calls, rather than crc32c_extend()'s static
// guard and extra indirect call on each of its two calls per frame. A function-local static,
// not a namespace-scope one, so a caller in another file's static initialiser is safe too.
using CrcFn = std::uint32_t (*)(std::uint32_t, const void*, std::size_t) noexcept;
CrcFn crc_path() noexcept {
  static const CrcFn fn = crc32c_hw_available() ? &crc32c_extend_hw : &crc32c_extend_sw;
  return fn;
}

}  // namespace

void encode_frame(std::span<const std::byte> key, std::uint16_t type, std::uint16_t version,
                  std::span<const std::byte> payload, std::byte* out) noexcept {
  put16(out, type);
  put16(out + 2, version);
  put32(out + 4, static_cast<std::uint32_t>(payload.size()));
  std::byte* body = out + kFrameHeaderSize;
  if (payload.data() != body && !payload.empty()) {
    std::memmove(body, payload.data(), payload.size());
  }
  std::uint32_t crc = crc32c_extend(0, key.data(), key.size());
  crc = crc32c_extend(crc, out, kFrameHeaderSize + payload.size());
  put32(body + payload.size(), crc);
}

void encode_event(const SeqKey& key, const Event& e, std::byte* out) noexcept {
  const EventHeader& h = e.header;
  std::byte* p = out + kFrameHeaderSize;
  put16(p, h.flags);
  put16(p + 2, h.source);
  put32(p + 4, 0);
  put64(p + 8, static_cast<std::uint64_t>(h.event_time));
  put64(p + 16, static_cast<std::uint64_t>(h.receive_time));
  std::size_t length = kFixedEventPayloadSize;
  if (h.type == EventType::kBlob) {
    const BlobRef blob = e.as<BlobRef>();
    put64(p + 24, blob.blob_id);
    put32(p + 32, blob.size);
    put32(p + 36, blob.kind);
    if (blob.size > 0) std::memcpy(p + kBlobPayloadOffset, blob.data, blob.size);
    length = kBlobPayloadOffset + blob.size;
  } else {
    std::memcpy(p + kEventPrefixSize, e.payload.data(), kPayloadCapacity);
  }
  encode_frame(key, static_cast<std::uint16_t>(h.type), h.version, std::span(p, length), out);
}

FrameStatus parse_frame(std::span<const std::byte> key, std::span<const std::byte> value,
                        FrameView& out) noexcept {
  if (value.size() < kFrameOverhead) return FrameStatus::kTooShort;
  std::uint32_t length;
  std::memcpy(&length, value.data() + 4, 4);
  if (static_cast<std::size_t>(length) + kFrameOverhead != value.size()) {
    return FrameStatus::kLengthMismatch;
  }
  std::uint32_t stored;
  std::memcpy(&stored, value.data() + kFrameHeaderSize + length, 4);
  const CrcFn extend = crc_path();
  std::uint32_t crc = extend(0, key.data(), key.size());
  crc = extend(crc, value.data(), kFrameHeaderSize + length);
  if (crc != stored) return FrameStatus::kBadCrc;
  std::memcpy(&out.type, value.data(), 2);
  std::memcpy(&out.version, value.data() + 2, 2);
  out.payload = value.subspan(kFrameHeaderSize, length);
  return FrameStatus::kOk;
}

constexpr std::array<Named<FrameStatus>, 4> kFrameStatusNames{{
    {FrameStatus::kOk, "ok"},
    {FrameStatus::kTooShort, "record shorter than a frame header and CRC"},
    {FrameStatus::kLengthMismatch, "frame length does not match the stored size"},
    {FrameStatus::kBadCrc, "CRC32C mismatch"},
}};
static_assert(names_every_code(kFrameStatusNames, 4));

const char* to_string(FrameStatus s) noexcept {
  return name_of(kFrameStatusNames, s, "unknown frame status").data();
}

}  // namespace be::journal
