// AgentRunner, idle strategies, CompositeAgent and pinning. Threads are synchronised with
// atomics and std::atomic::wait, never with sleeps.
#include "core/agent.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/spsc_ring.hpp"

namespace be {
namespace {

// Counts its calls; can be told to throw at a given point. Counters are atomics because the
// test thread reads them while the runner's thread writes them.
class CountingAgent : public Agent {
 public:
  explicit CountingAgent(std::string name = "counting") : name_(std::move(name)) {}

  void on_start() override {
    starts.fetch_add(1);
    if (throw_on_start) throw std::runtime_error("start refused");
  }
  int do_work() override {
    const auto n = cycles.fetch_add(1) + 1;
    if (throw_at_cycle != 0 && n == throw_at_cycle) throw std::runtime_error("boom at cycle");
    if (n == notify_at_cycle) {
      reached.store(true);
      reached.notify_all();
    }
    if (cpu_seen.load() == -2) cpu_seen.store(sched_getcpu());
    return work_per_cycle;
  }
  void on_close() override { closes.fetch_add(1); }
  std::string_view name() const noexcept override { return name_; }

  // Waits (futex, no sleep) until do_work has run notify_at_cycle times.
  void wait_reached() const {
    while (!reached.load())
      reached.wait(false);
  }

  std::atomic<int> starts{0};
  std::atomic<int> closes{0};
  std::atomic<std::uint64_t> cycles{0};
  std::atomic<bool> reached{false};
  std::atomic<int> cpu_seen{-2};
  std::uint64_t notify_at_cycle = 1000;
  std::uint64_t throw_at_cycle = 0;
  bool throw_on_start = false;
  int work_per_cycle = 0;

 private:
  std::string name_;
};

TEST(AgentRunner, shouldStartRunAndStopCallingOnCloseExactlyOnce) {
  CountingAgent agent;
  AgentRunner<> runner(agent, AnyIdleStrategy(BusySpinIdle{}));
  auto started = runner.start();
  ASSERT_TRUE(started.has_value()) << started.error();
  EXPECT_TRUE(runner.running());
  EXPECT_EQ(agent.starts.load(), 1);
  agent.wait_reached();
  runner.stop();
  EXPECT_EQ(runner.state(), AgentRunner<>::State::kStopped);
  EXPECT_EQ(agent.closes.load(), 1);
  EXPECT_GE(agent.cycles.load(), 1000u);
  runner.stop();  // idempotent
  EXPECT_EQ(agent.closes.load(), 1);
  EXPECT_TRUE(runner.error().empty());
}

TEST(AgentRunner, shouldStopFromDestructor) {
  CountingAgent agent;
  {
    AgentRunner<CountingAgent, YieldIdle> runner(agent);
    ASSERT_TRUE(runner.start().has_value());
    agent.wait_reached();
  }
  EXPECT_EQ(agent.starts.load(), 1);
  EXPECT_EQ(agent.closes.load(), 1);
}

TEST(AgentRunner, shouldRefuseASecondStart) {
  CountingAgent agent;
  AgentRunner<> runner(agent);
  ASSERT_TRUE(runner.start().has_value());
  auto again = runner.start();
  ASSERT_FALSE(again.has_value());
  EXPECT_NE(again.error().find("one-shot"), std::string::npos) << again.error();
  runner.stop();
  EXPECT_EQ(agent.starts.load(), 1);
}

TEST(AgentRunner, shouldCatchAnExceptionFromDoWorkRecordItAndStop) {
  CountingAgent agent("thrower");
  agent.throw_at_cycle = 50;
  AgentRunner<> runner(agent, AnyIdleStrategy(BackoffIdle()));
  ASSERT_TRUE(runner.start().has_value());
  runner.wait_until_stopped();
  EXPECT_TRUE(runner.failed());
  EXPECT_EQ(agent.cycles.load(), 50u) << "the loop ends at the throwing cycle";
  EXPECT_EQ(agent.closes.load(), 1) << "on_close still runs after a failure";
  EXPECT_NE(runner.error().find("agent 'thrower' do_work threw: boom at cycle"), std::string::npos)
      << runner.error();
  runner.stop();
  EXPECT_EQ(agent.closes.load(), 1);
}

TEST(AgentRunner, shouldReportAnOnStartFailureFromStartAndStillClose) {
  CountingAgent agent("shy");
  agent.throw_on_start = true;
  AgentRunner<> runner(agent);
  auto started = runner.start();
  ASSERT_FALSE(started.has_value());
  EXPECT_NE(started.error().find("on_start threw: start refused"), std::string::npos)
      << started.error();
  EXPECT_EQ(agent.cycles.load(), 0u);
  EXPECT_EQ(agent.closes.load(), 1);
  EXPECT_TRUE(runner.failed());
}

TEST(AgentRunner, shouldPinTheAgentThreadToCpuZero) {
  if (!cpu_allowed(0)) GTEST_SKIP() << "CPU 0 is not in this process's affinity set";
  CountingAgent agent("pinned");
  AgentRunner<> runner(agent, AnyIdleStrategy(YieldIdle{}), 0);
  auto started = runner.start();
  if (!started.has_value()) GTEST_SKIP() << "affinity unavailable here: " << started.error();
  agent.wait_reached();
  runner.stop();
  EXPECT_EQ(agent.cpu_seen.load(), 0);
  EXPECT_EQ(runner.cpus(), CpuSet::of(0));
}

TEST(AgentRunner, shouldFailToStartWithAClearErrorWhenPinningIsImpossible) {
  CountingAgent agent("nowhere");
  AgentRunner<> runner(agent, AnyIdleStrategy{}, 1000);  // no such CPU on this machine
  auto started = runner.start();
  ASSERT_FALSE(started.has_value());
  EXPECT_NE(started.error().find("agent 'nowhere': cannot pin to CPU 1000"), std::string::npos)
      << started.error();
  EXPECT_EQ(agent.starts.load(), 0) << "the agent never starts on the wrong CPU";
  EXPECT_EQ(agent.closes.load(), 0);

  auto bad = pin_current_thread(CPU_SETSIZE);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().find("must be -1 (none)"), std::string::npos) << bad.error();
  EXPECT_TRUE(pin_current_thread(kNoCpu).has_value());
}

TEST(AgentRunner, shouldRunUnpinnedAndSayWhyWhenBestEffortPinningFails) {
  CountingAgent agent("anywhere");
  AgentRunner<> runner(agent, AnyIdleStrategy(YieldIdle{}), 1000, PinPolicy::kBestEffort);
  auto started = runner.start();
  ASSERT_TRUE(started.has_value()) << started.error();
  EXPECT_NE(runner.pin_error().find("agent 'anywhere': cannot pin to CPU 1000"), std::string::npos)
      << runner.pin_error();
  agent.wait_reached();
  runner.stop();
  EXPECT_EQ(runner.state(), AgentRunner<>::State::kStopped);
  EXPECT_EQ(agent.closes.load(), 1);

  CountingAgent free_agent("free");
  AgentRunner<> unpinned(free_agent, AnyIdleStrategy(YieldIdle{}), kNoCpu, PinPolicy::kBestEffort);
  ASSERT_TRUE(unpinned.start().has_value());
  unpinned.stop();
  EXPECT_TRUE(unpinned.pin_error().empty()) << "not asked to pin: nothing to report";
}

// Records the name of the thread it runs on, and ends its own run after `cycles` cycles.
class NamedFinishingAgent {
 public:
  void on_start() {
    char buf[16] = {};
    pthread_getname_np(pthread_self(), buf, sizeof buf);
    thread_name = buf;
  }
  int do_work() { return ++cycles < 100 ? 1 : 0; }
  void on_close() { closes.fetch_add(1); }
  bool finished() const noexcept { return cycles >= 100; }
  std::string_view name() const noexcept { return "be-test-agent-long-name"; }

