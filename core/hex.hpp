// Hex text, written once: lower-case encoding (API token hashes, Binance request signatures)
// and digit decoding (key files, token hashes, URL %-escapes).
// Thread-safety: none needed. Allocation: to_hex returns a string; hex_value none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace be {

inline constexpr char kHexDigits[] = "0123456789abcdef";

inline std::string to_hex(std::span<const std::uint8_t> bytes) {
  std::string out(bytes.size() * 2, '0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kHexDigits[bytes[i] >> 4];
    out[2 * i + 1] = kHexDigits[bytes[i] & 0x0F];
  }
  return out;
}

// The value of one hex digit (either case), or -1.
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace be
