// DirectWsSession (ws_direct.hpp): a WebSocket client connection on plain OpenSSL and a
// non-blocking socket, written by its owner's writer thread under a spin try-lock and read by
// an I/O thread that Asio only wakes (async_wait, never a read of Asio's). The connection's
// state and the I/O thread's steps: detail/ws_direct.hpp; the set-up: ws_direct_connect.cpp.
#include "net/ws_direct.hpp"

#include <future>

#include "net/detail/io_threads.hpp"
#include "net/detail/ws_direct.hpp"

namespace be::net {

DirectWsSession::DirectWsSession() : impl_(std::make_unique<Impl>(*this)) {}

DirectWsSession::~DirectWsSession() {
  close();
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
