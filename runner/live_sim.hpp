// `botengine run --live-sim` (docs/LIVE.md "Try it without an exchange account"): the demo's
// bots on a live-mode account whose orders go through the real Binance gateway, over TLS, to
// the simulator's exchange, all in this process:
//   - the simulator (synthetic BTCUSDT/ETHUSDT) with its exchange mounted (one account,
//     "live-sim"), serving https/wss with a throwaway self-signed certificate made in memory
//     at each start; the certificate (public) is written to DATA/live-sim-ca.pem, the trust
//     anchor of the market stream and of the gateway, the key never leaves memory;
//   - the account's API key and secret: made once (random) and kept in the key store entry
//     "live-sim" (DATA/keys), so a restart gives the simulator the same keys; the master key
//     is the configured one, else a throwaway one made once in DATA/live-sim.master (0600);
//   - on a new journal, a live account "live-sim" of the first admin (endpoint custom, the
//     simulator's URLs), its key attached, and the demo's bots created on it and started.
// The simulator's exchange lives in this process: a restart finds none of the previous run's
// orders at the venue, and reconciliation settles them as the venue answers (unknown there).
// It listens on a fixed port (--sim-port, default 19443) so the account's URLs stay true.
//
// Thread-safety: the control thread of `botengine run`. Lifetime: stop() after the engine.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/expected.hpp"
#include "engine/engine.hpp"
#include "oms/venues/binance/key_store.hpp"
#include "sim/binance/sim_venue.hpp"
#include "sim/sim_server.hpp"

namespace be::cli {

inline constexpr std::uint16_t kLiveSimPort = 19443;
inline constexpr std::string_view kLiveSimAccount = "live-sim";

class LiveSim {
 public:
  // Starts the simulator and its exchange on 127.0.0.1:`port` over TLS. `master`: the
  // runner's master key, or null (a throwaway one is made in DATA/live-sim.master).
  static Expected<std::unique_ptr<LiveSim>, std::string> start(
      const std::filesystem::path& data_dir, std::uint16_t port,
      std::shared_ptr<const binance::MasterKey> master, const IngressClock& wall_clock);
  ~LiveSim();

  std::string stream_url() const;  // wss://127.0.0.1:P/stream (the engine's market data)
  const std::string& ca_file() const { return ca_file_; }
  std::shared_ptr<const binance::MasterKey> master() const { return master_; }

  // After Engine::start: on a journal without it, the live account of the first admin, its
  // key attached, `connect` called (the runner builds its gateway), and once the market flows
  // and the account's order channel is up (at most 10 s each), `bots` (bot config JSON
  // objects) created on it and started: started earlier, their first orders would be refused
  // locally. Returns the account's id.
  Expected<AccountId, std::string> ensure_account(engine::Engine& engine,
                                                  const std::vector<std::string>& bots,
                                                  const std::function<void()>& connect);
  void stop();

 private:
  LiveSim() = default;
  std::string origin() const;  // 127.0.0.1:P

  std::filesystem::path keys_dir_;
  std::shared_ptr<const binance::MasterKey> master_;
  std::string fingerprint_;
  std::string ca_file_;
  std::uint16_t port_ = 0;
  std::unique_ptr<binance::mock::MockVenue> venue_;
  std::unique_ptr<sim::SimServer> server_;
};

}  // namespace be::cli
