// Names of codes: one table per enum, {code, name} pairs, instead of a switch per to_string.
// Names are what people read (journal inspect, the API, logs, webhooks); the engine never
// parses its own journal back through them. The reverse lookup (code_of) serves config and
// CLI parsing of the same words, so a name is written exactly once.
//
// Lookups are linear scans over a few dozen entries: off the hot path by design.
// Thread-safety: constexpr data, none needed. Allocation: none.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace be {

template <class E>
struct Named {
  E code;
  std::string_view name;
};

// The name of `code`, or `other` when the table has none (a newer build's code, or garbage).
template <class E, std::size_t N>
constexpr std::string_view name_of(const std::array<Named<E>, N>& table, E code,
                                   std::string_view other = "unknown") noexcept {
  for (const auto& entry : table) {
    if (entry.code == code) return entry.name;
  }
  return other;
}

// The code a name names, or nothing.
template <class E, std::size_t N>
constexpr std::optional<E> code_of(const std::array<Named<E>, N>& table,
                                   std::string_view name) noexcept {
  for (const auto& entry : table) {
    if (entry.name == name) return entry.code;
  }
  return std::nullopt;
}

// For enums numbered densely from 0 to Count-1: every code has exactly one entry, in order.
// Use in a static_assert beside the table, so a new enumerator without a name fails to build.
template <class E, std::size_t N>
constexpr bool names_every_code(const std::array<Named<E>, N>& table, std::size_t count) noexcept {
  if (N != count) return false;
  for (std::size_t i = 0; i < N; ++i) {
    if (static_cast<std::size_t>(table[i].code) != i) return false;
  }
  return true;
}

}  // namespace be
