#include "bench/harness/engine_fixture.hpp"

#include <chrono>
#include <filesystem>
#include <thread>

#include "bench/harness/wire_gen.hpp"
#include "core/clock.hpp"
#include "engine/format.hpp"
#include "engine/journal_replayer.hpp"
#include "journal/reader.hpp"

namespace be::bench {
namespace {

// Paper answers are inputs the journal already holds: a replay drops them, as recovery does.
using DropResponses = oms::DiscardResponses;

}  // namespace

// The harness feeds frames through offer_frame, with no venue connection to report that the
// feed is up: say so once, as the WebSocket client would, or every bot stays in safe mode.
void offer_feed_connected(engine::Engine& eng) {
  Connectivity c;
  c.venue = VenueId{0};
  c.state = ConnectivityState::kConnected;
  const Nanos now = WallClock{}.now();
  eng.offer_event(Event::make(c, now, now));
}

std::string bot_config_json(std::size_t i) {
  const std::string n = std::to_string(i);
  std::string out;
  switch (i % 4) {
    case 0: {
      // Grids over staggered 1,000-wide slices of the swing.
      const std::size_t lo = 49'000 + (i / 4 % 5) * 250;
      out += R"({"name": "grid )" + n + R"(", "symbol": "BTCUSDT", "strategy": {"type": "grid",
         "parameters": {"lower": )" +
             std::to_string(lo) + R"(, "upper": )" + std::to_string(lo + 1'000) +
             R"(, "grids": 20, "spacing": "arithmetic", "quantity_per_grid": 0.001}}})";
      break;
    }
    case 1:
      out += R"({"name": "dca )" + n + R"(", "symbol": "BTCUSDT", "timeframe": "1m",
         "strategy": {"type": "dca", "parameters": {"base_order_quote": 100.0,
         "take_profit_pct": 0.5, "safety_orders": {"count": 3, "quote": 100.0,
         "deviation_pct": 0.3, "step_scale": 1.2, "volume_scale": 1.5}}}})";
      break;
    case 2:
      out += R"({"name": "rsi )" + n + R"(", "symbol": "BTCUSDT", "timeframe": "1m",
         "strategy": {"type": "rsi", "parameters": {"period": 14, "oversold": 30,
         "overbought": 70, "quote_amount": 100.0}}})";
      break;
    default:
      // Quotes on every book update: the bot that makes tick-to-order measurable.
      out += R"({"name": "mm )" + n + R"(", "symbol": "BTCUSDT",
         "strategy": {"type": "market_maker", "parameters": {"spread_bps": 10, "skew_bps": 5,
         "requote_bps": 2, "order_size": 0.01, "inventory_cap": 0.05}}})";
  }
  return out;
}

std::string engine_config_json(std::size_t bots) {
  std::string s = R"({
  "engine": {"journal": "off", "snapshot_every_inputs": 1000000000, "snapshot_interval_ms": 3600000},
  "venues": [{"name": "binance", "url": ""}],
  "instruments": [
    {"venue": "binance", "symbol": "BTCUSDT", "base": "BTC", "quote": "USDT",
     "price_scale": 8, "qty_scale": 8, "tick_size": 0.01, "step_size": 0.00001,
     "min_notional": 5}
  ],
  "paper": {"taker_fee_bps": 10, "maker_fee_bps": 2, "slippage_bps": 1, "latency_us": 500,
            "balances": {"USDT": "10000000", "BTC": "100"}},
  "bots": [)";
  for (std::size_t i = 0; i < bots; ++i) {
    if (i) s += ",";
    s += bot_config_json(i);
  }
  s += "]}";
  return s;
}

Expected<JournalFixture, std::string> write_bench_journal(const std::string& data_dir,
                                                          std::size_t bots, std::uint64_t frames) {
  auto parsed = engine::parse_engine_config(engine_config_json(bots));
  if (!parsed) return Unexpected(std::string("the bench config is invalid"));
  engine::EngineConfig config = std::move(*parsed);
  config.journal = engine::JournalMode::kAsync;
  config.data_dir = data_dir;
  std::error_code ec;
  std::filesystem::remove_all(data_dir, ec);
  auto opened = engine::Engine::open(config);
  if (!opened) return Unexpected("engine open: " + opened.error());
  engine::Engine& eng = **opened;
  offer_feed_connected(eng);
  if (auto started = eng.start(); !started) return Unexpected("engine start: " + started.error());
  WireGenerator gen(WireGenConfig{});
  std::string frame;
  JournalFixture out;
  // Event times 1 ms apart from a fixed start: the journal's content does not depend on
  // when the bench ran, only its receive times do.
  constexpr Nanos kStart = 1'704'067'200'000'000'000;
  for (std::uint64_t i = 0; i < frames; ++i) {
    gen.next(kStart + static_cast<Nanos>(i) * 1'000'000, frame);
    while (!eng.offer_frame(0, frame, WallClock{}.now(), 0)) {
      ++out.refused;
      // The ingress is full: let the pipeline catch up (setup, not a measurement).
      if (!eng.drain(10'000'000'000)) return Unexpected(std::string("the engine did not drain"));
    }
  }
  if (!eng.drain(60'000'000'000)) return Unexpected(std::string("the engine did not drain"));
  eng.stop();
  out.state_hash = eng.state_hash();
  out.inputs = eng.applied_inputs();
  return out;
}

Expected<ReplayedFold, std::string> replay_journal(const std::string& journal_dir, bool compare) {
  auto reader = journal::Reader::open(journal_dir);
  if (!reader) return Unexpected(journal_dir + ": " + reader.error().message);
  auto recorded = engine::read_journal_config(**reader);
  if (!recorded) return Unexpected("the journal's config: " + recorded.error());
  if (!*recorded) return Unexpected(journal_dir + ": no deployment config in the journal");
  const engine::EngineConfig& config = **recorded;
  const engine::InstrumentTable instruments(config.instruments);
  static DropResponses drop;
  ReplayedFold out;
  out.fold = std::make_unique<engine::Fold>(
      engine::fold_config(config, engine::paper_balances(config, instruments)), drop);
  engine::JournalReplayer::Options options;
  options.compare = compare;
  engine::JournalReplayer replayer(**reader, out.fold.get(), options);
  const auto replayed = replayer.run();
  if (!replayed) return Unexpected(replayed.error());
  out.records = replayed->counts.records;
  out.inputs = replayed->counts.inputs;
  out.mismatches = replayed->counts.mismatches;
  return out;
}

}  // namespace be::bench
