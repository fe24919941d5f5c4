// One type for "any indicator named by a spec string", for tools and configs that pick
// indicators at run time (`botengine ta --indicator macd:12:26:9`, later the bots' configs).
//
// Spec grammar: NAME[:P1[:P2[:P3]]], parameters in TA-Lib's order and range:
//   sma:N  ema:N  rsi:N  atr:N  roc:N  mom:N  vsma:N (SMA of volume)   N in TA-Lib's range
//   macd[:FAST:SLOW:SIGNAL]      default 12:26:9 (all three or none)
//   bbands:N[:DEVUP[:DEVDOWN]]   default deviations 2 (population standard deviation)
//   stoch[:FASTK:SLOWK:SLOWD]    default 5:3:3, SMA smoothing (all three or none)
//   vwap:N                       rolling over N bars; vwap:0 cumulative since reset
// Outputs (column suffixes): macd -> macd, signal, hist; bbands -> upper, middle, lower;
// stoch -> k, d; every other indicator has one output.
//
// Thread-safety: none (one owner). update() is O(1) and allocation-free: the variant holds
// the indicator by value and its windows were allocated by the constructor.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/event.hpp"
#include "core/expected.hpp"
#include "core/state_io.hpp"
#include "strategies/indicators/atr.hpp"
#include "strategies/indicators/bollinger.hpp"
#include "strategies/indicators/macd.hpp"
#include "strategies/indicators/moving_average.hpp"
#include "strategies/indicators/oscillators.hpp"
#include "strategies/indicators/state.hpp"
#include "strategies/indicators/vwap.hpp"

namespace be::ta {

struct IndicatorSpec {
  IndicatorKind kind = IndicatorKind::kSma;
  std::array<double, 3> params{};  // integers for periods; doubles for band deviations
  std::string text;                // the spec as given, for messages
};

struct SpecError {
  std::string message;  // names the spec and the bad part, e.g. "rsi:0: period 0 is ..."
};

// Parses a spec; every error names the bad spec and what is wrong with it.
Expected<IndicatorSpec, SpecError> parse_indicator_spec(std::string_view text);

// A kind's spec name ("sma", "bbands", ...), how many parameters its full spelling shows
// (macd, bbands and stoch 3, the others 1) and its output labels ("macd", "signal", "hist" /
// "upper", "middle", "lower" / "k", "d" / "value" for every one-output indicator).
std::string_view indicator_name(IndicatorKind kind) noexcept;
int parameter_count(IndicatorKind kind) noexcept;
std::span<const std::string_view> output_labels(IndicatorKind kind) noexcept;

// Output column names: "rsi_14", or "macd_12_26_9_macd", "macd_12_26_9_signal", ...
std::vector<std::string> output_names(const IndicatorSpec& spec);

class AnyIndicator {
 public:
  explicit AnyIndicator(const IndicatorSpec& spec);

  // Feeds one bar: closes for single-input indicators, high/low/close for ATR and the
  // stochastic, typical price and volume for VWAP, volume for vsma.
  bool update(const Bar& bar, int price_scale, int qty_scale) noexcept {
    return std::visit([&](auto& i) { return i.update(bar, price_scale, qty_scale); }, impl_);
  }
  bool ready() const noexcept {
    return std::visit([](const auto& i) { return i.ready(); }, impl_);
  }
  int lookback() const noexcept {
    return std::visit([](const auto& i) { return i.lookback(); }, impl_);
  }
  void reset() noexcept {
    std::visit([](auto& i) { i.reset(); }, impl_);
  }
  std::size_t output_count() const noexcept { return output_count_; }
  // Output i (0-based, in output_names order). Meaningful only when ready().
  double output(std::size_t i) const noexcept;

  std::uint64_t state_hash() const noexcept {
    return std::visit([](const auto& i) { return i.state_hash(); }, impl_);
  }
  std::size_t state_size() const noexcept {
    return std::visit([](const auto& i) { return i.state_size(); }, impl_);
  }
  std::size_t save(std::span<std::byte> out) const noexcept {
    return std::visit([&](const auto& i) { return i.save(out); }, impl_);
  }
  StateError restore(std::span<const std::byte> in) {
    return std::visit([&](auto& i) { return i.restore(in); }, impl_);
  }

 private:
  using Impl =
      std::variant<Sma, Ema, Rsi, Macd, Bollinger, Atr, Roc, Momentum, VolumeSma, Stoch, Vwap>;
  static Impl make(const IndicatorSpec& spec);

  Impl impl_;
  std::size_t output_count_;
};

// A bot's own indicators in its snapshot (script and plugin bots): their count, then each
// one's state. load_states refuses another count or a state that does not restore, so a bot
// whose config now makes other indicators starts afresh instead of misreading them.
void save_states(const std::vector<AnyIndicator>& indicators, state_io::Writer& w);
bool load_states(std::vector<AnyIndicator>& indicators, state_io::Reader& r);

}  // namespace be::ta
