// A condition: "indicator output <operator> value" on one symbol and timeframe, e.g.
//   rsi:14 crosses_below 30 on BTCUSDT 15m,   ema:9 crosses_above ema:21,   bbands:20 (lower)
//   above close.
// This file holds the definition, its canonical form and hash, and the config reader; the
// shared evaluation lives in engine.hpp.
//
// Canonical form (docs/CONDITIONS.md): one line of text that is equal for equal conditions
// however they were written, and different otherwise:
//
//   <instrument id>/<timeframe seconds>s <lhs> <operator> <rhs>
//   lhs, rhs:  <indicator>.<output>   every parameter spelled out, e.g. macd:12:26:9.signal,
//                                     bbands:20:2:2.lower, rsi:14.value
//              <number>               shortest decimal that reads back to the same double:
//                                     30, 30.0 and 3e1 are all "30"
//              close | open | high | low   the closed bar's own price
//   e.g. "7/900s rsi:14.value crosses_below 30"
//
// So "macd", "macd:12:26:9" and "macd:26:12:9" (TA-Lib swaps fast and slow) are one MACD,
// "bbands:20" is "bbands:20:2:2", and the output defaults to the indicator's first.
// condition_hash() is FNV-1a 64 of that text; the engine keys on the text itself, so a hash
// collision can never merge two different conditions.
//
// Thread-safety: pure functions and values. Allocation: yes (off the hot path).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/ids.hpp"
#include "core/json_config.hpp"
#include "strategies/indicators/indicator.hpp"

namespace be::cond {

enum class Op : std::uint8_t {
  kAbove = 1,         // level: true on every bar where lhs > rhs
  kBelow = 2,         // level: true on every bar where lhs < rhs
  kCrossesAbove = 3,  // edge: previous lhs <= previous rhs and lhs > rhs
  kCrossesBelow = 4,  // edge: previous lhs >= previous rhs and lhs < rhs
};
std::string_view to_string(Op op) noexcept;

enum class OperandKind : std::uint8_t {
  kConstant = 1,
  kIndicator = 2,
  kClose = 3,
  kOpen = 4,
  kHigh = 5,
  kLow = 6,
};

struct Operand {
  OperandKind kind = OperandKind::kConstant;
  double constant = 0;      // kConstant
  ta::IndicatorSpec spec;   // kIndicator; spec.text is the canonical spec
  std::uint8_t output = 0;  // kIndicator: index into the indicator's outputs

  static Operand number(double v) {
    Operand o;
    o.kind = OperandKind::kConstant;
    o.constant = v;
    return o;
  }
};

struct ConditionDef {
  InstrumentId instrument{};
  std::uint32_t timeframe_seconds = 60;
  Operand lhs;  // an indicator or a bar price, never a constant
  Op op = Op::kAbove;
  Operand rhs;
};

// Builds an indicator operand from a spec string and an output name ("" = the first output).
Expected<Operand, std::string> indicator_operand(std::string_view spec,
                                                 std::string_view output = {});

// The indicator's spec with every parameter spelled out: "macd:12:26:9", "bbands:20:2:2".
std::string canonical_spec(const ta::IndicatorSpec& spec);
// Shortest round-trip decimal.
std::string canonical_number(double v);

// Checks a definition built in code (the config reader only produces valid ones): lhs not a
// constant, outputs in range, constants finite, timeframe > 0. Returns what is wrong.
std::optional<std::string> validate(const ConditionDef& def);

// Precondition: validate(def) is nullopt.
std::string canonical_text(const ConditionDef& def);
std::uint64_t condition_hash(std::string_view canonical) noexcept;

// ---- Config ---------------------------------------------------------------------------------
//
//   {"indicator": "rsi:14", "output": "value", "symbol": "BTCUSDT", "timeframe": "15m",
//    "operator": "crosses_below", "value": 30}
//   value: a number | "close" | "open" | "high" | "low" | {"indicator": "ema:21", "output": ..}
// symbol and timeframe may be left out when the caller supplies defaults (a bot's own).

struct ConditionContext {
  // Resolves a symbol to its instrument; nullopt when unknown.
  std::function<std::optional<InstrumentId>(std::string_view symbol)> resolve;
  std::optional<InstrumentId> default_instrument;
  std::optional<std::uint32_t> default_timeframe_seconds;
};

// Adds a FieldError under `path` for every bad or unknown field; nullopt when any was bad.
std::optional<ConditionDef> read_condition(const config::Value& object, const std::string& path,
                                           const ConditionContext& context,
                                           std::vector<config::FieldError>& errors);
Expected<ConditionDef, std::vector<config::FieldError>> parse_condition(
    std::string_view json, const ConditionContext& context);

}  // namespace be::cond
