// The Binance mock mounted on `botengine sim`'s port: Binance's spot REST API (/api/v3/*,
// the wallet reads under /sapi/v1/*) and the user-data stream (/ws/<listenKey>) beside the
// market streams, its resting orders filled by the market the simulator delivers.
//
// Thread-safety: as MockExchange (one mutex); the simulator calls from its server thread.
// Lifetime: the venue must outlive the SimServer it is mounted on; call stop() before the
// server's stop().
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sim/binance/mock_exchange.hpp"
#include "sim/sim_server.hpp"

namespace be::binance::mock {

class MockVenue final : public sim::SimVenue {
 public:
  MockVenue(MockConfig config, const IngressClock& wall_clock)
      : exchange_(std::move(config), wall_clock) {}

  MockExchange& exchange() { return exchange_; }
  void stop() { exchange_.stop(); }

  bool serves_path(std::string_view path) const override;
  bool serves_upgrade(std::string_view target) const override;
  net::server::Handler& handler() override { return exchange_.handler(); }
  void on_trade(std::string_view symbol, std::int64_t price, std::int64_t qty) override {
    exchange_.on_trade(symbol, price, qty);
  }
  void on_quote(std::string_view symbol, std::int64_t bid, std::int64_t ask) override {
    exchange_.on_quote(symbol, bid, ask);
  }

 private:
  MockExchange exchange_;
};

// "btcusdt" -> BTC/USDT by the quote assets Binance lists most (USDT, FDUSD, USDC, BUSD,
// TUSD, EUR, TRY, BTC, ETH, BNB); false when none ends the name or nothing is left before it.
bool split_symbol(std::string_view symbol, MockSymbol& out);

// "USDT=10000,BTC=1.5" -> balances; the error names the bad item.
Expected<std::vector<MockBalance>, std::string> parse_balances(std::string_view list);

// The account's API key and HMAC secret from a file (never argv): the lines `api_key=...` and
// `secret=...`. Errors name the file, never its content.
Expected<bool, std::string> read_keys_file(const std::string& path, MockConfig& config);

// The venue's symbols: every market `streams` name ("<symbol>@<kind>"), once, with
// Binance-like filters (tick 0.01, or 1e-8 and minimum notional 0.0001 when the quote is a
// coin: BTC, ETH, BNB; MockSymbol's defaults otherwise).
std::vector<MockSymbol> symbols_in(const std::vector<std::string>& streams);

}  // namespace be::binance::mock
