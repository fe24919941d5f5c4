// CRC32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of every journal frame.
//
// Two implementations of the same function: the SSE4.2 `crc32` instruction (8 bytes per
// instruction) and a portable slicing-by-8 table. The hardware path is compiled with a
// function-level target attribute, never a global -msse4.2, so the binary still runs on a
// CPU without SSE4.2; crc32c() picks the path once, at first use, from
// __builtin_cpu_supports("sse4.2").
//
// Thread-safety: every function is pure and may be called from any thread.
// Convention: crc32c_extend(crc32c(a), b) == crc32c(a ++ b), as in LevelDB/RocksDB, so a
// frame's CRC can be computed over non-contiguous pieces (key, header, payload).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace be {

// Continues a CRC32C over `size` more bytes; `crc` is a finished CRC (0 for "no bytes yet").
std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t size) noexcept;

inline std::uint32_t crc32c(std::span<const std::byte> bytes) noexcept {
  return crc32c_extend(0, bytes.data(), bytes.size());
}

// The two paths, exposed so tests can prove they agree and benchmarks can compare them.
std::uint32_t crc32c_extend_sw(std::uint32_t crc, const void* data, std::size_t size) noexcept;
// Precondition: crc32c_hw_available(). Calling it on a CPU without SSE4.2 is SIGILL.
std::uint32_t crc32c_extend_hw(std::uint32_t crc, const void* data, std::size_t size) noexcept;
bool crc32c_hw_available() noexcept;

}  // namespace be
