// BinanceVenueHub against the mock exchange on loopback: many accounts on a fixed set of
// threads, errors that name the account, answers that carry it. And preflight: the start-time
// refusals (clock, keys, filters), each naming the account and never a key.
#include <dirent.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <thread>

#include "oms/venues/binance/hub.hpp"
#include "oms/venues/binance/preflight.hpp"
#include "tests/binance/e2e_support.hpp"

namespace be::binance {
namespace {

using namespace e2e;  // NOLINT: the shared fixtures of these tests
using namespace std::chrono_literals;
using oms::OrderEvent;

int thread_count() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (const dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++n;
    closedir(d);
  }
  return n;
}

long resident_kib() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

GatewayConfig account_config(const mock::MockExchange& mock, std::uint32_t account) {
  GatewayConfig g = gateway_config(mock);
  g.account = AccountId{account};
  return g;
}

class HubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mock_ = std::make_unique<mock::MockExchange>(mock_config(), wall_);
    auto port = mock_->start();
    ASSERT_TRUE(port.has_value()) << port.error();
  }
  void TearDown() override {
    if (hub_) hub_->stop();
    mock_->stop();
  }
  void make_hub(HubConfig c = {}) {
    c.venue = kVenue;
    hub_ = std::make_unique<BinanceVenueHub>(c, recorder_, wall_);
  }
  // Adds accounts [first, last] and waits until each reported its order channel connected.
  void add_accounts(std::uint32_t first, std::uint32_t last) {
    for (std::uint32_t a = first; a <= last; ++a) {
      auto venue = hub_->add_account(account_config(*mock_, a), credentials());
      ASSERT_TRUE(venue.has_value()) << venue.error();
    }
    ASSERT_TRUE(recorder_.wait([&] { return recorder_.connected_accounts_locked() >= last; }, 30s))
        << "not every account connected";
  }

  WallClock wall_;
  Recorder recorder_;
  std::unique_ptr<mock::MockExchange> mock_;
  std::unique_ptr<BinanceVenueHub> hub_;
};

