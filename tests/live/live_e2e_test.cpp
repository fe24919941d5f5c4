// Live trading end to end, over TLS, against the simulator's Binance exchange (docs/LIVE.md):
// `botengine sim` (two exchange accounts, a throwaway certificate made here) and `botengine run`
// as real processes; through the control API an admin makes two users, a live account each
// with its key from the key store, and a DCA bot each on its account. Then:
//   - each user sees only their own account (API);
//   - the runner is SIGKILLed at seeded random moments while the bots trade (orders resting and
//     in flight), and restarted on the same data directory, BE_CRASH_KILLS times (the crash
//     harness's settings and seed: tests/support/crash_harness.hpp);
//   - after the last restart: every open order the venue holds is one the engine knows, no
//     client order id was placed twice at the venue, the account kill switch cancels every
//     order at the venue, the accounts' balances equal the venue's, and
//     `botengine replay --verify` passes on the journal.
// And a live account refused at start (the venue's clock skewed) is retried until it connects.
#include <gtest/gtest.h>

#include <fcntl.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <set>

#include "net/server/tls_identity.hpp"
#include "tests/live/live_process.hpp"
#include "tests/support/botengine_cli.hpp"
#include "tests/support/crash_harness.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <simdjson.h>
#pragma GCC diagnostic pop

namespace be::test {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::string random_hex(std::mt19937_64& rng, std::size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    const auto b = static_cast<unsigned>(rng() & 0xff);
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
}

// The document, or (a failure recorded) an empty object: what follows then reads nothing
// rather than a null document (UBSan caught that when a read came back truncated).
simdjson::dom::element parse(simdjson::dom::parser& parser, const std::string& text) {
  simdjson::dom::element doc;
  if (parser.parse(text).get(doc) == simdjson::SUCCESS) return doc;
  ADD_FAILURE() << "not JSON: " << text;
  EXPECT_EQ(parser.parse(std::string("{}")).get(doc), simdjson::SUCCESS);
  return doc;
}

std::int64_t id_of(const std::string& body) {
  simdjson::dom::parser p;
  std::int64_t id = -1;
  if (parse(p, body)["id"].get(id) != simdjson::SUCCESS) return -1;
  return id;
}

std::string text_of(const std::string& body, const char* field) {
  simdjson::dom::parser p;
  std::string_view v;
  if (parse(p, body)[field].get(v) != simdjson::SUCCESS) return {};
  return std::string(v);
}

// One user of the deployment: their token, live account and bot.
struct Trader {
  std::string name;
  std::string api_key, secret;  // the exchange account's (the sim's file and the key store)
  std::int64_t user = -1, account = -1, bot = -1;
  std::string token;
};

Trader trader(std::string name) {
  Trader t;
  t.name = std::move(name);
  return t;
}

class LiveE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    REQUIRE_BOTENGINE();
    settings_ = crash_settings(3);
    std::printf("live e2e: %d kills, seed %llu (rerun: BE_CRASH_SEED=%llu BE_CRASH_KILLS=%d)\n",
                settings_.kills, static_cast<unsigned long long>(settings_.seed),
                static_cast<unsigned long long>(settings_.seed), settings_.kills);
    rng_.seed(settings_.seed);
    dir_ = fs::path(::testing::TempDir()) / ("be-live-e2e-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data");
    data_ = dir_ / "data";

    auto identity = net::server::make_self_signed_identity();
    ASSERT_TRUE(identity) << identity.error();
    write_file(dir_ / "server.pem", identity->certificate_pem);
    write_file(dir_ / "server.key", identity->private_key_pem);
    ca_pem_ = identity->certificate_pem;
    write_file(dir_ / "master.key", random_hex(rng_, 32) + "\n");

    std::vector<std::string> sim = {BE_BOTENGINE_PATH, "sim",
                                    "--port",          "0",
                                    "--speed",         "20",
                                    "--seed",          "11",
                                    "--symbols",       "btcusdt",
                                    "--tls-cert",      (dir_ / "server.pem").string(),
                                    "--tls-key",       (dir_ / "server.key").string(),
                                    "--balances",      "USDT=100000,BTC=1"};
    for (Trader* t : {&alice_, &bob_}) {
      t->api_key = random_hex(rng_, 32);
      t->secret = random_hex(rng_, 32);
      write_file(dir_ / (t->name + ".keys"),
                 "api_key=" + t->api_key + "\nsecret=" + t->secret + "\n");
      write_file(dir_ / (t->name + ".lines"), t->api_key + "\n" + t->secret + "\n");
      sim.insert(sim.end(), {"--exchange-keys", (dir_ / (t->name + ".keys")).string()});
      const CliResult added =
          run_botengine("keys add " + t->name + " --data-dir " + data_.string() + " --from " +
                        (dir_ / (t->name + ".lines")).string() + " --master-key-file " +
                        (dir_ / "master.key").string());
      ASSERT_EQ(added.exit_code, 0) << added.output;
      ASSERT_EQ(added.output.find(t->secret), std::string::npos);
    }
    ASSERT_TRUE(sim_.start(sim, dir_ / "sim.log"));
    const auto port = sim_.wait_for_line(R"(listening on wss://127\.0\.0\.1:(\d+))", seconds(10));
    ASSERT_TRUE(port) << sim_.log();
    origin_ = "127.0.0.1:" + *port;
    net::TlsClientOptions tls;
    tls.ca_pem = ca_pem_;
    venue_.emplace("https://" + origin_, tls);

