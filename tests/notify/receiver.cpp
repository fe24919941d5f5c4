#include "tests/notify/receiver.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace be::notify::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct Receiver::Impl {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  ssl::context tls{ssl::context::tls_server};
};

Receiver::Receiver(const TlsIdentity* tls) : impl_(new Impl), tls_(tls != nullptr) {
  if (tls != nullptr) {
    impl_->tls.use_certificate_chain(asio::buffer(tls->certificate_pem));
    impl_->tls.use_private_key(asio::buffer(tls->private_key_pem), ssl::context::pem);
  }
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  thread_ = std::thread([this] { serve(); });
}

Receiver::~Receiver() {
  {
    std::lock_guard guard(mutex_);
    stop_ = true;
    released_ = true;
  }
  changed_.notify_all();
  // The server thread blocks in a synchronous accept; a connection wakes it to see stop_.
  {
    // Scoped: the socket must be gone before the io_context it belongs to.
    beast::error_code ec;
    tcp::socket poke(impl_->ioc);
    poke.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    thread_.join();
  }
  delete impl_;
}

std::string Receiver::url(const std::string& path) const {
  std::string out = tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:";
  out.append(std::to_string(port_)).append(path);
  return out;
}

std::size_t Receiver::tls_failures() const {
  std::lock_guard guard(mutex_);
  return tls_failures_;
}

bool Receiver::wait_for_tls_failures(std::size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return tls_failures_ >= n; });
}

void Receiver::script(std::vector<Reply> replies) {
  std::lock_guard guard(mutex_);
  script_.assign(replies.begin(), replies.end());
}

void Receiver::set_default(Reply reply) {
  std::lock_guard guard(mutex_);
  default_ = reply;
}

void Receiver::release() {
  {
    std::lock_guard guard(mutex_);
    released_ = true;
  }
  changed_.notify_all();
}

bool Receiver::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

bool Receiver::wait_for_held(std::size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return held_ >= n; });
}

std::vector<Receiver::Request> Receiver::requests() const {
  std::lock_guard guard(mutex_);
  return requests_;
}

void Receiver::serve() {
  for (;;) {
    tcp::socket socket(impl_->ioc);
    beast::error_code ec;
    impl_->acceptor.accept(socket, ec);
    {
      std::lock_guard guard(mutex_);
      if (stop_) return;
    }
    if (ec) continue;
    if (!tls_) {
      handle(socket);
      continue;
    }
    ssl::stream<tcp::socket&> stream(socket, impl_->tls);
    stream.handshake(ssl::stream_base::server, ec);
    if (ec) {
      std::lock_guard guard(mutex_);
      ++tls_failures_;
      changed_.notify_all();
      continue;
    }
    handle(stream);
  }
}

template <class Stream>
void Receiver::handle(Stream& stream) {
  beast::error_code ec;
  beast::flat_buffer buffer;
  http::request<http::string_body> req;
  http::read(stream, buffer, req, ec);
  if (ec) return;

  std::unique_lock lock(mutex_);
  Reply reply = default_;
  if (!script_.empty()) {
    reply = script_.front();
    script_.pop_front();
  }
  Request seen{std::string(req.target()), std::string(req["Idempotency-Key"]),
               std::string(req[http::field::content_type]), req.body(),
               reply.hang ? 0 : reply.status};
  requests_.push_back(std::move(seen));
  if (reply.hold) ++held_;
  changed_.notify_all();
  if (reply.hang) {
    lock.unlock();
    // Never answer: block until the client gives up and closes its end.
    char byte = 0;
    stream.read_some(asio::buffer(&byte, 1), ec);
    return;
  }
  if (reply.hold) changed_.wait(lock, [&] { return released_; });
  lock.unlock();

  http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
  res.set(http::field::content_type, "application/json");
  if (reply.retry_after) res.set(http::field::retry_after, std::to_string(*reply.retry_after));
  res.body() = "{}";
  res.prepare_payload();
  http::write(stream, res, ec);
}

}  // namespace be::notify::test
