// Start-time safety for a live account, and the venue's filters for the journal.
//
// preflight() refuses an account, before any order can go, when
//  - the venue's clock is further from ours than the account's recvWindow (GET /api/v3/time;
//    a signed request would be refused with -1021 anyway, and fills would be mistimed),
//  - its keys fail a signed test call (GET /api/v3/account: bad key, bad signature, no
//    permission, IP not allowed),
//  - a configured instrument is not on the venue, not TRADING, or its tick size, step size or
//    minimum notional differs from the venue's exchangeInfo (or its assets do).
// Each refusal is "account <id>: <reason>" and never quotes a key or a signature.
//
// fetch_exchange_info() returns the venue's filters per symbol as a plain struct
// (feed::BinanceExchangeInfo, the project's one exchangeInfo reader, amounts at scale 8):
// what the runner hands the engine to journal, so a replay applies the same filters.
//
// Blocking (HTTP on the caller's thread); for the runner's start, never a hot path.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/event.hpp"
#include "core/expected.hpp"
#include "feed/binance.hpp"
#include "oms/venues/binance/gateway.hpp"
#include "oms/venues/binance/key_store.hpp"

namespace be::binance {

struct PreflightReport {
  std::int64_t clock_offset_ms = 0;         // venue minus local, at the midpoint of the request
  std::int64_t round_trip_ms = 0;           // of GET /api/v3/time
  feed::BinanceExchangeInfo exchange_info;  // as fetched (or as passed in)
};

// GET /api/v3/exchangeInfo from config.rest_url (config.tls, config.request_timeout); with
// `symbols` only those (Binance's symbols=[...] parameter), else every symbol.
Expected<feed::BinanceExchangeInfo, std::string> fetch_exchange_info(
    const GatewayConfig& config, std::span<const InstrumentDefined> symbols = {});

// nullopt when every instrument matches the venue's filters; otherwise why the first one does
// not ("BTCUSDT: tick size 0.01 here, 0.10 at the venue").
std::optional<std::string> check_filters(std::span<const InstrumentDefined> instruments,
                                         const feed::BinanceExchangeInfo& venue);

// The three checks above for one account. `exchange_info`: the venue's, already fetched for
// the runner's journal (nullptr: fetched here for the account's instruments).
Expected<PreflightReport, std::string> preflight(
    const GatewayConfig& config, const ApiCredentials& credentials,
    const feed::BinanceExchangeInfo* exchange_info = nullptr);

}  // namespace be::binance
