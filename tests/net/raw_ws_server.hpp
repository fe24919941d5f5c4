// A hand-written WebSocket server for the frames no sane server sends (masked frames, reserved
// bits and opcodes, non-canonical lengths, bad close codes, fragments around a ping): one
// client accepted, its upgrade answered, a script of raw bytes written in the same write.
// Shared by the io_uring client's tests and the order session's (net_ingest_tests,
// net_tls_tests).
#pragma once

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

#include "net/detail/ws_frame.hpp"
#include "tests/net/loopback_listener.hpp"

namespace be::test {

// A server frame: byte 0 as given (FIN, RSV, opcode), the shortest length form unless
// `length_bytes` forces one (2 or 8: a non-canonical length), a mask key if `masked`.
inline std::string frame(std::uint8_t byte0, std::string_view payload, bool masked = false,
                         int length_bytes = 0) {
  std::string f(1, static_cast<char>(byte0));
  const std::uint8_t mask_bit = masked ? 0x80 : 0;
  if (length_bytes == 0 && payload.size() < 126) {
    f += static_cast<char>(mask_bit | payload.size());
  } else {
    const int n = length_bytes ? length_bytes : payload.size() < 65536 ? 2 : 8;
    f += static_cast<char>(mask_bit | (n == 2 ? 126 : 127));
    for (int i = n - 1; i >= 0; --i)
      f += static_cast<char>((payload.size() >> (8 * i)) & 0xff);
  }
  if (masked) f += std::string("\0\0\0\0", 4);  // key 0: the payload reads the same
  f += payload;
  return f;
}

// Accepts one client, answers its upgrade (or `bad_accept`), writes `script`, ends its side
// of the stream and records what the client sends until it closes.
class RawWsServer {
 public:
  explicit RawWsServer(std::string script, bool bad_accept = false)
      : script_(std::move(script)), bad_accept_(bad_accept) {
    listen_ = listen_on_loopback(&port_, 1);
    EXPECT_GE(listen_, 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~RawWsServer() {
    ::shutdown(listen_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(listen_);
  }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/ws"; }
  // What the client sent after the handshake; valid once the client is gone.
  std::string received() {
    if (thread_.joinable()) thread_.join();
    return received_;
  }

 private:
  void serve() {
    const int fd = ::accept(listen_, nullptr, nullptr);
    if (fd < 0) return;
    const timeval deadline{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &deadline, sizeof deadline);
    std::string head;
    char c = 0;
    while (!head.ends_with("\r\n\r\n") && ::recv(fd, &c, 1, 0) == 1)
      head += c;
    const std::size_t k = head.find("Sec-WebSocket-Key: ") + 19;
    const std::string key = head.substr(k, head.find("\r\n", k) - k);
    const std::string accept = bad_accept_ ? std::string("bm90IHRoZSByaWdodCBhbnN3ZXI=")
                                           : net::detail::handshake_accept_for(key);
    // The frames go in the same write as the answer: the client must keep what follows it.
    const std::string out =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
        accept + "\r\n\r\n" + script_;
    ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
    ::shutdown(fd, SHUT_WR);
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
      received_.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
  }

  std::string script_;
  bool bad_accept_;
  int listen_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::string received_;
};

}  // namespace be::test
