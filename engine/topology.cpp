// The engine's threads, each an agent on a core::AgentRunner: the sequencer ("be-seq"), and in
// the pipelined topology the risk ("be-risk") and orders ("be-orders") stage threads; the
// publisher ("be-publish") is in publisher.cpp, the shadow replica ("be-replica") in
// replica.cpp.
//
// Fused: the sequencer applies each input whole. Pipelined: it runs the strategy phase and
// hands the batch on; the risk and orders threads each own their stage, and never stop: the
// read model and the snapshots come from the replica's fold. The sequencer applies inputs
// itself only before the stage threads start (the reconcile) and after they exit (the
// shutdown).
//
// Each runs on the CPUs the process's placement plan gives its role (core/thread_placement.hpp,
// docs/CONFIG.md "threads"); a thread whose CPUs cannot be had runs unpinned and says so (the
// placement reporter, health, metrics). An exception escaping any of them halts the engine
// (Impl::halt): every wait below gives up once the engine is halted, so the other threads stop
// instead of waiting for a dead one.
#include <stdexcept>
#include <thread>

#include "engine/engine_impl.hpp"

namespace be::engine {

namespace {

// A short wait inside a step (a slot to come back, the stages to park): spin, then yield.
void spin_wait(unsigned spins) noexcept {
  if (spins < 256) {
    cpu_relax();
  } else {
    std::this_thread::yield();
  }
}

bool pipelined(const EngineConfig& config) noexcept {
  return config.topology == Topology::kPipelined;
}

}  // namespace

Expected<AnyIdleStrategy, std::string> idle_strategy(std::string_view name) {
  if (name == "spin") return AnyIdleStrategy(BusySpinIdle{});
  if (name == "yield") return AnyIdleStrategy(YieldIdle{});
  if (name == "backoff") {
    // Yield a while, then park from 50 us up to 500 us: bounded so the clock tick and the
    // publisher keep their cadence.
    return AnyIdleStrategy(BackoffIdle(BackoffConfig{
        .max_spins = 0, .max_yields = 64, .min_park_ns = 50'000, .max_park_ns = 500'000}));
  }
  return Unexpected("unknown idle strategy '" + std::string(name) +
                    "' (expected spin, yield or backoff)");
}

// ---- Starting and stopping -------------------------------------------------------------------

template <class A>
std::unique_ptr<AgentRunner<A>> Engine::Impl::make_runner(A& agent, ThreadRole role,
                                                          AnyIdleStrategy idle_strategy) {
  auto runner = std::make_unique<AgentRunner<A>>(agent, std::move(idle_strategy), thread_cpus(role),
                                                 PinPolicy::kBestEffort);
  runner->set_failure_handler([this](const std::string& error) { halt(error); });
  return runner;
}

namespace {
template <class A>
Expected<bool, std::string> start_runner(AgentRunner<A>& runner) {
  auto started = runner.start();
  if (!started) return Unexpected(started.error());
  return true;
}
}  // namespace

Expected<bool, std::string> Engine::Impl::start_threads() {
  // The replica first: it follows from the first record the sequencer journals. It sleeps
  // briefly when there is nothing to follow (records wait in its ring meanwhile).
  replica_runner = make_runner(
      replica_agent, ThreadRole::kReplica,
      AnyIdleStrategy(BackoffIdle(BackoffConfig{
          .max_spins = 0, .max_yields = 16, .min_park_ns = 50'000, .max_park_ns = 200'000})));
  if (auto started = start_runner(*replica_runner); !started) return started;
  sequencer = make_runner(sequencer_agent, ThreadRole::kPipeline, idle);
  if (auto started = start_runner(*sequencer); !started) return started;
  // The publisher sleeps in 5 ms slices when there is nothing to stream: a screen needs no
  // faster, and it must not take a core from the stages.
  publisher = make_runner(
      publisher_agent, ThreadRole::kPublisher,
      AnyIdleStrategy(BackoffIdle(BackoffConfig{
          .max_spins = 0, .max_yields = 0, .min_park_ns = 5'000'000, .max_park_ns = 5'000'000})));
  return start_runner(*publisher);
}

void Engine::Impl::stop_threads() noexcept {
  stop_requested.store(true, std::memory_order_release);
  if (sequencer) {
    sequencer->wait_until_stopped();  // drained, or halted
    sequencer->stop();                // its on_close (the shutdown) has run once this returns
  }
  if (replica_runner) {
    replica.drain.store(true, std::memory_order_release);  // the shutdown's records, then close
    replica_runner->wait_until_stopped();
    replica_runner->stop();  // its on_close: the last read model and snapshot
  }
  if (publisher) publisher->stop();
}

// On the sequencer's thread, after the start-up reconcile (the stages must not touch the fold
// before it).
void Engine::Impl::start_stage_threads() {
  for (std::uint32_t i = 0; i < kSlots; ++i)
    free_slots.try_push(i);  // before the consumer thread exists
  risk_runner = make_runner(risk_agent, ThreadRole::kRisk, idle);
  if (auto started = start_runner(*risk_runner); !started)
    throw std::runtime_error(started.error());
  orders_runner = make_runner(orders_agent, ThreadRole::kOrders, idle);
  if (auto started = start_runner(*orders_runner); !started)
    throw std::runtime_error(started.error());
}

void Engine::Impl::stop_stage_threads() noexcept {
  if (risk_runner) risk_runner->stop();
  if (orders_runner) orders_runner->stop();
}

// ---- The sequencer ---------------------------------------------------------------------------

void SequencerAgent::on_start() {
  // Orders in flight at the crash (or never answered) are unknown until the venue says.
  im.recovery_reconcile();
  if (pipelined(im.config)) im.start_stage_threads();
  im.next_tick = wall_now();
}

int SequencerAgent::do_work() {
  if (im.is_halted()) {
    done = true;
    return 0;
  }
  const bool staged = pipelined(im.config);
  const bool stopping = im.stop_requested.load(std::memory_order_acquire);
  const std::size_t n = im.take_inputs(std::span(batch));
  for (std::size_t i = 0; i < n; ++i) {
    if (!staged) {
      im.apply_input(batch[i]);
    } else if (!im.hand_on(batch[i])) {
      done = true;  // halted
      return 0;
    }
  }
  // The polled feeds after the queues: their frames are parsed and folded right here, one
  // event at a time (hot_ingest.cpp); when stopping, each ends its connection instead.
  std::size_t polled = 0;
  if (!stopping) {
    polled = im.poll_feeds();
  } else if (!feeds_closed) {
    feeds_closed = true;
    polled = im.close_polled_feeds();
  }
  const Nanos now = wall_now();
  if (now >= im.next_tick) {
    const InputItem tick{im.clock_tick(now), 0};
    if (!staged) {
      im.apply_input(tick);
    } else if (!im.hand_on(tick)) {
      done = true;
      return 0;
    }
    im.next_tick = now + im.config.tick_interval;
  }
  if (!staged) im.release_durable();  // pipelined: the orders stage does
  im.loops.fetch_add(1, std::memory_order_release);
  if (stopping && n + polled == 0) done = true;
  return static_cast<int>(n + polled);
}

// After a drained stop: the shutdown input (the replica then publishes and snapshots the
// end). After a halt: the reason published, nothing more applied or journaled.
void SequencerAgent::on_close() {
  if (pipelined(im.config)) {
    if (!im.is_halted()) im.wait_completed();
    im.stop_stage_threads();
  }
  if (im.is_halted()) {
    im.publish_halted();
    return;
  }
  im.shutdown_fold();
}

bool Engine::Impl::hand_on(const InputItem& item) {
  std::uint32_t index = 0;
  for (unsigned spins = 0; !free_slots.try_pop(index); ++spins) {
    if (is_halted()) return false;
    spin_wait(spins);  // every slot in flight: the stages set the pace
  }
  Slot& slot = *slots[index];
  sequence_step(item, slot);
  // Never full: kSlots slots and a ring of kSlots.
  while (!to_risk.try_push(index))
    cpu_relax();
  return true;
}

bool Engine::Impl::wait_completed() {
  const SequenceNumber target = ordinal;
  for (unsigned spins = 0; self.applied_.load(std::memory_order_acquire) < target; ++spins) {
    if (is_halted()) return false;
    spin_wait(spins);
  }
  return true;
}

// ---- The pipelined stage threads ---------------------------------------------------------------
// Take a slot from the input ring, run the step, hand the slot on (never full: kSlots slots,
// rings of kSlots). Durable mode: the orders stage watches the watermark between inputs and
// when idle.

int StageAgent::do_work() {
  SpscRing<std::uint32_t>& in = orders ? im.to_orders : im.to_risk;
  SpscRing<std::uint32_t>& out = orders ? im.free_slots : im.to_orders;
  std::uint32_t index = 0;
  if (in.try_pop(index)) {
    Engine::Impl::Slot& slot = *im.slots[index];
    if (orders) {
      im.orders_step(slot);
      im.release_durable();
    } else {
      im.risk_step(slot);
    }
    while (!out.try_push(index))
      cpu_relax();
    return 1;
  }
  if (orders) im.release_durable();
  return 0;
}

// ---- Start-up and shutdown inputs --------------------------------------------------------------

// Orders in flight at a crash (or never answered) are unknown until the venue says: a
// journaled reconcile input (see kReconcileTimer), so replays reconcile alike.
void Engine::Impl::recovery_reconcile() {
  Timer t;
  t.owner = kNoBot;
  t.timer_id = kReconcileTimer;
  const Nanos now = wall_now();
  t.deadline = now;
  apply_input(InputItem{Event::make(t, now, now), 0});
}

void Engine::Impl::shutdown_fold() {
  // Journaled like any command, so a replay ends the same way.
  OperatorCommand c;
  c.kind = OperatorCommandKind::kShutdown;
  const Nanos now = wall_now();
  if (config.cancel_open_orders_on_shutdown) {
    apply_input(InputItem{Event::make(c, now, now), 0});
    // Drain what the shutdown produced (cancels answered by the paper venue; durable: once
    // the journal holds them, bounded by 5 s).
    const Nanos deadline = wall_now() + 5'000'000'000;
    std::array<InputItem, 256> batch;
    for (int round = 0; round < 4; ++round) {
      while (fold_holds_sends() && writer && !pending_probes.empty() &&
             writer->durable() < pending_probes.back().position && wall_now() < deadline) {
        std::this_thread::yield();
      }
      release_durable();
      const std::size_t n = take_inputs(std::span(batch));
      for (std::size_t i = 0; i < n; ++i)
        apply_input(batch[i]);
    }
  }
}

}  // namespace be::engine
