// DirectWsSession's blocking set-up (ws_direct.hpp): resolve, TCP, TLS on OpenSSL's own
// socket BIO, the WebSocket upgrade, and one request/answer exchange before start().
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/websocket/detail/hybi13.hpp>
#include <cerrno>

#include "net/detail/tcp_connect.hpp"
#include "net/detail/tls_client.hpp"
#include "net/detail/ws_direct.hpp"

namespace be::net {

namespace {

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

bool iequals_prefix(std::string_view text, std::string_view lower_prefix) {
  if (text.size() < lower_prefix.size()) return false;
  for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
    const char c = text[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c) != lower_prefix[i]) return false;
  }
  return true;
}

}  // namespace

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
  auto connected =
      detail::connect_tcp(u.host, u.port, static_cast<int>(config.timeout / 1'000'000));
  if (!connected) return fail(connected.error());
  s.fd = *connected;
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(config.timeout / 1'000'000'000);
  tv.tv_usec = static_cast<suseconds_t>(config.timeout % 1'000'000'000 / 1000);
  ::setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  ::setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

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
    detail::WsFrameHeader h;
    std::string broken;  // the rule a frame broke
    const detail::WsDecode got = detail::decode_server_header(
        s.rx.data(), s.rx_size, false, 0, s.config.max_message_bytes, h, &broken);
    if (got == detail::WsDecode::kError) return fail("exchange: protocol error: " + broken);
    if (got == detail::WsDecode::kFrame && s.rx_size - h.header_bytes >= h.length) {
      const std::size_t length = static_cast<std::size_t>(h.length);
      const bool text = h.op == detail::WsOpcode::kText && h.fin;
      if (text) answer.assign(reinterpret_cast<const char*>(s.rx.data() + h.header_bytes), length);
      std::memmove(s.rx.data(), s.rx.data() + h.header_bytes + length,
                   s.rx_size - h.header_bytes - length);
      s.rx_size -= h.header_bytes + length;
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

}  // namespace be::net
