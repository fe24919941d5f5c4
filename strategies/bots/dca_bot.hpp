// DCA: accumulate a position in fixed quote amounts and sell it all at a profit on the
// averaged entry.
//
//  - Base order: a market buy of base_order_quote at start, and again at the start of every
//    cycle (after a take profit); with interval_minutes set, also every interval (recurring
//    buys, timer-driven on event time, so a replay buys at the same moments); with a
//    `trigger` condition, whenever it fires instead (no buy at start or after a take profit).
//  - Safety orders (optional): after a base order fills, `count` limit buys below its fill
//    price. Safety order i (1-based) sits at a total deviation
//        d_i = deviation_pct x (1 + step_scale + ... + step_scale^(i-1))
//    below the base fill and spends quote x volume_scale^(i-1).
//  - Take profit: a limit sell of the whole position at average entry x (1 + take_profit_pct),
//    rounded up to the tick; replaced (cancel, then submit) after every buy fill. When it fills
//    the cycle ends: remaining safety orders are cancelled and a new cycle begins.
//
// Prices are computed in fixed point with 128-bit intermediates: buys round down to the
// tick, the take profit rounds up, quantities round down to the step. The scales, being
// configuration ratios, are doubles; the results are converted once with floor (no
// -ffast-math, so the same binary always computes the same values).
#pragma once

#include <array>
#include <memory>
#include <tuple>

#include "core/json_config.hpp"
#include "strategies/bots/bot.hpp"
#include "strategies/bots/registry.hpp"

namespace be::bots {

class DcaBot final : public Bot {
 public:
  static constexpr std::uint32_t kMaxSafetyOrders = 50;
  enum Tag : std::uint32_t { kBase = 1, kTakeProfit = 2, kSafetyBase = 100 };
  enum Timer : std::uint32_t { kIntervalTimer = 1 };

  struct Params {
    std::int64_t base_order_quote = 0;  // price scale
    std::int64_t interval_minutes = 0;  // 0: no recurring buys
    std::uint32_t safety_count = 0;
    std::int64_t safety_order_quote = 0;
    std::int64_t deviation_ppm = 0;  // percent x 10^4: 1.0% -> 10000 ppm of price
    double step_scale = 1.0;
    double volume_scale = 1.0;
    std::int64_t take_profit_ppm = 0;
  };

  DcaBot(const BotSetup& setup, const Params& params,
         std::vector<cond::ConditionDef> triggers = {});
  static std::unique_ptr<Bot> create(const BotSetup& setup, config::ObjectReader& params);

  std::string_view type_name() const noexcept override { return "dca"; }
  void on_start(BotContext& ctx) override;
  void on_fill(const BotFill& fill, BotContext& ctx) override;
  void on_order_update(const BotOrderUpdate& update, BotContext& ctx) override;
  void on_timer(std::uint32_t timer_id, BotContext& ctx) override;
  const std::vector<cond::ConditionDef>& conditions() const noexcept override { return triggers_; }
  void on_condition(std::uint32_t index, BotContext& ctx) override;

  // Exposed for tests and the health report.
  std::int64_t position_quantity() const noexcept { return quantity_; }
  std::int64_t average_entry_price() const noexcept;
  std::uint32_t cycles_completed() const noexcept { return cycles_; }
  // Safety order i's price for a base fill at `base_price` (1-based i).
  std::int64_t safety_price(std::int64_t base_price, std::uint32_t i) const noexcept;
  std::int64_t safety_quote(std::uint32_t i) const noexcept;

 protected:
  // The snapshot: these fields, in this order.
  static auto snapshot_fields(auto& self) {
    return std::tie(self.quantity_, self.cost_, self.base_pending_, self.safety_placed_,
                    self.take_profit_live_, self.cycles_, self.skipped_);
  }
  void save_fields(state_io::Writer& w) const override { save_all(w, snapshot_fields(*this)); }
  bool load_fields(state_io::Reader& r) override { return load_all(r, snapshot_fields(*this)); }

 private:
  void buy_base(BotContext& ctx);
  void place_safety_orders(std::int64_t base_price, BotContext& ctx);
  void replace_take_profit(BotContext& ctx);

  Params params_;
  InstrumentInfo info_;
  std::vector<cond::ConditionDef> triggers_;  // at most one: the `trigger` condition
  // Cycle state: the position this cycle built (from our own fills), in 128-bit cost.
  std::int64_t quantity_ = 0;
  __extension__ __int128 cost_ = 0;  // sum of price x quantity, scale p+q
  bool base_pending_ = false;
  bool safety_placed_ = false;
  bool take_profit_live_ = false;
  std::uint32_t cycles_ = 0;
  std::uint64_t skipped_ = 0;  // buys skipped in safe mode or while one is pending
};

}  // namespace be::bots
