// Creating bots from the JSON configs operators write, with every bad field named.
//
// A bot config is an envelope around the strategy's own parameters:
//
//   {"name": "btc rsi", "symbol": "BTCUSDT", "venue": "binance", "timeframe": "15m",
//    "seed": 7,
//    "strategy": {"type": "rsi", "parameters": {"period": 14, "oversold": 30, ...}},
//    "risk_management": {...}}
//
// The registry validates the envelope and, through the bot type's factory, the parameters,
// and returns all problems at once (the control API's 422). risk_management is kept as a
// tree for the risk stage, which validates it. docs/BOTS.md is the schema reference.
//
// Thread-safety: builtin() is immutable after first use; create() is const and may run on
// the control thread. Creating a bot allocates (it happens off the hot path).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/json_config.hpp"
#include "strategies/bots/bot.hpp"

namespace be::bots {

using ConfigErrors = std::vector<config::FieldError>;

// Finds an instrument by venue and symbol; nullptr when unknown.
using InstrumentResolver =
    std::function<const InstrumentInfo*(std::string_view venue, std::string_view symbol)>;

struct BotSetup {
  BotId id = kNoBot;
  InstrumentInfo instrument;
  std::string venue;                            // the bot's venue, for conditions naming symbols
  const InstrumentResolver* resolve = nullptr;  // valid while the factory runs
  std::uint32_t timeframe_seconds = 60;
  std::uint64_t seed = 0;
};

struct BotConfig {
  std::string name;
  std::string venue;
  std::string symbol;
  std::uint32_t timeframe_seconds = 60;
  std::uint64_t seed = 0;
  std::string strategy_type;
  config::Value parameters;  // an object ({} when absent)
  std::optional<sched::ScheduleSpec> schedule;
  std::optional<config::Value> risk_management;
};

// "1m" -> 60 ... "1d" -> 86400; nullopt for anything else.
std::optional<std::uint32_t> parse_timeframe(std::string_view text) noexcept;

// Reads a factory's parameters; returns nullptr after adding errors when they are bad.
using BotFactory = std::unique_ptr<Bot> (*)(const BotSetup& setup, config::ObjectReader& params);

struct CreatedBot {
  BotConfig config;
  std::unique_ptr<Bot> bot;
};

class BotRegistry {
 public:
  // Every bot type this build knows.
  static const BotRegistry& builtin();

  // `aliases`: other accepted spellings, e.g. "RSIStrategy" for "rsi".
  void add(std::string_view type, std::string_view summary, BotFactory factory,
           std::vector<std::string> aliases = {});

  Expected<CreatedBot, ConfigErrors> create(std::string_view json, BotId id,
                                            const InstrumentResolver& resolve) const;

  struct Entry {
    std::string type;
    std::string summary;
    BotFactory factory;
    std::vector<std::string> aliases;
  };
  const std::vector<Entry>& entries() const noexcept { return entries_; }
  const Entry* find(std::string_view type) const noexcept;

 private:
  std::vector<Entry> entries_;
};

}  // namespace be::bots
