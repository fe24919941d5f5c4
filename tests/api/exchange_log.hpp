// The HTTP exchanges a doc test has with a server, recorded one JSON object per line so that
// tests/api/openapi/check.mjs can validate them against docs/openapi.json (the ctest test
// api_openapi_live). Recording is off unless BE_API_EXCHANGES names the file to write.
//
// A line: {"where": "docs/API.md:61: GET /api/v1/me", "method": "GET", "target": "/api/v1/me",
//          "request_body": "", "status": 200, "content_type": "application/json", "body": "..."}
// or, for a WebSocket message of the event stream:
//         {"where": "stream ?since=0, message 2", "stream": true, "body": "{\"seq\": ...}"}
//
// Thread-safety: none; one log per test.
#pragma once

#include <cstdint>
#include <fstream>
#include <string_view>

#include "tests/api/doc_examples.hpp"

namespace be::api::test {

class ExchangeLog {
 public:
  ExchangeLog();  // opens (truncates) $BE_API_EXCHANGES when it is set
  bool enabled() const { return out_.is_open(); }
  // One example's request and the answer it got; nothing when off or unanswered.
  void record(const DocExample& example, const ExampleResult& result);
  // The event stream as an admin sees it from ?since=0: the hello and every message up to
  // the events of a global kill switch set and reset after it opened (two commands it sends).
  // Nothing when off.
  void record_stream(std::uint16_t port, std::string_view admin_token);

 private:
  std::ofstream out_;
};

}  // namespace be::api::test
