// http://, https://, ws:// and wss:// URLs, split into what a connection needs. One grammar
// for every client in net/: the scheme picks TLS and the default port, the rest is the same.
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace be::net {

enum class Scheme : std::uint8_t { kHttp, kHttps, kWs, kWss };

struct Url {
  Scheme scheme = Scheme::kWs;
  bool tls = false;  // https or wss
  std::string host;  // without brackets for IPv6 literals
  std::uint16_t port = 0;
  std::string target;  // path and query, always starting with '/'

  // The Host header value: host, plus ":port" when it is not the scheme's default.
  std::string host_header() const;
};
using WsUrl = Url;
using HttpUrl = Url;

// Accepts <scheme>://host[:port][/target] for http, https, ws and wss; IPv6 literals as
// [::1]. Default ports 80 and 443. Errors name the problem ("unsupported scheme 'ftp'",
// "bad port '99999'", "missing host", ...).
Expected<Url, std::string> parse_url(std::string_view url);
// The same grammar restricted to ws:// and wss:// ("... (expected ws:// or wss://)").
Expected<Url, std::string> parse_ws_url(std::string_view url);
// The same grammar restricted to http:// and https:// ("... (expected http:// or https://)").
Expected<Url, std::string> parse_http_url(std::string_view url);

}  // namespace be::net
