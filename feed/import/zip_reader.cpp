#include "feed/import/zip_reader.hpp"

#include <zlib.h>

#include <cstring>

namespace be::feed::import {

namespace {

constexpr std::uint32_t kLocalHeader = 0x04034b50;
constexpr std::uint32_t kCentralHeader = 0x02014b50;
constexpr std::uint32_t kEndOfDirectory = 0x06054b50;
constexpr std::size_t kLocalHeaderSize = 30;
constexpr std::size_t kCentralHeaderSize = 46;
constexpr std::size_t kEndOfDirectorySize = 22;
constexpr std::uint16_t kStored = 0;
constexpr std::uint16_t kDeflated = 8;

// Little-endian fields at `at`; the caller has checked that they lie inside `bytes`.
std::uint16_t u16(std::string_view bytes, std::size_t at) noexcept {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(bytes[at]) |
                                    static_cast<unsigned char>(bytes[at + 1]) << 8);
}
std::uint32_t u32(std::string_view bytes, std::size_t at) noexcept {
  return static_cast<std::uint32_t>(u16(bytes, at)) | static_cast<std::uint32_t>(u16(bytes, at + 2))
                                                          << 16;
}

struct Entry {
  std::string name;
  std::uint16_t flags = 0, method = 0;
  std::uint32_t crc = 0, compressed = 0, size = 0, local_offset = 0;
};

Expected<std::string, std::string> inflate_raw(std::string_view in, std::uint32_t size) {
  std::string out(size, '\0');
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return Unexpected(std::string("inflateInit2 failed"));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  const auto produced = z.total_out;
  inflateEnd(&z);
  if (rc != Z_STREAM_END) {
    return Unexpected(std::string("deflate data is corrupt or longer than the directory says (") +
                      (z.msg ? z.msg : "zlib " + std::to_string(rc)) + ")");
  }
  if (produced != size) return Unexpected(std::string("inflated size differs from the directory"));
  return out;
}

Expected<std::vector<Entry>, std::string> central_directory(std::string_view bytes) {
  // The end record sits in the last 22 + 65535 (comment) bytes; search backwards.
  if (bytes.size() < kEndOfDirectorySize) return Unexpected(std::string("too short for a zip"));
  std::size_t end = bytes.size() - kEndOfDirectorySize;
  const std::size_t floor = end > 0xFFFF ? end - 0xFFFF : 0;
  while (u32(bytes, end) != kEndOfDirectory) {
    if (end == floor) return Unexpected(std::string("no end-of-central-directory record"));
    --end;
  }
  if (u16(bytes, end + 4) != 0 || u16(bytes, end + 6) != 0) {
    return Unexpected(std::string("multi-disk archives are not supported"));
  }
  const std::uint16_t count = u16(bytes, end + 10);
  const std::uint32_t dir_size = u32(bytes, end + 12), dir_offset = u32(bytes, end + 16);
  if (count == 0xFFFF || dir_offset == 0xFFFFFFFF) {
    return Unexpected(std::string("zip64 archives are not supported"));
  }
  if (std::uint64_t{dir_offset} + dir_size > end) {
    return Unexpected(std::string("the central directory lies outside the file"));
  }
  std::vector<Entry> entries;
  std::size_t at = dir_offset;
  for (std::uint16_t i = 0; i < count; ++i) {
    if (at + kCentralHeaderSize > end || u32(bytes, at) != kCentralHeader) {
      return Unexpected("central directory entry " + std::to_string(i) + " is malformed");
    }
    Entry e;
    e.flags = u16(bytes, at + 8);
    e.method = u16(bytes, at + 10);
    e.crc = u32(bytes, at + 16);
    e.compressed = u32(bytes, at + 20);
    e.size = u32(bytes, at + 24);
    const std::size_t name_len = u16(bytes, at + 28), extra = u16(bytes, at + 30),
                      comment = u16(bytes, at + 32);
    e.local_offset = u32(bytes, at + 42);
    if (at + kCentralHeaderSize + name_len + extra + comment > end) {
      return Unexpected("central directory entry " + std::to_string(i) + " is truncated");
    }
    e.name = std::string(bytes.substr(at + kCentralHeaderSize, name_len));
    entries.push_back(std::move(e));
    at += kCentralHeaderSize + name_len + extra + comment;
  }
  return entries;
}

Expected<std::string, std::string> member_data(std::string_view bytes, const Entry& e) {
  if (e.flags & 1u) return Unexpected(std::string("is encrypted"));
  if (e.compressed == 0xFFFFFFFF || e.size == 0xFFFFFFFF) {
    return Unexpected(std::string("is a zip64 member (4 GiB or more): not supported"));
  }
  const std::size_t at = e.local_offset;
  if (at + kLocalHeaderSize > bytes.size() || u32(bytes, at) != kLocalHeader) {
    return Unexpected(std::string("has no local header where the directory says"));
  }
  const std::size_t data =
      at + kLocalHeaderSize + u16(bytes, at + 26) + std::size_t{u16(bytes, at + 28)};
  if (data + e.compressed > bytes.size()) return Unexpected(std::string("is truncated"));
  const std::string_view in = bytes.substr(data, e.compressed);
  Expected<std::string, std::string> out = std::string();
  if (e.method == kStored) {
    if (e.compressed != e.size) return Unexpected(std::string("stored with two sizes"));
    out = std::string(in);
  } else if (e.method == kDeflated) {
    out = inflate_raw(in, e.size);
    if (!out) return out;
  } else {
    return Unexpected("uses compression method " + std::to_string(e.method) +
                      " (only stored and deflate are read)");
  }
  const auto crc =
      crc32(0L, reinterpret_cast<const Bytef*>(out->data()), static_cast<uInt>(out->size()));
  if (crc != e.crc) return Unexpected(std::string("fails its CRC-32 check"));
  return out;
}

}  // namespace

bool looks_like_zip(std::string_view bytes) noexcept {
  return bytes.size() >= 4 && (u32(bytes, 0) == kLocalHeader || u32(bytes, 0) == kEndOfDirectory);
}

Expected<std::vector<ZipMember>, std::string> read_zip(std::string_view bytes,
                                                       std::string_view source) {
  auto entries = central_directory(bytes);
  if (!entries) return Unexpected(std::string(source) + ": " + entries.error());
  std::vector<ZipMember> members;
  for (const Entry& e : *entries) {
    if (!e.name.empty() && e.name.back() == '/') continue;  // a directory
    auto data = member_data(bytes, e);
    if (!data) {
      return Unexpected(std::string(source) + ": member " + e.name + " " + data.error());
    }
    members.push_back({e.name, std::move(*data)});
  }
  return members;
}

}  // namespace be::feed::import
