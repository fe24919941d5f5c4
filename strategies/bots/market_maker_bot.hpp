// A simple spot market maker: a bid and an ask around the mid, skewed by inventory, capped.
//
//   half = spread_bps / 2;  skew = skew_bps x clamp(inventory / inventory_cap, -1, 1)
//   bid  = mid x (1 - (half + skew) / 10^4)   rounded down to the tick
//   ask  = mid x (1 + (half - skew) / 10^4)   rounded up to the tick
// A long inventory lowers both quotes (a cheaper ask sells it off, a lower bid buys less).
// skew_bps is at most half of spread_bps, so the bid stays at or below the mid and the ask at
// or above it (at the cap the ask reaches the mid).
// The bid is quoted only while inventory + order_size <= inventory_cap; being spot, the ask
// only while the inventory holds order_size. Quotes are replaced (cancel, then submit) after
// every fill and whenever the mid has moved requote_bps since the last quotes. The mid is
// (best bid + best ask) / 2 from quotes, or the close of the bot's bars when it gets no
// quotes (backtests on candles).
#pragma once

#include <memory>
#include <tuple>

#include "strategies/bots/bot.hpp"
#include "strategies/bots/registry.hpp"

namespace be::bots {

class MarketMakerBot final : public Bot {
 public:
  enum Tag : std::uint32_t { kBid = 1, kAsk = 2 };
  struct Params {
    std::int64_t spread_bps = 20;
    std::int64_t skew_bps = 10;
    std::int64_t requote_bps = 5;
    std::int64_t order_size = 0;     // base
    std::int64_t inventory_cap = 0;  // base
  };

  MarketMakerBot(const BotSetup& setup, const Params& params);
  static std::unique_ptr<Bot> create(const BotSetup& setup, config::ObjectReader& params);

  std::string_view type_name() const noexcept override { return "market_maker"; }
  void on_quote(const Quote& quote, BotContext& ctx) override;
  void on_bar(const Bar& bar, BotContext& ctx) override;
  void on_fill(const BotFill& fill, BotContext& ctx) override;
  void on_schedule_change(bool active, BotContext& ctx) override;

  struct Quotes {
    std::int64_t bid = 0;  // 0: not quoted
    std::int64_t ask = 0;
  };
  // The quotes for `mid` at `inventory` (exposed for tests and the dashboard).
  Quotes quotes_for(std::int64_t mid, std::int64_t inventory) const noexcept;

 protected:
  // The snapshot: these fields, in this order.
  static auto snapshot_fields(auto& self) {
    return std::tie(self.quoted_mid_, self.last_mid_, self.seen_quote_, self.requotes_);
  }
  void save_fields(state_io::Writer& w) const override { save_all(w, snapshot_fields(*this)); }
  bool load_fields(state_io::Reader& r) override { return load_all(r, snapshot_fields(*this)); }

 private:
  void on_mid(std::int64_t mid, BotContext& ctx, bool force);

  Params params_;
  InstrumentInfo info_;
  std::uint32_t timeframe_seconds_;
  std::int64_t quoted_mid_ = 0;  // the mid of the live quotes; 0 = none
  std::int64_t last_mid_ = 0;
  bool seen_quote_ = false;
  std::uint64_t requotes_ = 0;
};

}  // namespace be::bots
