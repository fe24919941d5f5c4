// The Binance mock's WebSocket API (/ws-api/v3), without sockets, on the same venue as REST
// (exchange.hpp): one order book, one ledger, one set of limits, so an order placed over one
// API is seen by the other.
//
// Methods: session.logon (Ed25519 keys only, signature checked with OpenSSL), session.status,
// order.place, order.cancel, order.status, openOrders.status, account.status, ping, time,
// userDataStream.subscribe (after logon), userDataStream.subscribe.signature (any key, no
// logon), userDataStream.unsubscribe. Answers {"id","status","result","rateLimits"} or
// {"id","status","error":{"code","msg"[,"data":{"serverTime","retryAfter"}]},"rateLimits"}.
// A signed request carries apiKey, timestamp and signature (HMAC hex or Ed25519 base64 of
// its other parameters sorted by name), or none of apiKey/signature after session.logon;
// timestamps outside recvWindow answer -1021. Weight and order counts are REST's (429/418).
// User-data events reach a subscribed session as {"subscriptionId":N,"event":{..}}: the socket
// side (mock_exchange.cpp) wraps what Exchange::publish sends with subscription_frame().
//
// Thread-safety: none; called with MockExchange's mutex held, like the rest of Exchange.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sim/binance/exchange.hpp"

namespace be::binance::mock {

// One WebSocket API connection's state.
struct WsApiSession {
  std::int64_t connected_ms = 0;
  std::int64_t authorized_ms = 0;  // 0: not logged on
  std::optional<std::uint64_t> subscription;
  std::uint64_t next_subscription = 0;
};

// A request as read from its frame: the id as its JSON text (echoed as is), the method and
// the parameters as text (strings unescaped, numbers as written).
struct WsApiCall {
  std::string id_json = "null";
  std::string method;
  Params params;
};

// The request, or nullopt when the frame is not a request object (answered with ws_api_error
// status 400, code -1000... as Binance answers malformed frames).
std::optional<WsApiCall> parse_ws_api_request(std::string_view text);

// The answer frame to `request`.
std::string ws_api_answer(Exchange& exchange, WsApiSession& session, const WsApiCall& request);

// An error answer with the current limits ({"id",..,"error":{..},"rateLimits":[..]}).
std::string ws_api_error(const Exchange& exchange, std::string_view id_json, int status, int code,
                         std::string_view msg);

// A user-data event as a subscribed session receives it.
std::string subscription_frame(std::uint64_t subscription, std::string_view event);

}  // namespace be::binance::mock
