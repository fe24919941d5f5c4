// Shared by the engine tests: a temporary data directory, a test deployment, bot configs,
// a seeded market, and a from-scratch replay of a journal through a fresh fold.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/engine.hpp"
#include "engine/engine_impl.hpp"
#include "engine/fold.hpp"
#include "engine/journal_replayer.hpp"
#include "journal/reader.hpp"

namespace be::engine::test_support {

namespace fs = std::filesystem;

inline constexpr std::int64_t kUnit = 100'000'000;  // 1.0 at scale 8

struct TempDir {  // removed with everything in it
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/be_engine_test_XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// A deployment from its config text, journaling into `dir`.
inline EngineConfig deployment_config(const fs::path& dir, const std::string& text) {
  auto parsed = parse_engine_config(text);
  EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : config::format_errors(parsed.error()));
  EngineConfig c = parsed ? *parsed : EngineConfig{};
  c.data_dir = dir.string();
  // The free-space floors watch the machine's /tmp, which a test does not own: off here, on in
  // the tests about them (disk_full_test.cpp) and in every deployment by default.
  c.disk_reserve_bytes = 0;
  c.disk_stop_bytes = 0;
  return c;
}

inline EngineConfig test_config(const fs::path& dir) {
  const std::string text = R"({
    "engine": {"journal": "async", "snapshot_every_inputs": 700, "tick_ms": 5},
    "venues": [{"name": "binance"}],
    "instruments": [{"venue": "binance", "symbol": "BTCUSDT", "base": "BTC", "quote": "USDT",
                     "price_scale": 8, "qty_scale": 8, "tick_size": 0.01, "step_size": 0.00001,
                     "min_notional": 5}],
    "paper": {"taker_fee_bps": 10, "maker_fee_bps": 2, "latency_us": 200,
              "balances": {"USDT": "100000"}}
  })";
  return deployment_config(dir, text);
}

inline const char* kDcaBot = R"({"name":"dca","symbol":"BTCUSDT","timeframe":"1m",
  "strategy":{"type":"dca","parameters":{"base_order_quote":100.0,"take_profit_pct":0.2,
  "interval_minutes":1,"safety_orders":{"count":2,"quote":100.0,"deviation_pct":0.2,
  "step_scale":1.0,"volume_scale":1.0}}}})";
inline const char* kGridBot = R"({"name":"grid","symbol":"BTCUSDT","timeframe":"1m",
  "strategy":{"type":"grid","parameters":{"lower":49000,"upper":51000,"grids":20,
  "spacing":"arithmetic","quantity_per_grid":0.001}}})";

inline Nanos wall_clock_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A seeded random walk around 50,000: a quote and a trade every 100 ms of event time.
class Market {
 public:
  explicit Market(std::uint64_t seed, Nanos start = 1'795'000'000'000'000'000)
      : rng_(seed), now_(start) {}
  Event next() {
    if (!connected_) {
      connected_ = true;
      Connectivity c;
      c.venue = VenueId{0};
      c.state = ConnectivityState::kConnected;
      return Event::make(c, now_, now_);
    }
    now_ += 50'000'000;
    if (quote_) {
      quote_ = false;
      Quote q;
      q.instrument = InstrumentId{0};
      q.bid_price = price_ - kUnit / 100;
      q.ask_price = price_ + kUnit / 100;
      q.bid_quantity = q.ask_quantity = kUnit;
      return Event::make(q, now_, now_);
    }
    quote_ = true;
    std::uniform_int_distribution<int> step(-30, 30);
    price_ += step(rng_) * (kUnit / 100) * 5;
    Trade t;
    t.instrument = InstrumentId{0};
    t.price = price_;
    t.quantity = kUnit / 100;
    t.aggressor = (now_ / 50'000'000) % 2 ? Side::kBuy : Side::kSell;
    t.trade_id = ++trade_id_;
    return Event::make(t, now_, now_);
  }

 private:
  std::mt19937_64 rng_;
  Nanos now_;
  std::int64_t price_ = 50'000 * kUnit;
  std::uint64_t trade_id_ = 0;
  bool connected_ = false;
  bool quote_ = true;
};

// From scratch: every input of the journal through a fresh fold, no snapshot.
struct ScratchReplay {
  std::uint64_t hash = 0;
  std::uint64_t inputs = 0;
  std::uint64_t derived_mismatches = 0;  // JournalReplayer divergences (StateHash included)
  std::map<std::pair<std::uint32_t, SequenceNumber>, int> orders_sent;
  std::map<std::uint32_t, std::uint64_t> fills_by_bot;  // FillApplied records in the journal
};

using Drop = oms::DiscardResponses;

// Tallies, from every journal record the replayer reads, what the tests check besides the
// hash: how often each client order id was sent and the FillApplied records per bot.
class ScratchTally final : public ReplayObserver {
 public:
  explicit ScratchTally(ScratchReplay& out) : out_(out) {}
  void on_record(const Event& e) override {
    if (e.header.type == EventType::kOrderNew) {
      const auto o = e.as<OrderNew>();
      ++out_.orders_sent[{index_of(o.bot), o.client_sequence}];
    }
    if (e.header.type == EventType::kFillApplied)
      ++out_.fills_by_bot[index_of(e.as<FillApplied>().bot)];
  }