    write_file(dir_ / "live.json", R"({
      "engine": {"journal": "durable", "snapshot_every_inputs": 2000, "max_live_accounts": 4},
      "venues": [{"name": "binance", "url": "wss://)" +
                                       origin_ + R"(/stream"}],
      "instruments": [{"venue": "binance", "symbol": "BTCUSDT", "base": "BTC", "quote": "USDT",
        "price_scale": 8, "qty_scale": 8, "tick_size": 0.01, "step_size": 0.00001,
        "min_notional": 5}],
      "paper": {"balances": {"USDT": "1000"}}
    })");
  }

  void TearDown() override {
    runner_.kill(SIGKILL);
    sim_.kill(SIGTERM);
    if (!HasFailure()) fs::remove_all(dir_);
  }

  void start_runner() {
    runner_.kill(SIGKILL);
    ASSERT_TRUE(runner_.start(
        {BE_BOTENGINE_PATH, "run", (dir_ / "live.json").string(), "--data-dir", data_.string(),
         "--master-key-file", (dir_ / "master.key").string(), "--ca-file",
         (dir_ / "server.pem").string(), "--api-port", "0", "--no-status"},
        dir_ / ("run-" + std::to_string(++starts_) + ".log")));
    const auto port = runner_.wait_for_line(
        R"(control API and dashboard on http://127\.0\.0\.1:(\d+)/)", seconds(20));
    ASSERT_TRUE(port) << runner_.log();
    api_.emplace("http://127.0.0.1:" + *port);
    admin_ = read_text(data_ / "admin.token");
    admin_.erase(admin_.find_last_not_of("\n") + 1);
  }

  // The venue's view of a trader's account (GET /sim/exchange/accounts).
  struct VenueAccount {
    std::set<std::string> open;                // client ids of open orders
    std::map<std::string, int> created;        // orders per client id
    std::map<std::string, std::string> total;  // asset -> free + locked, as decimal text
  };
  VenueAccount venue_account(const Trader& t) {
    VenueAccount out;
    const auto [status, body] = venue_->call("GET", "/sim/exchange/accounts");
    EXPECT_EQ(status, 200) << body;
    simdjson::dom::parser p;
    const auto account = parse(p, body)["accounts"][t.name];
    for (const auto order : account["orders"].get_array()) {
      const std::string id(order["clientOrderId"].get_string().value());
      const std::string_view state = order["status"].get_string().value();
      ++out.created[id];
      if (state == "NEW" || state == "PARTIALLY_FILLED") out.open.insert(id);
    }
    for (const auto [asset, b] : account["balances"].get_object()) {
      out.total[std::string(asset)] = std::string(b["free"].get_string().value()) + "+" +
                                      std::string(b["locked"].get_string().value());
    }
    return out;
  }

  // The client ids of the trader's bot's orders the engine knows (open and recent closed).
  std::set<std::string> engine_orders(const Trader& t, bool open_only) {
    std::set<std::string> out;
    const auto [status, body] =
        api_->call("GET", "/api/v1/bots/" + std::to_string(t.bot) + "/orders", t.token);
    EXPECT_EQ(status, 200) << body;
    simdjson::dom::parser p;
    simdjson::dom::array orders;
    if (parse(p, body)["orders"].get(orders) != simdjson::SUCCESS) return out;
    for (const auto o : orders) {
      std::string_view state;
      if (o["state"].get(state) != simdjson::SUCCESS) continue;
      if (!open_only || state == "new" || state == "partially_filled") {
        out.insert(std::string(o["client_order_id"].get_string().value()));
      }
    }
    return out;
  }

  void create_trader(Trader& t) {
    auto [status, body] = api_->call("POST", "/api/v1/users", admin_,
                                     R"({"name":")" + t.name + R"(","role":"user"})");
    ASSERT_EQ(status, 201) << body;
    t.user = id_of(body);
    t.token = text_of(body, "token");
    std::tie(status, body) =
        api_->call("POST", "/api/v1/accounts", admin_,
                   R"({"owner":)" + std::to_string(t.user) +
                       R"(,"name":"live","venue":"binance","mode":"live","endpoint":"custom",)"
                       R"("rest_url":"https://)" +
                       origin_ + R"(","ws_api_url":"wss://)" + origin_ +
                       R"(/ws-api/v3","stream_url":"wss://)" + origin_ + R"("})");
    ASSERT_EQ(status, 201) << body;
    t.account = id_of(body);
    std::tie(status, body) =
        api_->call("POST", "/api/v1/accounts/" + std::to_string(t.account) + "/keys", admin_,
                   R"({"name":")" + t.name + R"("})");
    ASSERT_EQ(status, 200) << body;
    EXPECT_EQ(body.find(t.api_key), std::string::npos);
    // A DCA bot that buys every simulated minute (3 s at 20x) and rests safety orders below.
    std::tie(status, body) = api_->call(
        "POST", "/api/v1/bots", t.token,
        R"({"name":")" + t.name + R"( dca","symbol":"BTCUSDT","timeframe":"1m","account":)" +
            std::to_string(t.account) +
            R"(,"strategy":{"type":"dca","parameters":{"base_order_quote":20,)"
            R"("take_profit_pct":0.05,"interval_minutes":1,"safety_orders":{"count":3,)"
            R"("quote":20,"deviation_pct":0.05,"step_scale":1.0,"volume_scale":1.0}}}})");
    ASSERT_EQ(status, 201) << body;
    t.bot = id_of(body);
    std::tie(status, body) =
        api_->call("POST", "/api/v1/bots/" + std::to_string(t.bot) + "/start", t.token);
    ASSERT_EQ(status, 200) << body;
  }

  int starts_ = 0;  // each start logs to a file of its own (the API port is read from it)
  CrashSettings settings_;
  std::mt19937_64 rng_;
  fs::path dir_, data_;
  std::string ca_pem_, origin_, admin_;
  ChildProcess sim_, runner_;
  std::optional<Http> venue_, api_;
  Trader alice_ = trader("alice"), bob_ = trader("bob");
};

