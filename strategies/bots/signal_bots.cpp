#include "strategies/bots/signal_bots.hpp"

#include "strategies/indicators/common.hpp"

namespace be::bots {
namespace {

using config::Presence;
using Signal = SignalBot::Signal;

// Both periods read (or defaulted) and still the wrong way round.
bool check_fast_below_slow(config::ObjectReader& p, bool fast_ok, int fast, bool slow_ok,
                           int slow) {
  if (fast >= slow && fast_ok && slow_ok) {
    p.error("fast", "must be shorter than slow");
    return false;
  }
  return true;
}

}  // namespace

// ---- RSI ------------------------------------------------------------------------------------

bool RsiLevels::check_levels(config::ObjectReader& p, const LevelParams& params, bool entry_ok,
                             bool exit_ok) {
  if (params.entry >= params.exit && entry_ok && exit_ok) {
    p.error("oversold", "must be below overbought");
    return false;
  }
  return true;
}

// ---- MA cross --------------------------------------------------------------------------------

bool MaCrossRule::read(config::ObjectReader& p, Params& params) {
  const auto kind = p.string("ma", Presence::kOptional, {"sma", "ema"});
  const bool kind_ok = kind || !p.has("ma");
  const bool fast_ok = read_optional(p, "fast", 2, 1000, params.fast);
  const bool slow_ok = read_optional(p, "slow", 2, 1000, params.slow);
  params.exponential = kind.value_or("sma") == "ema";
  return check_fast_below_slow(p, fast_ok, params.fast, slow_ok, params.slow) && kind_ok &&
         fast_ok && slow_ok;
}

Signal MaCrossRule::evaluate(const Bar& bar, bool /*long_position*/, const InstrumentInfo& info,
                             Crossing& crossing) {
  const int ps = info.price_scale, qs = info.qty_scale;
  bool ready = false;
  double spread = 0;
  if (params_.exponential) {
    fast_ema_.update(bar, ps, qs);
    ready = slow_ema_.update(bar, ps, qs) && fast_ema_.ready();
    spread = fast_ema_.value() - slow_ema_.value();
  } else {
    fast_sma_.update(bar, ps, qs);
    ready = slow_sma_.update(bar, ps, qs) && fast_sma_.ready();
    spread = fast_sma_.value() - slow_sma_.value();
  }
  if (!ready) return Signal::kNone;
  return crossing.next(spread, [](double previous, double current) {
    Signal signal = Signal::kNone;
    if (crosses_above(previous, current, 0)) signal = Signal::kEntry;
    if (crosses_below(previous, current, 0)) signal = Signal::kExit;
    return signal;
  });
}

// ---- Momentum ----------------------------------------------------------------------------------

bool MomentumLevels::check_levels(config::ObjectReader& p, const LevelParams& params,
                                  bool /*entry_ok*/, bool /*exit_ok*/) {
  if (params.exit > params.entry) {
    p.error("exit_pct", "must not be above entry_pct");
    return false;
  }
  return true;
}

// ---- MACD with Bollinger -------------------------------------------------------------------

bool MacdBollingerRule::read(config::ObjectReader& p, Params& params) {
  const bool fast_ok = read_optional(p, "fast", 2, 1000, params.fast);
  const bool slow_ok = read_optional(p, "slow", 2, 1000, params.slow);
  const bool signal_ok = read_optional(p, "signal", 1, 1000, params.signal);
  const bool period_ok = read_optional(p, "bb_period", 2, 1000, params.bb_period);
  const bool dev_ok = read_optional(p, "bb_dev", 0.1, 10.0, params.bb_dev);
  return check_fast_below_slow(p, fast_ok, params.fast, slow_ok, params.slow) && fast_ok &&
         slow_ok && signal_ok && period_ok && dev_ok;
}

Signal MacdBollingerRule::evaluate(const Bar& bar, bool long_position, const InstrumentInfo& info,
                                   Crossing& crossing) {
  const int ps = info.price_scale, qs = info.qty_scale;
  const bool bands_ready = bands_.update(bar, ps, qs);
  const bool macd_ready = macd_.update(bar, ps, qs);
  if (!bands_ready || !macd_ready) return Signal::kNone;
  const double close = ta::to_double(bar.close, ps);
  return crossing.next(macd_.hist(), [&](double previous, double hist) {
    if (long_position && (close > bands_.upper() || crosses_below(previous, hist, 0))) {
      return Signal::kExit;
    }
    if (!long_position && crosses_above(previous, hist, 0) && close < bands_.middle()) {
      return Signal::kEntry;
    }
    return Signal::kNone;
  });
}

}  // namespace be::bots