 private:
  ScratchReplay& out_;
};

// The engine's own replay loop (JournalReplayer) over the whole journal, comparing every
// derived record and StateHash with the fresh fold's and counting every divergence.
inline ScratchReplay replay_from_scratch(const EngineConfig& config) {
  ScratchReplay out;
  const InstrumentTable table(config.instruments);
  const auto balances = Engine::Impl::paper_balances(config, table);
  Drop drop;
  Fold fold(Engine::Impl::fold_config(config, balances), drop);
  auto reader = journal::Reader::open(config.data_dir + "/journal");
  EXPECT_TRUE(reader.has_value());
  if (!reader) return out;
  ScratchTally tally(out);
  JournalReplayer replayer(**reader, &fold, JournalReplayer::Options{}, &tally);
  const auto result = replayer.run();
  EXPECT_TRUE(result.has_value()) << (result ? std::string() : result.error());
  if (!result) return out;
  out.inputs = result->counts.inputs;
  out.derived_mismatches = result->counts.mismatches;
  out.hash = fold.hashes().combined;
  return out;
}

// Offers `count` market inputs, each until the ingress takes it, then waits until they are
// applied and in the read model.
inline ::testing::AssertionResult offer_market(Engine& engine, Market& market, int count) {
  for (int i = 0; i < count; ++i) {
    const Event e = market.next();
    while (!engine.offer_event(e)) {
      if (!engine.drain(10'000'000'000)) return ::testing::AssertionFailure() << "no drain";
    }
  }
  if (!engine.drain(20'000'000'000)) return ::testing::AssertionFailure() << "no drain";
  return ::testing::AssertionSuccess();
}

// Creates the bots, gives the market a price, then starts them (a bot started before its
// instrument has a price would wait in safe mode).
inline ::testing::AssertionResult start_trading(Engine& engine, Market& market,
                                                std::initializer_list<const char*> configs) {
  std::vector<BotId> bots;
  for (const char* json : configs) {
    const CommandResult r = engine.create_bot(UserId{1}, json);
    if (r.status != CommandStatus::kAccepted) return ::testing::AssertionFailure() << r.message;
    bots.push_back(r.bot);
  }
  if (auto priced = offer_market(engine, market, 50); !priced) return priced;
  for (BotId bot : bots) {
    const CommandResult r =
        engine.bot_command(UserId{1}, false, bot, OperatorCommandKind::kStartBot);
    if (r.status != CommandStatus::kAccepted) return ::testing::AssertionFailure() << r.message;
  }
  return ::testing::AssertionSuccess();
}

// Every OperatorCommand the journal in data_dir holds, by sequence (read back with
// journal::Reader, as another process would): what an answer's sequence must point at.
inline std::map<SequenceNumber, OperatorCommand> journaled_commands(const fs::path& data_dir) {
  std::map<SequenceNumber, OperatorCommand> out;
  auto reader = journal::Reader::open((data_dir / "journal").string());
  EXPECT_TRUE(reader.has_value()) << (reader ? "" : reader.error().message);
  if (!reader) return out;
  journal::RecordView view;
  while ((*reader)->next(view) == journal::ReadStatus::kRecord) {
    if (view.type != EventType::kOperatorCommand) continue;
    Event e;
    if (journal::decode(view, e).ok()) {
      out[view.sequence] = e.as<OperatorCommand>();
    } else {
      ADD_FAILURE() << "an OperatorCommand at " << view.sequence << " does not decode";
    }
  }
  EXPECT_TRUE((*reader)->error().ok()) << (*reader)->error().message;
  return out;
}

inline std::unique_ptr<Engine> open_engine(const EngineConfig& config) {
  auto e = Engine::open(config);
  EXPECT_TRUE(e.has_value()) << (e ? "" : e.error());
  return e ? std::move(*e) : nullptr;
}

// Opened and started (null, with the failure reported, when either fails).
inline std::unique_ptr<Engine> started_engine(const EngineConfig& config) {
  auto engine = open_engine(config);
  if (!engine) return nullptr;
  const auto started = engine->start();
  EXPECT_TRUE(started.has_value()) << (started ? "" : started.error());
  return started ? std::move(engine) : nullptr;
}

// The fold a deployment runs, built as the engine builds it (the paper venue's answers dropped).
struct DeploymentFold {
  explicit DeploymentFold(const EngineConfig& config)
      : table(config.instruments),
        balances(Engine::Impl::paper_balances(config, table)),
        fold(Engine::Impl::fold_config(config, balances), drop) {}
  InstrumentTable table;
  std::vector<oms::PaperStartingBalance> balances;
  Drop drop;
  Fold fold;
};

}  // namespace be::engine::test_support