TEST_F(LiveE2E, shouldTradeTwoUsersLiveThroughKillsAndKeepTheVenueAndJournalInAgreement) {
  ASSERT_NO_FATAL_FAILURE(start_runner());
  ASSERT_NO_FATAL_FAILURE(create_trader(alice_));
  ASSERT_NO_FATAL_FAILURE(create_trader(bob_));
  ASSERT_TRUE(eventually(
      [&] {
        return !venue_account(alice_).created.empty() && !venue_account(bob_).created.empty();
      },
      seconds(30)))
      << "both accounts' orders reach the venue\n"
      << runner_.log();

  // Each user sees their own live account and not the other's.
  const auto [alice_status, alice_accounts] = api_->call("GET", "/api/v1/accounts", alice_.token);
  ASSERT_EQ(alice_status, 200);
  std::set<std::int64_t> seen;
  simdjson::dom::parser accounts_parser;
  for (const auto a : parse(accounts_parser, alice_accounts)["accounts"].get_array()) {
    seen.insert(a["id"].get_int64().value());
    EXPECT_EQ(a["owner_id"].get_int64().value(), alice_.user) << alice_accounts;
  }
  EXPECT_TRUE(seen.count(alice_.account)) << alice_accounts;
  EXPECT_FALSE(seen.count(bob_.account)) << alice_accounts;
  EXPECT_EQ(
      api_->call("GET", "/api/v1/accounts/" + std::to_string(bob_.account), alice_.token).first,
      404);
  EXPECT_EQ(api_->call("GET", "/api/v1/bots/" + std::to_string(bob_.bot), alice_.token).first, 404);

  // SIGKILL at seeded moments while the bots trade; restart on the same data directory.
  std::uniform_int_distribution<int> trade_ms(200, 1500);
  for (int kill = 0; kill < settings_.kills; ++kill) {
    std::this_thread::sleep_for(milliseconds(trade_ms(rng_)));  // the moment, not a sync
    const int status = runner_.kill(SIGKILL);
    ASSERT_TRUE(WIFSIGNALED(status)) << "kill " << kill << ": the runner had already exited\n"
                                     << runner_.log();
    ASSERT_NO_FATAL_FAILURE(start_runner());
  }

  // Reconciled: every open order at the venue is one the engine knows.
  for (const Trader* t : {&alice_, &bob_}) {
    EXPECT_TRUE(eventually(
        [&] {
          const auto known = engine_orders(*t, false);
          const auto open = venue_account(*t).open;
          return std::includes(known.begin(), known.end(), open.begin(), open.end());
        },
        seconds(20)))
        << t->name << ": the venue holds orders the engine does not know\n"
        << runner_.log();
    for (const auto& [client_id, n] : venue_account(*t).created)
      EXPECT_EQ(n, 1) << t->name << ": " << client_id << " placed " << n << " times";
  }

  // The account kill switch cancels every order at the venue; then the balances agree.
  for (const Trader* t : {&alice_, &bob_}) {
    const auto [status, body] = api_->call(
        "PUT", "/api/v1/accounts/" + std::to_string(t->account) + "/kill-switch", t->token);
    EXPECT_EQ(status, 200) << body;
  }
  for (const Trader* t : {&alice_, &bob_}) {
    EXPECT_TRUE(eventually([&] { return venue_account(*t).open.empty(); }, seconds(20)))
        << t->name << ": open orders left at the venue after the kill switch";
    std::map<std::string, std::string> engine_total;
    EXPECT_TRUE(eventually(
        [&] {
          const auto [status, body] =
              api_->call("GET", "/api/v1/accounts/" + std::to_string(t->account), t->token);
          simdjson::dom::parser p;
          engine_total.clear();
          simdjson::dom::array balances;
          if (status != 200 || parse(p, body)["balances"].get(balances) != simdjson::SUCCESS) {
            return false;
          }
          for (const auto b : balances) {
            engine_total[std::string(b["asset"].get_string().value())] =
                std::string(b["free"].get_string().value()) + "+" +
                std::string(b["locked"].get_string().value());
          }
          const auto venue = venue_account(*t).total;
          return engine_total["USDT"] == venue.at("USDT") && engine_total["BTC"] == venue.at("BTC");
        },
        seconds(20)))
        << t->name << ": balances differ from the venue's: engine USDT " << engine_total["USDT"]
        << " BTC " << engine_total["BTC"] << ", venue " << venue_account(*t).total["USDT"] << " "
        << venue_account(*t).total["BTC"];
  }

  // A clean stop, then the journal replays to the same decisions.
  const int stopped = runner_.kill(SIGTERM);
  EXPECT_TRUE(WIFEXITED(stopped) && WEXITSTATUS(stopped) == 0) << runner_.log();
  const CliResult verify = run_botengine("replay " + (data_ / "journal").string() + " --verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  // No secret in what the processes printed.
  for (const Trader* t : {&alice_, &bob_}) {
    EXPECT_EQ(runner_.log().find(t->secret), std::string::npos);
    EXPECT_EQ(sim_.log().find(t->secret), std::string::npos);
  }
}

// A live account refused at start because the venue's clock is 7 s off (past the 5 s receive
// window) is shown as refused (account, health, metrics) and retried on its backoff; once the
// venue's clock is right again it connects without a restart, and its bot's orders reach the
// venue.
TEST_F(LiveE2E, shouldRetryARefusedAccountAndConnectOnceTheVenueClockIsRight) {
  const auto fault = [&](const std::string& json) {
    const auto [status, body] = venue_->call("POST", "/sim/exchange/fault", {}, json);
    ASSERT_EQ(status, 200) << body;
  };
  ASSERT_NO_FATAL_FAILURE(fault(R"({"kind":"clock_skew","ms":-7000})"));
  ASSERT_NO_FATAL_FAILURE(start_runner());
  ASSERT_NO_FATAL_FAILURE(create_trader(alice_));
  const std::string account = "/api/v1/accounts/" + std::to_string(alice_.account);
  std::string seen;
  ASSERT_TRUE(eventually(
      [&] {
        seen = api_->call("GET", account, alice_.token).second;
        return seen.find(R"("connection":"refused")") != std::string::npos &&
               seen.find("(attempt 2;") != std::string::npos;
      },
      seconds(30)))
      << "refused, and tried again\n"
      << seen << "\n"
      << runner_.log();
  EXPECT_NE(seen.find("clock offset to the venue"), std::string::npos) << seen;
  const std::string health = api_->call("GET", "/api/v1/health").second;
  EXPECT_NE(health.find("live account " + std::to_string(alice_.account) + " refused: "),
            std::string::npos)
      << health;
  const std::string metrics = api_->call("GET", "/metrics", admin_).second;
  EXPECT_NE(metrics.find("botengine_live_accounts{state=\"refused\"} 1\n"), std::string::npos)
      << metrics;
  EXPECT_TRUE(venue_account(alice_).created.empty()) << "nothing sent while refused";

  // The cause clears: the next attempt connects, and the bot trades.
  ASSERT_NO_FATAL_FAILURE(fault(R"({"kind":"clock_skew","ms":0})"));
  ASSERT_TRUE(eventually(
      [&] {
        seen = api_->call("GET", account, alice_.token).second;
        return seen.find(R"("connection":"connected")") != std::string::npos;
      },
      seconds(90)))
      << seen << "\n"
      << runner_.log();
  EXPECT_TRUE(eventually([&] { return !venue_account(alice_).created.empty(); }, seconds(30)))
      << runner_.log();
  EXPECT_NE(runner_.log().find(" attempts"), std::string::npos) << runner_.log();
}

}  // namespace
}  // namespace be::test
