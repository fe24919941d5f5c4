// Snapshot byte helpers shared by the schedule and the condition engine: a writer that
// appends plain fields, a reader that never reads past the end, and an FNV-1a 64 hasher that
// takes the same calls as the writer, so state_hash() hashes what save() writes without a
// buffer. Native endianness: snapshots are read back by the same binary.
//
// Thread-safety: none (values owned by the caller). The writer allocates; reader and hasher
// do not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace be::sched {

struct ByteWriter {
  std::vector<std::byte>& out;

  void bytes(const void* p, std::size_t n) {
    // resize + memcpy: GCC 12's -Wstringop-overflow misfires on insert of a byte range.
    const std::size_t at = out.size();
    out.resize(at + n);
    if (n != 0) std::memcpy(out.data() + at, p, n);
  }
  template <class T>
  requires std::is_trivially_copyable_v<T>
  void put(const T& v) { bytes(&v, sizeof(T)); }
  void put_string(std::string_view s) {
    put(static_cast<std::uint32_t>(s.size()));
    bytes(s.data(), s.size());
  }
};

struct ByteHasher {
  std::uint64_t h = 0xcbf29ce484222325ULL;

  void bytes(const void* p, std::size_t n) noexcept {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) {
      h ^= b[i];
      h *= 0x100000001b3ULL;
    }
  }
  template <class T>
  requires std::is_trivially_copyable_v<T>
  void put(const T& v) noexcept { bytes(&v, sizeof(T)); }
  void put_string(std::string_view s) noexcept {
    put(static_cast<std::uint32_t>(s.size()));
    bytes(s.data(), s.size());
  }
};

// Any read past the end clears ok and yields zeros / empty.
struct ByteReader {
  std::span<const std::byte> in;
  std::size_t pos = 0;
  bool ok = true;

  template <class T>
  requires std::is_trivially_copyable_v<T> T get()
  noexcept {
    T v{};
    if (!ok || in.size() - pos < sizeof(T)) {
      ok = false;
      return v;
    }
    std::memcpy(&v, in.data() + pos, sizeof(T));
    pos += sizeof(T);
    return v;
  }
  std::span<const std::byte> get_bytes() noexcept {
    const auto n = get<std::uint32_t>();
    if (!ok || in.size() - pos < n) {
      ok = false;
      return {};
    }
    auto out = in.subspan(pos, n);
    pos += n;
    return out;
  }
  std::string get_string() {
    const auto b = get_bytes();
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }
  bool at_end() const noexcept { return pos == in.size(); }
};

}  // namespace be::sched
