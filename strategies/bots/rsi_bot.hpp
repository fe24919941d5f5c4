// RSI thresholds: buy when RSI crosses below `oversold` while flat; sell the whole position
// (reduce-only) when it crosses above `overbought`. Crossing, not level: a signal fires once
// per excursion, not on every bar spent beyond the threshold. Market orders, one position.
//
// Parameters (docs/BOTS.md): period (2..1000, default 14), oversold (default 30),
// overbought (default 70), and exactly one of quantity (base) or quote_amount (quote).
#pragma once

#include <memory>

#include "core/json_config.hpp"
#include "strategies/bots/bot.hpp"
#include "strategies/bots/registry.hpp"
#include "strategies/indicators/oscillators.hpp"

namespace be::bots {

class RsiBot final : public Bot {
 public:
  enum Tag : std::uint32_t { kEntry = 1, kExit = 2 };

  struct Params {
    int period = 14;
    double oversold = 30;
    double overbought = 70;
    std::int64_t quantity = 0;      // base, qty scale
    std::int64_t quote_amount = 0;  // quote, price scale
  };

  RsiBot(const BotSetup& setup, const Params& params);
  static std::unique_ptr<Bot> create(const BotSetup& setup, config::ObjectReader& params);

  std::string_view type_name() const noexcept override { return "rsi"; }
  void on_bar(const Bar& bar, BotContext& ctx) override;
  void on_order_update(const BotOrderUpdate& update, BotContext& ctx) override;

  double last_rsi() const noexcept { return has_previous_ ? previous_ : 0.0; }
  std::uint64_t signals_skipped() const noexcept { return signals_skipped_; }

 protected:
  void save_fields(StateWriter& w) const override;
  bool load_fields(StateReader& r) override;

 private:
  Params params_;
  InstrumentInfo info_;
  std::uint32_t timeframe_seconds_;
  ta::Rsi rsi_;
  double previous_ = 0;
  bool has_previous_ = false;
  bool entry_pending_ = false;
  bool exit_pending_ = false;
  std::uint64_t signals_skipped_ = 0;  // in safe mode, or while an order is pending
};

// Shared by bot types: an indicator's snapshot bytes inside a bot's state.
template <class Indicator>
void save_indicator(StateWriter& w, const Indicator& indicator) {
  std::vector<std::byte> bytes(indicator.state_size());
  indicator.save(bytes);
  w.put_bytes(bytes);
}
template <class Indicator>
bool load_indicator(StateReader& r, Indicator& indicator) {
  const auto bytes = r.get_bytes();
  return !r.failed() && indicator.restore(bytes) == ta::StateError::kNone;
}

}  // namespace be::bots
