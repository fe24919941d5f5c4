// A TCP proxy on 127.0.0.1 that can freeze the connections it carries: a frozen connection
// stays open and passes nothing either way (no answer, no event, no pong), as a stale
// session at a venue does; connections accepted later flow. One thread, poll(2).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace be::binance::e2e {

class FreezableProxy {
 public:
  explicit FreezableProxy(std::uint16_t upstream_port) : upstream_(upstream_port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        ::listen(listener_, 16) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      return;
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~FreezableProxy() {
    running_.store(false);
    if (thread_.joinable()) thread_.join();
    for (const Pair& p : pairs_) {
      ::close(p.client);
      ::close(p.upstream);
    }
    ::close(listener_);
  }
  std::uint16_t port() const { return port_; }
  // Every connection open now passes nothing from here on.
  void freeze() {
    std::lock_guard lock(mutex_);
    for (Pair& p : pairs_)
      p.frozen = true;
  }
  int accepted() const { return accepted_.load(); }

 private:
  struct Pair {
    int client = -1, upstream = -1;
    bool frozen = false, closed = false;
  };

  static bool pump(int from, int to) {
    char buf[16384];
    const ssize_t n = ::read(from, buf, sizeof buf);
    if (n <= 0) return false;
    for (ssize_t off = 0; off < n;) {
      const ssize_t w = ::write(to, buf + off, static_cast<std::size_t>(n - off));
      if (w <= 0) return false;
      off += w;
    }
    return true;
  }

  void accept_one() {
    const int c = ::accept(listener_, nullptr, nullptr);
    if (c < 0) return;
    const int u = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(upstream_);
    if (::connect(u, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(c);
      ::close(u);
      return;
    }
    std::lock_guard lock(mutex_);
    pairs_.push_back(Pair{c, u});
    accepted_.fetch_add(1);
  }

  void run() {
    while (running_.load()) {
      std::vector<pollfd> fds{{listener_, POLLIN, 0}};
      std::vector<std::pair<std::size_t, bool>> owner;  // pair index, from the client side
      {
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < pairs_.size(); ++i) {
          if (pairs_[i].frozen || pairs_[i].closed) continue;
          fds.push_back({pairs_[i].client, POLLIN, 0});
          owner.emplace_back(i, true);
          fds.push_back({pairs_[i].upstream, POLLIN, 0});
          owner.emplace_back(i, false);
        }
      }
      // The timeout only bounds how late a freeze or the destructor is seen.
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) accept_one();
      std::lock_guard lock(mutex_);
      for (std::size_t k = 1; k < fds.size(); ++k) {
        if (fds[k].revents == 0) continue;
        Pair& p = pairs_[owner[k - 1].first];
        if (p.frozen || p.closed) continue;
        const bool from_client = owner[k - 1].second;
        if (!pump(from_client ? p.client : p.upstream, from_client ? p.upstream : p.client)) {
          ::shutdown(p.client, SHUT_RDWR);
          ::shutdown(p.upstream, SHUT_RDWR);
          p.closed = true;
        }
      }
    }
  }

  std::uint16_t upstream_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> running_{true};
  std::atomic<int> accepted_{0};
  std::mutex mutex_;
  std::vector<Pair> pairs_;
  std::thread thread_;
};

}  // namespace be::binance::e2e