TEST_F(HubTest, shouldKeepItsThreadCountFixedAsAccountsGrow) {
  const int before_hub = thread_count();
  make_hub();  // 1 I/O thread, 2 REST workers
  ASSERT_NO_FATAL_FAILURE(add_accounts(1, 5));
  const int with_5 = thread_count();
  const long rss_5 = resident_kib();
  ASSERT_NO_FATAL_FAILURE(add_accounts(6, 50));
  const int with_50 = thread_count();
  const long rss_50 = resident_kib();
  EXPECT_EQ(with_50, with_5) << "threads grew with the accounts";
  // The I/O thread and its resolver, the two workers and a resolver each for their one
  // origin: 6, whatever the account count (standalone gateways: 4 per account).
  EXPECT_LE(with_50 - before_hub, 6);
  EXPECT_EQ(hub_->stats().accounts, 50u);
  EXPECT_EQ(hub_->stats().io_threads, 1u);
  EXPECT_EQ(hub_->stats().rest_workers, 2u);
  RecordProperty("threads_added_by_hub", with_50 - before_hub);
  RecordProperty("kib_per_account", std::to_string((rss_50 - rss_5) / 45));
  std::printf("hub: %d threads for 50 accounts (%d before the hub); ~%ld KiB per account\n",
              with_50, before_hub, (rss_50 - rss_5) / 45);
  // Every account still trades: one order each on 3 of them, acknowledged for the account
  // that sent it. (The mock has one venue account behind one key, so every session's user
  // stream also reports the order, as its own account's: a real venue keeps them apart.)
  for (std::uint32_t a : {1u, 25u, 50u}) {
    OrderNew o = limit(static_cast<SequenceNumber>(a << 10), Side::kBuy, px(30'000), 1'000);
    o.account = AccountId{a};
    hub_->venue(AccountId{a})->submit(o, 1);
    ASSERT_TRUE(recorder_.wait([&] {
      return recorder_.count_for_account_locked(o.client_sequence, OrderEvent::kAccepted,
                                                AccountId{a}) == 1;
    })) << a;
  }
}

// Binance counts request weight per IP: the hub's accounts spend one count (rate_gate.hpp).
// What one account spends, the other sees at once (before any answer of its own), and an
// account whose request would cross the IP's ceiling holds back (here: past max_rate_wait,
// refused locally) though it sent almost nothing itself.
TEST_F(HubTest, shouldShareTheIpsRequestWeightAcrossItsAccounts) {
  mock_->stop();
  mock::MockConfig mc = mock_config();
  mc.window_ms = 3'600'000;  // one window for the whole test (calendar hours)
  mc.weight_limit = 1'000'000;
  mock_ = std::make_unique<mock::MockExchange>(mc, wall_);
  ASSERT_TRUE(mock_->start().has_value());
  make_hub();
  constexpr std::int64_t kCeiling = 200;
  for (std::uint32_t a : {1u, 2u}) {
    GatewayConfig g = account_config(*mock_, a);
    g.weight_limit = kCeiling;
    g.weight_window_ms = 3'600'000;
    g.max_rate_wait = 50ms;
    g.hot_order_session = false;  // no opening in the background: the counts stay still
    rest_orders(g);
    auto venue = hub_->add_account(g, credentials());
    ASSERT_TRUE(venue.has_value()) << venue.error();
  }
  ASSERT_TRUE(recorder_.wait([&] { return recorder_.connected_accounts_locked() >= 2; }, 30s));
  const auto stats_of = [&](std::uint32_t account) {
    for (const auto& [a, s] : hub_->account_stats())
      if (index_of(a) == account) return s;
    ADD_FAILURE() << "no account " << account;
    return GatewayStats{};
  };
  const std::int64_t before = stats_of(1).last_used_weight;
  EXPECT_EQ(stats_of(2).last_used_weight, before) << "one count for the IP";
  ASSERT_LT(before + 8, kCeiling);
  // Account 1 queries until less than one more query (weight 4) fits under the ceiling.
  const int queries = static_cast<int>((kCeiling - before) / 4);
  for (int i = 0; i < queries; ++i)
    hub_->venue(AccountId{1})->query_order(kBot, kBtc, static_cast<SequenceNumber>(7000 + i), 1);
  for (int i = 0; i < queries; ++i)
    ASSERT_TRUE(recorder_.wait_event(static_cast<SequenceNumber>(7000 + i),
                                     OrderEvent::kReconciledNotFound));
  const std::int64_t after = stats_of(2).last_used_weight;
  EXPECT_GE(after, before + 4 * queries) << "account 2 sees account 1's weight";
  EXPECT_GT(after + 4, kCeiling);
  // Account 2's query would cross the IP's ceiling: held back, then refused locally.
  const auto sent_queries = [&] {
    int n = 0;
    for (const auto& e : mock_->request_log())
      n += e.method == "GET" && e.path == "/api/v3/order" ? 1 : 0;
    return n;
  };
  hub_->venue(AccountId{2})->query_order(kBot, kBtc, 9000, 1);
  const Nanos deadline = monotonic_now() + 10'000'000'000;
  while (stats_of(2).query_failures == 0 && monotonic_now() < deadline)
    std::this_thread::yield();  // a bounded spin on a condition
  EXPECT_EQ(stats_of(2).query_failures, 1u);
  EXPECT_EQ(sent_queries(), queries) << "nothing of account 2's reached the venue";
}

TEST_F(HubTest, shouldRefuseAccountsItCannotTakeNamingTheAccount) {
  HubConfig c;
  c.max_accounts = 2;
  make_hub(c);
  ASSERT_TRUE(hub_->add_account(account_config(*mock_, 1), credentials()).has_value());
  auto again = hub_->add_account(account_config(*mock_, 1), credentials());
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error(), "account 1: already added");
  GatewayConfig other_venue = account_config(*mock_, 2);
  other_venue.venue = VenueId{9};
  auto wrong = hub_->add_account(other_venue, credentials());
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error(), "account 2: venue 9 is not this hub's (2)");
  auto no_keys = hub_->add_account(account_config(*mock_, 2),
                                   ApiCredentials{SecretString("k"), SecretString("")});
  ASSERT_FALSE(no_keys.has_value());
  EXPECT_EQ(no_keys.error(), "account 2: no API credentials");
  GatewayConfig bad_url = account_config(*mock_, 2);
  bad_url.rest_url = "ftp://nowhere";
  auto url = hub_->add_account(bad_url, credentials());
  ASSERT_FALSE(url.has_value());
  EXPECT_EQ(url.error().rfind("account 2: rest_url: ", 0), 0u) << url.error();
  ASSERT_TRUE(hub_->add_account(account_config(*mock_, 2), credentials()).has_value());
  auto full = hub_->add_account(account_config(*mock_, 3), credentials());
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error(), "account 3: the hub is full (2 accounts per hub)");
  for (const auto* e : {&again, &wrong, &no_keys, &url, &full})
    EXPECT_EQ(e->error().find("e2e-secret-value"), std::string::npos);

  // Removed, an account's Venue is gone and its slot free again.
  EXPECT_TRUE(hub_->remove_account(AccountId{1}));
  EXPECT_FALSE(hub_->remove_account(AccountId{1}));
  EXPECT_EQ(hub_->venue(AccountId{1}), nullptr);
  EXPECT_NE(hub_->venue(AccountId{2}), nullptr);
  ASSERT_TRUE(hub_->add_account(account_config(*mock_, 3), credentials()).has_value());
  EXPECT_EQ(hub_->stats().accounts, 2u);
}

