// Snapshot support shared by every indicator (STYLE.md #7): one `fields(archive)` member per
// indicator lists its state once, and the archives below walk it to measure, write, read or
// hash the bytes through core/state_io.hpp (the project's one writer, reader and FNV-1a 64).
// Listing the fields once is what keeps save, restore and state_hash in agreement.
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
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/names.hpp"
#include "core/state_io.hpp"

namespace be::ta {

enum class StateError : std::uint8_t {
  kNone = 0,
  kTooShort,           // the buffer ends before the indicator's fields do
  kWrongKind,          // the bytes are another indicator's, or another layout version
  kParameterMismatch,  // same indicator, different periods
  kTrailingBytes,      // the buffer holds more than one indicator's state
  kCorrupt,            // a ring's head or size is out of range
};

inline constexpr std::array<Named<StateError>, 6> kStateErrorNames = {{
    {StateError::kNone, "ok"},
    {StateError::kTooShort, "state buffer too short"},
    {StateError::kWrongKind, "state belongs to another indicator or layout version"},
    {StateError::kParameterMismatch, "state was saved with other parameters"},
    {StateError::kTrailingBytes, "state buffer has trailing bytes"},
    {StateError::kCorrupt, "state ring head or size out of range"},
}};
static_assert(names_every_code(kStateErrorNames,
                               static_cast<std::size_t>(StateError::kCorrupt) + 1));

constexpr std::string_view to_string(StateError e) noexcept {
  return name_of(kStateErrorNames, e, "unknown state error");
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

// Walks an indicator's fields into a core/state_io.hpp sink (Sizer to measure, SpanWriter to
// write, Hasher to hash): parameters and values are plain fields, a ring is its head, its size
// and every slot. One walk for all three is what keeps size, bytes and hash in agreement.
template <class Sink>
struct FieldArchive {
  Sink& sink;
  template <class T>
  void value(const T& v) noexcept {
    sink.put(v);
  }
  template <class T>
  void param(const T& v) noexcept {
    sink.put(v);
  }
  template <class T>
  void ring(const std::vector<T>& d, std::size_t head, std::size_t size) noexcept {
    static_assert(std::is_trivially_copyable_v<T>);
    sink.put(static_cast<std::uint32_t>(head));
    sink.put(static_cast<std::uint32_t>(size));
    sink.bytes(d.data(), d.size() * sizeof(T));
  }
};

// Reads bytes back through a state_io::Reader; parameters must equal the live indicator's,
// windows must fit. The first error sticks and stops every later read.
struct ReadArchive {
  state_io::Reader in;
  StateError error = StateError::kNone;

  template <class T>
  bool take(T& v) noexcept {
    if (error != StateError::kNone) return false;
    if (!in.get(v)) {
      error = StateError::kTooShort;
      return false;
    }
    return true;
  }
  template <class T>
  void value(T& v) noexcept {
    T tmp;
    if (take(tmp)) v = tmp;
  }
  template <class T>
  void param(const T& expected) noexcept {
    T got;
    if (take(got) && std::memcmp(&got, &expected, sizeof(T)) != 0) {
      error = StateError::kParameterMismatch;
    }
  }
  template <class T>
  void ring(std::vector<T>& d, std::size_t& head, std::size_t& size) noexcept {
    std::uint32_t h = 0;
    std::uint32_t s = 0;
    if (!take(h) || !take(s)) return;
    if (h >= d.size() || s > d.size()) {
      error = StateError::kCorrupt;
      return;
    }
    const std::size_t n = d.size() * sizeof(T);
    const std::span<const std::byte> slots = in.rest();
    if (slots.size() < n) {
      error = StateError::kTooShort;
      return;
    }
    std::memcpy(d.data(), slots.data(), n);
    in.skip(n);
    head = h;
    size = s;
  }
};

// Puts every state field back to its constructed value, zero (parameters stay): reset() for
// every indicator comes from the same field list, so no field can be left out of it.
struct ResetArchive {
  template <class T>
  void value(T& v) noexcept {
    v = T{};
  }
  template <class T>
  void param(const T& /*unchanged*/) noexcept {}
  template <class T>
  void ring(std::vector<T>& d, std::size_t& head, std::size_t& size) noexcept {
    std::fill(d.begin(), d.end(), T{});
    head = 0;
    size = 0;
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

// CRTP mixin every indicator derives from: its kind code and state layout version, and
// save/restore/state_hash/reset for any class with
//   template <class A> void fields(A&);   // visits parameters with a.param, state with a.value
// Restore is all-or-nothing: on error the indicator is left as it was. Bump Version when an
// indicator's fields change, so an old snapshot is refused (kWrongKind), never misread.
template <class Derived, IndicatorKind Kind, std::uint16_t Version = 1>
class Snapshottable {
 public:
  static constexpr IndicatorKind kKind = Kind;
  static constexpr std::uint16_t kStateVersion = Version;

  std::size_t state_size() const noexcept {
    state_io::Sizer sizer;
    detail::FieldArchive<state_io::Sizer> a{sizer};
    visit(a);
    return sizer.n;
  }

  // Writes state_size() bytes; returns 0 (and writes nothing) when `out` is too small.
  std::size_t save(std::span<std::byte> out) const noexcept {
    const std::size_t n = state_size();
    if (out.size() < n) return 0;
    state_io::SpanWriter writer{out.data()};
    detail::FieldArchive<state_io::SpanWriter> a{writer};
    visit(a);
    return n;
  }

  // Not for the hot path: it restores into a copy (which allocates) so that a bad buffer
  // leaves the live indicator untouched.
  StateError restore(std::span<const std::byte> in) {
    Derived copy_check = self();
    detail::ReadArchive a{state_io::Reader{in}};
    copy_check.visit_mut(a);
    if (a.error == StateError::kNone && !a.in.at_end()) a.error = StateError::kTrailingBytes;
    if (a.error == StateError::kNone) self() = std::move(copy_check);
    return a.error;
  }

  // Back to the freshly constructed state (every state field is zero when constructed).
  // Allocation-free; O(window).
  void reset() noexcept {
    detail::ResetArchive a;
    self().fields(a);
  }

  std::uint64_t state_hash() const noexcept {
    state_io::Hasher hasher;
    detail::FieldArchive<state_io::Hasher> a{hasher};
    visit(a);
    return hasher.value();
  }

 private:
  const Derived& self() const noexcept { return static_cast<const Derived&>(*this); }
  Derived& self() noexcept { return static_cast<Derived&>(*this); }

  template <class A>
  void visit(A& a) const noexcept {
    a.value(static_cast<std::uint16_t>(kKind));
    a.value(kStateVersion);
    const_cast<Derived&>(self()).fields(a);  // the archives above only read through it
  }

  void visit_mut(detail::ReadArchive& a) noexcept {
    std::uint16_t kind = 0;
    std::uint16_t version = 0;
    a.value(kind);
    a.value(version);
    if (a.error != StateError::kNone) return;
    if (kind != static_cast<std::uint16_t>(kKind) || version != kStateVersion) {
      a.error = StateError::kWrongKind;
      return;
    }
    self().fields(a);
  }
};

}  // namespace be::ta
