// The Binance mock on the simulator's port (sim_venue.hpp).
#include "sim/binance/sim_venue.hpp"

#include <array>
#include <cctype>

#include "core/fixed_point.hpp"

namespace be::binance::mock {

bool MockVenue::serves_path(std::string_view path) const {
  return path.starts_with("/api/") || path.starts_with("/sapi/");
}

bool MockVenue::serves_upgrade(std::string_view target) const {
  if (!target.starts_with("/ws/")) return false;
  const std::string_view key = target.substr(4, target.find('?') - 4);
  return !key.empty() && exchange_.knows_listen_key(key);
}

bool split_symbol(std::string_view symbol, MockSymbol& out) {
  static constexpr std::array<std::string_view, 10> kQuotes{"USDT", "FDUSD", "USDC", "BUSD", "TUSD",
                                                            "EUR",  "TRY",   "BTC",  "ETH",  "BNB"};
  std::string upper(symbol);
  for (char& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto quote : kQuotes) {
    if (upper.size() > quote.size() && std::string_view(upper).ends_with(quote)) {
      out.symbol = upper;
      out.base = upper.substr(0, upper.size() - quote.size());
      out.quote = std::string(quote);
      return true;
    }
  }
  return false;
}

Expected<std::vector<MockBalance>, std::string> parse_balances(std::string_view list) {
  std::vector<MockBalance> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    const auto eq = item.find('=');
    const auto amount = eq == std::string_view::npos ? parse_decimal("", kScale)
                                                     : parse_decimal(item.substr(eq + 1), kScale);
    if (eq == 0 || eq == std::string_view::npos || !amount || amount.value() < 0) {
      return Unexpected{"not ASSET=AMOUNT: '" + std::string(item) + "'"};
    }
    std::string asset(item.substr(0, eq));
    for (char& c : asset)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out.push_back(MockBalance{std::move(asset), amount.value(), 0});
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace be::binance::mock
