// The venue's live subscription protocol as the WebSocket client speaks it (Binance's
// SUBSCRIBE/UNSUBSCRIBE/LIST_SUBSCRIPTIONS with numeric ids): building requests and reading
// the id and message of a reply. Internal to be_net; no Beast here.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace be::net::detail {

// {"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":7}; no params: no "params" key.
std::string request_json(std::string_view method, const std::vector<std::string>& params,
                         std::uint64_t id);
// The number after the last "id": in a reply, if any.
std::optional<std::uint64_t> reply_id(std::string_view reply);
// The "msg" of an error reply, or "error reply without msg".
std::string reply_message(std::string_view reply);

}  // namespace be::net::detail
