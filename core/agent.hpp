// Stages as agents (docs/ARCHITECTURE.md §2, STYLE.md #3 after Aeron's AgentRunner).
//
// An agent is a unit of work that never blocks: do_work() does whatever is ready (drain a
// ring, parse a buffer, check a timer) and returns how much it did, 0 meaning "nothing to do".
// A runner owns one thread, named after the agent (pthread_setname_np: top, perf and gdb
// show it), and loops
//
//     on_start();  while (!stop && !finished()) idle.idle(do_work());  on_close();
//
// so the choice of how to wait (burn a core, yield it, or sleep) lives in the idle strategy,
// not in the agent. The engine (engine/topology.cpp) runs its sequencer, stage and publisher
// threads on runners: `pipelined` gives each stage its own runner pinned to a listed CPU;
// `fused` has the sequencer agent apply every stage on one runner.
//
// Failure model: an exception escaping on_start/do_work/on_close is caught on the runner's
// thread, recorded in error(), and stops that runner; it never terminates the process. on_close
// runs exactly once for every runner whose on_start was entered, even when on_start threw.
// A failure handler (if set) is told at once, on the runner's thread: before on_close for an
// on_start or do_work failure (so on_close knows), after it when on_close itself threw.
// Pinning (core/thread_placement.hpp) to a CpuSet: failure (PinPolicy::kRequired, the
// default) is reported by start() with the CPUs and the OS's reason; with
// PinPolicy::kBestEffort the agent runs unpinned, pin_error() says why, and the failure is
// recorded with the process's placement failures (health and metrics show them) while the
// thread lives.
#pragma once

#include <atomic>
#include <concepts>
#include <cstdint>
#include <ctime>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "core/expected.hpp"
#include "core/thread_placement.hpp"

namespace be {

// ---- agents ---------------------------------------------------------------------------

// The virtual interface stages implement. Calls come from the runner's thread only.
class Agent {
 public:
  virtual ~Agent() = default;
  virtual void on_start() {}
  // Returns the amount of work done (items, bytes, events; > 0 resets the idle strategy).
  virtual int do_work() = 0;
  virtual void on_close() {}
  virtual std::string_view name() const noexcept = 0;
  // True once the agent has ended its own run (a drained sequencer at shutdown, say): the
  // runner's loop then ends as if stop() had been called, and on_close follows.
  virtual bool finished() const noexcept { return false; }
};

// What a runner needs; a concrete final agent type can be run without virtual dispatch.
template <class A>
concept AgentLike = requires(A& a, const A& ca) {
  a.on_start();
  { a.do_work() } -> std::same_as<int>;
  a.on_close();
  { ca.name() } -> std::convertible_to<std::string_view>;
};
static_assert(AgentLike<Agent>);

// An agent may end its own run by answering finished() (optional: agents without it run until
// stop()).
template <class A>
bool agent_finished(const A& agent) noexcept {
  if constexpr (requires {
                  { agent.finished() } -> std::convertible_to<bool>;
                }) {
    return agent.finished();
  } else {
    return false;
  }
}

// Runs several agents in order on one thread (fusing stages). do_work() calls each agent
// once per cycle in the given order and returns the sum of their work. If an agent's on_start
// throws, the ones already started are the only ones on_close() later closes. on_close closes
// every started agent even if one throws, then rethrows the first exception.
// Lifetime: the agents must outlive the composite. Not thread-safe (one runner thread).
class CompositeAgent final : public Agent {
 public:
  // Throws std::invalid_argument when agents is empty or holds a null pointer.
  explicit CompositeAgent(std::vector<Agent*> agents);

  void on_start() override;
  int do_work() override {
    int work = 0;
    for (Agent* agent : agents_)
      work += agent->do_work();
    return work;
  }
  void on_close() override;
  std::string_view name() const noexcept override { return name_; }
  // Finished once every agent is.
  bool finished() const noexcept override {
    for (const Agent* agent : agents_)
      if (!agent->finished()) return false;
    return true;
  }

