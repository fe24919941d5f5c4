// State bytes: the one hash, the one writer and reader, and the one snapshot frame that every
// stateful component (order manager, paper venue, risk, bots, conditions, schedule,
// indicators, order book, the fold) uses for its state_hash() and its snapshot.
//
// One list of fields drives them all: a component writes a `fields(f)` (or a save(w)) that
// calls the visitor on every scalar, and the Hasher, Sizer, SpanWriter, Writer and Reader take
// the same calls, so the hash, the snapshot, its size and the restore can never disagree and no
// padding byte is ever hashed or written (the static_assert refuses types with padding).
//
// Snapshot frame (write_frame / check_frame):
//   +---------+-----------+-----------------------+--------------------------+------------+
//   | magic 4 | version 1 | capacities 4 each ... | body, in visiting order  | fnv1a64  8 |
//   +---------+-----------+-----------------------+--------------------------+------------+
// The trailing FNV-1a 64 covers every byte before it, so a flipped byte is refused as corrupt
// instead of restoring a plausible but wrong state.
//
// Byte order is native: snapshots are read back by the same binary (the journal records the
// build), and state hashes compare runs of one binary. FNV-1a 64 (offset 0xcbf29ce484222325,
// prime 0x100000001b3) is the hash every state_hash() reports: changing it changes every
// StateHash record a journal holds, so it never changes.
//
// Thread-safety: none (plain values owned by the caller). Allocation: Writer appends to the
// caller's vector; Hasher, Sizer, SpanWriter and Reader never allocate (get_string() does).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/expected.hpp"
#include "core/names.hpp"

namespace be::state_io {

inline constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
inline constexpr std::uint64_t kFnvPrime = 0x100000001b3ULL;

// A value whose bytes are exactly its value: no padding to leak indeterminate bytes into a
// hash or a snapshot. Enums qualify (their representation is their underlying integer).
template <class T>
concept PlainField = std::is_trivially_copyable_v<T> &&
    (std::has_unique_object_representations_v<T> || std::is_enum_v<T> ||
     std::is_floating_point_v<T>);

constexpr std::uint64_t fnv1a_step(std::uint64_t h, const unsigned char* p,
                                   std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= kFnvPrime;
  }
  return h;
}

