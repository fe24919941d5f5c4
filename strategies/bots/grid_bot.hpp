// Grid: buy low and sell high on a ladder of price levels between two bounds.
//
// `grids` intervals split [lower, upper] into grids+1 levels, evenly (arithmetic) or by a
// constant ratio (geometric), each rounded to the tick. At the first closed bar whose close P
// lies inside the range the bot buys, at market, the base needed for a sell at every level
// above P, and places a limit buy at every level below P. When that initial buy fills it
// places the sells. From then on a filled buy at level i is replaced by a sell at level i+1
// and a filled sell at level i by a buy at level i-1: each buy-then-sell round trip earns the
// gap between two levels. Every order has quantity_per_grid; tags name the level.
#pragma once

#include <array>
#include <memory>
#include <tuple>

#include "strategies/bots/bot.hpp"
#include "strategies/bots/registry.hpp"

namespace be::bots {

class GridBot final : public Bot {
 public:
  static constexpr std::uint32_t kMaxGrids = 200;
  enum Tag : std::uint32_t { kInitialBuy = 1, kBuyBase = 1000, kSellBase = 2000 };

  struct Params {
    std::int64_t lower = 0;
    std::int64_t upper = 0;
    std::uint32_t grids = 0;
    bool geometric = false;
    std::int64_t quantity_per_grid = 0;
  };

  GridBot(const BotSetup& setup, const Params& params);
  static std::unique_ptr<Bot> create(const BotSetup& setup, config::ObjectReader& params);

  std::string_view type_name() const noexcept override { return "grid"; }
  void on_bar(const Bar& bar, BotContext& ctx) override;
  void on_fill(const BotFill& fill, BotContext& ctx) override;
  void on_order_update(const BotOrderUpdate& update, BotContext& ctx) override;
  void on_schedule_change(bool active, BotContext& ctx) override;

  std::int64_t level(std::uint32_t i) const noexcept { return levels_[i]; }
  std::uint32_t level_count() const noexcept { return params_.grids + 1; }
  std::uint64_t round_trips() const noexcept { return round_trips_; }
  // Sum of (sell level - buy level) x quantity over completed round trips, at scale p+q.
  __extension__ __int128 grid_profit() const noexcept { return grid_profit_; }

 protected:
  // The snapshot: these fields, in this order.
  static auto snapshot_fields(auto& self) {
    return std::tie(self.started_, self.start_price_, self.round_trips_, self.grid_profit_,
                    self.out_of_range_bars_);
  }
  void save_fields(state_io::Writer& w) const override { save_all(w, snapshot_fields(*this)); }
  bool load_fields(state_io::Reader& r) override { return load_all(r, snapshot_fields(*this)); }

 private:
  void place(BotContext& ctx, Side side, std::uint32_t level_index);
  void place_sells(BotContext& ctx);

  Params params_;
  InstrumentInfo info_;
  std::uint32_t timeframe_seconds_;
  std::array<std::int64_t, kMaxGrids + 1> levels_{};
  bool started_ = false;
  std::int64_t start_price_ = 0;
  std::uint64_t round_trips_ = 0;
  __extension__ __int128 grid_profit_ = 0;
  std::uint64_t out_of_range_bars_ = 0;
};

}  // namespace be::bots
