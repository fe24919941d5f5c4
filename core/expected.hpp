// A small C++20 stand-in for std::expected (C++23): a value or an error, never both.
// Used on hot paths with trivially copyable error enums, so it never allocates or throws by
// itself. Both members are stored side by side (T and E must be default-constructible): that
// keeps it constexpr-friendly on GCC 12, whose std::variant is not in constant evaluation.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>

namespace be {

template <class E>
struct Unexpected {
  E error;
};
template <class E>
Unexpected(E) -> Unexpected<E>;

template <class T, class E>
class [[nodiscard]] Expected {
 public:
  constexpr Expected(T value) : value_(std::move(value)), ok_(true) {}  // NOLINT: implicit
  constexpr Expected(Unexpected<E> unexpected)                         // NOLINT: implicit
      : error_(std::move(unexpected.error)), ok_(false) {}

  constexpr bool has_value() const noexcept { return ok_; }
  constexpr explicit operator bool() const noexcept { return has_value(); }

  // Precondition: has_value(). Checked by assert; callers test first.
  constexpr T& value() & noexcept {
    assert(has_value());
    return value_;
  }
  constexpr const T& value() const& noexcept {
    assert(has_value());
    return value_;
  }
  constexpr T&& value() && noexcept {
    assert(has_value());
    return std::move(value_);
  }
  constexpr T& operator*() & noexcept { return value(); }
  constexpr const T& operator*() const& noexcept { return value(); }
  constexpr T* operator->() noexcept { return &value(); }
  constexpr const T* operator->() const noexcept { return &value(); }

  // Precondition: !has_value().
  constexpr const E& error() const noexcept {
    assert(!has_value());
    return error_;
  }

  constexpr T value_or(T fallback) const& { return has_value() ? value() : std::move(fallback); }

 private:
  T value_{};
  E error_{};
  bool ok_;
};

}  // namespace be
