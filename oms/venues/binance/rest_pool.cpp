#include "oms/venues/binance/rest_pool.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "core/thread_placement.hpp"

namespace be::binance {

struct RestPool::Impl {
  std::mutex mutex;
  std::condition_variable work_cv;     // a queue became ready or due, or stopping
  std::condition_variable removed_cv;  // a run returned (remove() waits for it)
  std::deque<Queue*> ready;
  std::multimap<Nanos, Queue*> timed;
  bool stopping = false;
  std::vector<std::thread> threads;

  // One worker's HTTP clients, by origin, trust and timeout.
  class WorkerSession final : public Session {
   public:
    net::HttpClient& http(const net::Url& origin, const net::HttpClientOptions& o) override {
      std::string key = std::string(origin.tls ? "https://" : "http://") + origin.host + ":" +
                        std::to_string(origin.port) + "|" + std::to_string(o.timeout.count()) +
                        "|" + (o.tls.verify_peer ? "v" : "n") + "|" + o.tls.ca_file + "|" +
                        o.tls.ca_pem;
      auto& client = clients_[key];
      if (!client) client = std::make_unique<net::HttpClient>(origin, o);
      return *client;
    }

   private:
    std::map<std::string, std::unique_ptr<net::HttpClient>> clients_;
  };

  void push_ready_locked(Queue& q) {
    if (q.removed_) return;
    if (q.timed_.load()) {
      std::erase_if(timed, [&](const auto& kv) { return kv.second == &q; });
      q.timed_.store(false);
    }
    ready.push_back(&q);
    work_cv.notify_one();
  }

  // The next queue to run, marked running; nullptr when stopping.
  Queue* take() {
    std::unique_lock lock(mutex);
    for (;;) {
      if (stopping) return nullptr;
      const Nanos now = monotonic_now();
      while (!timed.empty() && timed.begin()->first <= now) {
        Queue* q = timed.begin()->second;
        timed.erase(timed.begin());
        q->timed_.store(false);
        ready.push_back(q);
      }
      if (!ready.empty()) {
        Queue* q = ready.front();
        ready.pop_front();
        q->running_ = true;
        return q;
      }
      if (timed.empty()) {
        work_cv.wait(lock);
      } else {
        work_cv.wait_for(lock, std::chrono::nanoseconds(timed.begin()->first - now));
      }
    }
  }

  // After a run: again, later, or asleep until woken (a wake during the run counts).
  void finish(Queue& q, std::uint64_t wakes_seen, Nanos next) {
    std::lock_guard lock(mutex);
    q.running_ = false;
    removed_cv.notify_all();
    if (q.removed_) return;
    if (q.wakes_.load() != wakes_seen || (next != Queue::kIdle && next <= monotonic_now())) {
      ready.push_back(&q);
      work_cv.notify_one();
      return;
    }
    if (next != Queue::kIdle) {
      q.timed_.store(true);
      timed.emplace(next, &q);
      work_cv.notify_one();
      return;
    }
    q.scheduled_.store(false);
    // A wake that saw `scheduled` still true left the queueing to us.
    if (q.wakes_.load() != wakes_seen && !q.scheduled_.exchange(true)) push_ready_locked(q);
  }

  void worker_main() {
    place_current_thread(ThreadRole::kGateway, "be-gateway-rest");  // the gateway's CPUs
    WorkerSession session;
    while (Queue* q = take()) {
      const std::uint64_t seen = q->wakes_.load();
      const Nanos next = q->run(session);
      finish(*q, seen, next);
    }
  }
};

RestPool::RestPool(std::size_t workers) : impl_(std::make_unique<Impl>()) {
  workers = std::max<std::size_t>(workers, 1);
  for (std::size_t i = 0; i < workers; ++i)
    impl_->threads.emplace_back([this] { impl_->worker_main(); });
}

RestPool::~RestPool() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->work_cv.notify_all();
  for (auto& t : impl_->threads)
    t.join();
}

void RestPool::wake(Queue& q) noexcept {
  q.wakes_.fetch_add(1);
  if (q.scheduled_.exchange(true)) {
    // Queued or running: that run sees the wake. Waiting for a time: run it now instead.
    if (!q.timed_.load()) return;
    std::lock_guard lock(impl_->mutex);
    if (q.timed_.load()) impl_->push_ready_locked(q);
    return;
  }
  std::lock_guard lock(impl_->mutex);
  impl_->push_ready_locked(q);
}

void RestPool::remove(Queue& q) {
  std::unique_lock lock(impl_->mutex);
  q.removed_ = true;
  std::erase(impl_->ready, &q);
  std::erase_if(impl_->timed, [&](const auto& kv) { return kv.second == &q; });
  q.timed_.store(false);
  impl_->removed_cv.wait(lock, [&] { return !q.running_; });
}

std::size_t RestPool::workers() const noexcept {
  return impl_->threads.size();
}

}  // namespace be::binance
