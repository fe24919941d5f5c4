#include "strategies/bots/custom_bot.hpp"

#include <string>

#include "strategies/indicators/atr.hpp"
#include "strategies/indicators/bollinger.hpp"
#include "strategies/indicators/common.hpp"
#include "strategies/indicators/moving_average.hpp"
#include "strategies/indicators/oscillators.hpp"

namespace be::bots {

using config::Presence;

namespace {

using ta::to_double;

// Reads an integer or number parameter; a bad one marks `ok` false.
int read_period(config::ObjectReader& p, std::string_view key, int fallback, bool& ok) {
  ok = read_optional(p, key, 1, 1000, fallback) && ok;
  return fallback;
}
double read_number(config::ObjectReader& p, std::string_view key, double fallback, double min,
                   double max, bool& ok) {
  ok = read_optional(p, key, min, max, fallback) && ok;
  return fallback;
}

// Enter when RSI is below oversold, volume is at least min_volume_ratio x its moving average,
// and the bar reached the lower Bollinger band (touch: low <= lower; otherwise close <= lower).
class RsiBbVolumeEntry final : public EntryMixin {
 public:
  static std::unique_ptr<EntryMixin> create(config::ObjectReader& p) {
    bool ok = true;
    const int rsi_period = read_period(p, "e_rsi_period", 14, ok);
    const double oversold = read_number(p, "e_rsi_oversold", 30, 0, 100, ok);
    const int bb_period = read_period(p, "e_bb_period", 20, ok);
    const double bb_dev = read_number(p, "e_bb_dev", 2.0, 0.1, 10, ok);
    const int vol_period = read_period(p, "e_vol_ma_period", 20, ok);
    const double min_ratio = read_number(p, "e_min_volume_ratio", 1.0, 0, 100, ok);
    auto touch = p.boolean("e_use_bb_touch", Presence::kOptional);
    if (p.has("e_use_bb_touch") && !touch) ok = false;
    if (!ok) return nullptr;
    return std::make_unique<RsiBbVolumeEntry>(rsi_period, oversold, bb_period, bb_dev, vol_period,
                                              min_ratio, touch.value_or(true));
  }
  RsiBbVolumeEntry(int rsi_period, double oversold, int bb_period, double bb_dev, int vol_period,
                   double min_ratio, bool touch)
      : rsi_(rsi_period),
        bands_(bb_period, bb_dev, bb_dev),
        volume_(vol_period),
        oversold_(oversold),
        min_ratio_(min_ratio),
        touch_(touch) {}
  std::string_view name() const noexcept override { return "RSIBBVolumeEntryMixin"; }
  bool update(const Bar& bar, const InstrumentInfo& info) override {
    const bool rsi_ready = rsi_.update(bar, info.price_scale, info.qty_scale);
    const bool bands_ready = bands_.update(bar, info.price_scale, info.qty_scale);
    const bool volume_ready = volume_.update(bar, info.price_scale, info.qty_scale);
    if (!rsi_ready || !bands_ready || !volume_ready) return false;
    const double probe = to_double(touch_ ? bar.low : bar.close, info.price_scale);
    const double volume = to_double(bar.volume, info.qty_scale);
    return rsi_.value() < oversold_ && probe <= bands_.lower() &&
           volume >= min_ratio_ * volume_.value();
  }
  void save(state_io::Writer& w) const override {
    save_indicator(w, rsi_);
    save_indicator(w, bands_);
    save_indicator(w, volume_);
  }
  bool load(state_io::Reader& r) override {
    return load_indicator(r, rsi_) && load_indicator(r, bands_) && load_indicator(r, volume_);
  }

