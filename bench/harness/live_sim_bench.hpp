// `botengine bench run --venue live-sim` (docs/BENCHMARKS.md "Live tick-to-wire"): the
// bench engine with its bots on a live-mode account whose orders go through the real Binance
// gateway, over TLS, to the simulator's exchange on loopback, all in this process:
//   - the simulator's server (no market of its own: the harness injects the frames) with the
//     Binance exchange mounted, serving https/wss with a certificate made in memory, trusted
//     by the gateway alone;
//   - an Ed25519 key made in memory (the venue gets its public half), so both WebSocket API
//     sessions log on and no order carries a signature;
//   - a user, its live account (endpoint custom, the simulator's URLs) and its gateway with
//     the order session (gateway.hpp "The hot thread's write"), attached to the engine as its
//     LiveVenues; then the bench bots, created on that account and started once its order
//     channel is up.
// Tick-to-wire is the engine's StageTimes::sent (stamped when the gateway's submit returned,
// i.e. after SSL_write) minus the frame's intended send time.
//
// Thread-safety: the harness's thread. Lifetime: stop() after the engine stopped.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include "core/clock.hpp"
#include "core/expected.hpp"
#include "engine/engine.hpp"
#include "engine/live_venues.hpp"
#include "oms/venue.hpp"

namespace be::bench {

class LiveSimBench final : public engine::LiveVenues {
 public:
  // Starts the simulator's exchange on 127.0.0.1 (an ephemeral port) over TLS.
  static Expected<std::unique_ptr<LiveSimBench>, std::string> start_venue(
      const IngressClock& wall_clock);
  ~LiveSimBench();

  // After Engine::start (attach this as its LiveVenues before): the user, its live account,
  // the gateway (connected, its order session open), then `bots` bench bots on the account
  // (engine_fixture.hpp's bot_config_json), started. Each step at most 10 s.
  Expected<bool, std::string> connect(engine::Engine& engine, const engine::EngineConfig& config,
                                      std::size_t bots);
  // After the run: the gateway's counts (orders written from the engine's thread, would
  // block, queued fallbacks, over REST) and how long the engine's thread spent in submit()
  // (the frame built, the order session's try-lock, SSL_write), as lines of text.
  std::string report() const;
  void stop();

  oms::Venue* venue(AccountId account) noexcept override;

 private:
  LiveSimBench() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<oms::Venue*> venue_{nullptr};  // the timed gateway, once connected
  AccountId account_{};
};

}  // namespace be::bench