  std::string thread_name;
  int cycles = 0;
  std::atomic<int> closes{0};
};

TEST(AgentRunner, shouldNameTheThreadAfterTheAgentAndEndWhenTheAgentFinishes) {
  NamedFinishingAgent agent;
  AgentRunner<NamedFinishingAgent, YieldIdle> runner(agent);
  ASSERT_TRUE(runner.start().has_value());
  runner.wait_until_stopped();  // no stop(): the agent ends its own run
  using Runner = AgentRunner<NamedFinishingAgent, YieldIdle>;
  EXPECT_EQ(runner.state(), Runner::State::kStopped);
  EXPECT_EQ(agent.cycles, 100) << "the loop ends at the cycle that finished";
  EXPECT_EQ(agent.closes.load(), 1);
  EXPECT_EQ(agent.thread_name, "be-test-agent-l") << "Linux keeps 15 characters";
  runner.stop();
  EXPECT_EQ(agent.closes.load(), 1);
}

TEST(AgentRunner, shouldTellTheFailureHandlerBeforeOnCloseOnTheAgentsThread) {
  CountingAgent agent("fragile");
  agent.throw_at_cycle = 5;
  AgentRunner<> runner(agent, AnyIdleStrategy(BusySpinIdle{}));
  std::string told;
  int closes_when_told = -1;
  std::thread::id told_on;
  runner.set_failure_handler([&](const std::string& error) {
    told = error;
    closes_when_told = agent.closes.load();
    told_on = std::this_thread::get_id();
  });
  ASSERT_TRUE(runner.start().has_value());
  runner.wait_until_stopped();
  EXPECT_TRUE(runner.failed());
  EXPECT_EQ(told, runner.error());
  EXPECT_EQ(told, "agent 'fragile' do_work threw: boom at cycle");
  EXPECT_EQ(closes_when_told, 0) << "told before on_close, so on_close can know";
  EXPECT_NE(told_on, std::this_thread::get_id());
  EXPECT_EQ(agent.closes.load(), 1);
  runner.stop();
}

TEST(IdleStrategy, shouldSelectStrategiesFromConfigStrings) {
  for (std::string_view name : {"busy_spin", "yield", "backoff"}) {
    auto idle = AnyIdleStrategy::from_config(name);
    ASSERT_TRUE(idle.has_value()) << name;
    EXPECT_EQ(idle->name(), name);
  }
  auto unknown = AnyIdleStrategy::from_config("sleepy");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error(),
            "unknown idle strategy 'sleepy' (expected busy_spin, yield or backoff)");
  auto bad = AnyIdleStrategy::from_config("backoff", BackoffConfig{.min_park_ns = 0});
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().find("min_park_ns"), std::string::npos);
}