 private:
  ta::Rsi rsi_;
  ta::Bollinger bands_;
  ta::VolumeSma volume_;
  double oversold_, min_ratio_;
  bool touch_;
};

// Enter when RSI crosses below oversold.
class RsiEntry final : public EntryMixin {
 public:
  static std::unique_ptr<EntryMixin> create(config::ObjectReader& p) {
    bool ok = true;
    const int period = read_period(p, "e_rsi_period", 14, ok);
    const double oversold = read_number(p, "e_rsi_oversold", 30, 0, 100, ok);
    return ok ? std::make_unique<RsiEntry>(period, oversold) : nullptr;
  }
  RsiEntry(int period, double oversold) : rsi_(period), oversold_(oversold) {}
  std::string_view name() const noexcept override { return "RSIEntryMixin"; }
  bool update(const Bar& bar, const InstrumentInfo& info) override {
    if (!rsi_.update(bar, info.price_scale, info.qty_scale)) return false;
    const auto signal = crossing_.next(rsi_.value(), [&](double previous, double rsi) {
      return crosses_below(previous, rsi, oversold_) ? SignalBot::Signal::kEntry
                                                     : SignalBot::Signal::kNone;
    });
    return signal == SignalBot::Signal::kEntry;
  }
  void save(state_io::Writer& w) const override {
    save_indicator(w, rsi_);
    crossing_.save(w);
  }
  bool load(state_io::Reader& r) override { return load_indicator(r, rsi_) && crossing_.load(r); }

 private:
  ta::Rsi rsi_;
  double oversold_;
  Crossing crossing_;
};

// Exit at a stop x_sl_multiplier x ATR below the entry (and, when set, a take profit
// x_tp_multiplier x ATR above it), the ATR taken at the first bar of the position. With
// x_trailing the stop ratchets up to the highest close since entry minus the same distance.
class AtrExit final : public ExitMixin {
 public:
  static std::unique_ptr<ExitMixin> create(config::ObjectReader& p) {
    bool ok = true;
    const int period = read_period(p, "x_atr_period", 14, ok);
    const double sl = read_number(p, "x_sl_multiplier", 1.5, 0.01, 100, ok);
    const double tp = read_number(p, "x_tp_multiplier", 0, 0, 100, ok);
    auto trailing = p.boolean("x_trailing", Presence::kOptional);
    if (p.has("x_trailing") && !trailing) ok = false;
    return ok ? std::make_unique<AtrExit>(period, sl, tp, trailing.value_or(false)) : nullptr;
  }
  AtrExit(int period, double sl, double tp, bool trailing)
      : atr_(period), sl_(sl), tp_(tp), trailing_(trailing) {}
  std::string_view name() const noexcept override { return "ATRExitMixin"; }
  bool update(const Bar& bar, const InstrumentInfo& info, double entry_price) override {
    const bool ready = atr_.update(bar, info.price_scale, info.qty_scale);
    if (entry_price <= 0) {
      stop_ = target_ = highest_ = 0;
      return false;
    }
    const double close = to_double(bar.close, info.price_scale);
    if (stop_ == 0) {
      if (!ready) return false;  // no ATR yet: no stop can be set
      distance_ = sl_ * atr_.value();
      stop_ = entry_price - distance_;
      target_ = tp_ > 0 ? entry_price + tp_ * atr_.value() : 0;
      highest_ = close;
    }
    if (trailing_ && close > highest_) {
      highest_ = close;
      if (highest_ - distance_ > stop_) stop_ = highest_ - distance_;
    }
    return close <= stop_ || (target_ > 0 && close >= target_);
  }
  void save(state_io::Writer& w) const override {
    save_indicator(w, atr_);
    w.put(stop_);
    w.put(target_);
    w.put(highest_);
    w.put(distance_);
  }
  bool load(state_io::Reader& r) override {
    if (!load_indicator(r, atr_)) return false;
    r.get(stop_);
    r.get(target_);
    r.get(highest_);
    r.get(distance_);
    return !r.failed();
  }
  double stop() const noexcept { return stop_; }

