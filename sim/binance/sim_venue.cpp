// The Binance mock on the simulator's port (sim_venue.hpp).
#include "sim/binance/sim_venue.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>

#include "core/fixed_point.hpp"

namespace be::binance::mock {

bool MockVenue::serves_path(std::string_view path) const {
  return path.starts_with("/api/") || path.starts_with("/sapi/");
}

bool MockVenue::serves_upgrade(std::string_view target) const {
  return exchange_.owns_upgrade(target);
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

Expected<bool, std::string> read_keys_file(const std::string& path, MockConfig& config) {
  std::ifstream in(path);
  if (!in) return Unexpected{"--exchange-keys: cannot read " + path};
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.starts_with("api_key=")) config.api_key = line.substr(8);
    if (line.starts_with("secret=")) config.secret = line.substr(7);
  }
  if (config.api_key.empty() || config.secret.empty()) {
    return Unexpected{"--exchange-keys: " + path + " needs an api_key= and a secret= line"};
  }
  return true;
}

std::vector<MockSymbol> symbols_in(const std::vector<std::string>& streams) {
  std::vector<MockSymbol> out;
  for (const auto& stream : streams) {
    const auto at = stream.find('@');
    MockSymbol s;
    if (at == std::string::npos || !split_symbol(std::string_view(stream).substr(0, at), s)) {
      continue;
    }
    if (std::any_of(out.begin(), out.end(), [&](const auto& o) { return o.symbol == s.symbol; })) {
      continue;
    }
    // 0.01 in fiat-like quotes (BTCUSDT's tick); 1e-8 when the quote is a coin.
    if (s.quote == "BTC" || s.quote == "ETH" || s.quote == "BNB") {
      s.tick_size = 1;
      s.min_notional = 10'000;  // 0.0001
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace be::binance::mock
