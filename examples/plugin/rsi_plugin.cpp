// RSI as a plugin: the built-in "rsi" bot's rule, trade for trade (tests/plugin checks it on
// the shared BTCUSDT week). Buy `quantity` when RSI crosses below `oversold` while flat; sell
// the whole position, reduce-only, when it crosses above `overbought`.
//
// inputs: period (14), oversold (30), overbought (70), quantity (a decimal string, base).
//
// The RSI is the engine's own (`rsi:<period>`, TA-Lib-exact, fed the bot's closed bars before
// on_bar runs; be_setup.indicator): the values, and so the decisions, are the built-in bot's
// to the bit, and the indicator's state is in the bot's snapshot without the plugin saving it.
#include <botengine/sdk.hpp>

#include <cstdint>
#include <string>

namespace {

constexpr std::uint32_t kEntry = 1, kExit = 2;  // order tags

class RsiPlugin final : public botengine::Strategy {
 public:
  explicit RsiPlugin(botengine::Setup& setup)
      : oversold_(setup.number("oversold", 30)),
        overbought_(setup.number("overbought", 70)),
        quantity_(setup.fixed("quantity", setup.instrument().qty_scale, 100'000)),
        rsi_(setup.indicator("rsi:" + std::to_string(period(setup)))) {
    if (oversold_ < 0 || overbought_ > 100 || oversold_ >= overbought_) {
      setup.error("oversold", "oversold and overbought must be 0 <= oversold < overbought <= 100");
    }
    if (quantity_ <= 0) setup.error("quantity", "must be positive");
  }

  void on_bar(const be_bar&, botengine::Context& ctx) override {
    double value = 0.0;
    if (!ctx.indicator(rsi_, value)) return;  // still warming up
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
    w.put(has_previous_);
    w.put(previous_);
    w.put(entry_pending_);
    w.put(exit_pending_);
  }
  bool load(botengine::StateReader& r) override {
    return r.get(has_previous_) && r.get(previous_) && r.get(entry_pending_) &&
           r.get(exit_pending_);
  }

 private:
  static std::uint32_t period(botengine::Setup& setup) {
    const std::int64_t period = setup.integer("period", 14);
    if (period < 2 || period > 1000) {
      setup.error("period", "must be from 2 to 1000");
      return 14;
    }
    return static_cast<std::uint32_t>(period);
  }

  double oversold_, overbought_;
  std::int64_t quantity_;
  int rsi_;  // the engine indicator's handle
  bool has_previous_ = false;
  double previous_ = 0.0;
  bool entry_pending_ = false, exit_pending_ = false;
};

}  // namespace

BOTENGINE_PLUGIN(RsiPlugin, "rsi example")
