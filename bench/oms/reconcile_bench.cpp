// Reconciliation at scale against the Binance mock exchange on loopback (issue 16's target:
// 1,000 open orders across 10 accounts in at most 1 s). Each account is its own mock venue
// (its own key and orders) holding 100 resting orders of ours; one iteration is a restart:
// a BinanceVenueHub (1 I/O thread, 2 REST workers) adds the 10 accounts, and the time runs
// until every account reported its order channel connected, which a gateway does only after
// its reconciliation (clock, open orders, balances) is complete, and every one of the 1,000
// orders came back as kReconciledNew. Verified before it counts: 1,000 distinct orders, 10
// accounts. Setup (placing the orders) is outside the timing.
#include <benchmark/benchmark.h>

#include <array>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "oms/order.hpp"
#include "oms/order_state_machine.hpp"
#include "oms/venues/binance/hub.hpp"
#include "sim/binance/mock_exchange.hpp"

namespace be::binance {
namespace {

constexpr int kAccounts = 10;
constexpr int kOrdersPerAccount = 100;
constexpr VenueId kVenue{2};
constexpr InstrumentId kBtc{7};
constexpr BotId kBot{4};
constexpr std::int64_t kE8 = 100'000'000;

class Counting final : public oms::VenueResponses {
 public:
  void respond(const OrderUpdate& u, Nanos, Nanos) noexcept override {
    std::lock_guard lock(mutex);
    if (u.event == static_cast<std::uint8_t>(oms::OrderEvent::kAccepted)) ++accepted;
    if (u.event == static_cast<std::uint8_t>(oms::OrderEvent::kReconciledNew)) {
      reconciled.insert({index_of(u.account), u.client_sequence});
    }
    cv.notify_all();
  }
  void respond(const BalanceUpdate&, Nanos, Nanos) noexcept override {}
  void order_channel(VenueId, AccountId account, ConnectivityState s, Nanos) noexcept override {
    std::lock_guard lock(mutex);
    if (s == ConnectivityState::kConnected) connected.insert(index_of(account));
    cv.notify_all();
  }
  void connectivity(VenueId, ConnectivityState, Nanos) noexcept override {}
  template <class Pred>
  bool wait(Pred pred) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, std::chrono::seconds(60), pred);
  }
  std::mutex mutex;
  std::condition_variable cv;
  int accepted = 0;
  std::set<std::pair<std::uint32_t, SequenceNumber>> reconciled;
  std::set<std::uint32_t> connected;
};

InstrumentDefined btcusdt() {
  InstrumentDefined d;
  d.instrument = kBtc;
  d.venue = kVenue;
  d.price_scale = 4;
  d.qty_scale = 6;
  const std::string_view sym = "BTCUSDT", base = "BTC", quote = "USDT";
  std::copy(sym.begin(), sym.end(), d.symbol.begin());
  std::copy(base.begin(), base.end(), d.base_asset.begin());
  std::copy(quote.begin(), quote.end(), d.quote_asset.begin());
  return d;
}

mock::MockConfig venue_config() {
  mock::MockConfig c;
  c.api_key = "bench-key";
  c.secret = "bench-secret";
  c.order_limit_10s = 100'000;
  c.weight_limit = 1'000'000;
  mock::MockSymbol s;
  s.symbol = "BTCUSDT";
  s.base = "BTC";
  s.quote = "USDT";
  s.market_price = 50'000 * kE8;
  c.symbols.push_back(s);
  c.balances.push_back({"USDT", 1'000'000 * kE8, 0});
  c.balances.push_back({"BTC", 10 * kE8, 0});
  return c;
}

GatewayConfig account_config(const mock::MockExchange& venue, std::uint32_t account) {
  GatewayConfig g;
  g.rest_url = venue.rest_url();
  g.ws_api_url = venue.ws_api_url();
  g.venue = kVenue;
  g.account = AccountId{account};
  g.instruments = {btcusdt()};
  g.weight_limit = 1'000'000;
  g.order_limit_10s = 100'000;
  g.reconnect_delay = std::chrono::milliseconds(20);
  return g;
}

ApiCredentials keys() {
  return ApiCredentials{SecretString("bench-key"), SecretString("bench-secret")};
}

void BM_ReconcileThousandOpenOrdersAcrossTenAccounts(benchmark::State& state) {
  WallClock wall;
  std::vector<std::unique_ptr<mock::MockExchange>> venues;
  for (int a = 0; a < kAccounts; ++a) {
    venues.push_back(std::make_unique<mock::MockExchange>(venue_config(), wall));
    if (!venues.back()->start()) return state.SkipWithError("mock exchange did not start");
  }
  {  // Setup: 100 resting buys on each account, acknowledged.
    Counting placed;
    BinanceVenueHub hub(HubConfig{kVenue}, placed, wall);
    for (int a = 0; a < kAccounts; ++a) {
      auto venue = hub.add_account(account_config(*venues[a], a + 1), keys());
      if (!venue) return state.SkipWithError(venue.error().c_str());
    }
    if (!placed.wait([&] { return placed.connected.size() == kAccounts; })) {
      return state.SkipWithError("setup: accounts never connected");
    }
    for (int a = 0; a < kAccounts; ++a) {
      for (int i = 0; i < kOrdersPerAccount; ++i) {
        OrderNew o{};
        o.bot = kBot;
        o.instrument = kBtc;
        o.client_sequence = static_cast<SequenceNumber>((i + 1) << 10);
        o.account = AccountId{static_cast<std::uint32_t>(a + 1)};
        o.side = Side::kBuy;
        o.order_type = static_cast<std::uint8_t>(OrderType::kLimit);
        o.time_in_force = static_cast<std::uint8_t>(TimeInForce::kGtc);
        o.price = (30'000 - i) * 10'000;
        o.quantity = 1'000;
        hub.venue(o.account)->submit(o, 1);
      }
    }
    if (!placed.wait([&] { return placed.accepted >= kAccounts * kOrdersPerAccount; })) {
      return state.SkipWithError("setup: orders never acknowledged");
    }
  }
  for (auto _ : state) {
    Counting answers;
    BinanceVenueHub hub(HubConfig{kVenue}, answers, wall);
    for (int a = 0; a < kAccounts; ++a) {
      if (!hub.add_account(account_config(*venues[a], a + 1), keys())) {
        return state.SkipWithError("add_account failed");
      }
    }
    const bool done = answers.wait([&] {
      return answers.connected.size() == kAccounts &&
             answers.reconciled.size() == kAccounts * kOrdersPerAccount;
    });
    state.PauseTiming();
    if (!done) return state.SkipWithError("reconciliation incomplete within 60 s");
    hub.stop();
    state.ResumeTiming();
  }
  state.counters["orders"] = kAccounts * kOrdersPerAccount;
  state.counters["accounts"] = kAccounts;
  for (auto& v : venues)
    v->stop();
}
BENCHMARK(BM_ReconcileThousandOpenOrdersAcrossTenAccounts)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(5);

}  // namespace
}  // namespace be::binance

BENCHMARK_MAIN();
