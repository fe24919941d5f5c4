// docs/API.md's examples as test data, shared by the doc tests that run them against the
// in-memory FakeControlPlane (doc_test.cpp) and against the real Engine (engine_doc_test.cpp),
// so both hold the doc to the same rules.
//
// An example is a fenced ```http request block followed by a ```http response block:
//
//   ```http                               ```http
//   POST /api/v1/bots                     HTTP/1.1 201 Created
//   Authorization: Bearer $ALICE_TOKEN    Content-Type: application/json
//
//   {"name": "btc rsi", ...}              {"id": 1, "sequence": ...}
//   ```                                   ```
//
// The status code must match; each response header shown must be present with that value;
// the body must match with `...` standing for any run of characters. JSON bodies are compared
// without the whitespace outside strings, so the doc may pretty-print them. $ADMIN_TOKEN,
// $ALICE_TOKEN and $BOB_TOKEN are the fixture users' tokens (api_fixture.hpp). Blocks tagged
// anything else (```json, ```text) are prose.
//
// Thread-safety: free functions without shared state; run_example uses its own client.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "runner/api/backtests.hpp"
#include "tests/api/test_client.hpp"

namespace be::api::test {

struct DocBlock {
  int line = 0;  // the block's first line in the file (1-based)
  std::vector<std::string> lines;
};

struct DocExample {
  DocBlock request;
  DocBlock response;
  // "docs/API.md:61: GET /api/v1/me", for traces and reports.
  std::string where() const;
};

// docs/API.md in the source tree this test was built from.
std::filesystem::path api_doc_path();

// Every request/response pair, in document order. A request without a response, or the other
// way round, is appended to `problems` (one line each) rather than silently dropped.
std::vector<DocExample> parse_doc(const std::filesystem::path& path, std::string& problems);

// docs/API.md's examples into `out`; a fatal test failure when the doc is missing, has an
// unpaired block or lost its examples. Call under ASSERT_NO_FATAL_FAILURE.
void load_doc_examples(std::vector<DocExample>& out);

// Drops whitespace outside JSON strings.
std::string squeeze_json(std::string_view s);

// `pattern` with "..." matching any run of characters.
bool glob(std::string_view pattern, std::string_view text);

// The report files the doc's Reports section lists and serves, written into `dir`.
void write_doc_reports(const std::filesystem::path& dir);

// The doc's Backtests section: jobs that finish at once with a fixed report, and, before an
// example that reads a job (GET /api/v1/backtests/...), a wait for every job submitted before
// it to finish, as a client polling it would (bounded: 30 s).
BacktestFn doc_backtest_fn();
void wait_for_backtests(const BacktestQueue& queue, const DocExample& example);

struct ExampleResult {
  bool answered = false;
  Reply reply;
  std::vector<std::string> mismatches;  // empty: the answer matches the doc
  std::string describe() const;         // the mismatches, one per line
};

// Sends the example's request (tokens substituted, Connection: close) to 127.0.0.1:`port`
// and compares the answer with the documented response. Bounded by TestClient's deadline.
ExampleResult run_example(std::uint16_t port, const DocExample& example);

}  // namespace be::api::test
