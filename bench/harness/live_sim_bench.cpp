// The live-sim bench deployment (live_sim_bench.hpp).
#include "bench/harness/live_sim_bench.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <thread>
#include <utility>
#include <vector>

#include "bench/harness/bench_accounts.hpp"
#include "bench/harness/histogram.hpp"
#include "engine/format.hpp"
#include "net/server/tls_identity.hpp"
#include "oms/venues/binance/gateway.hpp"
#include "sim/binance/sim_venue.hpp"
#include "sim/sim_server.hpp"

namespace be::bench {

namespace {

constexpr std::int64_t kE8 = 100'000'000;
constexpr const char* kApiKey = "bench-live-sim-key";

// The simulator without a market of its own: the harness offers the frames to the engine.
class NoMarket final : public sim::MarketSource {
 public:
  bool next(sim::MarketMessage&) override { return false; }
  bool serves(std::string_view) const override { return false; }
  std::vector<std::string> streams() const override { return {}; }
};

std::string pem_of(EVP_PKEY* key, bool private_half) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (private_half) {
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_PUBKEY(bio, key);
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

// An Ed25519 key made now: {private PEM, public PEM}. Never written anywhere.
Expected<std::pair<std::string, std::string>, std::string> make_ed25519_key() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key == nullptr) return Unexpected(std::string("cannot make an Ed25519 key"));
  auto pair = std::make_pair(pem_of(key, true), pem_of(key, false));
  EVP_PKEY_free(key);
  return pair;
}

// Polls `done` every 10 ms for at most 10 s (set-up only, never on the measured path).
template <class Pred>
bool wait_until(Pred done) {
  for (int i = 0; i < 1000 && !done(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return done();
}

// The gateway as the engine sees it, with the time each submit() takes on the engine's thread
// recorded (allocation-free).
class TimedVenue final : public oms::Venue {
 public:
  explicit TimedVenue(oms::Venue& inner) : inner_(inner) {}
  std::string_view name() const noexcept override { return inner_.name(); }
  void submit(const OrderNew& order, Nanos now) noexcept override {
    const Nanos start = monotonic_now();
    inner_.submit(order, now);
    submit_ns.record(monotonic_now() - start);
  }
  void cancel(const OrderCancel& cancel, Nanos now) noexcept override {
    inner_.cancel(cancel, now);
  }
  void query_order(BotId bot, InstrumentId instrument, SequenceNumber sequence,
                   Nanos now) noexcept override {
    inner_.query_order(bot, instrument, sequence, now);
  }
  void request_balances(AccountId account, Nanos now) noexcept override {
    inner_.request_balances(account, now);
  }
  void query_open_orders(AccountId account, Nanos now) noexcept override {
    inner_.query_open_orders(account, now);
  }
  Histogram submit_ns;  // the engine's thread only; read after the engine stopped

 private:
  oms::Venue& inner_;
};

std::string micros(std::uint64_t ns) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f us", static_cast<double>(ns) / 1000.0);
  return text;
}

}  // namespace

struct LiveSimBench::Impl {
  const IngressClock* wall = nullptr;
  std::string ca_pem;
  std::string private_pem;
  std::string origin;  // 127.0.0.1:P
  std::unique_ptr<binance::mock::MockVenue> venue;
  std::unique_ptr<sim::SimServer> server;
  std::unique_ptr<binance::BinanceSpotGateway> gateway;
  std::unique_ptr<TimedVenue> timed;
};

Expected<std::unique_ptr<LiveSimBench>, std::string> LiveSimBench::start_venue(
    const IngressClock& wall_clock) {
  std::unique_ptr<LiveSimBench> b(new LiveSimBench());
  b->impl_ = std::make_unique<Impl>();
  Impl& s = *b->impl_;
  s.wall = &wall_clock;
  auto identity = net::server::make_self_signed_identity();
  if (!identity) return Unexpected("live-sim: certificate: " + identity.error());
  s.ca_pem = identity->certificate_pem;
  auto key = make_ed25519_key();
  if (!key) return Unexpected("live-sim: " + key.error());
  s.private_pem = std::move(key->first);

  binance::mock::MockConfig account;
  account.api_key = kApiKey;
  account.secret = "unused";  // Ed25519: the public key verifies
  account.ed25519_public_pem = std::move(key->second);
  binance::mock::MockSymbol btc;
  btc.symbol = "BTCUSDT";
  btc.base = "BTC";
  btc.quote = "USDT";
  btc.market_price = 50'000 * kE8;
  account.symbols.push_back(btc);
  account.balances = {{"USDT", 10'000'000 * kE8, 0}, {"BTC", 100 * kE8, 0}};
  // The bench's orders are not what is measured against the venue's limits.
  account.weight_limit = 1'000'000'000;
  account.order_limit_10s = 1'000'000'000;
  s.venue = std::make_unique<binance::mock::MockVenue>(std::move(account), wall_clock);
  sim::SimConfig config;
  config.port = 0;
  config.tls = std::move(*identity);
  config.venue = s.venue.get();
  s.server = std::make_unique<sim::SimServer>(config, std::make_unique<NoMarket>());
  auto port = s.server->start();
  if (!port) return Unexpected("live-sim: simulator: " + port.error());
  s.origin = "127.0.0.1:" + std::to_string(*port);
  return b;
}

LiveSimBench::~LiveSimBench() {
  stop();
}

Expected<bool, std::string> LiveSimBench::connect(engine::Engine& engine,
                                                  const engine::EngineConfig& config,
                                                  std::size_t bots) {
  Impl& s = *impl_;
  auto made = create_bench_accounts(
      engine, 1,
      R"("venue":"binance","mode":"live","endpoint":"custom","rest_url":"https://)" + s.origin +
          R"(","ws_api_url":"wss://)" + s.origin + R"(/ws-api/v3","stream_url":"wss://)" +
          s.origin + "\"");
  if (!made) return Unexpected(made.error());
  account_ = made->accounts.front();

  // The gateway as the runner builds one (runner/live_accounts.cpp), with the key in memory.
  const engine::InstrumentTable instruments(config.instruments);
  binance::GatewayConfig g;
  g.rest_url = "https://" + s.origin;
  g.ws_api_url = "wss://" + s.origin + "/ws-api/v3";
  g.tls.ca_pem = s.ca_pem;
  g.venue = VenueId{0};
  g.account = account_;
  for (std::size_t i = 0; i < instruments.size(); ++i)
    g.instruments.push_back(instruments.definition(i));
  const auto& names = instruments.assets();
  for (std::size_t i = 0; i < names.size(); ++i) {
    g.assets.push_back(binance::AssetDef{AssetId{static_cast<std::uint16_t>(i)}, names[i],
                                         static_cast<std::uint8_t>(instruments.asset_scale(i))});
  }
  g.weight_limit = 1'000'000'000;
  g.order_limit_10s = 1'000'000'000;
  s.gateway = std::make_unique<binance::BinanceSpotGateway>(
      std::move(g),
      binance::ApiCredentials{binance::SecretString(kApiKey), binance::SecretString(s.private_pem)},
      engine.venue_responses(), *s.wall);
  if (auto started = s.gateway->start(); !started) {
    return Unexpected("live-sim: gateway: " + started.error());
  }
  s.timed = std::make_unique<TimedVenue>(*s.gateway);
  venue_.store(s.timed.get(), std::memory_order_release);
  const auto channel_up = [&] {
    const auto m = engine.read_model();
    const engine::AccountView* a = m ? m->find_account(account_) : nullptr;
    return a != nullptr && a->channel_up && s.gateway->stats().order_session_open;
  };
  if (!wait_until(channel_up)) {
    return Unexpected(std::string("live-sim: the account's order channel did not come up"));
  }
  return start_bench_bots(engine, *made, bots);
}

oms::Venue* LiveSimBench::venue(AccountId account) noexcept {
  return account == account_ ? venue_.load(std::memory_order_acquire) : nullptr;
}

std::string LiveSimBench::report() const {
  if (!impl_->gateway || !impl_->timed) return {};
  const binance::GatewayStats g = impl_->gateway->stats();
  const Histogram& h = impl_->timed->submit_ns;
  return "gateway: " + std::to_string(g.hot_writes) + " written from the engine's thread (" +
         std::to_string(g.hot_committed) + " would block), " + std::to_string(g.hot_fallbacks) +
         " queued (order session busy or down), " + std::to_string(g.orders_sent) + " over REST, " +
         std::to_string(g.rate_limited) + " rate-limited\n" +
         "submit on the engine's thread (frame, try-lock, SSL_write), " +
         std::to_string(h.count()) + " orders: p50 " + micros(h.percentile(50)) + ", p99 " +
         micros(h.percentile(99)) + ", max " + micros(h.max()) + "\n";
}

void LiveSimBench::stop() {
  if (!impl_) return;
  venue_.store(nullptr, std::memory_order_release);
  if (impl_->gateway) impl_->gateway->stop();
  if (impl_->venue) impl_->venue->stop();
  if (impl_->server) impl_->server->stop();
}

}  // namespace be::bench
