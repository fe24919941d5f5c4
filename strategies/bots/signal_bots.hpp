// The indicator signal bots: each is one `IndicatorBot<Rule>`, a SignalBot (see signal_bot.hpp
// for sizing and orders) whose rule says which indicators it feeds, which series it watches
// cross and what a crossing means. docs/BOTS.md has each one's parameters and exact rules.
//
// A rule is a struct with
//   struct Params { ... };                  defaults are the documented ones
//   static constexpr std::string_view kTypeName;
//   static bool read(config::ObjectReader&, Params&);   false (errors added) when bad
//   explicit Rule(const Params&);           sizes its indicators
//   Signal evaluate(const Bar&, bool long_position, const InstrumentInfo&, Crossing&);
//   static auto indicators(auto& rule);     std::tie of its indicators, in snapshot order
// so everything a bot type repeats (construction, config, snapshot, the crossing memory)
// is written once here.
#pragma once

#include <memory>
#include <string_view>
#include <tuple>

#include "strategies/bots/signal_bot.hpp"
#include "strategies/indicators/bollinger.hpp"
#include "strategies/indicators/macd.hpp"
#include "strategies/indicators/moving_average.hpp"
#include "strategies/indicators/oscillators.hpp"

namespace be::bots {

template <class Rule>
class IndicatorBot final : public SignalBot {
 public:
  using Params = typename Rule::Params;

  IndicatorBot(const BotSetup& setup, const OrderSizing& sizing, const Params& params)
      : SignalBot(setup, sizing), rule_(params) {}

  static std::unique_ptr<Bot> create(const BotSetup& setup, config::ObjectReader& params) {
    OrderSizing sizing;
    const bool sizing_ok = OrderSizing::read(params, setup.instrument, sizing);
    Params rule_params;
    const bool rule_ok = Rule::read(params, rule_params);
    return sizing_ok && rule_ok ? std::make_unique<IndicatorBot>(setup, sizing, rule_params)
                                : nullptr;
  }
  std::string_view type_name() const noexcept override { return Rule::kTypeName; }

 protected:
  Signal evaluate(const Bar& bar, bool long_position) override {
    return rule_.evaluate(bar, long_position, info(), crossing_);
  }
  // The rule's indicators, then the crossing memory (f64, bool).
  void save_signal_fields(state_io::Writer& w) const override {
    std::apply([&](const auto&... indicator) { (save_indicator(w, indicator), ...); },
               Rule::indicators(rule_));
    crossing_.save(w);
  }
  bool load_signal_fields(state_io::Reader& r) override {
    const bool loaded =
        std::apply([&](auto&... indicator) { return (load_indicator(r, indicator) && ...); },
                   Rule::indicators(rule_));
    return loaded && crossing_.load(r);
  }

 private:
  Rule rule_;
  Crossing crossing_;
};

// One indicator against two levels (RSI, momentum): entry when its value crosses the entry
// level one way, exit when it crosses the exit level (the Spec says which way each goes).
struct Level {
  std::string_view key;  // the config parameter
  double fallback, min, max;
  bool (*crosses)(double previous, double current, double level) noexcept;
};
struct LevelParams {
  int period;
  double entry, exit;
};

template <class Spec>
struct LevelCrossRule {
  struct Params : LevelParams {
    Params() : LevelParams{Spec::kPeriod, Spec::kEntry.fallback, Spec::kExit.fallback} {}
  };
  static constexpr std::string_view kTypeName = Spec::kTypeName;

  static bool read(config::ObjectReader& p, Params& params) {
    const bool period_ok = read_optional(p, "period", Spec::kMinPeriod, 1000, params.period);
    const bool entry_ok =
        read_optional(p, Spec::kEntry.key, Spec::kEntry.min, Spec::kEntry.max, params.entry);
    const bool exit_ok =
        read_optional(p, Spec::kExit.key, Spec::kExit.min, Spec::kExit.max, params.exit);
    return Spec::check_levels(p, params, entry_ok, exit_ok) && period_ok && entry_ok && exit_ok;
  }
  explicit LevelCrossRule(const Params& params) : params_(params), indicator_(params.period) {}

