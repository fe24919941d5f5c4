// A test plugin that uses every part of the ABI a test can observe: inputs, a condition, an
// engine indicator (with input "indicator": it acts only once that is ready), a timer, orders on
// trades, fills and order updates, schedule changes, and its state. Built twice (counter_plugin_a,
// counter_plugin_b) with a different BE_TEST_BUILD: two builds of one plugin whose hashes differ,
// for the journaled-build checks.
#include <botengine/sdk.hpp>

#include <cstdint>
#include <string>

#ifndef BE_TEST_BUILD
#error "BE_TEST_BUILD names the build (tests/plugin/CMakeLists.txt)"
#endif

namespace {

class Counter final : public botengine::Strategy {
 public:
  explicit Counter(botengine::Setup& setup)
      : every_(setup.integer("every", 7)),
        quantity_(setup.fixed("quantity", setup.instrument().qty_scale, 1000)) {
    if (every_ < 1) setup.error("every", "must be at least 1");
    if (setup.text("mode", "trade") != "trade") setup.error("mode", "only \"trade\" is known");
    if (setup.integer("fail_after", 0) > 0) fail_after_ = setup.integer("fail_after", 0);
    setup.condition(R"({"indicator": "rsi:3", "operator": "crosses_below", "value": 40})");
    const std::string indicator = setup.text("indicator", "");
    if (!indicator.empty()) indicator_ = setup.indicator(indicator);
  }

  void on_start(botengine::Context& ctx) override { ctx.set_timer(1, ctx.now() + kSecond); }
  void on_trade(const be_trade& trade, botengine::Context& ctx) override {
    last_price_ = trade.price;
    act(ctx);
  }
  void on_bar(const be_bar& bar, botengine::Context& ctx) override {
    last_price_ = bar.close;
    act(ctx);
  }
  void on_fill(const be_fill& fill, botengine::Context&) override { filled_ += fill.quantity; }
  void on_order_update(const be_order_update&, botengine::Context&) override { ++updates_; }
  void on_timer(std::uint32_t id, botengine::Context& ctx) override {
    ++timers_;
    ctx.set_timer(id, ctx.now() + kSecond);
  }
  void on_condition(std::uint32_t, botengine::Context&) override { ++conditions_; }

  void save(botengine::StateWriter& w) const override {
    for (const std::int64_t v : {trades_, last_price_, filled_, updates_, timers_, conditions_})
      w.put(v);
  }
  bool load(botengine::StateReader& r) override {
    return r.get(trades_) && r.get(last_price_) && r.get(filled_) && r.get(updates_) &&
           r.get(timers_) && r.get(conditions_);
  }

 private:
  // Every `every`-th trade or bar: a buy when flat, else a reduce-only sell of the position.
  void act(botengine::Context& ctx) {
    ++trades_;
    if (fail_after_ > 0 && trades_ >= fail_after_) {
      ctx.fail("failed on purpose");
      return;
    }
    double average = 0.0;
    if (trades_ % every_ != 0 || !ctx.tradable()) return;
    if (indicator_ >= 0 && !ctx.indicator(indicator_, average)) return;
    if (ctx.position() <= 0) {
      ctx.buy(quantity_, static_cast<std::uint32_t>(trades_ % 1000) + 1);
    } else {
      ctx.sell(ctx.position(), 9999, BE_ORDER_REDUCE_ONLY);
    }
  }

  static constexpr std::int64_t kSecond = 1'000'000'000;
  std::int64_t every_;
  std::int64_t quantity_;
  std::int64_t fail_after_ = 0;
  int indicator_ = -1;
  std::int64_t trades_ = 0, last_price_ = 0, filled_ = 0, updates_ = 0, timers_ = 0,
               conditions_ = 0;
};

}  // namespace

BOTENGINE_PLUGIN(Counter, "counter build " BE_TEST_BUILD)
