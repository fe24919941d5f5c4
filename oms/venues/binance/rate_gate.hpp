// Binance's request-weight and order-count windows, as the venue counts them
// (calendar-aligned on the venue's clock). Binance counts REQUEST_WEIGHT per IP address: every
// account a runner trades from one host spends the same 6,000 per minute, so the weight lives
// in one IpWeightGate shared by every gateway of a venue hub (hub.hpp; a standalone gateway has
// its own). ORDERS are counted per account: each gateway's RateGate keeps its own order
// counts, shared by its REST worker and its WebSocket API session (REST and the WS API share
// the account's limits). Our count covers requests the venue has not answered yet; the
// venue's own count is the truth once it answers: REST headers (X-MBX-USED-WEIGHT-1M: the
// IP's, X-MBX-ORDER-COUNT-10S: the account's) or the WS API's rateLimits array, whose `limit`
// also lowers our ceilings when the venue's is lower. A 418 (banned) or a weight 429 (-1003)
// stops every request of the IP, every account's, until Retry-After (REST, seconds) or
// retryAfter (WS API, a venue time); an order-count 429 (-1015) stops the account's alone.
//
// Thread-safety: every method locks; any thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "net/http_client.hpp"

namespace be::binance {

// Binance's error code of a 429 for too many orders (the account's ORDERS limit); any other
// 429 is the IP's request weight (-1003).
inline constexpr int kTooManyOrdersCode = -1015;

// The request weight of one IP: every account's requests from this host.
class IpWeightGate {
 public:
  IpWeightGate(std::int64_t weight_limit, std::int64_t window_ms)
      : weight_limit_(weight_limit), window_ms_(std::max<std::int64_t>(window_ms, 1)) {}

  // How long to wait before a request of `weight` may go (0: now). Counts it when 0.
  std::int64_t reserve(std::int64_t now_ms, std::int64_t weight) {
    std::lock_guard lock(mutex_);
    if (const std::int64_t blocked = wait_locked(now_ms, weight); blocked > 0) return blocked;
    used_ += weight;
    return 0;
  }
  void observe(std::int64_t now_ms, std::optional<std::int64_t> used_weight,
               std::optional<std::int64_t> blocked_until_ms) {
    std::lock_guard lock(mutex_);
    roll(now_ms);
    if (used_weight) used_ = std::max(used_, *used_weight);
    if (blocked_until_ms) blocked_until_ms_ = std::max(blocked_until_ms_, *blocked_until_ms);
  }
  void cap_limit(std::optional<std::int64_t> weight_limit) {
    std::lock_guard lock(mutex_);
    if (weight_limit && *weight_limit > 0) weight_limit_ = std::min(weight_limit_, *weight_limit);
  }
  std::int64_t used() const {
    std::lock_guard lock(mutex_);
    return used_;
  }
  std::int64_t window_ms() const { return window_ms_; }

 private:
  std::int64_t wait_locked(std::int64_t now_ms, std::int64_t weight) {
    if (now_ms < blocked_until_ms_) return blocked_until_ms_ - now_ms;
    roll(now_ms);
    // A request heavier than the whole limit still goes, alone, in a fresh window.
    if (used_ + weight > weight_limit_ && used_ > 0) return (window_ + 1) * window_ms_ - now_ms;
    return 0;
  }
  void roll(std::int64_t now_ms) {
    const std::int64_t w = now_ms / window_ms_;
    if (w != window_) window_ = w, used_ = 0;
  }

  mutable std::mutex mutex_;
  std::int64_t weight_limit_;
  const std::int64_t window_ms_;
  std::int64_t window_ = -1, used_ = 0;
  std::int64_t blocked_until_ms_ = 0;
};

// One account's gate: its order counts, and the IP's weight it shares.
class RateGate {
 public:
  RateGate(std::shared_ptr<IpWeightGate> ip, std::int64_t order_limit_10s)
      : ip_(std::move(ip)), order_limit_(order_limit_10s) {}

  // How long to wait before a request of `weight` may go (0: now). Counts it when 0.
  std::int64_t reserve(std::int64_t now_ms, std::int64_t weight, bool is_order) {
    std::lock_guard lock(mutex_);
    if (now_ms < blocked_until_ms_) return blocked_until_ms_ - now_ms;
    roll(now_ms);
    if (is_order && orders_ + 1 > order_limit_) return (order_window_ + 1) * 10'000 - now_ms;
    if (const std::int64_t wait = ip_->reserve(now_ms, weight); wait > 0) return wait;
    if (is_order) ++orders_;
    return 0;
  }

  // A REST answer: its headers, and its status with the error code it carried (0: none).
  void observe(std::int64_t now_ms, const net::HttpResponse& r, int code) {
    const auto retry_after_s = r.header_int("Retry-After");
    observe_counts(
        now_ms, r.status, code, r.header_int("X-MBX-USED-WEIGHT-1M"),
        r.header_int("X-MBX-ORDER-COUNT-10S"),
        retry_after_s ? std::optional<std::int64_t>(now_ms + *retry_after_s * 1000) : std::nullopt);
  }

  // The venue's counts from any API; `blocked_until_ms` when a 429/418 says until when.
  void observe_counts(std::int64_t now_ms, int status, int code,
                      std::optional<std::int64_t> used_weight,
                      std::optional<std::int64_t> order_count,
                      std::optional<std::int64_t> blocked_until_ms) {
    std::optional<std::int64_t> ip_block;
    {
      std::lock_guard lock(mutex_);
      roll(now_ms);
      // The venue's count is the truth; ours only covers requests it has not answered yet.
      if (order_count) orders_ = std::max(orders_, *order_count);
      if (status == 429 || status == 418) {
        const std::int64_t until =
            blocked_until_ms.value_or(now_ms + (status == 418 ? 120'000 : 1'000));
        if (status == 429 && code == kTooManyOrdersCode) {
          blocked_until_ms_ = std::max(blocked_until_ms_, until);  // this account's orders
        } else {
          ip_block = until;  // the IP's weight, or a ban: every account of the host
        }
      }
    }
    ip_->observe(now_ms, used_weight, ip_block);
  }

  // The venue's own ceilings (the rateLimits array's `limit`): ours never exceed them.
  void cap_limits(std::optional<std::int64_t> weight_limit,
                  std::optional<std::int64_t> order_limit) {
    ip_->cap_limit(weight_limit);
    std::lock_guard lock(mutex_);
    if (order_limit && *order_limit > 0) order_limit_ = std::min(order_limit_, *order_limit);
  }

  std::int64_t used() const { return ip_->used(); }  // the IP's weight in this window
  std::int64_t window_ms() const { return ip_->window_ms(); }

 private:
  void roll(std::int64_t now_ms) {
    const std::int64_t o = now_ms / 10'000;
    if (o != order_window_) order_window_ = o, orders_ = 0;
  }

  const std::shared_ptr<IpWeightGate> ip_;
  mutable std::mutex mutex_;
  std::int64_t order_limit_;
  std::int64_t order_window_ = -1, orders_ = 0;
  std::int64_t blocked_until_ms_ = 0;
};

}  // namespace be::binance
