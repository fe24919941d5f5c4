// The notifier's durable delivery cursor: the highest sequence number such that every
// notification up to it was delivered or given up. One small file, replaced atomically.
//
// Record layout (20 bytes, little-endian):
//
//   0        4          8                         16         20
//   +--------+----------+-------------------------+----------+
//   | "BENC" | version  | cursor (uint64)         | crc32c   |
//   +--------+----------+-------------------------+----------+
//   crc32c covers bytes 0..16.
//
// Commit rule: the new record is written to "<name>.tmp", fsynced, renamed over "<name>" and
// the directory fsynced; rename(2) is atomic, so after a crash at any instant the file holds
// either the old record or the new one, never a mix (the fork-and-SIGKILL test checks it).
// A file that is present but fails its checks is refused with a clear error, never read as 0.
//
// Thread-safety: one writer (the notifier thread); load() may be called by anyone before.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "core/expected.hpp"
#include "core/ids.hpp"

namespace be::notify {

inline constexpr std::size_t kCursorRecordSize = 20;
inline constexpr std::uint32_t kCursorVersion = 1;

class CursorFile {
 public:
  // `dir` must exist; the file is dir/"notify.cursor".
  explicit CursorFile(std::filesystem::path dir);

  // 0 when the file does not exist yet. Errors: unreadable, wrong size, magic, version or CRC.
  Expected<SequenceNumber, std::string> load() const;
  // Durable when it returns nullopt; otherwise the reason (open, write, fsync or rename).
  std::optional<std::string> store(SequenceNumber cursor) const;

  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path dir_;
  std::filesystem::path path_;
  std::filesystem::path temp_;
};

}  // namespace be::notify
