#include "core/agent.hpp"

#include <algorithm>
#include <stdexcept>

namespace be {

CompositeAgent::CompositeAgent(std::vector<Agent*> agents) : agents_(std::move(agents)) {
  if (agents_.empty()) throw std::invalid_argument("CompositeAgent needs at least one agent");
  name_ = "fused[";
  for (std::size_t i = 0; i < agents_.size(); ++i) {
    if (agents_[i] == nullptr) {
      throw std::invalid_argument("CompositeAgent agent #" + std::to_string(i) + " is null");
    }
    if (i != 0) name_ += '+';
    name_ += agents_[i]->name();
  }
  name_ += ']';
}

void CompositeAgent::on_start() {
  // started_ counts only agents whose on_start returned, so on_close never closes an agent
  // that was not started.
  for (started_ = 0; started_ < agents_.size(); ++started_)
    agents_[started_]->on_start();
}

void CompositeAgent::on_close() {
  std::exception_ptr first;
  for (std::size_t i = 0; i < started_; ++i) {
    try {
      agents_[i]->on_close();
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  started_ = 0;
  if (first) std::rethrow_exception(first);
}

const char* validate(const BackoffConfig& cfg) noexcept {
  if (cfg.min_park_ns <= 0) return "backoff min_park_ns must be > 0";
  if (cfg.max_park_ns < cfg.min_park_ns) return "backoff max_park_ns must be >= min_park_ns";
  if (cfg.max_park_ns > 1'000'000'000) {
    return "backoff max_park_ns must be <= 1 s (it bounds how long stop() can take)";
  }
  return nullptr;
}

Expected<AnyIdleStrategy, std::string> AnyIdleStrategy::from_config(std::string_view name,
                                                                    const BackoffConfig& backoff) {
  if (name == BusySpinIdle::kName) return AnyIdleStrategy(BusySpinIdle{});
  if (name == YieldIdle::kName) return AnyIdleStrategy(YieldIdle{});
  if (name == BackoffIdle::kName) {
    if (const char* bad = validate(backoff)) return Unexpected{std::string(bad)};
    return AnyIdleStrategy(BackoffIdle(backoff));
  }
  return Unexpected{"unknown idle strategy '" + std::string(name) +
                    "' (expected busy_spin, yield or backoff)"};
}

}  // namespace be
