// RSI as a plugin: the built-in "rsi" bot's rule, trade for trade (tests/plugin checks it on
// the shared BTCUSDT week). Buy `quantity` when RSI crosses below `oversold` while flat; sell
// the whole position, reduce-only, when it crosses above `overbought`.
//
// inputs: period (14), oversold (30), overbought (70), quantity (a decimal string, base).
//
// The RSI is Wilder's, seeded as TA-Lib seeds it (a plain average of the first `period`
// changes), on closes converted to double exactly as the engine's indicators convert them
// (an exact integer over an exact power of ten), so its values and its decisions are the
// engine's to the bit.
#include <botengine/sdk.hpp>

#include <cstdint>

namespace {

constexpr std::uint32_t kEntry = 1, kExit = 2;  // order tags

// Wilder's RSI, one close at a time.
class Rsi {
 public:
  explicit Rsi(std::uint32_t period) : period_(period) {}

  // False while warming up (the first `period` changes).
  bool update(double close) {
    const double change = close - previous_;
    previous_ = close;
    if (count_ == 0) {
      count_ = 1;
      return false;
    }
    const bool seeding = count_ <= period_;
    const bool seed_last = count_ == period_;
    if (seeding) ++count_;
    add(seeding, seed_last, gain_, change < 0 ? 0.0 : change);
    add(seeding, seed_last, loss_, change < 0 ? -change : 0.0);
    if (seeding && !seed_last) return false;
    const double total = gain_ + loss_;
    value_ = (total > -1e-8 && total < 1e-8) ? 0.0 : 100.0 * (gain_ / total);
    return true;
  }
  double value() const { return value_; }

  void save(botengine::StateWriter& w) const {
    w.put(count_);
    w.put(previous_);
    w.put(gain_);
    w.put(loss_);
    w.put(value_);
  }
  bool load(botengine::StateReader& r) {
    return r.get(count_) && r.get(previous_) && r.get(gain_) && r.get(loss_) && r.get(value_);
  }

 private:
  void add(bool seeding, bool seed_last, double& average, double x) const {
    if (!seeding) {
      average = (average * (period_ - 1) + x) / period_;
      return;
    }
    average += x;  // a plain sum while seeding, as TA-Lib keeps it
    if (seed_last) average /= period_;
  }
  std::uint32_t period_;
  std::uint32_t count_ = 0;  // closes seen, saturating at period + 1
  double previous_ = 0.0;    // the last close
  double gain_ = 0.0, loss_ = 0.0, value_ = 0.0;
};

class RsiPlugin final : public botengine::Strategy {
 public:
  explicit RsiPlugin(botengine::Setup& setup)
      : price_unit_(power_of_ten(setup.instrument().price_scale)),
        oversold_(setup.number("oversold", 30)),
        overbought_(setup.number("overbought", 70)),
        quantity_(setup.fixed("quantity", setup.instrument().qty_scale, 100'000)),
        rsi_(period(setup)) {
    if (oversold_ < 0 || overbought_ > 100 || oversold_ >= overbought_) {
      setup.error("oversold", "oversold and overbought must be 0 <= oversold < overbought <= 100");
    }
    if (quantity_ <= 0) setup.error("quantity", "must be positive");
  }

  void on_bar(const be_bar& bar, botengine::Context& ctx) override {
    if (!rsi_.update(static_cast<double>(bar.close) / price_unit_)) return;
    const double value = rsi_.value();
    const bool had_previous = has_previous_;
    const double previous = previous_;
    has_previous_ = true;
    previous_ = value;
    if (!had_previous) return;
    const std::int64_t position = ctx.position();
    if (previous >= oversold_ && value < oversold_ && position == 0) {
      if (entry_pending_ || !ctx.tradable() || !ctx.active()) return;
      ctx.buy(quantity_, kEntry);
      entry_pending_ = true;
    } else if (previous <= overbought_ && value > overbought_ && position > 0) {
      if (exit_pending_ || !ctx.tradable()) return;
      ctx.sell(position, kExit, BE_ORDER_REDUCE_ONLY);
      exit_pending_ = true;
    }
  }

  void on_order_update(const be_order_update& update, botengine::Context&) override {
    const bool final =
        update.status != BE_ORDER_ACCEPTED && update.status != BE_ORDER_PARTIALLY_FILLED;
    if (!final) return;
    if (update.tag == kEntry) entry_pending_ = false;
    if (update.tag == kExit) exit_pending_ = false;
  }

  void save(botengine::StateWriter& w) const override {
    rsi_.save(w);
    w.put(has_previous_);
    w.put(previous_);
    w.put(entry_pending_);
    w.put(exit_pending_);
  }
  bool load(botengine::StateReader& r) override {
    return rsi_.load(r) && r.get(has_previous_) && r.get(previous_) && r.get(entry_pending_) &&
           r.get(exit_pending_);
  }

 private:
  static double power_of_ten(int scale) {
    std::int64_t p = 1;
    for (int i = 0; i < scale; ++i)
      p *= 10;
    return static_cast<double>(p);
  }
  static std::uint32_t period(botengine::Setup& setup) {
    const std::int64_t period = setup.integer("period", 14);
    if (period < 2 || period > 1000) {
      setup.error("period", "must be from 2 to 1000");
      return 14;
    }
    return static_cast<std::uint32_t>(period);
  }

  double price_unit_;
  double oversold_, overbought_;
  std::int64_t quantity_;
  Rsi rsi_;
  bool has_previous_ = false;
  double previous_ = 0.0;
  bool entry_pending_ = false, exit_pending_ = false;
};

}  // namespace

BOTENGINE_PLUGIN(RsiPlugin, "rsi example")
