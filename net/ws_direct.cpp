// DirectWsSession (ws_direct.hpp): a WebSocket client connection on plain OpenSSL and a
// non-blocking socket, written by its owner's writer thread under a spin try-lock and read by
// an I/O thread that Asio only wakes (async_wait, never a read of Asio's).
#include "net/ws_direct.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/beast/websocket/detail/frame.hpp>
#include <boost/beast/websocket/detail/hybi13.hpp>
#include <boost/beast/websocket/detail/mask.hpp>
#include <cerrno>
#include <cstring>
#include <future>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "net/detail/asio.hpp"
#include "net/detail/io_threads.hpp"
#include "net/detail/tls_client.hpp"
#include "net/url.hpp"

namespace be::net {

namespace {

namespace wsd = detail::websocket::detail;

// OpenSSL's socket BIO writes with write(2), which raises SIGPIPE on a closed peer; this one
// sends with MSG_NOSIGNAL (as Asio does) and leaves the descriptor to the session.
int bio_write(BIO* b, const char* data, int size) {
  const int fd = static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(b)));
  const ssize_t n = ::send(fd, data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
  BIO_clear_retry_flags(b);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_write(b);
  return static_cast<int>(n);
}

int bio_read(BIO* b, char* data, int size) {
  const int fd = static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(b)));
  const ssize_t n = ::recv(fd, data, static_cast<std::size_t>(size), 0);
  BIO_clear_retry_flags(b);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_read(b);
  return static_cast<int>(n);
}

long bio_ctrl(BIO*, int cmd, long, void*) {
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

BIO_METHOD* socket_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "be_nosigpipe");
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    return m;
  }();
  return method;
}

std::string errno_text(const char* step) {
  return std::string(step) + ": " + std::strerror(errno);
}

bool iequals_prefix(std::string_view text, std::string_view lower_prefix) {
  if (text.size() < lower_prefix.size()) return false;
  for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
    const char c = text[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c) != lower_prefix[i]) return false;
  }
  return true;
}

// One server frame's header at the start of `data`: its length in `header` (0: incomplete).
struct FrameHeader {
  std::size_t header = 0;
  std::uint64_t length = 0;
  wsd::opcode op = wsd::opcode::cont;
  bool fin = false;
  bool masked = false;
  std::uint32_t key = 0;
};

