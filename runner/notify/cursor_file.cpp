#include "runner/notify/cursor_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "core/crc32c.hpp"

namespace be::notify {

namespace {

constexpr std::array<char, 4> kMagic{'B', 'E', 'N', 'C'};

void put_u32(unsigned char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<unsigned char>(v >> (8 * i));
}
void put_u64(unsigned char* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i)
    p[i] = static_cast<unsigned char>(v >> (8 * i));
}
std::uint32_t get_u32(const unsigned char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}
std::uint64_t get_u64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

std::string errno_text(std::string_view what, const std::filesystem::path& path) {
  return std::string(what) + " '" + path.string() + "': " + std::strerror(errno);
}

// Writes all of `size` bytes, resuming after EINTR and short writes.
bool write_all(int fd, const unsigned char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

CursorFile::CursorFile(std::filesystem::path dir)
    : dir_(std::move(dir)), path_(dir_ / "notify.cursor"), temp_(dir_ / "notify.cursor.tmp") {}

Expected<SequenceNumber, std::string> CursorFile::load() const {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return SequenceNumber{0};
    return Unexpected{errno_text("cannot open", path_)};
  }
  unsigned char buf[kCursorRecordSize + 1];
  std::size_t got = 0;
  while (got < sizeof buf) {
    const ssize_t n = ::read(fd, buf + got, sizeof buf - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string err = errno_text("cannot read", path_);
      ::close(fd);
      return Unexpected{err};
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  const std::string where = "notification cursor '" + path_.string() + "': ";
  if (got != kCursorRecordSize) {
    return Unexpected{where + "size " + std::to_string(got) + " bytes, expected " +
                      std::to_string(kCursorRecordSize)};
  }
  if (std::memcmp(buf, kMagic.data(), kMagic.size()) != 0) {
    return Unexpected{where + "bad magic (not a cursor file)"};
  }
  if (const std::uint32_t version = get_u32(buf + 4); version != kCursorVersion) {
    return Unexpected{where + "unsupported version " + std::to_string(version)};
  }
  if (crc32c_extend(0, buf, 16) != get_u32(buf + 16)) {
    return Unexpected{where + "CRC mismatch (corrupt)"};
  }
  return SequenceNumber{get_u64(buf + 8)};
}

std::optional<std::string> CursorFile::store(SequenceNumber cursor) const {
  unsigned char buf[kCursorRecordSize];
  std::memcpy(buf, kMagic.data(), kMagic.size());
  put_u32(buf + 4, kCursorVersion);
  put_u64(buf + 8, cursor);
  put_u32(buf + 16, crc32c_extend(0, buf, 16));

  const int fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_text("cannot create", temp_);
  if (!write_all(fd, buf, sizeof buf) || ::fsync(fd) != 0) {
    std::string err = errno_text("cannot write", temp_);
    ::close(fd);
    return err;
  }
  if (::close(fd) != 0) return errno_text("cannot close", temp_);
  if (::rename(temp_.c_str(), path_.c_str()) != 0) return errno_text("cannot rename to", path_);
  // The rename is durable only once the directory entry is.
  const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return errno_text("cannot open directory", dir_);
  const bool synced = ::fsync(dfd) == 0;
  std::optional<std::string> err;
  if (!synced) err = errno_text("cannot fsync directory", dir_);
  ::close(dfd);
  return err;
}

}  // namespace be::notify
