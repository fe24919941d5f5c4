// Snapshot support shared by every indicator (STYLE.md #7): one `fields(archive)` member per
// indicator lists its state once, and three archives walk it to measure, write, read or hash
// the bytes. Listing the fields once is what keeps save, restore and state_hash in agreement.
//
// Byte layout of a saved indicator (native endianness; snapshots are read back by the same
// binary on the same machine, so no byte swapping is attempted):
//
//   0        2         4
//   +--------+---------+----------------------------------------------------------+
//   | kind   | version | fields in the order fields() visits them:                  |
//   | u16    | u16     |   parameters (u32 / f64), counters (u64), scalars (f64),   |
//   |        |         |   rings as u32 head, u32 size, capacity x element        |
//   +--------+---------+----------------------------------------------------------+
//
// Parameters are written too and checked on restore: restoring an RSI(14) snapshot into an
// RSI(9) is refused (kParameterMismatch), never silently mixed.
//
// Thread-safety: none; an indicator belongs to one strategy stage. No archive allocates.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

namespace be::ta {

enum class StateError : std::uint8_t {
  kNone = 0,
  kTooShort,           // the buffer ends before the indicator's fields do
  kWrongKind,          // the bytes are another indicator's, or another layout version
  kParameterMismatch,  // same indicator, different periods
  kTrailingBytes,      // the buffer holds more than one indicator's state
  kCorrupt,            // a ring's head or size is out of range
};

constexpr std::string_view to_string(StateError e) noexcept {
  switch (e) {
    case StateError::kNone:
      return "ok";
    case StateError::kTooShort:
      return "state buffer too short";
    case StateError::kWrongKind:
      return "state belongs to another indicator or layout version";
    case StateError::kParameterMismatch:
      return "state was saved with other parameters";
    case StateError::kTrailingBytes:
      return "state buffer has trailing bytes";
    case StateError::kCorrupt:
      return "state ring head or size out of range";
  }
  return "unknown state error";
}

// A fixed-capacity FIFO: the only storage an indicator owns, allocated once in the
// constructor and never resized, so update() cannot allocate. Copying deep-copies (and so
// allocates); moving does not.
template <class T>
class Ring {
 public:
  explicit Ring(std::size_t capacity) : data_(capacity == 0 ? 1 : capacity, T{}) {}

  std::size_t capacity() const noexcept { return data_.size(); }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  bool full() const noexcept { return size_ == data_.size(); }

  // Appends x. When the ring was full the oldest value is overwritten and returned through
  // `evicted`, and the result is true.
  bool push(T x, T& evicted) noexcept {
    const bool was_full = full();
    if (was_full) {
      evicted = data_[head_];  // full: the oldest sits where the next value goes
    } else {
      ++size_;
    }
    data_[head_] = x;
    head_ = head_ + 1 == data_.size() ? 0 : head_ + 1;
    return was_full;
  }
  // Precondition: !full().
  void push_back(T x) noexcept {
    data_[head_] = x;
    head_ = head_ + 1 == data_.size() ? 0 : head_ + 1;
    ++size_;
  }
  // Precondition: !empty().
  void pop_front() noexcept { --size_; }
  void pop_back() noexcept {
    head_ = head_ == 0 ? data_.size() - 1 : head_ - 1;
    --size_;
  }
  const T& front() const noexcept { return data_[tail()]; }
  const T& back() const noexcept { return data_[head_ == 0 ? data_.size() - 1 : head_ - 1]; }

  // i-th newest value: 0 is the last pushed. Precondition: i < size().
  const T& newest(std::size_t i) const noexcept {
    return data_[head_ > i ? head_ - 1 - i : head_ + data_.size() - 1 - i];
  }

  void clear() noexcept {
    std::fill(data_.begin(), data_.end(), T{});
    head_ = 0;
    size_ = 0;
  }

  template <class A>
  void fields(A& a) {
    a.ring(data_, head_, size_);
  }

 private:
  // No modulo: an integer division would cost more than the whole SMA update.
  std::size_t tail() const noexcept {
    return head_ >= size_ ? head_ - size_ : head_ + data_.size() - size_;
  }

  std::vector<T> data_;
  std::size_t head_ = 0;  // where the next value goes
  std::size_t size_ = 0;
};

namespace detail {

// Counts bytes.
struct SizeArchive {
  std::size_t bytes = 0;
  template <class T>
  void value(const T&) noexcept {
    bytes += sizeof(T);
  }
  template <class T>
  void param(const T&) noexcept {
    bytes += sizeof(T);
  }
  template <class T>
  void ring(const std::vector<T>& d, std::size_t, std::size_t) noexcept {
    bytes += 2 * sizeof(std::uint32_t) + d.size() * sizeof(T);
  }
};

// Writes bytes. The caller sized the buffer with SizeArchive.
struct WriteArchive {
  std::byte* out;
  template <class T>
  void value(const T& v) noexcept {
    static_assert(std::is_trivially_copyable_v<T>);
    std::memcpy(out, &v, sizeof(T));
    out += sizeof(T);
  }
  template <class T>
  void param(const T& v) noexcept {
    value(v);
  }
  template <class T>
  void ring(const std::vector<T>& d, std::size_t head, std::size_t size) noexcept {
    value(static_cast<std::uint32_t>(head));
    value(static_cast<std::uint32_t>(size));
    std::memcpy(out, d.data(), d.size() * sizeof(T));
    out += d.size() * sizeof(T);
  }
};

// Reads bytes back; parameters must equal the live indicator's, windows must fit.
struct ReadArchive {
  const std::byte* in;
  const std::byte* end;
  StateError error = StateError::kNone;

