#include "runner/api/backtests.hpp"

#include <algorithm>

namespace be::api {

std::string_view to_string(BacktestState state) noexcept {
  switch (state) {
    case BacktestState::kQueued:
      return "queued";
    case BacktestState::kRunning:
      return "running";
    case BacktestState::kDone:
      return "done";
    case BacktestState::kFailed:
      return "failed";
  }
  return "unknown";
}

BacktestQueue::BacktestQueue(BacktestFn run, Limits limits)
    : run_(std::move(run)),
      limits_(limits),
      worker_([this](std::stop_token stop) { work(stop); }) {}

BacktestQueue::~BacktestQueue() {
  worker_.request_stop();  // wakes the worker (condition_variable_any) and the running job
  worker_.join();
}

namespace {
bool waiting(const BacktestJob& job) noexcept {
  return job.state == BacktestState::kQueued || job.state == BacktestState::kRunning;
}
}  // namespace

Expected<std::uint64_t, BacktestQueue::Refused> BacktestQueue::submit(
    UserId owner, std::vector<std::string> bots) {
  if (bots.empty()) return Unexpected(Refused{Refusal::kNoBots, "a backtest needs a bot config"});
  if (bots.size() > limits_.max_bots) {
    return Unexpected(Refused{Refusal::kTooManyBots, "at most " + std::to_string(limits_.max_bots) +
                                                         " bot configs per backtest, got " +
                                                         std::to_string(bots.size())});
  }
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    std::size_t busy = 0;
    for (const Entry& e : jobs_) {
      if (!waiting(e.job)) continue;
      if (e.job.owner == owner) {
        return Unexpected(
            Refused{Refusal::kUserHasOne, "your backtest " + std::to_string(e.job.id) +
                                              " is still " + std::string(to_string(e.job.state)) +
                                              ": one at a time per user"});
      }
      ++busy;
    }
    if (busy >= limits_.max_waiting) {
      return Unexpected(Refused{Refusal::kFull, std::to_string(busy) +
                                                    " backtests are queued or running, the most "
                                                    "this engine takes: try again later"});
    }
    id = next_id_++;
    Entry e;
    e.job.id = id;
    e.job.owner = owner;
    e.job.bots = bots.size();
    e.job.submitted = wall_now();
    e.bots = std::move(bots);
    jobs_.push_back(std::move(e));
  }
  wake_.notify_one();
  return id;
}

// The oldest finished jobs past the bound are forgotten (queued and running ones stay).
void BacktestQueue::forget_oldest_finished() {
  std::size_t finished = 0;
  for (const Entry& e : jobs_)
    finished += waiting(e.job) ? 0 : 1;
  for (auto it = jobs_.begin(); finished > limits_.max_kept && it != jobs_.end();) {
    if (waiting(it->job)) {
      ++it;
    } else {
      it = jobs_.erase(it);
      --finished;
    }
  }
}

BacktestQueue::Entry* BacktestQueue::entry(std::uint64_t id) {
  for (Entry& e : jobs_)
    if (e.job.id == id) return &e;
  return nullptr;
}

std::optional<BacktestJob> BacktestQueue::find(std::uint64_t id) const {
  std::lock_guard lock(mutex_);
  for (const Entry& e : jobs_)
    if (e.job.id == id) return e.job;
  return std::nullopt;
}

std::vector<BacktestJob> BacktestQueue::list(UserId owner, bool all) const {
  std::lock_guard lock(mutex_);
  std::vector<BacktestJob> out;
  for (auto it = jobs_.rbegin(); it != jobs_.rend(); ++it)
    if (all || it->job.owner == owner) out.push_back(it->job);
  return out;
}

void BacktestQueue::work(std::stop_token stop) {
  for (;;) {
    std::uint64_t id = 0;
    std::vector<std::string> bots;
    {
      std::unique_lock lock(mutex_);
      const auto next = [&] {
        return std::find_if(jobs_.begin(), jobs_.end(),
                            [](const Entry& e) { return e.job.state == BacktestState::kQueued; });
      };
      if (!wake_.wait(lock, stop, [&] { return next() != jobs_.end(); })) return;
      Entry& e = *next();
      e.job.state = BacktestState::kRunning;
      e.job.started = wall_now();
      id = e.job.id;
      bots = std::move(e.bots);
      e.bots.clear();
    }
    BacktestOutcome outcome;
    try {
      outcome = run_(id, bots, stop);
    } catch (const std::exception& ex) {
      outcome.ok = false;
      outcome.error = std::string("the backtest failed: ") + ex.what();
    }
    std::lock_guard lock(mutex_);
    Entry* e = entry(id);
    if (e == nullptr) continue;  // cannot happen: running jobs are never forgotten
    e->job.finished = wall_now();
    e->job.state = outcome.ok ? BacktestState::kDone : BacktestState::kFailed;
    e->job.error = std::move(outcome.error);
    if (outcome.ok) {
      e->job.report_json = std::make_shared<const std::string>(std::move(outcome.report_json));
      e->job.report_html = std::make_shared<const std::string>(std::move(outcome.report_html));
    }
    forget_oldest_finished();
  }
}

}  // namespace be::api
