// DirectWsSession's insides (net/ws_direct.hpp), shared by ws_direct.cpp (the writer's and
// the I/O thread's side) and ws_direct_connect.cpp (the blocking set-up). .cpp files of net/
// only: Beast, Asio and OpenSSL.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/beast/websocket/detail/frame.hpp>
#include <boost/beast/websocket/detail/mask.hpp>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/detail/asio.hpp"
#include "net/detail/ws_frame.hpp"
#include "net/url.hpp"
#include "net/ws_direct.hpp"

namespace be::net {

namespace wsd = detail::websocket::detail;

struct DirectWsSession::Impl {
  // The Asio side of one started connection; its completions hold it alive.
  struct Conn {
    Conn(detail::asio::io_context& io, int fd) : ioc(io), descriptor(io, fd), timer(io) {}
    detail::asio::io_context& ioc;
    detail::asio::posix::stream_descriptor descriptor;
    detail::asio::steady_timer timer;
    bool done = false;  // torn down: completions return at once
  };

  DirectWsSession& self;
  DirectWsConfig config;
  std::optional<detail::ssl::context> tls_context;
  SSL* ssl = nullptr;
  int fd = -1;
  Url url;

  std::atomic<bool> locked{false};
  // Written under the lock: the frame being written (a committed one stays until finished).
  std::array<unsigned char, 14 + kMaxPayload> tx{};
  std::size_t tx_size = 0, tx_done = 0;
  bool pending = false;
  std::uint64_t mask_state = 0x9E3779B97F4A7C15ULL;

  // The reader's (the owner's before start()).
  std::vector<unsigned char> rx;
  std::size_t rx_size = 0;
  std::string message;      // a fragmented message being joined
  bool in_message = false;  // its first fragment came (a continuation is expected)

  DirectWsHandlers handlers;
  std::shared_ptr<Conn> conn;  // set by start(), read by the writer under the lock
  std::atomic<Nanos> unanswered_since{0};
  std::atomic<int> forced_busy{0}, forced_would_block{0};
  std::atomic<std::uint64_t> committed{0};

  explicit Impl(DirectWsSession& s) : self(s) { rx.resize(16 * 1024); }  // grows if needed

  // The reader's and the owner's lock: the writer holds it for one SSL_write, so a short spin;
  // past that (the writer was preempted) the core goes to someone else.
  void lock() noexcept {
    for (int spins = 0; locked.exchange(true, std::memory_order_acquire); ++spins) {
      while (locked.load(std::memory_order_relaxed)) {
        if (spins < 64) {
#if defined(__x86_64__)
          __builtin_ia32_pause();
#endif
          ++spins;
        } else {
          std::this_thread::yield();
        }
      }
    }
  }
  void unlock() noexcept {
    locked.store(false, std::memory_order_release);
  }

  // Releases the socket and TLS state (under the lock, or before start()).
  void drop_locked() noexcept {
    self.open_.store(false, std::memory_order_release);
    if (ssl != nullptr) SSL_free(ssl);  // frees its BIO, not the descriptor
    ssl = nullptr;
    if (fd >= 0) ::close(fd);
    fd = -1;
    pending = false;
    tx_size = tx_done = 0;
    unanswered_since.store(0, std::memory_order_relaxed);
  }

  // An SSL_write or SSL_read result: >0 bytes; 0 would block (in either direction: TLS may
  // need to read to write, or the reverse); -1 failed.
  long ssl_outcome(int n) const noexcept {
    if (n > 0) return n;
    const int e = SSL_get_error(ssl, n);
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
  }

  // >0 bytes written; 0 would block; -1 failed.
  long raw_write(const unsigned char* data, std::size_t size) noexcept {
    if (ssl != nullptr) {
      ERR_clear_error();  // SSL_get_error reads the thread's error queue
      return ssl_outcome(SSL_write(ssl, data, static_cast<int>(size)));
    }
    // Blocking until start() (connect, exchange), non-blocking after (O_NONBLOCK).
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n >= 0) return n;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
  }

