// The common shape of the long-only signal bots (RSI, MA cross, momentum, MACD+Bollinger,
// custom entry/exit): on each closed bar of the bot's symbol and timeframe a subclass says
// whether to enter, exit or do nothing; this base turns that into orders.
//
//  - entry while flat: a market buy sized by quantity (base), quote_amount (quote), or
//    capital_fraction (a share of available_quote());
//  - exit while long: a reduce-only market sell of the whole position;
//  - a signal while the previous order is pending, or in safe mode, is skipped and counted.
//
// Subclasses own their indicators and save/load them after the base's fields.
#pragma once

#include <cstdint>
#include <memory>
#include <tuple>
#include <vector>

#include "core/json_config.hpp"
#include "strategies/bots/bot.hpp"
#include "strategies/bots/registry.hpp"
#include "strategies/indicators/state.hpp"

namespace be::bots {

struct OrderSizing {
  std::int64_t quantity = 0;      // base, qty scale
  std::int64_t quote_amount = 0;  // quote, price scale
  std::int64_t capital_ppm = 0;   // share of available quote, parts per million

  // Reads exactly one of `quantity`, `quote_amount` or `fraction_key` (a number in (0, 1]).
  // Returns false (with errors added) when none or several are given or one is bad.
  static bool read(config::ObjectReader& params, const InstrumentInfo& info, OrderSizing& out,
                   std::string_view fraction_key = "capital_fraction");
};

class SignalBot : public Bot {
 public:
  enum class Signal : std::uint8_t { kNone, kEntry, kExit };
  enum Tag : std::uint32_t { kEntry = 1, kExit = 2 };

  SignalBot(const BotSetup& setup, const OrderSizing& sizing)
      : Bot(setup.id, setup.instrument.id, setup.seed),
        info_(setup.instrument),
        timeframe_seconds_(setup.timeframe_seconds),
        sizing_(sizing) {}

  void on_bar(const Bar& bar, BotContext& ctx) final;
  void on_order_update(const BotOrderUpdate& update, BotContext& ctx) final;
  void on_fill(const BotFill& fill, BotContext& ctx) override;

  std::uint64_t signals_skipped() const noexcept { return signals_skipped_; }

 protected:
  // Called once per closed bar of the bot's symbol and timeframe, in order. `long_position`
  // says whether the bot holds a position, so a subclass can keep exit state (stops).
  virtual Signal evaluate(const Bar& bar, bool long_position) = 0;
  virtual void save_signal_fields(state_io::Writer& w) const = 0;
  virtual bool load_signal_fields(state_io::Reader& r) = 0;
  // The average price of the position's entry fills (0 when flat), for exit rules.
  std::int64_t entry_price() const noexcept { return entry_price_; }

  const InstrumentInfo& info() const noexcept { return info_; }
  double to_price(std::int64_t fixed) const noexcept;

 private:
  // The snapshot: these fields, in this order, then the subclass's.
  static auto snapshot_fields(auto& self) {
    return std::tie(self.entry_pending_, self.exit_pending_, self.entry_quantity_, self.entry_cost_,
                    self.entry_price_, self.signals_skipped_);
  }
  void save_fields(state_io::Writer& w) const final {
    save_all(w, snapshot_fields(*this));
    save_signal_fields(w);
  }
  bool load_fields(state_io::Reader& r) final {
    return load_all(r, snapshot_fields(*this)) && load_signal_fields(r);
  }

  InstrumentInfo info_;
  std::uint32_t timeframe_seconds_;
  OrderSizing sizing_;
  bool entry_pending_ = false;
  bool exit_pending_ = false;
  std::int64_t entry_quantity_ = 0;
  __extension__ __int128 entry_cost_ = 0;
  std::int64_t entry_price_ = 0;
  std::uint64_t signals_skipped_ = 0;
};

// Shared by bot types: an indicator's snapshot bytes inside a bot's state.
template <class Indicator>
void save_indicator(state_io::Writer& w, const Indicator& indicator) {
  std::vector<std::byte> bytes(indicator.state_size());
  indicator.save(bytes);
  w.put_bytes(bytes);
}
template <class Indicator>
bool load_indicator(state_io::Reader& r, Indicator& indicator) {
  const auto bytes = r.get_bytes();
  return !r.failed() && indicator.restore(bytes) == ta::StateError::kNone;
}

// The series a rule watches cross, one value per ready bar: the previous value and whether
// there is one yet. A rule decides on (previous, current) only once both are known.
struct Crossing {
  double previous = 0;
  bool known = false;

  // decide(previous, current) -> Signal when a previous value exists; remembers `current`.
  template <class Decide>
  SignalBot::Signal next(double current, Decide&& decide) {
    const SignalBot::Signal signal = known ? decide(previous, current) : SignalBot::Signal::kNone;
    previous = current;
    known = true;
    return signal;
  }
  void save(state_io::Writer& w) const {
    w.put(previous);
    w.put(known);
  }
  bool load(state_io::Reader& r) {
    r.get(previous);
    r.get(known);
    return !r.failed();
  }
};

// An optional config parameter: `out` keeps its default when the key is absent. False when
// the key is present but bad (the reader has added the error).
bool read_optional(config::ObjectReader& p, std::string_view key, int min, int max, int& out);
bool read_optional(config::ObjectReader& p, std::string_view key, double min, double max,
                   double& out);

// Crossing helpers on consecutive values (both must be known).
constexpr bool crosses_above(double previous, double current, double level) noexcept {
  return previous <= level && current > level;
}
constexpr bool crosses_below(double previous, double current, double level) noexcept {
  return previous >= level && current < level;
}

}  // namespace be::bots
