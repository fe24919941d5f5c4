// Runs docs/API.md's examples against the real engine: be::engine::Engine (a temporary data
// directory, the journal on, one instrument, no venue connection) behind the real ApiServer on
// a loopback ephemeral port, over real HTTP. doc_test.cpp proves the router against the
// in-memory FakeControlPlane; this proves that the engine answers as the doc says, with the
// same parser and matcher (doc_examples.hpp), in document order on one engine.
//
// The test plays the feed handler: with no venue URL nothing connects, so it offers the
// venue's "connected" status, a quote and a trade through Engine::offer_event before the
// server starts, and waits (bounded) until the published read model shows them. Commands are
// applied before they are answered (the ControlPlane waits for the pipeline's outcome).
//
// An example on which the engine knowingly differs from the doc is listed in
// kKnownDivergences with the reason; it still runs, is reported on stdout, and fails the test
// once it matches (so the list cannot outlive the bug). Every other example must match.
// Every accepted command must be answered only once the published read model shows it.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "engine/engine.hpp"
#include "runner/api/server.hpp"
#include "tests/api/api_fixture.hpp"
#include "tests/api/doc_examples.hpp"
#include "tests/api/exchange_log.hpp"

namespace be::api::test {
namespace {

namespace fs = std::filesystem;

// One venue without a URL and the instrument the doc's bots trade; paper balances so that
// /balances has something to show. Journal async, as the demo runs.
constexpr std::string_view kDeployment = R"({
  "engine": {"journal": "async", "tick_ms": 5},
  "venues": [{"name": "binance"}],
  "instruments": [{"venue": "binance", "symbol": "BTCUSDT", "base": "BTC", "quote": "USDT",
                   "price_scale": 8, "qty_scale": 8, "tick_size": 0.01, "step_size": 0.00001,
                   "min_notional": 5}],
  "paper": {"taker_fee_bps": 10, "maker_fee_bps": 2, "balances": {"USDT": "100000"}}
})";

// Examples where the engine's answer differs from the doc in substance, keyed by the request
// line and its occurrence (1-based) among identical request lines in the doc. Empty: none.
struct Divergence {
  std::string request;
  int occurrence;
  std::string reason;
};
const std::vector<Divergence> kKnownDivergences = {};

// The journal sequence an accepted command's answer carries ({"id": 1, "sequence": 42}).
std::optional<SequenceNumber> answered_sequence(const DocExample& e, const Reply& reply) {
  constexpr std::string_view kKey = "\"sequence\":";
  if (e.request.lines[0].rfind("GET ", 0) == 0) return std::nullopt;  // reads, not commands
  if (reply.status != 200 && reply.status != 201) return std::nullopt;
  const auto at = reply.body.find(kKey);
  if (at == std::string::npos) return std::nullopt;
  SequenceNumber v = 0;
  const char* first = reply.body.data() + at + kKey.size();
  const auto r = std::from_chars(first, reply.body.data() + reply.body.size(), v);
  if (r.ec != std::errc{}) return std::nullopt;
  return v;
}

