// libFuzzer target: the control API's request path without sockets. The input is a raw byte
// stream as a client could send it on one keep-alive connection; Beast's request parser (with
// the server's body and header limits) splits it into requests, and each goes through the
// Router (authentication, routing, ownership, JSON bodies) over the in-memory control plane
// of tests/api. Oracles: never a crash; every answer has a known status; every JSON answer
// parses as JSON (the output is written by hand, so this checks the escaping).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#pragma GCC diagnostic pop

#include "core/json_config.hpp"
#include "runner/api/router.hpp"
#include "tests/api/fake_control_plane.hpp"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using be::api::HttpRequest;

std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
}

// Seeds use these tokens: "admin-token" (admin), "alice-token" and "bob-token" (users).
const be::api::TokenStore& tokens() {
  static const be::api::TokenStore store = [] {
    auto t = be::api::TokenStore::parse("admin admin " + be::api::hash_token("admin-token") +
                                        "\nalice user " + be::api::hash_token("alice-token") +
                                        "\nbob user " + be::api::hash_token("bob-token"));
    if (!t) __builtin_trap();
    return std::move(*t);
  }();
  return store;
}

void check(const be::api::HttpResponse& r) {
  if (r.status < 200 || r.status > 599) __builtin_trap();
  if (r.content_type == "application/json" && !be::config::parse(r.body).has_value())
    __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A fresh engine per input keeps runs independent (ids, bots and states start over).
  be::api::test::FakeControlPlane engine(64);
  be::api::ApiStats stats;
  be::api::RouterOptions options;
  options.rate_burst = 1e9;
  options.log = [](std::string_view) {};
  be::api::Router router(engine, tokens(), options, stats);
  engine.push(be::kNoBot, "price");

  beast::flat_buffer buffer;
  auto in = buffer.prepare(size);
  if (size > 0) std::memcpy(in.data(), data, size);  // data may be null when size is 0
  buffer.commit(size);
  auto now = std::chrono::steady_clock::time_point{};
  for (int requests = 0; requests < 64 && buffer.size() > 0; ++requests) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(64u << 10);
    parser.header_limit(8u << 10);
    parser.eager(true);
    beast::error_code ec;
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec || !parser.is_done()) break;  // the server answers 400/413/431 and closes
    auto& req = parser.get();
    const HttpRequest request{sv(req.method_string()), sv(req.target()),
                              sv(req[http::field::authorization]), req.body()};
    now += std::chrono::milliseconds(1);
    if (beast::websocket::is_upgrade(req)) {
      auto auth = router.authorize_stream(request, now);
      if (auth.refusal) check(*auth.refusal);
      if (auth.user.has_value() == auth.refusal.has_value()) __builtin_trap();
      continue;
    }
    check(router.handle(request, now));
  }
  return 0;
}
