// ws:// and wss:// URLs, split into what a connection needs.
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace be::net {

struct WsUrl {
  bool tls = false;  // wss
  std::string host;  // without brackets for IPv6 literals
  std::uint16_t port = 0;
  std::string target;  // path and query, always starting with '/'

  // The Host header value: host, plus ":port" when it is not the scheme's default.
  std::string host_header() const;
};

// Accepts ws://host[:port][/target] and wss://...; IPv6 literals as [::1]. Default ports 80
// and 443. Errors name the problem ("unsupported scheme 'http'", "bad port '99999'", ...).
Expected<WsUrl, std::string> parse_ws_url(std::string_view url);

}  // namespace be::net