TEST(IdleStrategy, shouldBackOffFromSpinToYieldToExponentialParkUpToTheCapAndResetOnWork) {
  BackoffIdle idle(
      BackoffConfig{.max_spins = 3, .max_yields = 2, .min_park_ns = 100, .max_park_ns = 1000});
  for (int i = 0; i < 5; ++i)
    idle.idle(0);  // 3 spins + 2 yields: no park yet
  EXPECT_EQ(idle.next_park_ns(), 100);
  idle.idle(0);
  EXPECT_EQ(idle.next_park_ns(), 200);
  idle.idle(0);
  idle.idle(0);
  EXPECT_EQ(idle.next_park_ns(), 800);
  idle.idle(0);
  EXPECT_EQ(idle.next_park_ns(), 1000) << "capped";
  idle.idle(0);
  EXPECT_EQ(idle.next_park_ns(), 1000);
  idle.idle(1);
  EXPECT_EQ(idle.next_park_ns(), 100) << "work resets the back-off";
}

// Fused topology: two stages joined by a ring run on one thread in order each cycle.
class SourceStage final : public Agent {
 public:
  SourceStage(SpscRing<std::uint64_t>& out, std::uint64_t total) : out_(out), total_(total) {}
  int do_work() override {
    int n = 0;
    while (next_ <= total_ && n < 8 && out_.try_push(next_)) {
      ++next_;
      ++n;
    }
    return n;
  }
  std::string_view name() const noexcept override { return "source"; }

 private:
  SpscRing<std::uint64_t>& out_;
  std::uint64_t total_;
  std::uint64_t next_ = 1;
};

class SinkStage final : public Agent {
 public:
  SinkStage(SpscRing<std::uint64_t>& in, std::uint64_t total) : in_(in), total_(total) {}
  void on_close() override { closed.fetch_add(1); }
  int do_work() override {
    int n = 0;
    for (std::uint64_t v; in_.try_pop(v); ++n) {
      in_order &= (v == ++count_);
      sum_ += v;
    }
    if (count_ == total_ && !done.load()) {
      done.store(true);
      done.notify_all();
    }
    return n;
  }
  std::string_view name() const noexcept override { return "sink"; }
  std::uint64_t sum() const { return sum_; }

  std::atomic<bool> done{false};
  std::atomic<int> closed{0};
  bool in_order = true;

 private:
  SpscRing<std::uint64_t>& in_;
  std::uint64_t total_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
};

TEST(CompositeAgent, shouldRunStagesInOrderOnOneThreadAsTheFusedTopology) {
  constexpr std::uint64_t kTotal = 100'000;
  SpscRing<std::uint64_t> ring(16);
  SourceStage source(ring, kTotal);
  SinkStage sink(ring, kTotal);
  CompositeAgent fused({&source, &sink});
  EXPECT_EQ(fused.name(), "fused[source+sink]");
  AgentRunner<CompositeAgent, BackoffIdle> runner(fused);
  ASSERT_TRUE(runner.start().has_value());
  while (!sink.done.load())
    sink.done.wait(false);
  runner.stop();
  EXPECT_TRUE(sink.in_order);
  EXPECT_EQ(sink.sum(), kTotal * (kTotal + 1) / 2);
  EXPECT_EQ(sink.closed.load(), 1);
}

TEST(CompositeAgent, shouldCloseOnlyTheAgentsThatStartedWhenOneFailsToStart) {
  CountingAgent first("first");
  CountingAgent second("second");
  second.throw_on_start = true;
  CountingAgent third("third");
  CompositeAgent fused({&first, &second, &third});
  AgentRunner<> runner(fused);
  auto started = runner.start();
  ASSERT_FALSE(started.has_value());
  EXPECT_NE(started.error().find("start refused"), std::string::npos) << started.error();
  EXPECT_EQ(first.closes.load(), 1);
  EXPECT_EQ(second.closes.load(), 0) << "its on_start did not complete";
  EXPECT_EQ(third.starts.load(), 0);
  EXPECT_EQ(third.closes.load(), 0);
}

TEST(CompositeAgent, shouldRejectEmptyOrNullAgentLists) {
  EXPECT_THROW(CompositeAgent({}), std::invalid_argument);
  CountingAgent a;
  EXPECT_THROW(CompositeAgent({&a, nullptr}), std::invalid_argument);
}

}  // namespace
}  // namespace be
