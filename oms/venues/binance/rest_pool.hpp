// A bounded pool of REST worker threads that many accounts' gateways share (hub.hpp).
//
//   gateway (order manager / I/O thread) --wake(queue)--> ready list --> worker 1..N
//                                                                          queue.run(session)
//
// Each account's REST side is a Queue: its work (a ring of requests, flags such as "reconcile")
// and a run() that does some of it on a worker thread. A queue is run by at most one worker at
// a time, so an account's requests stay in order; different accounts run in parallel, up to
// the worker count. run() answers when it wants to run again: kIdle (when woken), or a
// monotonic time (a retry after a failed reconciliation); a wake before that time runs it at
// once. A worker keeps one keep-alive HTTP client per REST origin (and TLS trust and timeout),
// shared by every account it serves: connections scale with workers, not accounts.
//
// A run() may block its worker: a request (up to its timeout) and a rate-limit wait (up to
// GatewayConfig::max_rate_wait) happen on it. A banned account therefore holds one worker while
// it waits; the others keep serving the rest (docs/BINANCE.md, "Many accounts").
//
// Thread-safety: wake() from any thread, lock-free unless the queue sleeps (then one mutex
// and a futex wake); remove() from a control thread. Lifetime: a queue must be remove()d
// before it is destroyed; the pool joins its workers in its destructor.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include "core/clock.hpp"
#include "net/http_client.hpp"

namespace be::binance {

class RestPool {
 public:
  // What a worker lends a queue's run(): its HTTP client for an origin.
  class Session {
   public:
    virtual net::HttpClient& http(const net::Url& origin,
                                  const net::HttpClientOptions& options) = 0;

    virtual ~Session() = default;
  };

  class Queue {
   public:
    static constexpr Nanos kIdle = 0;
    // Runs some of the queue's work; returns kIdle or a monotonic time to run again (a time
    // already past: at once, after the other queues waiting).
    virtual Nanos run(Session& session) = 0;

    virtual ~Queue() = default;

   private:
    friend class RestPool;
    std::atomic<std::uint64_t> wakes_{0};
    std::atomic<bool> scheduled_{false};  // in the ready list, in the timed set or running
    std::atomic<bool> timed_{false};      // in the timed set (pool mutex)
    bool running_ = false;                // pool mutex
    bool removed_ = false;                // pool mutex
  };

  explicit RestPool(std::size_t workers);  // at least one
  ~RestPool();
  RestPool(const RestPool&) = delete;
  RestPool& operator=(const RestPool&) = delete;

  // Runs `queue` soon (again, if it is running now).
  void wake(Queue& queue) noexcept;
  // Takes `queue` out of the pool: waits for a run in progress to return; never runs it again.
  // The caller has stopped what wakes it (or those wakes are ignored from now on).
  void remove(Queue& queue);
  std::size_t workers() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace be::binance
