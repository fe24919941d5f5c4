#include "journal/files.hpp"

#include <cerrno>

namespace be::journal {
namespace {

// Moves n bytes with `op` (::read or ::write) until done; false on an error or end of file.
template <class Byte, class Op>
bool transfer_fully(int fd, Byte* p, std::size_t n, Op op) noexcept {
  while (n > 0) {
    const ssize_t done = op(fd, p, n);
    if (done < 0 && errno == EINTR) continue;
    if (done <= 0) return false;
    p += done;
    n -= static_cast<std::size_t>(done);
  }
  return true;
}

}  // namespace

bool write_fully(int fd, const void* data, std::size_t n) noexcept {
  return transfer_fully(fd, static_cast<const char*>(data), n, ::write);
}

bool read_fully(int fd, void* data, std::size_t n) noexcept {
  return transfer_fully(fd, static_cast<char*>(data), n, ::read);
}

}  // namespace be::journal
