// The rules a request must keep beyond what Beast's parser checks: RFC 9112 (HTTP/1.1 message
// syntax) and RFC 6455 §4.2.1 (the WebSocket opening handshake). The server scaffold applies
// them to every request of every server built on it, so they are written once, here.
//
// What Beast 1.74 already refuses by itself (bad_* errors, mapped by violation_of() in
// server.cpp): a request line that is not `method SP target SP HTTP/d.d CRLF`, versions other
// than 1.0/1.1, controls in the target, field names outside `token`, controls in field values,
// a Transfer-Encoding after a Content-Length, a second chunked Transfer-Encoding, Content-Length
// values that differ or are not decimal. What it lets through and these rules refuse:
//   - bytes in the request target outside RFC 3986 (0x80-0xFF, `"`, `<`, `\`, `{`, `#`, ...)
//     or a `%` not followed by two hex digits (400, kTarget)
//   - an HTTP/1.1 request without a Host, or any request with two (RFC 9112 §3.2; 400, kHost)
//   - two Content-Length fields, even equal ones, or a list in one (400, kContentLength)
//   - Transfer-Encoding other than exactly `chunked` (`gzip`, `chunked, gzip`, `gzip, chunked`),
//     or beside Content-Length (RFC 9112 §6.1, §6.3; 400, kTransferEncoding)
//   - a WebSocket upgrade whose Sec-WebSocket-Key is absent, repeated, not base64 or does not
//     decode to exactly 16 bytes (400, kWebSocketKey), or whose Sec-WebSocket-Version is not
//     13 (426 with `Sec-WebSocket-Version: 13`, RFC 6455 §4.2.2; kWebSocketVersion)
// And one that Beast refuses with too vague an answer: a well-formed HTTP-version whose major
// version is not 1 (`HTTP/2.0`, `HTTP/9.9`) is 505 (RFC 9110 §15.6.6: the server does not
// support that major version); any other bad version (`HTTP/1.2`, `http/1.1`) is 400.
//
// Pure functions over views: no Beast, no allocation beyond the detail text of a refusal.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/names.hpp"
#include "net/server/server.hpp"

namespace be::net::server {

// A violation's status, the words for the client and the log, and headers the RFC requires
// on that answer (426: Sec-WebSocket-Version).
struct Rejection {
  Violation violation = Violation::kSyntax;
  int status = 400;
  std::string detail;
  std::vector<Header> required_headers;
};

// The request as Beast parsed it (version 10 or 11): target, Host, framing. nullopt: it keeps
// every rule.
std::optional<Rejection> check_request(const Request& request, unsigned version);

// A request Beast's websocket::is_upgrade accepted (GET, HTTP/1.1, `Connection: upgrade` and
// `Upgrade: websocket` as case-insensitive tokens): the RFC 6455 §4.2.1 fields Beast does not
// check (it accepts an empty or non-base64 key of up to 24 bytes).
std::optional<Rejection> check_websocket_handshake(const Request& request);

// For a start line Beast refused as a bad version: `head` is the connection's unparsed bytes
// from the start of the request line. 505 for a well-formed HTTP-version with a major other
// than 1; a target that held a space (Beast reads the rest of it as the version) is kTarget;
// anything else 400 kVersion.
Rejection classify_bad_version(std::string_view head);

// Transfer-Encoding and Content-Length in one request (RFC 9112 §6.3), whichever came first
// and whichever of the parser or check_request saw it.
Rejection both_framings();

// RFC 9112 §3.2 request-target: origin-form and absolute-form characters of RFC 3986 (pchar,
// `/`, `?`, and `[`/`]` outside origin-form for IP literals), `%` followed by two hex digits.
bool valid_request_target(std::string_view target) noexcept;

// RFC 6455 §4.2.1: base64 (RFC 4648 §4, padded, canonical) of exactly 16 bytes.
bool valid_websocket_key(std::string_view key) noexcept;

}  // namespace be::net::server