// ---- preflight ----

class PreflightTest : public HubTest {};

TEST_F(PreflightTest, shouldPassAndReportTheOffsetAndTheVenuesFilters) {
  GatewayConfig g = account_config(*mock_, 3);
  g.instruments[0].tick_size = 100;  // 0.01 at price scale 4, as the venue's
  g.instruments[0].step_size = 10;   // 0.00001 at qty scale 6
  auto report = preflight(g, credentials());
  ASSERT_TRUE(report.has_value()) << report.error();
  EXPECT_LT(std::llabs(report->clock_offset_ms), 1000);
  ASSERT_EQ(report->exchange_info.symbols.size(), 1u);
  const auto& s = report->exchange_info.symbols[0];
  EXPECT_EQ(s.symbol, "BTCUSDT");
  EXPECT_EQ(s.tick_size, 1'000'000);  // scale 8
  EXPECT_EQ(s.step_size, 1'000);
  EXPECT_EQ(s.min_notional, 5 * kE8);
}

TEST_F(PreflightTest, shouldRefuseAClockFurtherThanTheReceiveWindow) {
  mock_->set_clock_offset_ms(7'000);
  GatewayConfig g = account_config(*mock_, 3);
  g.recv_window_ms = 5'000;
  auto report = preflight(g, credentials());
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().rfind("account 3: clock offset to the venue 7", 0), 0u)
      << report.error();
  EXPECT_NE(report.error().find("exceeds the receive window of 5000 ms"), std::string::npos);
}

TEST_F(PreflightTest, shouldRefuseKeysThatFailTheSignedTestCallWithoutQuotingThem) {
  auto report = preflight(account_config(*mock_, 3), credentials("not-the-secret"));
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().rfind("account 3: signed test call (GET /api/v3/account) refused: "
                                 "HTTP 400, -1022 ",
                                 0),
            0u)
      << report.error();
  EXPECT_EQ(report.error().find("not-the-secret"), std::string::npos);
  EXPECT_EQ(report.error().find("e2e-api-key"), std::string::npos);
  auto other_key = preflight(account_config(*mock_, 3),
                             ApiCredentials{SecretString("someone-else"), SecretString("x")});
  ASSERT_FALSE(other_key.has_value());
  EXPECT_NE(other_key.error().find("-2015"), std::string::npos) << other_key.error();
  EXPECT_EQ(other_key.error().find("someone-else"), std::string::npos);
}

TEST_F(PreflightTest, shouldRefuseSymbolsAndFiltersTheVenueDoesNotHave) {
  struct Case {
    const char* name;
    std::function<void(InstrumentDefined&)> change;
    const char* expected;
  };
  const Case cases[] = {
      {"tick", [](InstrumentDefined& d) { d.tick_size = 1'000; },
       "account 3: BTCUSDT: tick size 0.1 here, 0.01 at the venue"},
      {"step", [](InstrumentDefined& d) { d.step_size = 1; },
       "account 3: BTCUSDT: step size 0.000001 here, 0.00001 at the venue"},
      {"notional", [](InstrumentDefined& d) { d.min_notional = 100'000; },
       "account 3: BTCUSDT: min notional 10 here, 5 at the venue"},
      {"symbol", [](InstrumentDefined& d) { d.symbol = test::symbol_field("ETHUSDT"); },
       "account 3: ETHUSDT: not listed by the venue"},
      {"quote", [](InstrumentDefined& d) { d.quote_asset = test::asset_field("BUSD"); },
       "account 3: BTCUSDT: quote asset BUSD here, USDT at the venue"},
  };
  for (const auto& c : cases) {
    GatewayConfig g = account_config(*mock_, 3);
    c.change(g.instruments[0]);
    auto report = preflight(g, credentials());
    ASSERT_FALSE(report.has_value()) << c.name;
    EXPECT_EQ(report.error(), c.expected) << c.name;
  }
}

}  // namespace
}  // namespace be::binance
