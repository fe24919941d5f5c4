// Helpers for the condition tests: bars, definitions, a sink that records triggers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/event.hpp"
#include "strategies/conditions/engine.hpp"

namespace be::cond::test {

inline constexpr int kScale = 8;
inline constexpr std::int64_t kOne = 100'000'000;  // 1.0 at scale 8
inline constexpr Nanos kMinute = 60'000'000'000LL;

inline Bar make_bar(std::uint32_t instrument, std::uint32_t tf, Nanos open_time, double close) {
  Bar b;
  b.instrument = InstrumentId{instrument};
  b.interval_seconds = tf;
  b.open_time = open_time;
  const auto c = static_cast<std::int64_t>(close * static_cast<double>(kOne));
  b.open = c;
  b.close = c;
  b.high = c + kOne / 10;
  b.low = c - kOne / 10;
  b.volume = 5 * kOne;
  b.closed = 1;
  return b;
}

inline ConditionDef indicator_vs(std::uint32_t instrument, std::uint32_t tf,
                                 const std::string& spec, Op op, Operand rhs,
                                 const std::string& output = "") {
  ConditionDef d;
  d.instrument = InstrumentId{instrument};
  d.timeframe_seconds = tf;
  d.lhs = *indicator_operand(spec, output);
  d.op = op;
  d.rhs = std::move(rhs);
  return d;
}

inline Operand close_price() {
  Operand o;
  o.kind = OperandKind::kClose;
  return o;
}

class RecordingSink final : public TriggerSink {
 public:
  explicit RecordingSink(std::size_t capacity = 1 << 16) { triggers.reserve(capacity); }
  void on_trigger(const Trigger& t) noexcept override {
    if (triggers.size() < triggers.capacity()) triggers.push_back(t);
  }
  std::vector<Trigger> triggers;
};

inline bool same(const Trigger& a, const Trigger& b) {
  return a.condition == b.condition && a.subscription == b.subscription && a.bot == b.bot &&
         a.instrument == b.instrument && a.timeframe_seconds == b.timeframe_seconds &&
         a.bar_open_time == b.bar_open_time && a.lhs == b.lhs && a.rhs == b.rhs;
}

inline std::string describe(const Trigger& t) {
  return "cond " + std::to_string(t.condition) + " sub " + std::to_string(t.subscription) +
         " bot " + std::to_string(index_of(t.bot)) + " instr " +
         std::to_string(index_of(t.instrument)) + " tf " + std::to_string(t.timeframe_seconds) +
         " t " + std::to_string(t.bar_open_time) + " lhs " + std::to_string(t.lhs) + " rhs " +
         std::to_string(t.rhs);
}

}  // namespace be::cond::test