inline std::uint64_t fnv1a64(std::span<const std::byte> bytes,
                             std::uint64_t seed = kFnvOffset) noexcept {
  return fnv1a_step(seed, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

inline std::uint64_t fnv1a64(std::string_view text, std::uint64_t seed = kFnvOffset) noexcept {
  return fnv1a_step(seed, reinterpret_cast<const unsigned char*>(text.data()), text.size());
}

// The calls every sink takes, in terms of its bytes(p, n): one field list drives them all.
template <class Sink>
struct FieldSink {
  template <PlainField T>
  void put(const T& v) {
    self().bytes(&v, sizeof(T));
  }
  template <PlainField T>
  void operator()(const T& v) {
    put(v);
  }
  // Length-prefixed (u32), as Reader::get_bytes reads it.
  void put_bytes(std::span<const std::byte> b) {
    put(static_cast<std::uint32_t>(b.size()));
    self().bytes(b.data(), b.size());
  }
  void put_string(std::string_view s) {
    put(static_cast<std::uint32_t>(s.size()));
    self().bytes(s.data(), s.size());
  }

 private:
  Sink& self() noexcept { return static_cast<Sink&>(*this); }
};

// Hashes what a Writer would write, without a buffer.
class Hasher : public FieldSink<Hasher> {
 public:
  Hasher() = default;
  explicit Hasher(std::uint64_t seed) noexcept : h_(seed) {}
  void bytes(const void* p, std::size_t n) noexcept {
    h_ = fnv1a_step(h_, static_cast<const unsigned char*>(p), n);
  }
  std::uint64_t value() const noexcept { return h_; }

 private:
  std::uint64_t h_ = kFnvOffset;
};

// Counts what a Writer would write.
struct Sizer : FieldSink<Sizer> {
  std::size_t n = 0;
  void bytes(const void*, std::size_t k) noexcept { n += k; }
};

// Out of line on purpose: inlined into callers with constant sizes, GCC 12 at -O3 reports
// false -Warray-bounds / -Wstringop-overflow inside std::vector's growth (either way it is
// written). One call per field, on the snapshot path only.
void append_bytes(std::vector<std::byte>& out, const void* p, std::size_t n);

// Appends to a caller's vector (the snapshot path, off the hot path).
class Writer : public FieldSink<Writer> {
 public:
  explicit Writer(std::vector<std::byte>& out) noexcept : out_(&out) {}
  void bytes(const void* p, std::size_t n) { append_bytes(*out_, p, n); }

 private:
  std::vector<std::byte>* out_;
};

// Writes into a buffer already sized by a Sizer (no allocation, no bounds check: the Sizer
// walked the same fields).
struct SpanWriter : FieldSink<SpanWriter> {
  explicit SpanWriter(std::byte* at) noexcept : out(at) {}
  std::byte* out;
  void bytes(const void* p, std::size_t n) noexcept {
    if (n != 0) std::memcpy(out, p, n);
    out += n;
  }
};

// Reads what Writer wrote. A read past the end clears ok(), yields zeros / empty, and every
// later read fails too, so a restore checks ok() once at the end.
class Reader {
 public:
  explicit Reader(std::span<const std::byte> in) noexcept : in_(in) {}
  template <PlainField T>
  bool get(T& v) noexcept {
    if (!ok_ || in_.size() - pos_ < sizeof(T)) {
      ok_ = false;
      v = T{};
      return false;
    }
    std::memcpy(&v, in_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  template <PlainField T>
  T get() noexcept {
    T v{};
    get(v);
    return v;
  }
  template <PlainField T>
  void operator()(T& v) noexcept {
    get(v);
  }
  std::span<const std::byte> get_bytes() noexcept {
    const auto n = get<std::uint32_t>();
    if (!ok_ || in_.size() - pos_ < n) {
      ok_ = false;
      return {};
    }
    auto out = in_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  std::string get_string() {
    const auto b = get_bytes();
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }
  // Skips n bytes (false, and !ok(), when fewer remain).
  bool skip(std::size_t n) noexcept {
    if (!ok_ || in_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    pos_ += n;
    return true;
  }
  bool ok() const noexcept { return ok_; }
  bool failed() const noexcept { return !ok_; }
  bool at_end() const noexcept { return pos_ == in_.size(); }
  std::size_t position() const noexcept { return pos_; }
  std::span<const std::byte> rest() const noexcept { return in_.subspan(pos_); }

 private:
  std::span<const std::byte> in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// Why a snapshot frame is refused.
enum class FrameError : std::uint8_t {
  kTruncated = 1,     // size is not what this capacity's snapshot has
  kBadVersion,        // not this component's snapshot, or a version this build does not know
  kCapacityMismatch,  // taken with other table sizes
  kCorrupt,           // checksum mismatch (a value out of range is the component's kCorrupt)
};

inline constexpr std::array<Named<FrameError>, 4> kFrameErrorNames{{
    {FrameError::kTruncated, "truncated"},
    {FrameError::kBadVersion, "bad magic or version"},
    {FrameError::kCapacityMismatch, "capacity mismatch"},
    {FrameError::kCorrupt, "checksum mismatch"},
}};

constexpr std::string_view to_string(FrameError e) noexcept {
  return name_of(kFrameErrorNames, e);
}

// Frames a snapshot: header (magic, version, the capacity words), the body that `body(w)`
// writes through a SpanWriter (exactly body_size bytes), and the checksum. Allocates the
// returned buffer.
template <class Body>
std::vector<std::byte> write_frame(std::uint32_t magic, std::uint8_t version,
                                   std::span<const std::uint32_t> capacities, std::size_t body_size,
                                   Body&& body) {
  const std::size_t header = sizeof magic + sizeof version + capacities.size_bytes();
  std::vector<std::byte> out(header + body_size + sizeof(std::uint64_t));
  SpanWriter w{out.data()};
  w(magic);
  w(version);
  for (const std::uint32_t c : capacities)
    w(c);
  body(w);
  w(fnv1a64(std::span(out).first(out.size() - sizeof(std::uint64_t))));
  return out;
}

// Checks what write_frame framed: returns the offset of the body, or why it is refused.
inline Expected<std::size_t, FrameError> check_frame(std::span<const std::byte> bytes,
                                                     std::uint32_t magic, std::uint8_t version,
                                                     std::span<const std::uint32_t> capacities,
                                                     std::size_t body_size) noexcept {
  Reader r{bytes};
  const auto m = r.get<std::uint32_t>();
  const auto v = r.get<std::uint8_t>();
  if (!r.ok()) return Unexpected{FrameError::kTruncated};
  if (m != magic || v != version) return Unexpected{FrameError::kBadVersion};
  for (const std::uint32_t expected : capacities) {
    const auto c = r.get<std::uint32_t>();
    if (!r.ok()) return Unexpected{FrameError::kTruncated};
    if (c != expected) return Unexpected{FrameError::kCapacityMismatch};
  }
  if (bytes.size() != r.position() + body_size + sizeof(std::uint64_t)) {
    return Unexpected{FrameError::kTruncated};
  }
  std::uint64_t sum = 0;
  std::memcpy(&sum, bytes.data() + bytes.size() - sizeof sum, sizeof sum);
  if (sum != fnv1a64(bytes.first(bytes.size() - sizeof sum))) {
    return Unexpected{FrameError::kCorrupt};
  }
  return r.position();
}

// The capacity words of a write_frame() frame, unchecked beyond magic and version: a restore
// reads a snapshot taken with other table sizes at its own sizes first, then copies it into
// this deployment's tables (copy_grid). nullopt: not such a frame.
template <std::size_t N>
std::optional<std::array<std::uint32_t, N>> frame_capacities(std::span<const std::byte> bytes,
                                                             std::uint32_t magic,
                                                             std::uint8_t version) noexcept {
  Reader r{bytes};
  const auto m = r.get<std::uint32_t>();
  const auto v = r.get<std::uint8_t>();
  std::array<std::uint32_t, N> words{};
  for (std::uint32_t& w : words)
    r(w);
  if (!r.ok() || m != magic || v != version) return std::nullopt;
  return words;
}

// Copies a table of `from_cols` columns (a row per id: a bot, an account) into one of
// `to_cols` columns, each entry at the same row and column: how a snapshot taken with other
// table sizes restores into this deployment's (docs/ARCHITECTURE.md, "Capacity"). False when
// an entry that is not empty (`is_empty`) has no place in `to`.
template <class T, class Empty>
bool copy_grid(std::span<const T> from, std::size_t from_cols, std::span<T> to, std::size_t to_cols,
               Empty&& is_empty) {
  const std::size_t from_rows = from_cols == 0 ? 0 : from.size() / from_cols;
  const std::size_t to_rows = to_cols == 0 ? 0 : to.size() / to_cols;
  for (std::size_t r = 0; r < from_rows; ++r) {
    for (std::size_t c = 0; c < from_cols; ++c) {
      const T& v = from[r * from_cols + c];
      if (r < to_rows && c < to_cols) {
        to[r * to_cols + c] = v;
      } else if (!is_empty(v)) {
        return false;
      }
    }
  }
  return true;
}

// A component's state_hash(), snapshot() and restore() from its one field list, given as
// `fields(obj, sink)` (obj is the component: const for hashing and writing; sink is a Hasher,
// Sizer, SpanWriter or Reader). The order manager and the paper venue are such components.
struct FrameSpec {
  std::uint32_t magic;
  std::uint8_t version;
  std::span<const std::uint32_t> capacities;
};

template <class T, class Fields>
std::uint64_t hash_fields(const T& obj, Fields fields) {
  Hasher h;
  fields(obj, h);
  return h.value();
}

template <class T, class Fields>
std::vector<std::byte> snapshot_fields(const T& obj, const FrameSpec& frame, Fields fields) {
  Sizer size;
  fields(obj, size);
  return write_frame(frame.magic, frame.version, frame.capacities, size.n,
                     [&](SpanWriter& w) { fields(obj, w); });
}

// Reads a snapshot_fields() frame into `fresh` (a new component with obj's capacities) and
// moves it into `obj` only when every field was read and `accept(fresh)` holds (indexes
// rebuilt, ranges checked); on any error `obj` is unchanged.
template <class T, class Fields, class Accept>
Expected<bool, FrameError> restore_fields(T& obj, T fresh, std::span<const std::byte> bytes,
                                          const FrameSpec& frame, Fields fields, Accept accept) {
  Sizer size;
  fields(std::as_const(obj), size);
  const auto body = check_frame(bytes, frame.magic, frame.version, frame.capacities, size.n);
  if (!body) return Unexpected{body.error()};
  Reader r{bytes.subspan(*body)};
  fields(fresh, r);
  if (!r.ok() || !accept(fresh)) return Unexpected{FrameError::kCorrupt};
  obj = std::move(fresh);
  return true;
}

}  // namespace be::state_io