  bool take(void* dst, std::size_t n) noexcept {
    if (error != StateError::kNone) return false;
    if (static_cast<std::size_t>(end - in) < n) {
      error = StateError::kTooShort;
      return false;
    }
    std::memcpy(dst, in, n);
    in += n;
    return true;
  }
  template <class T>
  void value(T& v) noexcept {
    T tmp;
    if (take(&tmp, sizeof(T))) v = tmp;
  }
  template <class T>
  void param(const T& expected) noexcept {
    T got;
    if (take(&got, sizeof(T)) && std::memcmp(&got, &expected, sizeof(T)) != 0) {
      error = StateError::kParameterMismatch;
    }
  }
  template <class T>
  void ring(std::vector<T>& d, std::size_t& head, std::size_t& size) noexcept {
    std::uint32_t h = 0;
    std::uint32_t s = 0;
    if (!take(&h, sizeof h) || !take(&s, sizeof s)) return;
    if (h >= d.size() || s > d.size()) {
      error = StateError::kCorrupt;
      return;
    }
    if (static_cast<std::size_t>(end - in) < d.size() * sizeof(T)) {
      error = StateError::kTooShort;
      return;
    }
    std::memcpy(d.data(), in, d.size() * sizeof(T));
    in += d.size() * sizeof(T);
    head = h;
    size = s;
  }
};

// FNV-1a 64 over exactly the bytes WriteArchive would produce, without a buffer.
struct HashArchive {
  std::uint64_t h = 14695981039346656037ULL;
  void bytes(const void* p, std::size_t n) noexcept {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) {
      h ^= b[i];
      h *= 1099511628211ULL;
    }
  }
  template <class T>
  void value(const T& v) noexcept {
    bytes(&v, sizeof(T));
  }
  template <class T>
  void param(const T& v) noexcept {
    bytes(&v, sizeof(T));
  }
  template <class T>
  void ring(const std::vector<T>& d, std::size_t head, std::size_t size) noexcept {
    value(static_cast<std::uint32_t>(head));
    value(static_cast<std::uint32_t>(size));
    bytes(d.data(), d.size() * sizeof(T));
  }
};

}  // namespace detail

// Stable indicator kind codes: they lead every saved state. Append, never renumber.
enum class IndicatorKind : std::uint16_t {
  kSma = 1,
  kEma = 2,
  kRsi = 3,
  kMacd = 4,
  kBollinger = 5,
  kAtr = 6,
  kRoc = 7,
  kMomentum = 8,
  kVolumeSma = 9,
  kStoch = 10,
  kVwap = 11,
};

// CRTP mixin: save/restore/state_hash for any class with
//   static constexpr IndicatorKind kKind; static constexpr std::uint16_t kStateVersion;
//   template <class A> void fields(A&);   // visits parameters with a.param, state with a.value
// Restore is all-or-nothing: on error the indicator is left as it was.
template <class Derived>
class Snapshottable {
 public:
  std::size_t state_size() const noexcept {
    detail::SizeArchive a;
    visit(a);
    return a.bytes;
  }

  // Writes state_size() bytes; returns 0 (and writes nothing) when `out` is too small.
  std::size_t save(std::span<std::byte> out) const noexcept {
    const std::size_t n = state_size();
    if (out.size() < n) return 0;
    detail::WriteArchive a{out.data()};
    visit(a);
    return n;
  }

  // Not for the hot path: it restores into a copy (which allocates) so that a bad buffer
  // leaves the live indicator untouched.
  StateError restore(std::span<const std::byte> in) {
    Derived copy_check = self();
    detail::ReadArchive a{in.data(), in.data() + in.size()};
    copy_check.visit_mut(a);
    if (a.error == StateError::kNone && a.in != a.end) a.error = StateError::kTrailingBytes;
    if (a.error == StateError::kNone) self() = std::move(copy_check);
    return a.error;
  }

  std::uint64_t state_hash() const noexcept {
    detail::HashArchive a;
    visit(a);
    return a.h;
  }

 private:
  const Derived& self() const noexcept { return static_cast<const Derived&>(*this); }
  Derived& self() noexcept { return static_cast<Derived&>(*this); }

  template <class A>
  void visit(A& a) const noexcept {
    a.value(static_cast<std::uint16_t>(Derived::kKind));
    a.value(Derived::kStateVersion);
    const_cast<Derived&>(self()).fields(a);  // the archives above only read through it
  }

  void visit_mut(detail::ReadArchive& a) noexcept {
    std::uint16_t kind = 0;
    std::uint16_t version = 0;
    a.value(kind);
    a.value(version);
    if (a.error != StateError::kNone) return;
    if (kind != static_cast<std::uint16_t>(Derived::kKind) || version != Derived::kStateVersion) {
      a.error = StateError::kWrongKind;
      return;
    }
    self().fields(a);
  }
};

}  // namespace be::ta
