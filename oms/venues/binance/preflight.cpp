// Start-time checks of a live account (preflight.hpp): blocking REST on the caller's thread.
#include "oms/venues/binance/preflight.hpp"

#include <cstdlib>

#include "feed/symbol_table.hpp"
#include "net/http_client.hpp"
#include "net/url.hpp"
#include "oms/venues/binance/messages.hpp"
#include "oms/venues/binance/signing.hpp"
#include "oms/venues/binance/symbols.hpp"

namespace be::binance {

namespace {

std::string refusal(const GatewayConfig& c, std::string_view why) {
  return "account " + std::to_string(index_of(c.account)) + ": " + std::string(why);
}

net::HttpClientOptions options_of(const GatewayConfig& c) {
  net::HttpClientOptions o;
  o.timeout = c.request_timeout;
  o.tls = c.tls;
  o.max_response_body = 64u << 20;  // exchangeInfo of every symbol is ~2 MB today
  return o;
}

Expected<net::HttpClient*, std::string> client_for(const GatewayConfig& c,
                                                   std::unique_ptr<net::HttpClient>& out) {
  auto origin = net::parse_http_url(c.rest_url);
  if (!origin) return Unexpected("rest_url: " + origin.error());
  out = std::make_unique<net::HttpClient>(std::move(*origin), options_of(c));
  return out.get();
}

// "HTTP 401, -2015 Invalid API-key, IP, or permissions for action."; the venue's message,
// with the key removed should it ever quote it.
std::string describe(const net::HttpResponse& r, std::string_view api_key) {
  std::string out = "HTTP " + std::to_string(r.status);
  SymbolMap none;
  MessageParser parser(none);
  ApiError e;
  if (parser.parse_error(r.body, e)) out += ", " + std::to_string(e.code) + " " + e.msg;
  if (!api_key.empty()) {
    for (std::size_t at; (at = out.find(api_key)) != std::string::npos;)
      out.replace(at, api_key.size(), "<api key>");
  }
  return out;
}

// `value` at `scale` as a value at scale 8 (the venue's); nullopt when it does not convert
// exactly or the scale is beyond what an int64 holds.
std::optional<std::int64_t> at_scale8(std::int64_t value, int scale) {
  std::int64_t v = value;
  for (int s = scale; s < 8; ++s)
    v *= 10;
  for (int s = scale; s > 8; --s) {
    if (v % 10 != 0) return std::nullopt;
    v /= 10;
  }
  return v;
}

std::optional<std::string> filter_mismatch(std::string_view symbol, std::string_view what,
                                           std::int64_t ours, int scale, std::int64_t venue) {
  if (ours == 0) return std::nullopt;  // not configured: the venue's is the one to journal
  const auto ours8 = at_scale8(ours, scale);
  if (ours8 && *ours8 == venue) return std::nullopt;
  return std::string(symbol) + ": " + std::string(what) + " " + format_venue_decimal(ours, scale) +
         " here, " + format_venue_decimal(venue, 8) + " at the venue";
}

}  // namespace

Expected<feed::BinanceExchangeInfo, std::string> fetch_exchange_info(
    const GatewayConfig& config, std::span<const InstrumentDefined> symbols) {
  std::unique_ptr<net::HttpClient> owned;
  auto http = client_for(config, owned);
  if (!http) return Unexpected(http.error());
  std::string target = "/api/v3/exchangeInfo";
  if (!symbols.empty()) {
    std::string list = "[";
    for (const auto& s : symbols) {
      if (list.size() > 1) list.push_back(',');
      list.push_back('"');
      list.append(s.symbol_view());
      list.push_back('"');
    }
    list.push_back(']');
    target.append("?symbols=").append(percent_encode(list));
  }
  net::HttpRequest request;
  request.target = target;
  auto answer = (*http)->request(request);
  if (!answer) return Unexpected("exchangeInfo: " + answer.error().message);
  if (answer->status != 200) return Unexpected("exchangeInfo: " + describe(*answer, {}));
  feed::SymbolTable table;
  feed::BinanceParser parser(config.venue, table);
  feed::BinanceExchangeInfo info;
  if (!parser.parse_exchange_info(answer->body, info).ok()) {
    return Unexpected(std::string("exchangeInfo: the venue's answer does not read"));
  }
  return info;
}

std::optional<std::string> check_filters(std::span<const InstrumentDefined> instruments,
                                         const feed::BinanceExchangeInfo& venue) {
  for (const auto& def : instruments) {
    const std::string_view name = def.symbol_view();
    const feed::BinanceSymbolInfo* found = nullptr;
    for (const auto& s : venue.symbols)
      if (s.symbol == name) found = &s;
    if (found == nullptr) return std::string(name) + ": not listed by the venue";
    if (found->status != "TRADING") {
      return std::string(name) + ": status " + found->status + " at the venue, not TRADING";
    }
    if (!def.base_view().empty() && def.base_view() != found->base_asset) {
      return std::string(name) + ": base asset " + std::string(def.base_view()) + " here, " +
             found->base_asset + " at the venue";
    }
    if (!def.quote_view().empty() && def.quote_view() != found->quote_asset) {
      return std::string(name) + ": quote asset " + std::string(def.quote_view()) + " here, " +
             found->quote_asset + " at the venue";
    }
    if (auto bad =
            filter_mismatch(name, "tick size", def.tick_size, def.price_scale, found->tick_size)) {
      return bad;
    }
    if (auto bad =
            filter_mismatch(name, "step size", def.step_size, def.qty_scale, found->step_size)) {
      return bad;
    }
    if (auto bad = filter_mismatch(name, "min notional", def.min_notional, def.price_scale,
                                   found->min_notional)) {
      return bad;
    }
  }
  return std::nullopt;
}

Expected<PreflightReport, std::string> preflight(const GatewayConfig& config,
                                                 const ApiCredentials& credentials,
                                                 const feed::BinanceExchangeInfo* exchange_info) {
  PreflightReport report;
  if (config.instruments.empty()) return Unexpected(refusal(config, "no instruments"));
  if (credentials.api_key.empty() || credentials.secret.empty()) {
    return Unexpected(refusal(config, "no API credentials"));
  }
  auto signer = RequestSigner::make(credentials.secret.reveal());
  if (!signer) return Unexpected(refusal(config, "API secret: " + signer.error()));
  std::unique_ptr<net::HttpClient> owned;
  auto http_or = client_for(config, owned);
  if (!http_or) return Unexpected(refusal(config, http_or.error()));
  net::HttpClient& http = **http_or;

  // 1. The clock: the venue's time against ours at the request's midpoint.
  WallClock wall;
  const std::int64_t before = wall.now() / 1'000'000;
  net::HttpRequest time_request;
  time_request.target = "/api/v3/time";
  auto time_answer = http.request(time_request);
  const std::int64_t after = wall.now() / 1'000'000;
  std::int64_t server_ms = 0;
  SymbolMap none;
  MessageParser parser(none);
  if (!time_answer) return Unexpected(refusal(config, "time: " + time_answer.error().message));
  if (time_answer->status != 200 || !parser.parse_server_time(time_answer->body, server_ms)) {
    return Unexpected(refusal(config, "time: " + describe(*time_answer, {})));
  }
  report.round_trip_ms = after - before;
  report.clock_offset_ms = server_ms - (before + after) / 2;
  if (std::llabs(report.clock_offset_ms) + report.round_trip_ms / 2 > config.recv_window_ms) {
    return Unexpected(
        refusal(config, "clock offset to the venue " + std::to_string(report.clock_offset_ms) +
                            " ms (round trip " + std::to_string(report.round_trip_ms) +
                            " ms) exceeds the receive window of " +
                            std::to_string(config.recv_window_ms) + " ms"));
  }

  // 2. The keys: a signed call that changes nothing.
  QueryBuilder q;
  q.add("recvWindow", config.recv_window_ms)
      .add("timestamp", wall.now() / 1'000'000 + report.clock_offset_ms);
  std::string target =
      "/api/v3/account?" + q.str() + "&signature=" + percent_encode(signer->sign(q.str()));
  const net::HttpHeader key_header[] = {{"X-MBX-APIKEY", credentials.api_key.reveal()}};
  net::HttpRequest account_request;
  account_request.target = target;
  account_request.headers = key_header;
  auto account_answer = http.request(account_request);
  if (!account_answer) {
    return Unexpected(refusal(
        config, "signed test call (GET /api/v3/account): " + account_answer.error().message));
  }
  if (account_answer->status != 200) {
    return Unexpected(refusal(config, "signed test call (GET /api/v3/account) refused: " +
                                          describe(*account_answer, credentials.api_key.reveal())));
  }

  // 3. The symbols and filters.
  if (exchange_info != nullptr) {
    report.exchange_info = *exchange_info;
  } else {
    auto fetched = fetch_exchange_info(config, config.instruments);
    if (!fetched) return Unexpected(refusal(config, fetched.error()));
    report.exchange_info = std::move(*fetched);
  }
  if (auto bad = check_filters(config.instruments, report.exchange_info)) {
    return Unexpected(refusal(config, *bad));
  }
  return report;
}

}  // namespace be::binance