 private:
  std::vector<Agent*> agents_;
  std::size_t started_ = 0;
  std::string name_;
};

// ---- idle strategies ------------------------------------------------------------------

// idle(work) is called after every do_work(): work > 0 means "busy, go again now".
template <class I>
concept IdleStrategy = requires(I& idle, int work) {
  { idle.idle(work) }
  noexcept;
  { idle.reset() }
  noexcept;
};

// A spin-wait hint: frees pipeline resources for the sibling hyper-thread and avoids the
// memory-order mis-speculation penalty when the awaited line finally changes.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// Lowest latency, burns its core: for pinned stages on dedicated CPUs.
struct BusySpinIdle {
  static constexpr std::string_view kName = "busy_spin";
  void idle(int work) noexcept {
    if (work <= 0) cpu_relax();
  }
  void reset() noexcept {}
};

// Gives the core to any runnable thread (sched_yield) when idle: for shared cores.
struct YieldIdle {
  static constexpr std::string_view kName = "yield";
  void idle(int work) noexcept {
    if (work <= 0) std::this_thread::yield();
  }
  void reset() noexcept {}
};

struct BackoffConfig {
  std::uint32_t max_spins = 100;         // idle calls spent spinning with cpu_relax()
  std::uint32_t max_yields = 100;        // then idle calls spent in sched_yield()
  std::int64_t min_park_ns = 1'000;      // then nanosleep, starting here ...
  std::int64_t max_park_ns = 1'000'000;  // ... doubling up to this cap (bounds stop latency)
};

// Returns nullptr when cfg is usable, otherwise what is wrong with it.
const char* validate(const BackoffConfig& cfg) noexcept;

// Spin, then yield, then park with exponentially growing sleeps: the default for stages that
// may go quiet for long (control plane, journal when idle). Any work resets it to spinning.
class BackoffIdle {
 public:
  static constexpr std::string_view kName = "backoff";
  // Precondition: validate(cfg) == nullptr (AnyIdleStrategy::from_config checks it).
  explicit BackoffIdle(BackoffConfig cfg = {}) noexcept : cfg_(cfg), park_ns_(cfg.min_park_ns) {}

  void idle(int work) noexcept {
    if (work > 0) {
      reset();
      return;
    }
    if (spins_ < cfg_.max_spins) {
      ++spins_;
      cpu_relax();
    } else if (yields_ < cfg_.max_yields) {
      ++yields_;
      std::this_thread::yield();
    } else {
      park(park_ns_);
      park_ns_ = park_ns_ >= cfg_.max_park_ns / 2 ? cfg_.max_park_ns : park_ns_ * 2;
    }
  }
  void reset() noexcept {
    spins_ = 0;
    yields_ = 0;
    park_ns_ = cfg_.min_park_ns;
  }

  // For tests and metrics: the sleep the next park would take.
  std::int64_t next_park_ns() const noexcept { return park_ns_; }
  const BackoffConfig& config() const noexcept { return cfg_; }

