// The bot risk configuration as users write it:
//   {"risk_management":{"max_position_size":1000.0,"stop_loss_pct":3.0,"take_profit_pct":6.0,
//                       "max_daily_loss":200.0,"max_daily_trades":5}}
// plus the other limits under snake_case names (docs/RISK.md lists every field, unit, range).
//
// Numbers are converted exactly from their JSON text (never through double): a value with
// more decimals than its unit holds is refused, not rounded. An invalid config is refused
// with EVERY bad field named and why, in document order.
//
// Off the hot path (a bot is created or updated): allocates. Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "risk/types.hpp"

namespace be::risk {

struct ConfigError {
  std::string field;   // "risk_management.stop_loss_pct"; "" for the document itself
  std::string reason;  // "negative", "unknown field", "expected a number", ...
};

// price_scale and qty_scale are the bot's instrument's: quote amounts are read at the price
// scale, base quantities at the qty scale. Percentages are read to 0.01% (basis points).
Expected<BotConfig, std::vector<ConfigError>> parse_bot_risk_config(std::string_view json,
                                                                    int price_scale, int qty_scale);

}  // namespace be::risk
