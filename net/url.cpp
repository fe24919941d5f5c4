#include "net/url.hpp"

#include <charconv>

namespace be::net {

std::string WsUrl::host_header() const {
  // Appends only: GCC 12 -O3 misreports -Wrestrict on operator+ chains of std::string.
  const bool v6 = host.find(':') != std::string::npos;
  std::string h;
  h.reserve(host.size() + 8);
  if (v6) h.push_back('[');
  h.append(host);
  if (v6) h.push_back(']');
  if (port != (tls ? 443 : 80)) {
    h.push_back(':');
    h.append(std::to_string(port));
  }
  return h;
}

Expected<WsUrl, std::string> parse_ws_url(std::string_view url) {
  WsUrl out;
  if (url.starts_with("ws://")) {
    url.remove_prefix(5);
  } else if (url.starts_with("wss://")) {
    out.tls = true;
    url.remove_prefix(6);
  } else {
    const auto colon = url.find(':');
    return Unexpected{"unsupported scheme '" + std::string(url.substr(0, colon)) +
                      "' (expected ws:// or wss://)"};
  }
  const auto slash = url.find_first_of("/?");
  std::string_view authority = url.substr(0, slash);
  if (slash == std::string_view::npos || url[slash] == '?') out.target.push_back('/');
  if (slash != std::string_view::npos) out.target.append(url.substr(slash));

  std::string_view port_text;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos)
      return Unexpected{std::string("unterminated IPv6 literal")};
    out.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (authority.starts_with(':')) {
      port_text = authority.substr(1);
    } else if (!authority.empty()) {
      return Unexpected{"unexpected '" + std::string(authority) + "' after IPv6 literal"};
    }
  } else {
    const auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return Unexpected{std::string("missing host")};
  if (port_text.empty()) {
    out.port = out.tls ? 443 : 80;
  } else {
    unsigned value = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return Unexpected{"bad port '" + std::string(port_text) + "'"};
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  return out;
}

}  // namespace be::net