  // >0 bytes read; 0 would block; -1 closed or failed.
  long raw_read(unsigned char* data, std::size_t size) noexcept {
    if (ssl != nullptr) {
      ERR_clear_error();
      return ssl_outcome(SSL_read(ssl, data, static_cast<int>(size)));
    }
    const ssize_t n = ::recv(fd, data, size, 0);
    if (n > 0) return n;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return 0;
    return -1;
  }

  // Builds one masked client frame into tx (Beast's header writer and masking).
  void build_frame(wsd::opcode op, std::string_view payload) noexcept {
    mask_state ^= mask_state << 13;
    mask_state ^= mask_state >> 7;
    mask_state ^= mask_state << 17;
    wsd::frame_header fh{};
    fh.len = payload.size();
    fh.key = static_cast<std::uint32_t>(mask_state >> 16);
    fh.op = op;
    fh.fin = true;
    fh.mask = true;
    fh.rsv1 = fh.rsv2 = fh.rsv3 = false;
    wsd::fh_buffer header;
    wsd::write(header, fh);
    const std::size_t h = header.size();
    std::memcpy(tx.data(), header.data().data(), h);
    std::memcpy(tx.data() + h, payload.data(), payload.size());
    wsd::prepared_key key;
    wsd::prepare_key(key, fh.key);
    wsd::mask_inplace(detail::asio::mutable_buffer(tx.data() + h, payload.size()), key);
    tx_size = h + payload.size();
    tx_done = 0;
  }

  // Writes what tx still holds (an SSL retry repeats the whole record's arguments). Under
  // the lock. true: done or would block (pending says which); false: failed.
  bool continue_write() noexcept {
    const bool was_pending = pending;
    while (tx_done < tx_size) {
      const long n = ssl != nullptr ? raw_write(tx.data(), tx_size)
                                    : raw_write(tx.data() + tx_done, tx_size - tx_done);
      if (n < 0) return false;
      if (n == 0) {
        pending = true;
        return true;
      }
      tx_done = ssl != nullptr ? tx_size : tx_done + static_cast<std::size_t>(n);
    }
    pending = false;
    if (was_pending) committed.fetch_add(1, std::memory_order_relaxed);  // finished here
    return true;
  }

  // ---- the I/O thread -------------------------------------------------------------------

  void fail(const std::shared_ptr<Conn>& c, std::string_view why) {
    if (c->done) return;
    teardown(*c);
    if (handlers.on_closed) handlers.on_closed(why);
  }

  void teardown(Conn& c) noexcept {
    c.done = true;
    boost::system::error_code ignored;
    c.timer.cancel();
    c.descriptor.cancel(ignored);
    (void)c.descriptor.release();
    lock();
    drop_locked();
    unlock();
  }

  void arm_read(const std::shared_ptr<Conn>& c) {
    c->descriptor.async_wait(detail::asio::posix::descriptor_base::wait_read,
                             [this, c](const boost::system::error_code& ec) {
                               if (c->done) return;
                               if (ec) return fail(c, "wait: " + ec.message());
                               on_readable(c);
                             });
  }

  void arm_write(const std::shared_ptr<Conn>& c) {
    c->descriptor.async_wait(detail::asio::posix::descriptor_base::wait_write,
                             [this, c](const boost::system::error_code& ec) {
                               if (c->done || ec) return;
                               flush(c);
                             });
  }

  void arm_timer(const std::shared_ptr<Conn>& c) {
    const Nanos period = std::max<Nanos>(config.timeout / 4, 10'000'000);
    c->timer.expires_after(std::chrono::nanoseconds(period));
    c->timer.async_wait([this, c](const boost::system::error_code& ec) {
      if (c->done || ec) return;
      const Nanos since = unanswered_since.load(std::memory_order_relaxed);
      if (since != 0 && monotonic_now() - since > config.timeout) {
        return fail(c, kNoAnswerReason);
      }
      arm_timer(c);
    });
  }

