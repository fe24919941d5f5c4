#include "net/url.hpp"

#include <charconv>

namespace be::net {

namespace {

struct SchemeSpelling {
  std::string_view prefix;
  Scheme scheme;
  bool tls;
};
constexpr SchemeSpelling kSchemes[] = {{"http://", Scheme::kHttp, false},
                                       {"https://", Scheme::kHttps, true},
                                       {"ws://", Scheme::kWs, false},
                                       {"wss://", Scheme::kWss, true}};

Unexpected<std::string> unsupported(std::string_view url, std::string_view expected) {
  const auto colon = url.find(':');
  return Unexpected{"unsupported scheme '" + std::string(url.substr(0, colon)) + "' (expected " +
                    std::string(expected) + ")"};
}

// Everything after "<scheme>://".
Expected<Url, std::string> parse_rest(std::string_view url, Url out) {
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

Expected<Url, std::string> parse_among(std::string_view url, std::size_t first, std::size_t count,
                                       std::string_view expected) {
  for (std::size_t i = first; i < first + count; ++i) {
    const SchemeSpelling& s = kSchemes[i];
    if (!url.starts_with(s.prefix)) continue;
    Url out;
    out.scheme = s.scheme;
    out.tls = s.tls;
    return parse_rest(url.substr(s.prefix.size()), std::move(out));
  }
  return unsupported(url, expected);
}

}  // namespace

std::string Url::host_header() const {
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

Expected<Url, std::string> parse_url(std::string_view url) {
  return parse_among(url, 0, 4, "http://, https://, ws:// or wss://");
}

Expected<Url, std::string> parse_http_url(std::string_view url) {
  return parse_among(url, 0, 2, "http:// or https://");
}

Expected<Url, std::string> parse_ws_url(std::string_view url) {
  return parse_among(url, 2, 2, "ws:// or wss://");
}

}  // namespace be::net
