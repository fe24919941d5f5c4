// The engine side of the benchmarks: the bench deployment (one instrument, a paper account,
// bots whose ranges the wire generator's price swing crosses), a journal written by a real
// Engine in the bench setup, and a Fold replayed from such a journal. Used by
// `botengine bench` (the deployment) and bench/replay, bench/snapshot.
//
// Thread-safety: functions are independent; each returned object belongs to its caller.
// Errors: a message naming what failed (engine open/start, journal read, a record's decode).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/expected.hpp"
#include "engine/engine.hpp"
#include "engine/fold.hpp"

namespace be::bench {

// The deployment JSON (docs/CONFIG.md): BTCUSDT on "binance" (no connection), 10M USDT and
// 100 BTC on paper, and `bots` bots cycling grid / DCA / RSI / market maker, each grid over its
// own slice of 49,000..51,000 so they fill at different points of the swing.
// Reports the bench venue connected (the harness has no WebSocket client to do it).
void offer_feed_connected(engine::Engine& eng);
std::string engine_config_json(std::size_t bots);
// Bot `i` of that deployment, a bot config JSON object (grid, DCA, RSI, market maker by i % 4).
std::string bot_config_json(std::size_t i);

struct JournalFixture {
  std::uint64_t state_hash = 0;  // the stopped engine's
  std::uint64_t inputs = 0;      // inputs the engine applied (frames, bots, ticks, answers)
  std::uint64_t refused = 0;     // offers refused while the ingress was full (then retried)
};

// Writes a journal into `data_dir` (removed first): an Engine with engine_config_json(bots)
// in async mode takes `frames` frames of the wire generator (seed 1) as fast as its ingress
// accepts them, drains and stops (which journals the shutdown and a final snapshot).
Expected<JournalFixture, std::string> write_bench_journal(const std::string& data_dir,
                                                          std::size_t bots, std::uint64_t frames);

// A fold rebuilt by replaying the journal in `journal_dir` through the JournalReplayer
// (engine/journal_replayer.hpp), built from the deployment config the journal carries, the
// way recovery and `botengine replay` build it. `compare`: also compare every derived record
// and state hash with the fold's, as `replay --verify` and recovery do (`mismatches` counts
// the divergences); off, derived records are only counted, as a plain `botengine replay`
// does. `records` counts every journal record read.
struct ReplayedFold {
  std::unique_ptr<engine::Fold> fold;
  std::uint64_t records = 0;
  std::uint64_t inputs = 0;
  std::uint64_t mismatches = 0;
};
Expected<ReplayedFold, std::string> replay_journal(const std::string& journal_dir,
                                                   bool compare = false);

}  // namespace be::bench
