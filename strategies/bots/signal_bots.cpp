#include "strategies/bots/signal_bots.hpp"

namespace be::bots {

using config::Presence;

// ---- RSI ------------------------------------------------------------------------------------

RsiBot::RsiBot(const BotSetup& setup, const OrderSizing& sizing, const Params& params)
    : SignalBot(setup, sizing), params_(params), rsi_(params.period) {}

std::unique_ptr<Bot> RsiBot::create(const BotSetup& setup, config::ObjectReader& p) {
  Params params;
  OrderSizing sizing;
  bool ok = OrderSizing::read(p, setup.instrument, sizing);
  auto period = p.integer("period", Presence::kOptional, 2, 1000);
  auto oversold = p.number("oversold", Presence::kOptional, 0, 100);
  auto overbought = p.number("overbought", Presence::kOptional, 0, 100);
  ok = ok && !(p.has("period") && !period) && !(p.has("oversold") && !oversold) &&
       !(p.has("overbought") && !overbought);
  params.period = static_cast<int>(period.value_or(params.period));
  params.oversold = oversold.value_or(params.oversold);
  params.overbought = overbought.value_or(params.overbought);
  if (params.oversold >= params.overbought && (!p.has("oversold") || oversold) &&
      (!p.has("overbought") || overbought)) {
    p.error("oversold", "must be below overbought");
    ok = false;
  }
  return ok ? std::make_unique<RsiBot>(setup, sizing, params) : nullptr;
}

SignalBot::Signal RsiBot::evaluate(const Bar& bar, bool /*long_position*/) {
  if (!rsi_.update(bar, info().price_scale, info().qty_scale)) return Signal::kNone;
  const double rsi = rsi_.value();
  Signal signal = Signal::kNone;
  if (has_previous_) {
    if (crosses_below(previous_, rsi, params_.oversold)) signal = Signal::kEntry;
    if (crosses_above(previous_, rsi, params_.overbought)) signal = Signal::kExit;
  }
  previous_ = rsi;
  has_previous_ = true;
  return signal;
}

void RsiBot::save_signal_fields(state_io::Writer& w) const {
  save_indicator(w, rsi_);
  w.put(previous_);
  w.put(has_previous_);
}

bool RsiBot::load_signal_fields(state_io::Reader& r) {
  if (!load_indicator(r, rsi_)) return false;
  r.get(previous_);
  r.get(has_previous_);
  return !r.failed();
}

// ---- MA cross --------------------------------------------------------------------------------

MaCrossBot::MaCrossBot(const BotSetup& setup, const OrderSizing& sizing, const Params& params)
    : SignalBot(setup, sizing),
      params_(params),
      fast_sma_(params.fast),
      slow_sma_(params.slow),
      fast_ema_(params.fast),
      slow_ema_(params.slow) {}

std::unique_ptr<Bot> MaCrossBot::create(const BotSetup& setup, config::ObjectReader& p) {
  Params params;
  OrderSizing sizing;
  bool ok = OrderSizing::read(p, setup.instrument, sizing);
  auto kind = p.string("ma", Presence::kOptional, {"sma", "ema"});
  auto fast = p.integer("fast", Presence::kOptional, 2, 1000);
  auto slow = p.integer("slow", Presence::kOptional, 2, 1000);
  ok = ok && !(p.has("ma") && !kind) && !(p.has("fast") && !fast) && !(p.has("slow") && !slow);
  params.exponential = kind.value_or("sma") == "ema";
  params.fast = static_cast<int>(fast.value_or(params.fast));
  params.slow = static_cast<int>(slow.value_or(params.slow));
  if (params.fast >= params.slow && (!p.has("fast") || fast) && (!p.has("slow") || slow)) {
    p.error("fast", "must be shorter than slow");
    ok = false;
  }
  return ok ? std::make_unique<MaCrossBot>(setup, sizing, params) : nullptr;
}

SignalBot::Signal MaCrossBot::evaluate(const Bar& bar, bool /*long_position*/) {
  const int ps = info().price_scale, qs = info().qty_scale;
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
  Signal signal = Signal::kNone;
  if (has_previous_) {
    if (crosses_above(previous_spread_, spread, 0)) signal = Signal::kEntry;
    if (crosses_below(previous_spread_, spread, 0)) signal = Signal::kExit;
  }
  previous_spread_ = spread;
  has_previous_ = true;
  return signal;
}

void MaCrossBot::save_signal_fields(state_io::Writer& w) const {
  save_indicator(w, fast_sma_);
  save_indicator(w, slow_sma_);
  save_indicator(w, fast_ema_);
  save_indicator(w, slow_ema_);
  w.put(previous_spread_);
  w.put(has_previous_);
}

bool MaCrossBot::load_signal_fields(state_io::Reader& r) {
  if (!load_indicator(r, fast_sma_) || !load_indicator(r, slow_sma_) ||
      !load_indicator(r, fast_ema_) || !load_indicator(r, slow_ema_)) {
    return false;
  }
  r.get(previous_spread_);
  r.get(has_previous_);
  return !r.failed();
}

// ---- Momentum ----------------------------------------------------------------------------------

MomentumBot::MomentumBot(const BotSetup& setup, const OrderSizing& sizing, const Params& params)
    : SignalBot(setup, sizing), params_(params), roc_(params.period) {}

std::unique_ptr<Bot> MomentumBot::create(const BotSetup& setup, config::ObjectReader& p) {
  Params params;
  OrderSizing sizing;
  bool ok = OrderSizing::read(p, setup.instrument, sizing);
  auto period = p.integer("period", Presence::kOptional, 1, 1000);
  auto entry = p.number("entry_pct", Presence::kOptional, -100, 1000);
  auto exit = p.number("exit_pct", Presence::kOptional, -100, 1000);
  ok = ok && !(p.has("period") && !period) && !(p.has("entry_pct") && !entry) &&
       !(p.has("exit_pct") && !exit);
  params.period = static_cast<int>(period.value_or(params.period));
  params.entry_pct = entry.value_or(params.entry_pct);
  params.exit_pct = exit.value_or(params.exit_pct);
  if (params.exit_pct > params.entry_pct) {
    p.error("exit_pct", "must not be above entry_pct");
    ok = false;
  }
  return ok ? std::make_unique<MomentumBot>(setup, sizing, params) : nullptr;
}

SignalBot::Signal MomentumBot::evaluate(const Bar& bar, bool /*long_position*/) {
  if (!roc_.update(bar, info().price_scale, info().qty_scale)) return Signal::kNone;
  const double roc = roc_.value();
  Signal signal = Signal::kNone;
  if (has_previous_) {
    if (crosses_above(previous_, roc, params_.entry_pct)) signal = Signal::kEntry;
    if (crosses_below(previous_, roc, params_.exit_pct)) signal = Signal::kExit;
  }
  previous_ = roc;
  has_previous_ = true;
  return signal;
}

void MomentumBot::save_signal_fields(state_io::Writer& w) const {
  save_indicator(w, roc_);
  w.put(previous_);
  w.put(has_previous_);
}

bool MomentumBot::load_signal_fields(state_io::Reader& r) {
  if (!load_indicator(r, roc_)) return false;
  r.get(previous_);
  r.get(has_previous_);
  return !r.failed();
}

// ---- MACD with Bollinger -------------------------------------------------------------------

MacdBollingerBot::MacdBollingerBot(const BotSetup& setup, const OrderSizing& sizing,
                                   const Params& params)
    : SignalBot(setup, sizing),
      params_(params),
      macd_(params.fast, params.slow, params.signal),
      bands_(params.bb_period, params.bb_dev, params.bb_dev) {}

std::unique_ptr<Bot> MacdBollingerBot::create(const BotSetup& setup, config::ObjectReader& p) {
  Params params;
  OrderSizing sizing;
  bool ok = OrderSizing::read(p, setup.instrument, sizing);
  auto fast = p.integer("fast", Presence::kOptional, 2, 1000);
  auto slow = p.integer("slow", Presence::kOptional, 2, 1000);
  auto signal = p.integer("signal", Presence::kOptional, 1, 1000);
  auto bb_period = p.integer("bb_period", Presence::kOptional, 2, 1000);
  auto bb_dev = p.number("bb_dev", Presence::kOptional, 0.1, 10);
  ok = ok && !(p.has("fast") && !fast) && !(p.has("slow") && !slow) &&
       !(p.has("signal") && !signal) && !(p.has("bb_period") && !bb_period) &&
       !(p.has("bb_dev") && !bb_dev);
  params.fast = static_cast<int>(fast.value_or(params.fast));
  params.slow = static_cast<int>(slow.value_or(params.slow));
  params.signal = static_cast<int>(signal.value_or(params.signal));
  params.bb_period = static_cast<int>(bb_period.value_or(params.bb_period));
  params.bb_dev = bb_dev.value_or(params.bb_dev);
  if (params.fast >= params.slow && (!p.has("fast") || fast) && (!p.has("slow") || slow)) {
    p.error("fast", "must be shorter than slow");
    ok = false;
  }
  return ok ? std::make_unique<MacdBollingerBot>(setup, sizing, params) : nullptr;
}

SignalBot::Signal MacdBollingerBot::evaluate(const Bar& bar, bool long_position) {
  const int ps = info().price_scale, qs = info().qty_scale;
  const bool bands_ready = bands_.update(bar, ps, qs);
  const bool macd_ready = macd_.update(bar, ps, qs);
  if (!bands_ready || !macd_ready) return Signal::kNone;
  const double hist = macd_.hist();
  const double close = to_price(bar.close);
  Signal signal = Signal::kNone;
  if (has_previous_) {
    const bool macd_up = crosses_above(previous_hist_, hist, 0);
    const bool macd_down = crosses_below(previous_hist_, hist, 0);
    if (long_position && (close > bands_.upper() || macd_down)) {
      signal = Signal::kExit;
    } else if (!long_position && macd_up && close < bands_.middle()) {
      signal = Signal::kEntry;
    }
  }
  previous_hist_ = hist;
  has_previous_ = true;
  return signal;
}

void MacdBollingerBot::save_signal_fields(state_io::Writer& w) const {
  save_indicator(w, macd_);
  save_indicator(w, bands_);
  w.put(previous_hist_);
  w.put(has_previous_);
}

bool MacdBollingerBot::load_signal_fields(state_io::Reader& r) {
  if (!load_indicator(r, macd_) || !load_indicator(r, bands_)) return false;
  r.get(previous_hist_);
  r.get(has_previous_);
  return !r.failed();
}

}  // namespace be::bots
