// Small POSIX file helpers the journal shares (and its tests reuse): an owning descriptor and
// whole-buffer reads and writes that retry on EINTR and short counts.
#pragma once

#include <unistd.h>

#include <cstddef>

namespace be::journal {

// Closes the descriptor it owns; -1 means none.
class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// Writes all n bytes; false on an error (errno says which).
bool write_fully(int fd, const void* data, std::size_t n) noexcept;
// Reads exactly n bytes; false on end of file or an error.
bool read_fully(int fd, void* data, std::size_t n) noexcept;

}  // namespace be::journal