  SignalBot::Signal evaluate(const Bar& bar, bool /*long_position*/, const InstrumentInfo& info,
                             Crossing& crossing) {
    if (!indicator_.update(bar, info.price_scale, info.qty_scale)) return SignalBot::Signal::kNone;
    return crossing.next(indicator_.value(), [&](double previous, double value) {
      SignalBot::Signal signal = SignalBot::Signal::kNone;
      if (Spec::kEntry.crosses(previous, value, params_.entry)) signal = SignalBot::Signal::kEntry;
      if (Spec::kExit.crosses(previous, value, params_.exit)) signal = SignalBot::Signal::kExit;
      return signal;
    });
  }
  static auto indicators(auto& rule) { return std::tie(rule.indicator_); }

  Params params_;
  typename Spec::Indicator indicator_;
};

// Buy when RSI crosses below `oversold`; sell when it crosses above `overbought`.
struct RsiLevels {
  using Indicator = ta::Rsi;
  static constexpr std::string_view kTypeName = "rsi";
  static constexpr int kPeriod = 14, kMinPeriod = 2;
  static constexpr Level kEntry{"oversold", 30, 0, 100, &crosses_below};
  static constexpr Level kExit{"overbought", 70, 0, 100, &crosses_above};
  static bool check_levels(config::ObjectReader& p, const LevelParams& params, bool entry_ok,
                           bool exit_ok);
};

// Buy when ROC crosses above `entry_pct`; sell when it crosses below `exit_pct`.
struct MomentumLevels {
  using Indicator = ta::Roc;
  static constexpr std::string_view kTypeName = "momentum";
  static constexpr int kPeriod = 10, kMinPeriod = 1;
  static constexpr Level kEntry{"entry_pct", 0, -100, 1000, &crosses_above};
  static constexpr Level kExit{"exit_pct", 0, -100, 1000, &crosses_below};
  static bool check_levels(config::ObjectReader& p, const LevelParams& params, bool entry_ok,
                           bool exit_ok);
};

// Buy when the fast average crosses above the slow one; sell when it crosses below.
struct MaCrossRule {
  struct Params {
    bool exponential = false;
    int fast = 9;
    int slow = 21;
  };
  static constexpr std::string_view kTypeName = "ma_cross";
  static bool read(config::ObjectReader& p, Params& params);
  explicit MaCrossRule(const Params& params)
      : params_(params),
        fast_sma_(params.fast),
        slow_sma_(params.slow),
        fast_ema_(params.fast),
        slow_ema_(params.slow) {}
  SignalBot::Signal evaluate(const Bar& bar, bool long_position, const InstrumentInfo& info,
                             Crossing& crossing);
  static auto indicators(auto& rule) {
    return std::tie(rule.fast_sma_, rule.slow_sma_, rule.fast_ema_, rule.slow_ema_);
  }

  // Both kinds are kept so the type stays fixed; only the configured pair is fed.
  Params params_;
  ta::Sma fast_sma_, slow_sma_;
  ta::Ema fast_ema_, slow_ema_;
};

// Buy when MACD crosses above its signal line while the close is below the middle band;
// sell when the close rises above the upper band or MACD crosses below its signal.
struct MacdBollingerRule {
  struct Params {
    int fast = 12, slow = 26, signal = 9;
    int bb_period = 20;
    double bb_dev = 2.0;
  };
  static constexpr std::string_view kTypeName = "macd_bollinger";
  static bool read(config::ObjectReader& p, Params& params);
  explicit MacdBollingerRule(const Params& params)
      : macd_(params.fast, params.slow, params.signal),
        bands_(params.bb_period, params.bb_dev, params.bb_dev) {}
  SignalBot::Signal evaluate(const Bar& bar, bool long_position, const InstrumentInfo& info,
                             Crossing& crossing);
  static auto indicators(auto& rule) { return std::tie(rule.macd_, rule.bands_); }

  ta::Macd macd_;
  ta::Bollinger bands_;
};

using RsiBot = IndicatorBot<LevelCrossRule<RsiLevels>>;
using MaCrossBot = IndicatorBot<MaCrossRule>;
using MomentumBot = IndicatorBot<LevelCrossRule<MomentumLevels>>;
using MacdBollingerBot = IndicatorBot<MacdBollingerRule>;

}  // namespace be::bots