FrameHeader read_header(const unsigned char* data, std::size_t size) {
  FrameHeader h;
  if (size < 2) return h;
  h.fin = (data[0] & 0x80) != 0;
  h.op = static_cast<wsd::opcode>(data[0] & 0x0f);
  h.masked = (data[1] & 0x80) != 0;
  std::size_t n = 2;
  std::uint64_t length = data[1] & 0x7f;
  const std::size_t extended = length == 126 ? 2 : length == 127 ? 8 : 0;
  if (size < n + extended + (h.masked ? 4 : 0)) return h;
  if (extended > 0) {
    length = 0;
    for (std::size_t i = 0; i < extended; ++i)
      length = (length << 8) | data[n + i];
    n += extended;
  }
  if (h.masked) {
    std::memcpy(&h.key, data + n, 4);
    n += 4;
  }
  h.length = length;
  h.header = n;
  return h;
}

}  // namespace

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
  std::string message;  // a fragmented message being joined

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

  // Hands every complete frame in rx to its handler; false when the session was failed.
  bool deliver(const std::shared_ptr<Conn>& c) {
    std::size_t at = 0;
    while (true) {
      const FrameHeader h = read_header(rx.data() + at, rx_size - at);
      if (h.header == 0 || rx_size - at - h.header < h.length) break;
      unsigned char* payload = rx.data() + at + h.header;
      const std::size_t length = static_cast<std::size_t>(h.length);
      if (h.masked) {
        wsd::prepared_key key;
        wsd::prepare_key(key, h.key);
        wsd::mask_inplace(detail::asio::mutable_buffer(payload, length), key);
      }
      at += h.header + length;
      const std::string_view text(reinterpret_cast<const char*>(payload), length);
      switch (h.op) {
        case wsd::opcode::text:
        case wsd::opcode::binary:
        case wsd::opcode::cont:
          if (h.fin && message.empty() && h.op != wsd::opcode::cont) {
            if (handlers.on_text) handlers.on_text(text);
          } else {
            message.append(text);
            if (h.fin) {
              if (handlers.on_text) handlers.on_text(message);
              message.clear();
            }
          }
          break;
        case wsd::opcode::ping:
          pong(c, text.substr(0, 125));
          break;
        case wsd::opcode::close:
          fail(c, "closed by the peer");
          return false;
        default:
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

DirectWsSession::DirectWsSession() : impl_(std::make_unique<Impl>(*this)) {}

DirectWsSession::~DirectWsSession() {
  close();
}

bool DirectWsSession::connect(const DirectWsConfig& config, std::string* error) {
  close();
  Impl& s = *impl_;
  s.config = config;
  const auto fail = [&](std::string why) {
    s.drop_locked();
    if (error != nullptr) *error = std::move(why);
    return false;
  };
  auto parsed = parse_ws_url(config.url);
  if (!parsed) return fail(parsed.error());
  s.url = std::move(*parsed);
  const Url& u = s.url;

  // TCP, blocking with timeouts until start().
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(u.port);
  if (const int r = ::getaddrinfo(u.host.c_str(), port.c_str(), &hints, &found); r != 0) {
    return fail("resolve: " + std::string(::gai_strerror(r)));
  }
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(config.timeout / 1'000'000'000);
  tv.tv_usec = static_cast<suseconds_t>(config.timeout % 1'000'000'000 / 1000);
  std::string last = "connect: no address";
  for (addrinfo* a = found; a != nullptr && s.fd < 0; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      s.fd = fd;
    } else {
      last = errno_text("connect");
      ::close(fd);
    }
  }
  ::freeaddrinfo(found);
  if (s.fd < 0) return fail(last);
  const int one = 1;
  ::setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  if (u.tls) {
    if (!s.tls_context) {
      s.tls_context.emplace(detail::ssl::context::tls_client);
      if (auto e = detail::configure_client_context(*s.tls_context, config.tls)) {
        s.tls_context.reset();
        return fail(*e);
      }
    }
    s.ssl = SSL_new(s.tls_context->native_handle());
    if (s.ssl == nullptr) return fail("tls: SSL_new failed");
    if (auto e = detail::prepare_client_session(s.ssl, u.host, config.tls.verify_peer)) {
      return fail(*e);
    }
    // TLS 1.2 (AES-GCM): OpenSSL 3's TLS 1.3 record layer re-initialises its cipher for every
    // record, mallocs included; 1.2's AEAD records are sealed in place. Venues serve both.
    SSL_set_max_proto_version(s.ssl, TLS1_2_VERSION);
    BIO* bio = BIO_new(socket_method());
    BIO_set_data(bio, reinterpret_cast<void*>(static_cast<std::intptr_t>(s.fd)));
    SSL_set_bio(s.ssl, bio, bio);
    ERR_clear_error();
    if (SSL_connect(s.ssl) != 1) {
      const boost::system::error_code ec(static_cast<int>(ERR_get_error()),
                                         detail::asio::error::get_ssl_category());
      return fail(detail::describe_handshake_failure(s.ssl, ec, u.host, u.port));
    }
  }

  // The upgrade (RFC 6455 4.1), its answer checked for 101 and the key's accept value.
  wsd::sec_ws_key_type key;
  wsd::make_sec_ws_key(key);
  const std::string request = "GET " + u.target + " HTTP/1.1\r\nHost: " + u.host_header() +
                              "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: " +
                              std::string(key.data(), key.size()) +
                              "\r\nSec-WebSocket-Version: 13\r\nUser-Agent: botengine\r\n\r\n";
  for (std::size_t at = 0; at < request.size();) {
    const long n = s.raw_write(reinterpret_cast<const unsigned char*>(request.data()) + at,
                               request.size() - at);
    if (n <= 0) return fail("upgrade: write failed");
    at += static_cast<std::size_t>(n);
  }
  s.rx_size = 0;
  std::size_t end = std::string_view::npos;
  while (end == std::string_view::npos) {
    if (s.rx_size == s.rx.size()) return fail("upgrade: answer too long");
    const long n = s.raw_read(s.rx.data() + s.rx_size, s.rx.size() - s.rx_size);
    if (n <= 0) return fail("upgrade: no answer");
    s.rx_size += static_cast<std::size_t>(n);
    end = std::string_view(reinterpret_cast<const char*>(s.rx.data()), s.rx_size).find("\r\n\r\n");
  }
  const std::string_view head(reinterpret_cast<const char*>(s.rx.data()), end);
  if (!head.starts_with("HTTP/1.1 101")) {
    return fail("upgrade: refused: " + std::string(head.substr(0, head.find('\r'))));
  }
  wsd::sec_ws_accept_type accept;
  wsd::make_sec_ws_accept(accept, {key.data(), key.size()});
  bool accepted = false;
  for (std::size_t at = 0; at < head.size();) {
    const std::size_t eol = std::min(head.find("\r\n", at), head.size());
    std::string_view line = head.substr(at, eol - at);
    if (iequals_prefix(line, "sec-websocket-accept:")) {
      line.remove_prefix(21);
      while (line.starts_with(' '))
        line.remove_prefix(1);
      accepted = line == std::string_view(accept.data(), accept.size());
    }
    at = eol + 2;
  }
  if (!accepted) return fail("upgrade: wrong Sec-WebSocket-Accept");
  std::memmove(s.rx.data(), s.rx.data() + end + 4, s.rx_size - end - 4);
  s.rx_size -= end + 4;
  return true;
}

bool DirectWsSession::exchange(std::string_view request, std::string& answer, std::string* error) {
  Impl& s = *impl_;
  const auto fail = [&](std::string why) {
    if (error != nullptr) *error = std::move(why);
    return false;
  };
  if (s.fd < 0 || request.size() > kMaxPayload) return fail("exchange: not connected");
  s.build_frame(wsd::opcode::text, request);
  if (!s.continue_write() || s.pending) return fail("exchange: write failed");
  const Nanos deadline = monotonic_now() + s.config.timeout;
  while (monotonic_now() < deadline) {
    const FrameHeader h = read_header(s.rx.data(), s.rx_size);
    if (h.header != 0 && s.rx_size - h.header >= h.length) {
      const std::size_t length = static_cast<std::size_t>(h.length);
      const bool text = h.op == wsd::opcode::text && h.fin;
      if (text) answer.assign(reinterpret_cast<const char*>(s.rx.data() + h.header), length);
      std::memmove(s.rx.data(), s.rx.data() + h.header + length, s.rx_size - h.header - length);
      s.rx_size -= h.header + length;
      if (text) return true;
      continue;  // a ping or another control frame before the answer
    }
    if (s.rx_size == s.rx.size()) return fail("exchange: answer too long");
    const long n = s.raw_read(s.rx.data() + s.rx_size, s.rx.size() - s.rx_size);
    if (n <= 0) return fail("exchange: no answer");
    s.rx_size += static_cast<std::size_t>(n);
  }
  return fail("exchange: no answer in time");
}

void DirectWsSession::start(IoThreads& io, DirectWsHandlers handlers) {
  Impl& s = *impl_;
  if (s.fd < 0) return;
  ::fcntl(s.fd, F_SETFL, ::fcntl(s.fd, F_GETFL) | O_NONBLOCK);
  s.handlers = std::move(handlers);
  s.conn = std::make_shared<Impl::Conn>(io.impl().pick(), s.fd);
  // Bytes already read (after the upgrade or the logon's answer) are delivered first; the
  // writer may write once the I/O thread has taken over (open()).
  detail::asio::post(s.conn->ioc, [this, &s, c = s.conn] {
    if (c->done) return;
    s.arm_timer(c);
    s.on_readable(c);
    if (!c->done) open_.store(true, std::memory_order_release);
  });
}

void DirectWsSession::close() noexcept {
  Impl& s = *impl_;
  std::shared_ptr<Impl::Conn> c = std::move(s.conn);
  if (!c) {
    s.lock();
    s.drop_locked();
    s.unlock();
    return;
  }
  std::promise<void> done;
  auto finished = done.get_future();
  detail::asio::post(c->ioc, [&s, c, &done] {
    if (!c->done) s.teardown(*c);
    done.set_value();
  });
  finished.wait();
}

bool DirectWsSession::try_acquire() noexcept {
  Impl& s = *impl_;
  if (s.forced_busy.load(std::memory_order_relaxed) > 0 &&
      s.forced_busy.fetch_sub(1, std::memory_order_relaxed) > 0) {
    return false;
  }
  if (!open_.load(std::memory_order_acquire)) return false;
  if (s.locked.exchange(true, std::memory_order_acquire)) return false;
  if (s.pending || !open_.load(std::memory_order_relaxed)) {
    s.unlock();
    return false;
  }
  return true;
}

void DirectWsSession::release() noexcept {
  impl_->unlock();
}

DirectWsSession::Write DirectWsSession::write_text_locked(std::string_view payload) noexcept {
  Impl& s = *impl_;
  if (payload.size() > kMaxPayload) return Write::kTooLarge;
  s.build_frame(wsd::opcode::text, payload);
  Nanos expected = 0;
  s.unanswered_since.compare_exchange_strong(expected, monotonic_now(), std::memory_order_relaxed);
  bool ok = true;
  if (s.forced_would_block.load(std::memory_order_relaxed) > 0 &&
      s.forced_would_block.fetch_sub(1, std::memory_order_relaxed) > 0) {
    s.pending = true;  // as if the socket took nothing: the I/O thread writes it all
  } else {
    ok = s.continue_write();
  }
  if (!ok) {
    open_.store(false, std::memory_order_release);  // the reader sees the socket fail
    return Write::kFailed;
  }
  if (!s.pending) return Write::kWritten;
  // Rare (the socket's buffer is full): wake the I/O thread to finish it (a post).
  detail::asio::post(s.conn->ioc, [&s, c = s.conn] {
    if (!c->done) s.flush(c);
  });
  return Write::kCommitted;
}

void DirectWsSession::inject(Fault fault, int count) noexcept {
  (fault == Fault::kBusy ? impl_->forced_busy : impl_->forced_would_block)
      .store(count, std::memory_order_relaxed);
}

std::uint64_t DirectWsSession::committed_writes() const noexcept {
  return impl_->committed.load(std::memory_order_relaxed);
}

}  // namespace be::net