 private:
  ta::Atr atr_;
  double sl_, tp_;
  bool trailing_;
  double stop_ = 0, target_ = 0, highest_ = 0, distance_ = 0;
};

// Exit at fixed percentages from the entry: take profit above, stop loss below.
class FixedPctExit final : public ExitMixin {
 public:
  static std::unique_ptr<ExitMixin> create(config::ObjectReader& p) {
    bool ok = true;
    const double tp = read_number(p, "x_take_profit_pct", 0, 0, 1000, ok);
    const double sl = read_number(p, "x_stop_loss_pct", 0, 0, 100, ok);
    if (ok && tp == 0 && sl == 0) {
      p.error("x_take_profit_pct", "set x_take_profit_pct, x_stop_loss_pct or both");
      ok = false;
    }
    return ok ? std::make_unique<FixedPctExit>(tp, sl) : nullptr;
  }
  FixedPctExit(double tp, double sl) : tp_(tp), sl_(sl) {}
  std::string_view name() const noexcept override { return "FixedRatioExitMixin"; }
  bool update(const Bar& bar, const InstrumentInfo& info, double entry_price) override {
    if (entry_price <= 0) return false;
    const double close = to_double(bar.close, info.price_scale);
    return (tp_ > 0 && close >= entry_price * (1 + tp_ / 100)) ||
           (sl_ > 0 && close <= entry_price * (1 - sl_ / 100));
  }
  void save(state_io::Writer&) const override {}
  bool load(state_io::Reader&) override { return true; }

 private:
  double tp_, sl_;
};

}  // namespace

std::unique_ptr<EntryMixin> make_entry_mixin(std::string_view name, config::ObjectReader& p) {
  if (name == "RSIBBVolumeEntryMixin") return RsiBbVolumeEntry::create(p);
  if (name == "RSIEntryMixin") return RsiEntry::create(p);
  return nullptr;
}

std::unique_ptr<ExitMixin> make_exit_mixin(std::string_view name, config::ObjectReader& p) {
  if (name == "ATRExitMixin") return AtrExit::create(p);
  if (name == "FixedRatioExitMixin") return FixedPctExit::create(p);
  return nullptr;
}

namespace {

// Reads {"name": <one of names>, "params": {...}} under `key` (params may be left out) and
// builds the mixin it names; nullptr with errors added when anything is bad.
template <class Mixin>
std::unique_ptr<Mixin> read_logic(config::ObjectReader& p, std::string_view key,
                                  std::initializer_list<std::string_view> names,
                                  std::unique_ptr<Mixin> (*make)(std::string_view,
                                                                 config::ObjectReader&)) {
  auto logic = p.object(key, Presence::kRequired);
  if (!logic) return nullptr;
  std::unique_ptr<Mixin> mixin;
  auto name = logic->string("name", Presence::kRequired, names);
  static const config::Value kEmpty = config::Value::empty_object();
  auto params = logic->object("params", Presence::kOptional);
  config::ObjectReader fallback(kEmpty, logic->field_path("params"), *logic->errors());
  config::ObjectReader& reader = params ? *params : fallback;
  if (name) {
    mixin = make(*name, reader);
    reader.finish();
  }
  logic->finish();
  return mixin;
}

}  // namespace

CustomBot::CustomBot(const BotSetup& setup, const OrderSizing& sizing,
                     std::unique_ptr<EntryMixin> entry, std::unique_ptr<ExitMixin> exit)
    : SignalBot(setup, sizing), entry_(std::move(entry)), exit_(std::move(exit)) {}

std::unique_ptr<Bot> CustomBot::create(const BotSetup& setup, config::ObjectReader& p) {
  OrderSizing sizing;
  bool ok = OrderSizing::read(p, setup.instrument, sizing, "position_size");
  auto entry =
      read_logic(p, "entry_logic", {"RSIBBVolumeEntryMixin", "RSIEntryMixin"}, &make_entry_mixin);
  auto exit =
      read_logic(p, "exit_logic", {"ATRExitMixin", "FixedRatioExitMixin"}, &make_exit_mixin);
  if (!ok || !entry || !exit) return nullptr;
  return std::make_unique<CustomBot>(setup, sizing, std::move(entry), std::move(exit));
}

SignalBot::Signal CustomBot::evaluate(const Bar& bar, bool long_position) {
  const bool enter = entry_->update(bar, info());
  const double entry = long_position ? to_price(entry_price()) : 0.0;
  const bool leave = exit_->update(bar, info(), entry);
  if (long_position) return leave ? Signal::kExit : Signal::kNone;
  return enter ? Signal::kEntry : Signal::kNone;
}

void CustomBot::save_signal_fields(state_io::Writer& w) const {
  entry_->save(w);
  exit_->save(w);
}

bool CustomBot::load_signal_fields(state_io::Reader& r) {
  return entry_->load(r) && exit_->load(r);
}

}  // namespace be::bots
