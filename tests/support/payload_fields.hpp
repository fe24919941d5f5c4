#pragma once
// Builders for the fixed-size text fields of event payloads, so a test can write a whole
// payload as one designated initializer instead of assigning it field by field and copying
// names in with std::copy/memcpy afterwards (each test file used to carry its own copy).

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

#include "core/event.hpp"

namespace be::test {

// `text` NUL-padded into an N-char field; longer text is cut at N, as the venue parsers do.
template <std::size_t N>
constexpr std::array<char, N> padded(std::string_view text) noexcept {
  std::array<char, N> field{};
  std::copy_n(text.begin(), std::min(text.size(), N), field.begin());
  return field;
}

// InstrumentDefined::symbol, e.g. "BTCUSDT".
constexpr std::array<char, InstrumentDefined::kSymbolCapacity> symbol_field(
    std::string_view symbol) noexcept {
  return padded<InstrumentDefined::kSymbolCapacity>(symbol);
}

// InstrumentDefined::base_asset or quote_asset, e.g. "BTC".
constexpr std::array<char, InstrumentDefined::kAssetCapacity> asset_field(
    std::string_view asset) noexcept {
  return padded<InstrumentDefined::kAssetCapacity>(asset);
}

}  // namespace be::test
