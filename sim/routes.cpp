#include "sim/routes.hpp"

#include <charconv>

namespace be::sim {

namespace {

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const auto at = s.find(sep);
    if (at != 0) out.emplace_back(s.substr(0, at));
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return out;
}

}  // namespace

WsRoute route_ws(std::string_view target, const MarketSource& source, std::size_t max_streams) {
  WsRoute r;
  const auto q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  if (path == "/ws" || path.starts_with("/ws/")) {
    r.streams = split(path.substr(3), '/');
  } else if (path == "/stream" || path == "/stream/") {
    r.combined = true;
    if (!query.empty()) {
      if (!query.starts_with("streams=")) {
        r.error = "unknown query; expected streams=<a>/<b>";
        return r;
      }
      r.streams = split(query.substr(8), '/');
    }
  } else {
    r.error = "unknown path; use /ws/<stream>, /ws, /stream?streams=a/b or /stream";
    return r;
  }
  if (r.streams.size() > max_streams) {
    r.error = "too many streams";
    return r;
  }
  // Binance accepts any name after /ws/ and sends nothing for one it does not know; clients
  // rely on it (ccxt connects to /ws/0 and subscribes live). A name without '@' cannot be a
  // stream, so it is accepted and ignored; a stream-shaped name we do not serve stays a 400
  // so a typo shows.
  if (!r.combined) {
    std::erase_if(r.streams, [&](const std::string& s) {
      return s.find('@') == std::string::npos && !source.serves(s);
    });
  }
  for (const auto& s : r.streams) {
    if (!source.serves(s)) {
      r.error = "unknown stream '" + s + "'";
      return r;
    }
  }
  r.ok = true;
  return r;
}

Expected<DepthQuery, std::string> parse_depth_query(std::string_view query) {
  DepthQuery out;
  for (const auto& kv : split(query, '&')) {
    const std::string_view k = std::string_view(kv).substr(0, kv.find('='));
    const std::string_view v =
        kv.find('=') == std::string::npos ? "" : std::string_view(kv).substr(kv.find('=') + 1);
    if (k == "symbol") {
      out.symbol = to_lower(v);
    } else if (k == "limit") {
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out.limit);
      if (ec != std::errc() || end != v.data() + v.size() || out.limit == 0 || out.limit > 5000) {
        return Unexpected{std::string("limit must be 1..5000")};
      }
    }
  }
  if (out.symbol.empty()) return Unexpected{std::string("symbol is required")};
  return out;
}

std::string stats_json(const SimStats& s) {
  std::string out = "{";
  auto field = [&](std::string_view name, std::uint64_t v) {
    if (out.size() > 1) out += ',';
    out += '"';
    out += name;
    out += "\":";
    out += std::to_string(v);
  };
  field("connections", s.connections);
  field("open_sessions", s.open_sessions);
  field("http_requests", s.http_requests);
  field("rejected_requests", s.rejected_requests);
  field("control_requests", s.control_requests);
  field("subscriptions", s.subscriptions);
  field("market_messages", s.market_messages);
  field("frames_sent", s.frames_sent);
  field("pings_sent", s.pings_sent);
  field("pongs_received", s.pongs_received);
  field("pings_received", s.pings_received);
  field("faults", s.faults);
  field("slow_clients_dropped", s.slow_clients_dropped);
  field("depth_updates_withheld", s.depth_updates_withheld);
  field("tls_handshakes", s.tls_handshakes);
  field("tls_handshake_failures", s.tls_handshake_failures);
  out += s.source_exhausted ? R"(,"source_exhausted":true})" : R"(,"source_exhausted":false})";
  return out;
}

}  // namespace be::sim
