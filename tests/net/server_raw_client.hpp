// A raw TCP client for the server scaffold's tests: real bytes on a loopback socket, so the
// server's own parser is what is tested (no HTTP library on this side to tidy the bytes up).
// Every read is bounded by SO_RCVTIMEO: a server that hangs fails the test, never blocks it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>

namespace be::test {

class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    const timeval deadline{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &deadline, sizeof deadline);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0;
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const noexcept { return connected_; }

  bool send(std::string_view bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }

  // Everything the server sends until it closes (or the deadline passes: then `timed_out`).
  std::string read_to_close() {
    std::string got;
    char chunk[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n > 0) {
        got.append(chunk, static_cast<std::size_t>(n));
        continue;
      }
      timed_out_ = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
      return got;
    }
  }

  // Reads until the end of one answer's head ("\r\n\r\n"), or close, or the deadline.
  std::string read_head() {
    std::string got;
    char c = 0;
    while (!got.ends_with("\r\n\r\n") && ::recv(fd_, &c, 1, 0) == 1)
      got += c;
    return got;
  }

  bool timed_out() const noexcept { return timed_out_; }

 private:
  int fd_;
  bool connected_ = false;
  bool timed_out_ = false;
};

// "HTTP/1.1 400 Bad Request\r\n..." -> 400; 0 when there is no status line.
inline int status_of(std::string_view answer) {
  if (!answer.starts_with("HTTP/1.") || answer.size() < 12) return 0;
  return std::stoi(std::string(answer.substr(9, 3)));
}

}  // namespace be::test
