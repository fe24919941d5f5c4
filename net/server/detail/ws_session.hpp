// Internal to net/server (included only by server.cpp): one WebSocket session, over ws:// or
// wss://, taken over from the HTTP session that accepted the upgrade.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "net/server/detail/server_impl.hpp"

namespace be::net::server {

// `Next` is beast::tcp_stream (ws://) or TlsStream (wss://), connected (and past its TLS
// handshake) when the WebSocket takes it over from the HTTP session.
template <class Next>
class WsSessionOn final : public WebSocket,
                          public Closable,
                          public std::enable_shared_from_this<WsSessionOn<Next>> {
 public:
  WsSessionOn(Server::Impl& server, Next&& next, std::unique_ptr<ConnectionSlot> slot,
              std::shared_ptr<WsHandler> handler, const WsOptions& options)
      : server_(server),
        ws_(std::move(next)),
        slot_(std::move(slot)),
        handler_(std::move(handler)),
        ticker_(ws_.get_executor()) {
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = options.handshake_timeout;
    timeouts.idle_timeout =
        options.idle_timeout.count() > 0
            ? std::chrono::duration_cast<std::chrono::nanoseconds>(options.idle_timeout)
            : websocket::stream_base::none();
    timeouts.keep_alive_pings = options.keep_alive_pings;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [name = server.options.server_header](websocket::response_type& res) {
          res.set(http::field::server, name);
        }));
    ws_.read_message_max(options.read_message_max);
    if (options.send_buffer_bytes > 0) {
      beast::error_code ignored;
      beast::get_lowest_layer(ws_).socket().set_option(
          asio::socket_base::send_buffer_size(options.send_buffer_bytes), ignored);
    }
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::ping) handler_->on_control(*this, true);
      if (kind == websocket::frame_type::pong) handler_->on_control(*this, false);
    });
  }

  void run(http::request<http::string_body> request) {
    beast::get_lowest_layer(ws_).expires_never();  // the websocket's own timeouts take over
    handler_->on_start(this->shared_from_this());
    ws_.async_accept(
        request, [self = this->shared_from_this()](beast::error_code ec) { self->on_accept(ec); });
  }

  void send(std::shared_ptr<const std::string> text) override {
    asio::dispatch(ws_.get_executor(), [self = this->shared_from_this(), text = std::move(text)] {
      self->enqueue(std::move(text));
    });
  }
  void ping() override {
    asio::dispatch(ws_.get_executor(),
                   [self = this->shared_from_this()] { self->enqueue(nullptr); });
  }
  void close(std::uint16_t code, std::string reason) override {
    asio::dispatch(ws_.get_executor(),
                   [self = this->shared_from_this(), code, reason = std::move(reason)] {
                     self->do_close(code, reason);
                   });
  }
  void close_abrupt() override {
    asio::dispatch(ws_.get_executor(), [self = this->shared_from_this()] { self->cut(); });
  }
  void start_ticker(std::chrono::nanoseconds interval) override {
    asio::dispatch(ws_.get_executor(), [self = this->shared_from_this(), interval] {
      self->tick_interval_ = interval;
      self->arm_ticker();
    });
  }
  std::size_t queued() const noexcept override { return queued_.load(std::memory_order_relaxed); }
  WsHandler& handler() noexcept override { return *handler_; }

  void shutdown() override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this()] {
      self->do_close(static_cast<std::uint16_t>(websocket::close_code::going_away),
                     "server stopping");
    });
  }

 private:
  using Shared = std::shared_ptr<const std::string>;  // nullptr: a ping

  void on_accept(beast::error_code ec) {
    if (ec) return finish();
    accepted_ = true;
    handler_->on_open(this->shared_from_this());
    write_next();
    read_next();
  }

  void enqueue(Shared text) {
    if (closing_) return;
    queue_.push_back(std::move(text));
    queued_.store(queue_.size(), std::memory_order_relaxed);
    write_next();
  }

  void arm_ticker() {
    if (closing_) return;
    ticker_.expires_after(tick_interval_);
    ticker_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->closing_) return;
      self->handler_->on_tick(*self);
      self->arm_ticker();
    });
  }

  // Reading keeps control frames (ping, pong, close) flowing and hands data to the handler.
  void read_next() {
    ws_.async_read(in_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || self->cut_) {
        self->cut();
        return self->finish();
      }
      const auto data = self->in_.cdata();
      self->handler_->on_message(*self, {static_cast<const char*>(data.data()), data.size()});
      self->in_.consume(self->in_.size());
      self->read_next();
    });
  }

  void write_next() {
    if (writing_ || queue_.empty() || closing_ || !accepted_) return;
    writing_ = true;
    auto done = [self = this->shared_from_this()](beast::error_code ec, auto&&...) {
      self->on_write(ec);
    };
    if (!queue_.front()) {
      ws_.async_ping({}, done);
    } else {
      ws_.text(true);
      ws_.async_write(asio::buffer(*queue_.front()), done);
    }
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    if (ec) return cut();
    queue_.pop_front();
    queued_.store(queue_.size(), std::memory_order_relaxed);
    handler_->on_sent(*this);
    if (pending_close_) return send_close(*pending_close_);
    write_next();
  }

  void do_close(std::uint16_t code, std::string_view reason) {
    if (closing_) return;
    closing_ = true;
    ticker_.cancel();
    if (!accepted_) return cut();
    websocket::close_reason why(static_cast<websocket::close_code>(code), std::string(reason));
    if (writing_) {
      // The frame in flight must finish (its buffer is queue_.front()); the close follows.
      queue_.erase(queue_.begin() + 1, queue_.end());
      queued_.store(queue_.size(), std::memory_order_relaxed);
      pending_close_ = why;
      return;
    }
    send_close(why);
  }

  void send_close(websocket::close_reason why) {
    pending_close_.reset();
    queue_.clear();
    queued_.store(0, std::memory_order_relaxed);
    ws_.async_close(why, [self = this->shared_from_this()](beast::error_code) {});
  }

  // The connection ends without a close frame; the pending read fails and finishes it.
  void cut() {
    closing_ = true;
    cut_ = true;
    ticker_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    closing_ = true;
    ticker_.cancel();
    handler_->on_closed(*this);
  }

  Server::Impl& server_;
  websocket::stream<Next> ws_;
  std::unique_ptr<ConnectionSlot> slot_;
  std::shared_ptr<WsHandler> handler_;
  asio::steady_timer ticker_;
  std::chrono::nanoseconds tick_interval_{0};
  beast::flat_buffer in_;
  std::deque<Shared> queue_;
  std::atomic<std::size_t> queued_{0};
  std::optional<websocket::close_reason> pending_close_;
  bool writing_ = false;
  bool closing_ = false;
  bool cut_ = false;
  bool accepted_ = false;
  bool finished_ = false;
};

}  // namespace be::net::server
