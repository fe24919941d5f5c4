// A small C++20 stand-in for std::expected (C++23): a value or an error, never both.
// Used on hot paths with trivially copyable error enums, so it never allocates or throws by
// itself. When T and E are trivially copyable, so is Expected (returned in registers like a
// plain struct): the storage is chosen by specialisation rather than by conditionally
// trivial special members, which clang 14 (the fuzz preset's compiler) does not support.
#pragma once

#include <cassert>
#include <memory>
#include <type_traits>
#include <utility>

namespace be {

template <class E>
struct Unexpected {
  // A constructor, not aggregate init: `Unexpected(e)` must work on clang 14 too, which lacks
  // C++20's parenthesised aggregate initialisation.
  constexpr explicit Unexpected(E e) : error(std::move(e)) {}
  E error;
};
template <class E>
Unexpected(E) -> Unexpected<E>;

namespace detail {

struct ValueTag {};
struct ErrorTag {};

template <class T, class E>
inline constexpr bool kTrivialExpected =
    std::is_trivially_copyable_v<T>&& std::is_trivially_copyable_v<E>&&
        std::is_trivially_destructible_v<T>&& std::is_trivially_destructible_v<E>;

// Trivially copyable members: the union and so the storage stay trivially copyable.
template <class T, class E, bool Trivial = kTrivialExpected<T, E>>
struct ExpectedStorage {
  constexpr ExpectedStorage(ValueTag, T v) : value(std::move(v)), ok(true) {}
  constexpr ExpectedStorage(ErrorTag, E e) : error(std::move(e)), ok(false) {}
  union {
    T value;
    E error;
  };
  bool ok;
};

// Anything else: lifetime managed by hand.
template <class T, class E>
struct ExpectedStorage<T, E, false> {
  constexpr ExpectedStorage(ValueTag, T v) : value(std::move(v)), ok(true) {}
  constexpr ExpectedStorage(ErrorTag, E e) : error(std::move(e)), ok(false) {}
  constexpr ExpectedStorage(const ExpectedStorage& other) : ok(other.ok) {
    if (ok) {
      std::construct_at(&value, other.value);
    } else {
      std::construct_at(&error, other.error);
    }
  }
  constexpr ExpectedStorage(ExpectedStorage&& other) noexcept : ok(other.ok) {
    if (ok) {
      std::construct_at(&value, std::move(other.value));
    } else {
      std::construct_at(&error, std::move(other.error));
    }
  }
  constexpr ExpectedStorage& operator=(const ExpectedStorage& other) {
    if (this != &other) {
      destroy();
      std::construct_at(this, other);
    }
    return *this;
  }
  constexpr ExpectedStorage& operator=(ExpectedStorage&& other) noexcept {
    if (this != &other) {
      destroy();
      std::construct_at(this, std::move(other));
    }
    return *this;
  }
  constexpr ~ExpectedStorage() { destroy(); }
  constexpr void destroy() noexcept {
    if (ok) {
      value.~T();
    } else {
      error.~E();
    }
  }
  union {
    T value;
    E error;
  };
  bool ok;
};

}  // namespace detail

template <class T, class E>
class [[nodiscard]] Expected {
 public:
  constexpr Expected(T value)  // NOLINT: implicit
      : storage_(detail::ValueTag{}, std::move(value)) {}
  constexpr Expected(Unexpected<E> unexpected)  // NOLINT: implicit
      : storage_(detail::ErrorTag{}, std::move(unexpected.error)) {}

  constexpr bool has_value() const noexcept { return storage_.ok; }
  constexpr explicit operator bool() const noexcept { return has_value(); }

  // Precondition: has_value(). Checked by assert; callers test first.
  constexpr T& value() & noexcept {
    assert(has_value());
    return storage_.value;
  }
  constexpr const T& value() const& noexcept {
    assert(has_value());
    return storage_.value;
  }
  constexpr T&& value() && noexcept {
    assert(has_value());
    return std::move(storage_.value);
  }
  constexpr T& operator*() & noexcept { return value(); }
  constexpr const T& operator*() const& noexcept { return value(); }
  constexpr T* operator->() noexcept { return &value(); }
  constexpr const T* operator->() const noexcept { return &value(); }

  // Precondition: !has_value().
  constexpr const E& error() const noexcept {
    assert(!has_value());
    return storage_.error;
  }

  constexpr T value_or(T fallback) const& { return has_value() ? value() : std::move(fallback); }

 private:
  detail::ExpectedStorage<T, E> storage_;
};

static_assert(std::is_trivially_copyable_v<Expected<long, int>>);

}  // namespace be
