#include "core/agent.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <cstring>
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

Expected<std::monostate, std::string> pin_current_thread(int cpu) {
  if (cpu == kNoCpu) return std::monostate{};
  if (cpu < 0 || cpu >= CPU_SETSIZE) {
    return Unexpected{"cannot pin to CPU " + std::to_string(cpu) +
                      ": CPU id must be -1 (none) or in [0, " + std::to_string(CPU_SETSIZE) + ")"};
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (const int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set); rc != 0) {
    return Unexpected{"cannot pin to CPU " + std::to_string(cpu) +
                      ": pthread_setaffinity_np: " + std::strerror(rc) +
                      " (is the CPU online and inside this process's taskset?)"};
  }
  return std::monostate{};
}

bool cpu_allowed(int cpu) noexcept {
  if (cpu < 0 || cpu >= CPU_SETSIZE) return false;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (pthread_getaffinity_np(pthread_self(), sizeof(set), &set) != 0) return false;
  return CPU_ISSET(cpu, &set);
}

void name_current_thread(std::string_view name) noexcept {
  char buf[16] = {};
  std::memcpy(buf, name.data(), std::min(name.size(), sizeof(buf) - 1));
  pthread_setname_np(pthread_self(), buf);  // best effort: a name is a debugging aid only
}

}  // namespace be