Nanos wall_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class EngineApiDocTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/be_api_engine_doc_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto config = engine::parse_engine_config(kDeployment);
    ASSERT_TRUE(config.has_value()) << config::format_errors(config.error());
    config->data_dir = (dir_ / "data").string();
    // The fixture's users, imported as `botengine run` imports the tokens file.
    auto users = TokenStore::parse(tokens_file_text());
    ASSERT_TRUE(users.has_value()) << users.error();
    for (const TokenStore::Entry& u : users->entries())
      config->initial_users.push_back({u.name, u.admin, u.token_sha256});
    auto opened = engine::Engine::open(std::move(*config));
    ASSERT_TRUE(opened.has_value()) << opened.error();
    engine_ = std::move(*opened);
    auto started = engine_->start();
    ASSERT_TRUE(started.has_value()) << started.error();
    feed_market();
    ASSERT_NO_FATAL_FAILURE(wait_for_market());

    write_doc_reports(dir_ / "data" / "reports");
    auto tokens = TokenStore::parse(tokens_file_text());
    ASSERT_TRUE(tokens.has_value()) << tokens.error();
    ApiOptions options;
    options.port = 0;
    options.reports_dir = dir_ / "data" / "reports";
    options.backtests = &backtests_;
    options.log = [](std::string_view) {};  // the command log is not under test here
    server_ = std::make_unique<ApiServer>(*engine_, std::move(*tokens), std::move(options));
    auto port = server_->start();
    ASSERT_TRUE(port.has_value()) << port.error();
    port_ = *port;
  }

  void TearDown() override {
    if (server_) server_->stop();  // before the engine: the server borrows it
    server_.reset();
    if (engine_) engine_->stop();
    engine_.reset();
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  // What a connected feed handler would have offered: the venue up, a quote, a trade.
  void feed_market() {
    const Nanos t = wall_now();
    Connectivity up;
    up.venue = VenueId{0};
    up.state = ConnectivityState::kConnected;
    ASSERT_TRUE(engine_->offer_event(Event::make(up, t, t)));
    constexpr std::int64_t kUnit = 100'000'000;  // 1.0 at the instrument's scale 8
    Quote q;
    q.instrument = InstrumentId{0};
    q.bid_price = 50'000 * kUnit - kUnit / 100;
    q.ask_price = 50'000 * kUnit + kUnit / 100;
    q.bid_quantity = q.ask_quantity = kUnit;
    ASSERT_TRUE(engine_->offer_event(Event::make(q, t + 1, t + 1)));
    Trade tr;
    tr.instrument = InstrumentId{0};
    tr.price = 50'000 * kUnit;
    tr.quantity = kUnit / 100;
    tr.aggressor = Side::kBuy;
    tr.trade_id = 1;
    ASSERT_TRUE(engine_->offer_event(Event::make(tr, t + 2, t + 2)));
    ASSERT_TRUE(engine_->drain(10'000'000'000));
  }

  // The read model is published on the pipeline's cadence, after drain() returns: wait for
  // the publication that shows the market (a condition with a deadline, not a guessed delay).
  void wait_for_market() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      const auto m = engine_->read_model();
      if (m && m->engine.market_ready && m->engine.healthy && !m->engine.feeds.empty()) return;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline)
          << "the engine never published a healthy model with the market";
      std::this_thread::yield();
    }
  }

  // True when the published read model includes the input at journal position `sequence`.
  bool published(SequenceNumber sequence) const {
    const auto m = engine_->read_model();
    return m && m->engine.last_sequence >= sequence;
  }

  fs::path dir_;
  std::unique_ptr<engine::Engine> engine_;
  BacktestQueue backtests_{doc_backtest_fn()};  // before the server, which borrows it
  std::unique_ptr<ApiServer> server_;
  std::uint16_t port_ = 0;
};

TEST_F(EngineApiDocTest, shouldAnswerEveryExampleInTheApiDocFromTheRealEngine) {
  std::vector<DocExample> examples;
  ASSERT_NO_FATAL_FAILURE(load_doc_examples(examples));

  std::map<std::string, int> seen;
  ExchangeLog exchanges;  // for the OpenAPI check (api_openapi_live), when asked for
  int matched = 0, known = 0, lagged = 0;
  for (const DocExample& e : examples) {
    SCOPED_TRACE(e.where());
    const int occurrence = ++seen[e.request.lines[0]];
    const Divergence* divergence = nullptr;
    for (const Divergence& d : kKnownDivergences) {
      if (d.request == e.request.lines[0] && d.occurrence == occurrence) divergence = &d;
    }
    wait_for_backtests(backtests_, e);
    const ExampleResult r = run_example(port_, e);
    exchanges.record(e, r);
    if (divergence == nullptr) {
      EXPECT_TRUE(r.mismatches.empty()) << r.describe();
      if (r.mismatches.empty()) {
        ++matched;
        std::printf("[ DOC OK   ] %s\n", e.where().c_str());
      }
    } else {
      ++known;
      EXPECT_FALSE(r.mismatches.empty())
          << "listed as a known divergence but now matches the doc: remove it from "
             "kKnownDivergences";
      std::printf("[ DIVERGES ] %s: %s\n%s", e.where().c_str(), divergence->reason.c_str(),
                  r.describe().c_str());
    }
    // A command is answered once a published read model shows its effect, so the next
    // example (often a read) sees the state the doc describes. (Fixed: answers used to come
    // before the publication, and a read right after one could miss it.)
    if (const auto sequence = answered_sequence(e, r.reply)) {
      if (!published(*sequence)) {
        ++lagged;
        ADD_FAILURE() << e.where() << ": answered before the read model showed the command "
                      << "(sequence " << *sequence << ")";
      }
    }
  }
  exchanges.record_stream(port_, kAdminToken);
  std::printf(
      "[ DOC      ] %d of %zu examples match the engine, %d known divergences, %d commands "
      "answered before the read model showed them\n",
      matched, examples.size(), known, lagged);
}

}  // namespace
}  // namespace be::api::test
