// Test support for tests/net: records everything a WsClient reports so a test can wait on a
// predicate over it (bounded by kDeadline; nothing sleeps to synchronise).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/ws_client.hpp"

namespace be::test {

constexpr auto kDeadline = std::chrono::seconds(8);

// Records everything a client reports; tests wait on predicates over it.
class Recorder {
 public:
  struct Status {
    ConnectivityState state;
    Nanos time;
    std::size_t frames_before;  // how many frames had arrived when it was reported
  };

  net::WsClientHandlers handlers() {
    return {[this](const net::Frame& f) {
              std::lock_guard lock(mu_);
              frames_.emplace_back(f.payload);
              kinds_.push_back(f.kind);
              last_receive_time_ = f.receive_time;
              EXPECT_GT(f.receive_time, 0);
              EXPECT_GE(f.readable, f.payload.size() + 64) << "the receive buffer's spare room";
              cv_.notify_all();
            },
            [this](const Event& e) {
              std::lock_guard lock(mu_);
              EXPECT_TRUE(e.is<Connectivity>());
              statuses_.push_back(
                  Status{e.as<Connectivity>().state, e.header.receive_time, frames_.size()});
              cv_.notify_all();
            },
            [this](const net::RequestResult& r) {
              std::lock_guard lock(mu_);
              results_.push_back(r);
              cv_.notify_all();
            },
            [this](std::string_view reason, Nanos delay) {
              std::lock_guard lock(mu_);
              retries_.emplace_back(std::string(reason), delay);
              cv_.notify_all();
            }};
  }

  template <class Pred>
  bool wait(Pred pred) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kDeadline, [&] { return pred(*this); });
  }

  // Accessors for use inside wait() predicates (the lock is held) or after the client stops.
  const std::vector<std::string>& frames() const { return frames_; }
  const std::vector<net::FrameKind>& kinds() const { return kinds_; }
  Nanos last_receive_time() const { return last_receive_time_; }
  const std::vector<Status>& statuses() const { return statuses_; }
  const std::vector<net::RequestResult>& results() const { return results_; }
  const std::vector<std::pair<std::string, Nanos>>& retries() const { return retries_; }

  std::size_t count_prefix(std::string_view prefix, std::size_t from = 0) const {
    std::size_t n = 0;
    for (std::size_t i = from; i < frames_.size(); ++i)
      n += frames_[i].starts_with(prefix);
    return n;
  }
  std::optional<net::RequestResult> result(std::uint64_t id) const {
    for (const auto& r : results_) {
      if (r.id == id) return r;
    }
    return std::nullopt;
  }
  std::size_t count_state(ConnectivityState s) const {
    std::size_t n = 0;
    for (const auto& st : statuses_)
      n += st.state == s;
    return n;
  }
  // After a drop: connected again, resubscribed, and `frames` frames starting with `prefix`
  // since the reconnect (for wait() predicates).
  bool resumed_after_drop(std::string_view prefix, std::size_t frames) const {
    if (count_state(ConnectivityState::kConnected) < 2) return false;
    bool resubscribed = false;
    for (const auto& res : results_)
      resubscribed |= res.resubscribe && res.status == net::RequestResult::Status::kOk;
    return resubscribed && count_prefix(prefix, statuses_.back().frames_before) >= frames;
  }
  std::size_t snapshot_frames() {
    std::lock_guard lock(mu_);
    return frames_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> frames_;
  std::vector<net::FrameKind> kinds_;
  Nanos last_receive_time_ = 0;
  std::vector<Status> statuses_;
  std::vector<net::RequestResult> results_;
  std::vector<std::pair<std::string, Nanos>> retries_;
};

}  // namespace be::test
