// A small C++20 stand-in for std::expected (C++23): a value or an error, never both.
// Used on hot paths with trivially copyable error enums, so it never allocates or throws by
// itself. When T and E are trivially copyable and destructible, so is Expected (it is then
// returned in registers like a plain struct).
#pragma once

#include <cassert>
#include <memory>
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

  constexpr Expected(const Expected& other)
    requires(std::is_trivially_copy_constructible_v<T> && std::is_trivially_copy_constructible_v<E>)
  = default;
  constexpr Expected(const Expected& other) : ok_(other.ok_) {
    if (ok_) {
      std::construct_at(&value_, other.value_);
    } else {
      std::construct_at(&error_, other.error_);
    }
  }
  constexpr Expected(Expected&& other) noexcept
    requires(std::is_trivially_move_constructible_v<T> && std::is_trivially_move_constructible_v<E>)
  = default;
  constexpr Expected(Expected&& other) noexcept : ok_(other.ok_) {
    if (ok_) {
      std::construct_at(&value_, std::move(other.value_));
    } else {
      std::construct_at(&error_, std::move(other.error_));
    }
  }
  constexpr Expected& operator=(const Expected& other)
    requires(std::is_trivially_copy_assignable_v<T> && std::is_trivially_copy_assignable_v<E> &&
             std::is_trivially_destructible_v<T> && std::is_trivially_destructible_v<E>)
  = default;
  constexpr Expected& operator=(const Expected& other) {
    if (this != &other) {
      this->~Expected();
      std::construct_at(this, other);
    }
    return *this;
  }
  constexpr Expected& operator=(Expected&& other) noexcept
    requires(std::is_trivially_move_assignable_v<T> && std::is_trivially_move_assignable_v<E> &&
             std::is_trivially_destructible_v<T> && std::is_trivially_destructible_v<E>)
  = default;
  constexpr Expected& operator=(Expected&& other) noexcept {
    if (this != &other) {
      this->~Expected();
      std::construct_at(this, std::move(other));
    }
    return *this;
  }

  constexpr ~Expected()
    requires(std::is_trivially_destructible_v<T> && std::is_trivially_destructible_v<E>)
  = default;
  constexpr ~Expected() {
    if (ok_) {
      value_.~T();
    } else {
      error_.~E();
    }
  }

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
  union {
    T value_;
    E error_;
  };
  bool ok_;
};

static_assert(std::is_trivially_copyable_v<Expected<long, int>>);

}  // namespace be
