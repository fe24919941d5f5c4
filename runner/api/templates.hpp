// Bot templates for the dashboard's "new bot" form: one per built-in strategy family, each a
// complete, valid config. The configs are examples/bots/*.json, embedded at build time
// (CMake writes templates_data.cpp from those files), so the templates, the examples and
// docs/BOTS.md cannot drift apart; a test creates every template through the BotRegistry.
#pragma once

#include <span>
#include <string_view>

namespace be::api {

struct BotTemplate {
  std::string_view name;         // "dca", "grid", "rsi", "ma_cross", "custom"
  std::string_view title;        // one line for humans
  std::string_view description;  // what the strategy does
  std::string_view config_json;  // a full bot config, as in examples/bots/<name>.json
};

// Immutable static data; safe from any thread.
std::span<const BotTemplate> bot_templates() noexcept;

}  // namespace be::api
