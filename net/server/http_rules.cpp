// RFC 9112 / RFC 6455 rules the parser lets through (http_rules.hpp says which and why).
#include "net/server/http_rules.hpp"

#include <algorithm>
#include <cstddef>

namespace be::net::server {

namespace {

constexpr bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
constexpr bool is_hex(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// RFC 3986: unreserved / sub-delims / ":" / "@" (pchar without pct-encoded), and "/" "?"
// which the path and the query allow between them.
constexpr bool is_target_char(char c) noexcept {
  if (is_alpha(c) || is_digit(c)) return true;
  constexpr std::string_view kOthers = "-._~!$&'()*+,;=:@/?";
  return kOthers.find(c) != std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// How many fields of that name, and the value of the last one.
struct Fields {
  std::size_t count = 0;
  std::string_view value;
};
Fields fields_named(const Request& request, std::string_view name) {
  Fields out;
  for (const auto& [key, value] : request.headers) {
    if (!iequals(key, name)) continue;
    ++out.count;
    out.value = value;
  }
  return out;
}

Rejection reject(Violation violation, std::string detail, int status = 400) {
  return Rejection{violation, status, std::move(detail), {}};
}

std::optional<Rejection> check_framing(const Request& request) {
  const Fields length = fields_named(request, "Content-Length");
  const Fields coding = fields_named(request, "Transfer-Encoding");
  if (coding.count > 0) {
    // RFC 9112 §6.1: a request whose last coding is not chunked cannot be framed (400); of
    // the codings that end in chunked, this server decodes none but chunked itself.
    if (coding.count > 1 || !iequals(trim(coding.value), "chunked")) {
      return reject(Violation::kTransferEncoding,
                    "Transfer-Encoding must be exactly `chunked` (RFC 9112 §6.1)");
    }
    if (length.count > 0) return both_framings();
  }
  if (length.count > 1 || length.value.find(',') != std::string_view::npos) {
    return reject(Violation::kContentLength, "more than one Content-Length (RFC 9112 §6.3)");
  }
  return std::nullopt;
}

}  // namespace

Rejection both_framings() {
  return reject(Violation::kTransferEncoding,
                "Transfer-Encoding and Content-Length together (RFC 9112 §6.3)");
}

bool valid_request_target(std::string_view target) noexcept {
  if (target.empty()) return false;
  const bool origin_form = target.front() == '/';
  for (std::size_t i = 0; i < target.size(); ++i) {
    const char c = target[i];
    if (c == '%') {
      if (i + 2 >= target.size() || !is_hex(target[i + 1]) || !is_hex(target[i + 2])) return false;
      i += 2;
    } else if (!is_target_char(c) && (origin_form || (c != '[' && c != ']'))) {
      return false;
    }
  }
  return true;
}

bool valid_websocket_key(std::string_view key) noexcept {
  // 16 bytes are 22 base64 digits and "==": 128 bits = 21 digits of 6 bits and 2 bits of a
  // 22nd, whose 4 low bits must be zero in canonical base64 (A, Q, g or w).
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (key.size() != 24 || !key.ends_with("==")) return false;
  for (std::size_t i = 0; i < 22; ++i) {
    const std::size_t digit = kAlphabet.find(key[i]);
    if (digit == std::string_view::npos) return false;
    if (i == 21 && (digit & 0x0F) != 0) return false;
  }
  return true;
}

std::optional<Rejection> check_request(const Request& request, unsigned version) {
  if (!valid_request_target(request.target)) {
    return reject(Violation::kTarget,
                  "the request target holds a byte RFC 3986 does not allow (RFC 9112 §3.2)");
  }
  const Fields host = fields_named(request, "Host");
  if (host.count > 1 || (version >= 11 && host.count == 0)) {
    return reject(Violation::kHost,
                  "an HTTP/1.1 request needs exactly one Host field (RFC 9112 §3.2)");
  }
  return check_framing(request);
}

std::optional<Rejection> check_websocket_handshake(const Request& request) {
  const Fields key = fields_named(request, "Sec-WebSocket-Key");
  if (key.count != 1 || !valid_websocket_key(trim(key.value))) {
    return reject(Violation::kWebSocketKey,
                  "Sec-WebSocket-Key must be one base64 value of 16 bytes (RFC 6455 §4.2.1)");
  }
  const Fields version = fields_named(request, "Sec-WebSocket-Version");
  if (version.count != 1 || trim(version.value) != "13") {
    Rejection r = reject(Violation::kWebSocketVersion,
                         "Sec-WebSocket-Version must be 13 (RFC 6455 §4.2.2)", 426);
    r.required_headers.push_back({"Sec-WebSocket-Version", "13"});
    return r;
  }
  return std::nullopt;
}

Rejection classify_bad_version(std::string_view head) {
  const std::string_view line = head.substr(0, head.find_first_of("\r\n"));
  const std::size_t last_space = line.rfind(' ');
  const std::string_view version =
      last_space == std::string_view::npos ? std::string_view{} : line.substr(last_space + 1);
  // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3), case-sensitive.
  const bool well_formed = version.size() == 8 && version.starts_with("HTTP/") &&
                           is_digit(version[5]) && version[6] == '.' && is_digit(version[7]);
  // `GET /a b HTTP/1.1`: the parser took "b HTTP/1.1" for the version.
  if (well_formed && std::count(line.begin(), line.end(), ' ') > 2) {
    return reject(Violation::kTarget, "a space in the request target (RFC 9112 §3.2)");
  }
  if (well_formed && version[5] != '1') {
    return reject(Violation::kVersion,
                  "HTTP major version " + std::string(1, version[5]) +
                      " is not supported: use HTTP/1.1 (RFC 9110 §15.6.6)",
                  505);
  }
  return reject(Violation::kVersion, "the HTTP version must be HTTP/1.0 or HTTP/1.1");
}

}  // namespace be::net::server
