// The indicator signal bots, each a SignalBot (see signal_bot.hpp for sizing and orders).
// docs/BOTS.md has each one's parameters and exact rules.
#pragma once

#include <memory>

#include "strategies/bots/signal_bot.hpp"
#include "strategies/indicators/bollinger.hpp"
#include "strategies/indicators/macd.hpp"
#include "strategies/indicators/moving_average.hpp"
#include "strategies/indicators/oscillators.hpp"

namespace be::bots {

// Buy when RSI crosses below `oversold`; sell when it crosses above `overbought`.
class RsiBot final : public SignalBot {
 public:
  struct Params {
    int period = 14;
    double oversold = 30;
    double overbought = 70;
  };
  RsiBot(const BotSetup& setup, const OrderSizing& sizing, const Params& params);
  static std::unique_ptr<Bot> create(const BotSetup& setup, config::ObjectReader& params);
  std::string_view type_name() const noexcept override { return "rsi"; }

 protected:
  Signal evaluate(const Bar& bar, bool long_position) override;
  void save_signal_fields(state_io::Writer& w) const override;
  bool load_signal_fields(state_io::Reader& r) override;

 private:
  Params params_;
  ta::Rsi rsi_;
  double previous_ = 0;
  bool has_previous_ = false;
};

// Buy when the fast average crosses above the slow one; sell when it crosses below.
class MaCrossBot final : public SignalBot {
 public:
  struct Params {
    bool exponential = false;
    int fast = 9;
    int slow = 21;
  };
  MaCrossBot(const BotSetup& setup, const OrderSizing& sizing, const Params& params);
  static std::unique_ptr<Bot> create(const BotSetup& setup, config::ObjectReader& params);
  std::string_view type_name() const noexcept override { return "ma_cross"; }

 protected:
  Signal evaluate(const Bar& bar, bool long_position) override;
  void save_signal_fields(state_io::Writer& w) const override;
  bool load_signal_fields(state_io::Reader& r) override;

 private:
  // Both kinds are kept so the type stays fixed; only the configured pair is fed.
  Params params_;
  ta::Sma fast_sma_, slow_sma_;
  ta::Ema fast_ema_, slow_ema_;
  double previous_spread_ = 0;
  bool has_previous_ = false;
};

// Buy when ROC crosses above `entry_pct`; sell when it crosses below `exit_pct`.
class MomentumBot final : public SignalBot {
 public:
  struct Params {
    int period = 10;
    double entry_pct = 0;
    double exit_pct = 0;
  };
  MomentumBot(const BotSetup& setup, const OrderSizing& sizing, const Params& params);
  static std::unique_ptr<Bot> create(const BotSetup& setup, config::ObjectReader& params);
  std::string_view type_name() const noexcept override { return "momentum"; }

 protected:
  Signal evaluate(const Bar& bar, bool long_position) override;
  void save_signal_fields(state_io::Writer& w) const override;
  bool load_signal_fields(state_io::Reader& r) override;

 private:
  Params params_;
  ta::Roc roc_;
  double previous_ = 0;
  bool has_previous_ = false;
};

// Buy when MACD crosses above its signal line while the close is below the middle band;
// sell when the close rises above the upper band or MACD crosses below its signal.
class MacdBollingerBot final : public SignalBot {
 public:
  struct Params {
    int fast = 12, slow = 26, signal = 9;
    int bb_period = 20;
    double bb_dev = 2.0;
  };
  MacdBollingerBot(const BotSetup& setup, const OrderSizing& sizing, const Params& params);
  static std::unique_ptr<Bot> create(const BotSetup& setup, config::ObjectReader& params);
  std::string_view type_name() const noexcept override { return "macd_bollinger"; }

 protected:
  Signal evaluate(const Bar& bar, bool long_position) override;
  void save_signal_fields(state_io::Writer& w) const override;
  bool load_signal_fields(state_io::Reader& r) override;

 private:
  Params params_;
  ta::Macd macd_;
  ta::Bollinger bands_;
  double previous_hist_ = 0;
  bool has_previous_ = false;
};

}  // namespace be::bots
