#include "core/crc32c.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define BE_CRC32C_X86 1
#endif

namespace be {
namespace {

constexpr std::uint32_t kPoly = 0x82F63B78u;  // Castagnoli, bit-reflected

// Slicing-by-8: table[k][b] is the CRC contribution of byte b followed by k zero bytes, so
// eight bytes are folded per step with eight independent lookups.
constexpr std::array<std::array<std::uint32_t, 256>, 8> make_tables() {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  for (std::uint32_t b = 0; b < 256; ++b) {
    std::uint32_t c = b;
    for (int i = 0; i < 8; ++i)
      c = (c >> 1) ^ ((c & 1u) ? kPoly : 0u);
    t[0][b] = c;
  }
  for (std::uint32_t b = 0; b < 256; ++b) {
    for (std::size_t k = 1; k < 8; ++k)
      t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFFu];
  }
  return t;
}
constexpr auto kTables = make_tables();

using ExtendFn = std::uint32_t (*)(std::uint32_t, const void*, std::size_t) noexcept;

ExtendFn pick() noexcept {
#ifdef BE_CRC32C_X86
  if (crc32c_hw_available()) return &crc32c_extend_hw;
#endif
  return &crc32c_extend_sw;
}

}  // namespace

std::uint32_t crc32c_extend_sw(std::uint32_t crc, const void* data, std::size_t size) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint32_t c = ~crc;
  while (size >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);  // little-endian load; the table layout assumes it (x86, arm64)
    w ^= c;
    c = kTables[7][w & 0xFF] ^ kTables[6][(w >> 8) & 0xFF] ^ kTables[5][(w >> 16) & 0xFF] ^
        kTables[4][(w >> 24) & 0xFF] ^ kTables[3][(w >> 32) & 0xFF] ^ kTables[2][(w >> 40) & 0xFF] ^
        kTables[1][(w >> 48) & 0xFF] ^ kTables[0][w >> 56];
    p += 8;
    size -= 8;
  }
  while (size-- > 0)
    c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xFFu];
  return ~c;
}

#ifdef BE_CRC32C_X86
__attribute__((target("sse4.2"))) std::uint32_t crc32c_extend_hw(std::uint32_t crc,
                                                                 const void* data,
                                                                 std::size_t size) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t c = ~crc;
  while (size >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    c = _mm_crc32_u64(c, w);
    p += 8;
    size -= 8;
  }
  auto c32 = static_cast<std::uint32_t>(c);
  while (size-- > 0)
    c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}

bool crc32c_hw_available() noexcept {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}
#else
std::uint32_t crc32c_extend_hw(std::uint32_t crc, const void* data, std::size_t size) noexcept {
  return crc32c_extend_sw(crc, data, size);
}
bool crc32c_hw_available() noexcept {
  return false;
}
#endif

std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t size) noexcept {
  // Resolved once; a function-local static is initialised thread-safely on first call.
  static const ExtendFn fn = pick();
  return fn(crc, data, size);
}

}  // namespace be