 private:
  static void park(std::int64_t ns) noexcept {
    timespec ts{static_cast<std::time_t>(ns / 1'000'000'000),
                static_cast<long>(ns % 1'000'000'000)};
    ::nanosleep(&ts, nullptr);  // an early wake-up (EINTR) is harmless: we poll again
  }

  BackoffConfig cfg_;
  std::uint32_t spins_ = 0;
  std::uint32_t yields_ = 0;
  std::int64_t park_ns_;
};

static_assert(IdleStrategy<BusySpinIdle> && IdleStrategy<YieldIdle> && IdleStrategy<BackoffIdle>);

// The strategy picked at run time from configuration ("busy_spin", "yield", "backoff").
// Costs one predictable branch per idle() over the static types.
class AnyIdleStrategy {
 public:
  AnyIdleStrategy() noexcept = default;  // busy_spin
  template <class I>
  requires(IdleStrategy<I> && !std::same_as<I, AnyIdleStrategy>) AnyIdleStrategy(I idle)
  noexcept : strategy_(std::move(idle)) {}  // NOLINT: implicit

  // Errors name the bad value and the accepted ones.
  static Expected<AnyIdleStrategy, std::string> from_config(std::string_view name,
                                                            const BackoffConfig& backoff = {});

  void idle(int work) noexcept {
    if (auto* s = std::get_if<BusySpinIdle>(&strategy_)) return s->idle(work);
    if (auto* s = std::get_if<YieldIdle>(&strategy_)) return s->idle(work);
    std::get_if<BackoffIdle>(&strategy_)->idle(work);
  }
  void reset() noexcept {
    std::visit([](auto& s) noexcept { s.reset(); }, strategy_);
  }
  std::string_view name() const noexcept {
    return std::visit([](const auto& s) noexcept { return s.kName; }, strategy_);
  }

 private:
  std::variant<BusySpinIdle, YieldIdle, BackoffIdle> strategy_;
};
static_assert(IdleStrategy<AnyIdleStrategy>);

// ---- runner ---------------------------------------------------------------------------

// What a runner does when its CPU cannot be had: refuse to start (kRequired), or run unpinned
// and say why in pin_error() (kBestEffort: a deployment that asked for pinning keeps trading on
// a machine where the CPU is missing, and reports it).
enum class PinPolicy : std::uint8_t { kRequired, kBestEffort };

// Runs one agent on its own std::thread. One-shot: start() once, stop() (or destruction) ends
// it. Thread-safety: start/stop/wait_until_stopped from one controlling thread; state queries
// from any thread. Lifetime: the agent must outlive the runner.
template <AgentLike A = Agent, IdleStrategy I = AnyIdleStrategy>
class AgentRunner {
 public:
  enum class State : int { kNew, kStarting, kRunning, kStopped, kFailed };

  explicit AgentRunner(A& agent, I idle = I{}, CpuSet cpus = {},
                       PinPolicy pin_policy = PinPolicy::kRequired)
      : agent_(agent), idle_(std::move(idle)), cpus_(std::move(cpus)), pin_policy_(pin_policy) {}
  // One CPU; kNoCpu: not pinned.
  AgentRunner(A& agent, I idle, int cpu, PinPolicy pin_policy = PinPolicy::kRequired)
      : AgentRunner(agent, std::move(idle), CpuSet::of(cpu), pin_policy) {}
  ~AgentRunner() { stop(); }
  AgentRunner(const AgentRunner&) = delete;
  AgentRunner& operator=(const AgentRunner&) = delete;

  // Called once, on the runner's thread, with the error when the agent fails (see the failure
  // model above). Set before start(); must not call stop() on this runner.
  void set_failure_handler(std::function<void(const std::string&)> handler) {
    on_failure_ = std::move(handler);
  }

  // Starts the thread, pins it, runs on_start() there and returns once the agent is running.
  // Errors (runner already used, thread creation, pinning, on_start threw) come back as text;
  // the thread has then already finished and on_close ran if on_start was entered.
  Expected<std::monostate, std::string> start() {
    if (state_.load(std::memory_order_acquire) != State::kNew) {
      return Unexpected{std::string("agent '") + std::string(agent_.name()) +
                        "': runner already started (runners are one-shot)"};
    }
    state_.store(State::kStarting, std::memory_order_relaxed);
    try {
      thread_ = std::thread([this] { run(); });
    } catch (const std::exception& e) {
      fail_early(std::string("cannot create thread: ") + e.what());
      return Unexpected{error_};
    }
    state_.wait(State::kStarting, std::memory_order_acquire);
    // Not "state == kRunning": the agent may already have run and failed by the time this
    // thread wakes up, and that is a do_work failure (seen in error()), not a start failure.
    if (started_.load(std::memory_order_acquire)) return std::monostate{};
    thread_.join();
    return Unexpected{error_};
  }

  // Asks the loop to finish the current cycle, then joins; on_close runs on the agent's
  // thread before this returns. Idempotent; bounded by one do_work plus one idle period.
  void stop() noexcept {
    stop_requested_.store(true, std::memory_order_relaxed);
    if (thread_.joinable()) thread_.join();
  }

  // Blocks until the agent's thread has finished on its own (an exception) or after stop().
  // Precondition: start() succeeded.
  void wait_until_stopped() const noexcept {
    for (State s = state_.load(std::memory_order_acquire); s == State::kRunning;
         s = state_.load(std::memory_order_acquire)) {
      state_.wait(s, std::memory_order_acquire);
    }
  }

  State state() const noexcept { return state_.load(std::memory_order_acquire); }
  bool running() const noexcept { return state() == State::kRunning; }
  bool failed() const noexcept { return state() == State::kFailed; }
  // What went wrong; meaningful once state() is kFailed (it is written before that state is
  // published and never after).
  const std::string& error() const noexcept { return error_; }
  const CpuSet& cpus() const noexcept { return cpus_; }
  // PinPolicy::kBestEffort: why the thread runs unpinned ("" when pinned or not asked to be).
  // Meaningful once start() has returned.
  const std::string& pin_error() const noexcept { return pin_error_; }
  // The runner's thread mutates the strategy: read it only before start() or after stop().
  const I& idle_strategy() const noexcept { return idle_; }

 private:
  void run() noexcept {
    name_current_thread(agent_.name());
    if (auto pinned = pin_current_thread(cpus_); !pinned) {
      std::string why = "agent '" + std::string(agent_.name()) + "': " + pinned.error();
      if (pin_policy_ == PinPolicy::kRequired) return finish(State::kFailed, std::move(why));
      pin_error_ = why;  // published to start() by the state change below
      record_thread_placement_failure(agent_.name(), cpus_, std::move(why));
    }
    std::string error;
    bool started = false;
    try {
      agent_.on_start();
      started = true;
    } catch (...) {
      error = describe("on_start", std::current_exception());
      report(error);
    }
    if (started) {
      started_.store(true, std::memory_order_release);
      state_.store(State::kRunning, std::memory_order_release);
      state_.notify_all();
      try {
        while (!stop_requested_.load(std::memory_order_relaxed)) {
          const int work = agent_.do_work();
          if (agent_finished(agent_)) break;
          idle_.idle(work);
        }
      } catch (...) {
        error = describe("do_work", std::current_exception());
        report(error);
      }
    }
    try {
      agent_.on_close();
    } catch (...) {
      if (error.empty()) {
        error = describe("on_close", std::current_exception());
        report(error);
      }
    }
    // The state is computed before the call: argument evaluation order is unspecified and the
    // move below could otherwise empty error first.
    const State end = error.empty() ? State::kStopped : State::kFailed;
    finish(end, std::move(error));
  }

  void finish(State state, std::string error) noexcept {
    error_ = std::move(error);
    state_.store(state, std::memory_order_release);  // publishes error_
    state_.notify_all();
  }

  void fail_early(std::string error) noexcept { finish(State::kFailed, std::move(error)); }

  void report(const std::string& error) noexcept {
    if (!on_failure_) return;
    try {
      on_failure_(error);
    } catch (...) {  // the failure is recorded either way
    }
  }

  std::string describe(const char* where, std::exception_ptr ep) const {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    return "agent '" + std::string(agent_.name()) + "' " + where + " threw: " + what;
  }

  A& agent_;
  I idle_;
  const CpuSet cpus_;
  const PinPolicy pin_policy_;
  std::function<void(const std::string&)> on_failure_;
  std::string pin_error_;  // written by the runner's thread before start() returns
  std::thread thread_;
  std::atomic<State> state_{State::kNew};
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> started_{false};  // on_start returned normally
  std::string error_;
};

}  // namespace be
