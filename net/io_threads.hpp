// A fixed set of I/O threads that many WebSocket clients share (net/ws_client.hpp): each
// thread runs one io_context, and a client given an IoThreads is pinned to one of them
// (round robin) for its whole life, so its handlers still run on one thread, one at a time.
// What lets a venue hub keep a thousand sessions on one thread (oms/venues/binance/hub.hpp)
// instead of a thread per client.
//
// Threads: size() I/O threads, started by the constructor, each named after its role and
// placed on the role's CPUs (core/thread_placement.hpp: "be-gateway", "be-gateway-1", ...),
// plus Asio's resolver thread per io_context, started at its first name resolution (it
// inherits the name and CPUs of the I/O thread that starts it).
// Thread-safety: any thread. Lifetime: every client using it must have stopped before the
// destructor, which joins the threads.
#pragma once

#include <cstddef>
#include <memory>

#include "core/thread_placement.hpp"

namespace be::net {

class IoThreads {
 public:
  // At least one thread. The venue hubs' I/O threads are the gateway's.
  explicit IoThreads(std::size_t threads = 1, ThreadRole role = ThreadRole::kGateway);
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
