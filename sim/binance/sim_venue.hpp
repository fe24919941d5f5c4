// The Binance mock mounted on `botengine sim`'s port: Binance's spot REST API (/api/v3/*,
// the wallet reads under /sapi/v1/*) and the WebSocket API with user data (/ws-api/v3)
// beside the market streams, its resting orders filled by the market the simulator delivers.
//
// One venue, several accounts: each account is a MockExchange of its own (keys, balances,
// orders, faults), all fed the same market. A REST request goes to the account whose API key
// its X-MBX-APIKEY header names (public endpoints without one: the first account); a
// WebSocket API connection to the account of the first apiKey it sends (before that, the
// first account answers: ping, time). Two control routes, beside the simulator's own:
//   POST /sim/exchange/fault     a venue fault (venue_faults.hpp), to one account or all
//   GET  /sim/exchange/accounts  {"accounts":{name: MockExchange::state_json()}}
//
// Thread-safety: as MockExchange (a mutex per account); the simulator calls from its server
// thread. Lifetime: the venue must outlive the SimServer it is mounted on; call stop() before
// the server's stop().
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim/binance/mock_exchange.hpp"
#include "sim/sim_server.hpp"

namespace be::binance::mock {

struct VenueAccount {
  std::string name;  // how the control routes and the tests name it
  MockConfig config;
};

class MockVenue final : public sim::SimVenue {
 public:
  // One account, named "default".
  MockVenue(MockConfig config, const IngressClock& wall_clock);
  // At least one account; names are unique (the first of a repeated name wins).
  MockVenue(std::vector<VenueAccount> accounts, const IngressClock& wall_clock);
  ~MockVenue() override;

  MockExchange& exchange() { return *accounts_.front().exchange; }  // the first account
  MockExchange* account(std::string_view name);
  // The account whose API key this is, or nullptr.
  MockExchange* account_with_key(std::string_view api_key);
  void stop();

  bool serves_path(std::string_view path) const override;
  bool serves_upgrade(std::string_view target) const override;
  net::server::Handler& handler() override;
  void on_trade(std::string_view symbol, std::int64_t price, std::int64_t qty) override;
  void on_quote(std::string_view symbol, std::int64_t bid, std::int64_t ask) override;

 private:
  struct Account {
    std::string name;
    std::unique_ptr<MockExchange> exchange;
  };
  class Router;
  class WsRouter;
  std::vector<Account> accounts_;
  std::unique_ptr<Router> router_;
};

// "btcusdt" -> BTC/USDT by the quote assets Binance lists most (USDT, FDUSD, USDC, BUSD,
// TUSD, EUR, TRY, BTC, ETH, BNB); false when none ends the name or nothing is left before it.
bool split_symbol(std::string_view symbol, MockSymbol& out);

// "USDT=10000,BTC=1.5" -> balances; the error names the bad item.
Expected<std::vector<MockBalance>, std::string> parse_balances(std::string_view list);

// The account's API key and HMAC secret from a file (never argv): the lines `api_key=...` and
// `secret=...`. Errors name the file, never its content.
// `botengine sim --exchange-keys alice.keys` names the account "alice" (account_name_of).
Expected<bool, std::string> read_keys_file(const std::string& path, MockConfig& config);
std::string account_name_of(std::string_view keys_path);

// The venue's symbols: every market `streams` name ("<symbol>@<kind>"), once, with
// Binance-like filters (tick 0.01, or 1e-8 and minimum notional 0.0001 when the quote is a
// coin: BTC, ETH, BNB; MockSymbol's defaults otherwise).
std::vector<MockSymbol> symbols_in(const std::vector<std::string>& streams);

}  // namespace be::binance::mock
