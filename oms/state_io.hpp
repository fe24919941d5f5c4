// Field-by-field state visitors shared by the order manager and the paper venue: one list of
// fields per record (a `fields(f)` member calling f on every scalar) drives the state hash,
// the snapshot writer, its size and the restore reader, so the four can never disagree and no
// padding byte is ever hashed or written.
//
// Snapshot framing (both components):
//   +---------+---------+----------------+-----------------------------+-----------+
//   | magic 4 | version | capacities ... | fields, in visiting order   | fnv64 8   |
//   +---------+---------+----------------+-----------------------------+-----------+
// The trailing FNV-1a 64 covers every byte before it, so a flipped byte is refused as corrupt
// instead of restoring a plausible but wrong state.
//
// Thread-safety: none (plain values). Allocation: none, except the caller's output buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>
#include <vector>

#include "core/expected.hpp"

namespace be::oms {

enum class OmsRestoreError : std::uint8_t {
  kTruncated = 1,     // size is not what this capacity's snapshot has
  kBadVersion,        // not this component's snapshot, or a version this build does not know
  kCapacityMismatch,  // taken with other table sizes
  kCorrupt,           // checksum mismatch, or a value out of range
};

namespace io {

class Fnv {
 public:
  template <class T>
  void operator()(const T& v) noexcept {
    static_assert(std::has_unique_object_representations_v<T> || std::is_enum_v<T>);
    bytes(&v, sizeof(T));
  }
  void bytes(const void* p, std::size_t n) noexcept {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t k = 0; k < n; ++k) {
      h_ ^= b[k];
      h_ *= 0x100000001b3ULL;
    }
  }
  std::uint64_t value() const noexcept { return h_; }

 private:
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

struct Sizer {
  std::size_t n = 0;
  template <class T>
  void operator()(const T&) noexcept {
    n += sizeof(T);
  }
};

struct Writer {
  std::byte* out;
  template <class T>
  void operator()(const T& v) noexcept {
    std::memcpy(out, &v, sizeof(T));
    out += sizeof(T);
  }
};

// Reads what Writer wrote; past the end it stops and remembers (ok == false).
struct Reader {
  std::span<const std::byte> in;
  std::size_t pos = 0;
  bool ok = true;
  template <class T>
  void operator()(T& v) noexcept {
    if (!ok || pos + sizeof(T) > in.size()) {
      ok = false;
      return;
    }
    std::memcpy(&v, in.data() + pos, sizeof(T));
    pos += sizeof(T);
  }
};

inline constexpr std::uint32_t kMagicOrders = 0x4f4d5331;  // "OMS1"
inline constexpr std::uint32_t kMagicPaper = 0x50505631;   // "PPV1"

inline std::uint64_t checksum(std::span<const std::byte> bytes) noexcept {
  Fnv h;
  h.bytes(bytes.data(), bytes.size());
  return h.value();
}

// Frames a snapshot: header (magic, version, the capacity words), the body that `body(w)`
// writes (exactly body_size bytes), and the checksum. Allocates the returned buffer.
template <class Body>
std::vector<std::byte> write_snapshot(std::uint32_t magic, std::uint8_t version,
                                      std::span<const std::uint32_t> capacities,
                                      std::size_t body_size, Body&& body) {
  const std::size_t header = sizeof magic + sizeof version + capacities.size_bytes();
  std::vector<std::byte> out(header + body_size + sizeof(std::uint64_t));
  Writer w{out.data()};
  w(magic);
  w(version);
  for (const std::uint32_t c : capacities)
    w(c);
  body(w);
  w(checksum(std::span(out).first(out.size() - sizeof(std::uint64_t))));
  return out;
}

// Checks what write_snapshot framed: returns the offset of the body, or why it is refused.
inline Expected<std::size_t, OmsRestoreError> check_snapshot(
    std::span<const std::byte> bytes, std::uint32_t magic, std::uint8_t version,
    std::span<const std::uint32_t> capacities, std::size_t body_size) noexcept {
  Reader r{bytes};
  std::uint32_t m = 0;
  std::uint8_t v = 0;
  r(m);
  r(v);
  if (!r.ok) return Unexpected{OmsRestoreError::kTruncated};
  if (m != magic || v != version) return Unexpected{OmsRestoreError::kBadVersion};
  for (const std::uint32_t expected : capacities) {
    std::uint32_t c = 0;
    r(c);
    if (!r.ok) return Unexpected{OmsRestoreError::kTruncated};
    if (c != expected) return Unexpected{OmsRestoreError::kCapacityMismatch};
  }
  if (bytes.size() != r.pos + body_size + sizeof(std::uint64_t)) {
    return Unexpected{OmsRestoreError::kTruncated};
  }
  std::uint64_t sum = 0;
  std::memcpy(&sum, bytes.data() + bytes.size() - sizeof sum, sizeof sum);
  if (sum != checksum(bytes.first(bytes.size() - sizeof sum))) {
    return Unexpected{OmsRestoreError::kCorrupt};
  }
  return r.pos;
}

}  // namespace io
}  // namespace be::oms
