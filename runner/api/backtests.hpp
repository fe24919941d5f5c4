// The jobs behind POST /api/v1/backtests (docs/API.md, "Backtests"): a user's bot configs
// backtested on the deployment's recorded market, one job at a time on a thread of its own,
// never on the engine's threads. The work itself is a function the runner hands in
// (runner/backtest_process.hpp: `botengine replay JOURNAL --bots` in a child process, niced
// and capped); this class keeps the jobs, their owners, states and reports, and bounds them:
//   - at most `max_waiting` jobs queued or running in all, and one per user: a submit past
//     either is refused (the route answers 429 and 409) and takes no id;
//   - the newest `max_kept` finished jobs are kept (reports included), older ones forgotten;
//   - at most `max_bots` configs per job.
// Ids count from 1 in submission order and are never reused while the process runs.
//
// Thread-safety: every member may be called from any thread (the API's I/O threads); one
// mutex guards the table. Destruction asks the running job to stop (its stop_token) and joins.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/expected.hpp"
#include "core/ids.hpp"

namespace be::api {

enum class BacktestState : std::uint8_t { kQueued, kRunning, kDone, kFailed };
std::string_view to_string(BacktestState state) noexcept;

// What a run produced: the report (replay/report.hpp, JSON and HTML) or why there is none.
struct BacktestOutcome {
  bool ok = false;
  std::string error;  // when !ok: what the run said, e.g. "no bot trades a symbol ..."
  std::string report_json, report_html;
};

// Runs job `id` on `bots` (bot configs as JSON text); returns early, failed, once `stop` is
// requested (the queue is being destroyed).
using BacktestFn = std::function<BacktestOutcome(std::uint64_t id, const std::vector<std::string>&,
                                                 std::stop_token stop)>;

struct BacktestJob {
  std::uint64_t id = 0;
  UserId owner{};
  BacktestState state = BacktestState::kQueued;
  std::size_t bots = 0;
  Nanos submitted = 0, started = 0, finished = 0;  // wall clock, ns since the epoch; 0: not yet
  std::string error;
  // Shared, not copied, by every answer that shows them.
  std::shared_ptr<const std::string> report_json, report_html;
};

class BacktestQueue {
 public:
  struct Limits {
    std::size_t max_waiting = 8;
    std::size_t max_kept = 32;
    std::size_t max_bots = 16;
  };
  enum class Refusal : std::uint8_t { kFull, kUserHasOne, kTooManyBots, kNoBots };
  struct Refused {
    Refusal why;
    std::string message;
  };

  explicit BacktestQueue(BacktestFn run, Limits limits);
  explicit BacktestQueue(BacktestFn run) : BacktestQueue(std::move(run), Limits{}) {}
  ~BacktestQueue();
  BacktestQueue(const BacktestQueue&) = delete;
  BacktestQueue& operator=(const BacktestQueue&) = delete;

  Expected<std::uint64_t, Refused> submit(UserId owner, std::vector<std::string> bots);
  std::optional<BacktestJob> find(std::uint64_t id) const;
  // Newest first: the owner's jobs, or everyone's for `all` (an admin).
  std::vector<BacktestJob> list(UserId owner, bool all) const;
  const Limits& limits() const noexcept { return limits_; }

 private:
  struct Entry {
    BacktestJob job;
    std::vector<std::string> bots;  // until it runs
  };
  void work(std::stop_token stop);
  Entry* entry(std::uint64_t id);
  void forget_oldest_finished();

  BacktestFn run_;
  Limits limits_;
  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<Entry> jobs_;  // in id order
  std::uint64_t next_id_ = 1;
  std::jthread worker_;  // last: it starts once everything above exists
};

}  // namespace be::api
