// `botengine run --live-sim` (live_sim.hpp).
#include "runner/live_sim.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

#include "runner/api/auth.hpp"
#include "runner/key_directory.hpp"
#include "sim/market.hpp"
#include "sim/ticker_stream.hpp"
#include "sim/tls_identity.hpp"

namespace be::cli {

namespace fs = std::filesystem;

namespace {

// The configured master key, else the throwaway one of DATA/live-sim.master (made once).
Expected<std::shared_ptr<const binance::MasterKey>, std::string> live_sim_master(
    const fs::path& data_dir, std::shared_ptr<const binance::MasterKey> configured) {
  if (configured) return configured;
  const fs::path path = data_dir / "live-sim.master";
  if (!fs::exists(path)) {
    const std::string hex = api::generate_token();
    if (hex.size() != 2 * binance::kMasterKeyBytes) {
      return Unexpected{std::string("live-sim: no random bytes for a master key")};
    }
    if (auto w = api::write_private_file(path, hex + "\n"); !w) return Unexpected{w.error()};
  }
  auto key = binance::load_master_key_file(path.string());
  if (!key) return Unexpected{"live-sim: " + key.error()};
  return std::make_shared<const binance::MasterKey>(std::move(*key));
}

// The exchange account's keys: the key store entry's, else new random ones stored there.
Expected<std::pair<std::string, std::string>, std::string> live_sim_keys(
    const fs::path& keys_dir, const binance::MasterKey& master) {
  const auto path = key_entry_path(keys_dir, kLiveSimAccount);
  if (!path) return Unexpected{path.error()};
  if (fs::exists(*path)) {
    auto credentials = binance::load_credentials(path->string(), master);
    if (!credentials) return Unexpected{"live-sim: key store entry: " + credentials.error()};
    return std::pair{std::string(credentials->api_key.reveal()),
                     std::string(credentials->secret.reveal())};
  }
  std::pair keys{api::generate_token(), api::generate_token()};
  if (auto stored = store_key_entry(keys_dir, master, kLiveSimAccount, keys.first, keys.second);
      !stored) {
    return Unexpected{"live-sim: " + stored.error()};
  }
  return keys;
}

}  // namespace

Expected<std::unique_ptr<LiveSim>, std::string> LiveSim::start(
    const fs::path& data_dir, std::uint16_t port, std::shared_ptr<const binance::MasterKey> master,
    const IngressClock& wall_clock) {
  std::unique_ptr<LiveSim> s(new LiveSim());
  s->keys_dir_ = data_dir / "keys";
  auto key = live_sim_master(data_dir, std::move(master));
  if (!key) return Unexpected{key.error()};
  s->master_ = std::move(*key);
  auto keys = live_sim_keys(s->keys_dir_, *s->master_);
  if (!keys) return Unexpected{keys.error()};
  s->fingerprint_ = key_fingerprint(keys->first);

  // A certificate for 127.0.0.1 made now; its PEM (public) is the clients' trust anchor.
  auto identity = sim::make_self_signed_identity();
  if (!identity) return Unexpected{"live-sim: certificate: " + identity.error()};
  s->ca_file_ = (data_dir / "live-sim-ca.pem").string();
  {
    std::ofstream out(s->ca_file_, std::ios::trunc);
    out << identity->certificate_pem;
    if (!out) return Unexpected{"live-sim: cannot write " + s->ca_file_};
  }

  sim::SyntheticConfig market;
  market.symbols = {"btcusdt", "ethusdt"};
  market.seed = 7;
  market.start_time = wall_clock.now() / 1'000'000 * 1'000'000;
  auto source = sim::with_ticker_streams(sim::make_synthetic_source(market));
  binance::mock::MockConfig account;
  account.api_key = keys->first;
  account.secret = keys->second;
  account.symbols = binance::mock::symbols_in(source->streams());
  account.balances = binance::mock::parse_balances("USDT=100000,BTC=1,ETH=10,BNB=100").value();
  account.maker_commission_bps = account.taker_commission_bps = 10;  // Binance's default tier
  s->venue_ = std::make_unique<binance::mock::MockVenue>(
      std::vector<binance::mock::VenueAccount>{{std::string(kLiveSimAccount), std::move(account)}},
      wall_clock);
  sim::SimConfig config;
  config.port = port;
  config.tls = std::move(*identity);
  config.venue = s->venue_.get();
  s->server_ = std::make_unique<sim::SimServer>(config, std::move(source));
  auto bound = s->server_->start();
  if (!bound) return Unexpected{"live-sim: simulator: " + bound.error()};
  s->port_ = *bound;
  return s;
}

LiveSim::~LiveSim() {
  stop();
}

std::string LiveSim::origin() const {
  return "127.0.0.1:" + std::to_string(port_);
}

std::string LiveSim::stream_url() const {
  return "wss://" + origin() + "/stream";
}

Expected<AccountId, std::string> LiveSim::ensure_account(engine::Engine& engine,
                                                         const std::vector<std::string>& bots,
                                                         const std::function<void()>& connect) {
  auto model = engine.read_model();
  if (!model) return Unexpected{std::string("live-sim: no read model")};
  const std::string rest_url = "https://" + origin();
  for (const auto& a : model->accounts) {
    if (a.name != kLiveSimAccount || a.mode != "live" || a.removed) continue;
    if (a.rest_url != rest_url) {
      return Unexpected{"live-sim: the account's venue is " + a.rest_url +
                        "; run with the --sim-port it was made with"};
    }
    return a.id;
  }
  const auto admin = std::find_if(model->users.begin(), model->users.end(),
                                  [](const auto& u) { return u.admin && !u.disabled; });
  if (admin == model->users.end()) return Unexpected{std::string("live-sim: no admin user")};
  const std::string account_json =
      R"({"owner":)" + std::to_string(static_cast<std::uint32_t>(admin->id)) + R"(,"name":")" +
      std::string(kLiveSimAccount) +
      R"(","venue":"binance","mode":"live","endpoint":"custom","rest_url":")" + rest_url +
      R"(","ws_api_url":"wss://)" + origin() + R"(/ws-api/v3","stream_url":"wss://)" + origin() +
      R"("})";
  const auto created = engine.create_account(admin->id, account_json);
  if (created.status != engine::CommandStatus::kAccepted) {
    return Unexpected{"live-sim: create the account: " + created.message};
  }
  const AccountId account{created.created_id};
  const auto attached = engine.attach_key(admin->id, account, kLiveSimAccount, fingerprint_);
  if (attached.status != engine::CommandStatus::kAccepted) {
    return Unexpected{"live-sim: attach its key: " + attached.message};
  }
  engine.drain(5'000'000'000);  // the read model shows the account and its key
  connect();
  // The bots start once the market flows (started before, they would wait in safe mode) and
  // the account's order channel is up (before, their orders would be refused locally).
  for (int i = 0; i < 200; ++i) {
    const auto m = engine.read_model();
    const engine::AccountView* a = m ? m->find_account(account) : nullptr;
    if (m && m->engine.market_ready && a != nullptr && a->channel_up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (const std::string& bot : bots) {
    std::string json = bot;
    json.insert(1, R"("account":)" + std::to_string(created.created_id) + ",");
    const auto made = engine.create_bot(admin->id, json);
    if (made.status != engine::CommandStatus::kAccepted) {
      return Unexpected{"live-sim: bot: " + made.message};
    }
    const auto started =
        engine.bot_command(admin->id, true, made.bot, OperatorCommandKind::kStartBot);
    if (started.status != engine::CommandStatus::kAccepted) {
      return Unexpected{"live-sim: starting a bot: " + started.message};
    }
  }
  engine.drain(5'000'000'000);
  return account;
}

void LiveSim::stop() {
  if (venue_) venue_->stop();
  if (server_) server_->stop();
  if (venue_) venue_->stop();
  server_.reset();
}

}  // namespace be::cli
