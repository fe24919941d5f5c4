// CustomStrategy: entry and exit rules composed from named mixins, configured the way the
// product's users already write it:
//
//   {"type":"CustomStrategy","parameters":{
//     "entry_logic":{"name":"RSIBBVolumeEntryMixin","params":{"e_rsi_period":14, ...}},
//     "exit_logic":{"name":"ATRExitMixin","params":{"x_atr_period":14,"x_sl_multiplier":1.5}},
//     "position_size":0.1}}
//
// Every mixin sees every closed bar (so its indicators stay warm whether or not the bot holds
// a position). The entry mixin is asked while flat, the exit mixin while long; position_size
// is a share of the capital available to the bot. docs/BOTS.md lists the mixins and params.
#pragma once

#include <memory>
#include <string_view>

#include "strategies/bots/signal_bot.hpp"

namespace be::bots {

class EntryMixin {
 public:
  virtual ~EntryMixin() = default;
  virtual std::string_view name() const noexcept = 0;
  // Updates indicators with the bar and says whether to enter now.
  virtual bool update(const Bar& bar, const InstrumentInfo& info) = 0;
  virtual void save(state_io::Writer& w) const = 0;
  virtual bool load(state_io::Reader& r) = 0;
};

class ExitMixin {
 public:
  virtual ~ExitMixin() = default;
  virtual std::string_view name() const noexcept = 0;
  // Updates indicators with the bar; when long (entry_price > 0) says whether to exit now.
  virtual bool update(const Bar& bar, const InstrumentInfo& info, double entry_price) = 0;
  virtual void save(state_io::Writer& w) const = 0;
  virtual bool load(state_io::Reader& r) = 0;
};

// Factories: nullptr (with errors added under the reader's path) when params are bad or the
// name is unknown.
std::unique_ptr<EntryMixin> make_entry_mixin(std::string_view name, config::ObjectReader& params);
std::unique_ptr<ExitMixin> make_exit_mixin(std::string_view name, config::ObjectReader& params);

class CustomBot final : public SignalBot {
 public:
  CustomBot(const BotSetup& setup, const OrderSizing& sizing, std::unique_ptr<EntryMixin> entry,
            std::unique_ptr<ExitMixin> exit);
  static std::unique_ptr<Bot> create(const BotSetup& setup, config::ObjectReader& params);
  std::string_view type_name() const noexcept override { return "custom"; }

 protected:
  Signal evaluate(const Bar& bar, bool long_position) override;
  void save_signal_fields(state_io::Writer& w) const override;
  bool load_signal_fields(state_io::Reader& r) override;

 private:
  std::unique_ptr<EntryMixin> entry_;
  std::unique_ptr<ExitMixin> exit_;
};

}  // namespace be::bots