  // A committed frame: finished on writability.
  void flush(const std::shared_ptr<Conn>& c) {
    lock();
    const bool ok = !pending || continue_write();
    const bool still = pending;
    unlock();
    if (!ok) return fail(c, "write failed");
    if (still) arm_write(c);
  }

  void on_readable(const std::shared_ptr<Conn>& c) {
    bool closed = false;
    lock();
    const bool write_ok = !pending || continue_write();
    for (;;) {
      if (rx_size == rx.size()) {
        if (rx.size() >= config.max_message_bytes + 16) {
          closed = true;
          break;
        }
        rx.resize(rx.size() * 2);  // a message larger than any before: once
      }
      const long n = raw_read(rx.data() + rx_size, rx.size() - rx_size);
      if (n == 0) break;
      if (n < 0) {
        closed = true;
        break;
      }
      rx_size += static_cast<std::size_t>(n);
      unanswered_since.store(0, std::memory_order_relaxed);
    }
    const bool still = pending;
    unlock();
    if (!write_ok) return fail(c, "write failed");
    if (!deliver(c)) return;
    if (closed) return fail(c, "connection closed");
    if (still) arm_write(c);
    arm_read(c);
  }

  // Hands every complete frame in rx to its handler; false when the session was failed. Each
  // header is read by net's one validating reader (detail/ws_frame.hpp): a masked server
  // frame, reserved bits or opcodes, a bad fragment sequence or a message over
  // max_message_bytes fails the session with the rule it broke, before its payload is used.
  bool deliver(const std::shared_ptr<Conn>& c) {
    std::size_t at = 0;
    while (true) {
      detail::WsFrameHeader h;
      std::string error;
      const detail::WsDecode got =
          detail::decode_server_header(rx.data() + at, rx_size - at, in_message, message.size(),
                                       config.max_message_bytes, h, &error);
      if (got == detail::WsDecode::kError) {
        fail(c, "protocol error: " + error);
        return false;
      }
      if (got == detail::WsDecode::kNeedMore || rx_size - at - h.header_bytes < h.length) break;
      const unsigned char* payload = rx.data() + at + h.header_bytes;
      const std::size_t length = static_cast<std::size_t>(h.length);
      at += h.header_bytes + length;
      const std::string_view text(reinterpret_cast<const char*>(payload), length);
      switch (h.op) {
        case detail::WsOpcode::kText:
        case detail::WsOpcode::kBinary:
        case detail::WsOpcode::kContinuation:
          if (h.fin && !in_message) {
            if (handlers.on_text) handlers.on_text(text);
          } else {
            message.append(text);
            in_message = !h.fin;
            if (h.fin) {
              if (handlers.on_text) handlers.on_text(message);
              message.clear();
            }
          }
          break;
        case detail::WsOpcode::kPing:
          pong(c, text);  // a control payload is at most 125 bytes (the reader checked)
          break;
        case detail::WsOpcode::kClose:
          fail(c, "closed by the peer");
          return false;
        case detail::WsOpcode::kPong:
          break;
      }
      if (c->done) return false;
    }
    std::memmove(rx.data(), rx.data() + at, rx_size - at);
    rx_size -= at;
    return true;
  }

  // A ping's answer. While a committed frame is still being written the pong is skipped: the
  // next ping gets one (venues allow minutes: Binance one minute, pinging every 20 s).
  void pong(const std::shared_ptr<Conn>& c, std::string_view payload) {
    lock();
    bool ok = true;
    if (!pending) {
      build_frame(wsd::opcode::pong, payload);
      ok = continue_write();
    }
    const bool still = pending;
    unlock();
    if (!ok) return fail(c, "write failed");
    if (still) arm_write(c);
  }
};

}  // namespace be::net
