// A fixed set of I/O threads that many WebSocket clients share (net/ws_client.hpp): each
// thread runs one io_context, and a client given an IoThreads is pinned to one of them
// (round robin) for its whole life, so its handlers still run on one thread, one at a time.
// What lets a venue hub keep a thousand sessions on one thread (oms/venues/binance/hub.hpp)
// instead of a thread per client.
//
// Threads: size() I/O threads, started by the constructor, plus Asio's resolver thread per
// io_context, started at its first name resolution.
// Thread-safety: any thread. Lifetime: every client using it must have stopped before the
// destructor, which joins the threads.
#pragma once

#include <cstddef>
#include <memory>

namespace be::net {

class IoThreads {
 public:
  explicit IoThreads(std::size_t threads = 1);  // at least one
  ~IoThreads();
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  std::size_t size() const noexcept;

  struct Impl;  // ws_client.cpp and io_threads.cpp (Asio stays out of this header)
  Impl& impl() noexcept { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace be::net
