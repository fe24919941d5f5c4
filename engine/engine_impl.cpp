// Engine::Impl's construction, its intake rings, the paper venue's answers, and halting the
// engine when an exception escapes one of its threads.
#include <cstdio>
#include <stdexcept>

#include "core/log.hpp"
#include "engine/engine_impl.hpp"

namespace be::engine {

Engine::Impl::Impl(Engine& engine, EngineConfig cfg)
    : self(engine),
      config(std::move(cfg)),
      instruments(config.instruments),
      ingress(config.ingress_capacity, 16 + config.venues.size()),
      starting_balances(paper_balances(config, instruments)),
      fold(fold_config(config, starting_balances), *this),
      direct(fold.make_batch()),
      price_streamed_at(config.instruments.size(), std::numeric_limits<Nanos>::min() / 2) {
  if (config.topology == Topology::kPipelined) {
    for (std::uint32_t i = 0; i < kSlots; ++i)
      slots.push_back(std::make_unique<Slot>(fold.make_batch()));
  }
  for (std::size_t i = 0; i < instruments.size(); ++i) {
    const InstrumentDefined& d = instruments.definition(i);
    validation_instruments.push_back(bots::InstrumentInfo{.id = d.instrument,
                                                          .price_scale = d.price_scale,
                                                          .qty_scale = d.qty_scale,
                                                          .tick_size = d.tick_size,
                                                          .step_size = d.step_size,
                                                          .min_notional = d.min_notional});
  }
  for (std::size_t v = 0; v < config.venues.size(); ++v) {
    auto table = std::make_unique<feed::SymbolTable>(feed::UnknownSymbolPolicy::kReject);
    // Instrument ids are the deployment's (the index in config.instruments), whichever
    // venue lists the symbol.
    for (std::size_t i = 0; i < config.instruments.size(); ++i) {
      const InstrumentSpec& in = config.instruments[i];
      if (in.venue == config.venues[v].name) {
        table->add(in.symbol, feed::InstrumentScales{in.price_scale, in.qty_scale},
                   InstrumentId{static_cast<std::uint32_t>(i)});
      }
    }
    parsers.push_back(
        std::make_unique<feed::BinanceParser>(VenueId{static_cast<std::uint16_t>(v)}, *table));
    symbols.push_back(std::move(table));
  }
  offer_producers.resize(config.venues.size() + 1);
  make_polled_sinks();
}

// The runners join their threads before the agents and rings they use go away.
Engine::Impl::~Impl() {
  stop_threads();
}

// ---- Intake --------------------------------------------------------------------------------

void Engine::Impl::respond(const OrderUpdate& u, Nanos t, Nanos r) noexcept {
  push_from_pipeline(Event::make(u, t, r != 0 ? r : wall_now()));
}

void Engine::Impl::respond(const BalanceUpdate& b, Nanos t, Nanos r) noexcept {
  push_from_pipeline(Event::make(b, t, r != 0 ? r : wall_now()));
}

void Engine::Impl::connectivity(VenueId v, ConnectivityState s, Nanos t) noexcept {
  Connectivity c;
  c.venue = v;
  c.state = s;
  push_from_pipeline(Event::make(c, t, wall_now()));
}

void Engine::Impl::push_from_pipeline(const Event& e) noexcept {
  if (!feedback.try_push(InputItem{e, 0})) feedback_full.fetch_add(1, std::memory_order_relaxed);
}

std::size_t Engine::Impl::take_inputs(std::span<InputItem> out) noexcept {
  std::size_t n = 0;
  while (n < out.size() && feedback.try_pop(out[n]))
    ++n;
  while (n < out.size() && live_answers.try_pop(out[n]))
    ++n;
  return n + ingress.drain(out.subspan(n));
}

bool Engine::Impl::inputs_waiting() const noexcept {
  return ingress.size_approx() != 0 || !feedback.empty_approx() || !live_answers.empty_approx();
}

// ---- Failure -------------------------------------------------------------------------------

void Engine::Impl::halt(const std::string& reason) noexcept {
  try {
    {
      std::lock_guard lock(problems_mutex);
      if (!halt_reason.empty()) return;  // the first failure is the cause
      halt_reason = reason;
    }
    log::write(log::Level::kError, log::kEngine, "engine halted: " + reason);
  } catch (...) {  // out of memory for the text: the flag below still halts
  }
  halted.store(true, std::memory_order_release);
  self.running_.store(false, std::memory_order_release);  // intake and commands refused
  {
    // Commands waiting for an outcome give up now (submit()).
    std::lock_guard lock(request_mutex);
  }
  request_cv.notify_all();
}

std::string Engine::Impl::failure() const {
  std::lock_guard lock(problems_mutex);
  return halt_reason;
}

void Engine::Impl::throw_injected_fault() {
  fault_stage.store(-1, std::memory_order_relaxed);  // once
  throw std::runtime_error(fault_what);
}

void Engine::inject_stage_fault(EngineStage stage, std::string what) {
  impl_->fault_what = std::move(what);
  impl_->fault_stage.store(static_cast<int>(stage), std::memory_order_release);
}

std::string Engine::failure() const {
  return impl_->failure();
}

}  // namespace be::engine
