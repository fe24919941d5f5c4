// POST /api/v1/bots/bulk's engine side (Engine::create_bots, issue 18 item 4) against the real
// engine: a temporary data directory, the journal on, two instruments, no venue connection,
// the fixture's users imported. Each case checks what the answer says per item and what the
// engine holds after it: one journaled create_bots command for the valid items that fit
// (one audit entry, one sequence), the invalid and the over-capacity items refused each with
// its reason and nothing of them created; then the journal replayed as `replay --verify`
// does (every derived record and state hash compared) and the engine reopened (recovery)
// show the same bots and state.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "engine/format.hpp"
#include "engine/journal_replayer.hpp"
#include "journal/reader.hpp"
#include "oms/venue.hpp"
#include "runner/api/auth.hpp"
#include "tests/api/api_fixture.hpp"

namespace be::api::test {
namespace {

namespace fs = std::filesystem;
using engine::CommandStatus;

constexpr std::string_view kDeployment = R"({
  "engine": {"journal": "async", "tick_ms": 5},
  "venues": [{"name": "binance"}],
  "instruments": [
    {"venue": "binance", "symbol": "BTCUSDT", "base": "BTC", "quote": "USDT",
     "price_scale": 8, "qty_scale": 8, "tick_size": 0.01, "step_size": 0.00001, "min_notional": 5},
    {"venue": "binance", "symbol": "ETHUSDT", "base": "ETH", "quote": "USDT",
     "price_scale": 8, "qty_scale": 8, "tick_size": 0.01, "step_size": 0.00001, "min_notional": 5}],
  "paper": {"balances": {"USDT": "100000"}}
})";
// The deployment's bot capacity in these tests: small, so a request crosses it.
constexpr std::uint32_t kCapacity = 16;
constexpr UserId kAlice{2};  // the tokens file's second line

std::string rsi(int i, std::string_view symbol = "BTCUSDT") {
  return R"({"name":"bulk )" + std::to_string(i) + R"(","symbol":")" + std::string(symbol) +
         R"(","timeframe":"1m","strategy":{"type":"rsi","parameters":{"period":14,"oversold":30,)"
         R"("overbought":70,"quote_amount":100.0}},"risk_management":{"max_position_size":500.0}})";
}
std::string grid(int i) {
  return R"({"name":"grid )" + std::to_string(i) +
         R"(","symbol":"ETHUSDT","strategy":{"type":"grid","parameters":{"lower":1000,)"
         R"("upper":2000,"grids":10,"spacing":"arithmetic","quantity_per_grid":0.01}}})";
}
const std::string kBadType =
    R"({"name":"typo","symbol":"BTCUSDT","timeframe":"1m","strategy":{"type":"nope"}})";

// What recovery and replay must reproduce of a bot.
struct BotFacts {
  BotId id;
  UserId owner;
  AccountId account;
  std::string name, type, symbol, config_json;
  BotState state;
  bool operator==(const BotFacts&) const = default;
};
std::vector<BotFacts> facts(const engine::ReadModel& m) {
  std::vector<BotFacts> out;
  for (const engine::BotView& b : m.bots)
    out.push_back({b.id, b.owner, b.account, b.name, b.type, b.symbol, b.config_json, b.state});
  return out;
}

class BulkEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/be_bulk_engine_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto config = engine::parse_engine_config(kDeployment);
    ASSERT_TRUE(config.has_value()) << config::format_errors(config.error());
    config->data_dir = (dir_ / "data").string();
    config->fold.oms.bots = kCapacity;
    config->fold.risk.capacity.bots = kCapacity;
    auto users = TokenStore::parse(tokens_file_text());
    ASSERT_TRUE(users.has_value()) << users.error();
    for (const TokenStore::Entry& u : users->entries())
      config->initial_users.push_back({u.name, u.admin, u.token_sha256});
    config_ = std::move(*config);
    ASSERT_NO_FATAL_FAILURE(open());
  }
  void TearDown() override {
    if (engine_) engine_->stop();
    engine_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void open() {
    auto opened = engine::Engine::open(config_);
    ASSERT_TRUE(opened.has_value()) << opened.error();
    engine_ = std::move(*opened);
    auto started = engine_->start();
    ASSERT_TRUE(started.has_value()) << started.error();
  }
  engine::BulkCreateResult bulk(std::vector<std::string> configs) {
    return engine_->create_bots(kAlice, configs);
  }
  std::vector<engine::AuditEntry> bulk_audit() const {
    std::vector<engine::AuditEntry> out;
    for (const engine::AuditEntry& a : engine_->audit(0, 1000))
      if (a.command == "create_bots") out.push_back(a);
    return out;
  }
  // The journal replayed from its first record by a fold of this deployment, comparing every
  // derived record and state hash (`botengine replay --verify`); the fold's final hash.
  std::uint64_t replay_verify() {
    auto reader = journal::Reader::open((dir_ / "data" / "journal").string());
    EXPECT_TRUE(reader.has_value());
    if (!reader) return 0;
    oms::DiscardResponses discard;
    const engine::InstrumentTable instruments(config_.instruments);
    const auto balances = engine::paper_balances(config_, instruments);
    engine::Fold fold(engine::fold_config(config_, balances), discard);
    engine::JournalReplayer replayer(**reader, &fold, {});
    const auto replayed = replayer.run();
    EXPECT_TRUE(replayed.has_value()) << replayed.error();
    if (!replayed) return 0;
    EXPECT_EQ(replayed->counts.mismatches, 0u);
    EXPECT_GT(replayed->counts.compared, 0u);
    EXPECT_GT(replayed->counts.hashes_checked, 0u);
    return fold.hashes().combined;
  }

  fs::path dir_;
  engine::EngineConfig config_;
  std::unique_ptr<engine::Engine> engine_;
};

TEST_F(BulkEngineTest, CreatesTheValidItemsInOneCommandAndNamesWhyNotForTheOthers) {
  const auto r = bulk({rsi(0), kBadType, grid(1), R"({"name":"no strategy","symbol":"BTCUSDT"})",
                       rsi(2, "DOGEUSDT")});
  ASSERT_EQ(r.status, CommandStatus::kAccepted) << r.message;
  ASSERT_EQ(r.items.size(), 5u);
  EXPECT_EQ(r.items[0].status, CommandStatus::kAccepted);
  EXPECT_EQ(r.items[0].bot, BotId{0});
  EXPECT_EQ(r.items[2].status, CommandStatus::kAccepted);
  EXPECT_EQ(r.items[2].bot, BotId{1});
  EXPECT_EQ(r.items[0].sequence, r.sequence);
  EXPECT_EQ(r.items[2].sequence, r.sequence) << "one journaled command";
  for (const std::size_t bad : {1u, 3u, 4u}) {
    EXPECT_EQ(r.items[bad].status, CommandStatus::kInvalid) << bad;
    EXPECT_FALSE(r.items[bad].errors.empty()) << bad;
    EXPECT_EQ(r.items[bad].bot, kNoBot) << bad;
  }
  EXPECT_EQ(r.items[1].errors.front().field, "strategy.type");
  EXPECT_EQ(r.items[4].errors.front().field, "symbol");

  const auto model = engine_->read_model();
  ASSERT_EQ(model->bots.size(), 2u) << "the answer waited for a read model that shows them";
  EXPECT_EQ(model->bots[0].name, "bulk 0");
  EXPECT_EQ(model->bots[0].owner, kAlice);
  EXPECT_EQ(model->bots[0].state, BotState::kStopped);
  EXPECT_EQ(model->bots[1].name, "grid 1");
  EXPECT_EQ(model->bots[1].symbol, "ETHUSDT");
  const auto audit = bulk_audit();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].seq, r.sequence);
  EXPECT_EQ(audit[0].target, "bots 0..1");
  EXPECT_EQ(audit[0].route, "POST /api/v1/bots/bulk");
  EXPECT_EQ(audit[0].outcome, "applied");
  EXPECT_EQ(audit[0].user, kAlice);

  // A created bot is a bot like any other: it starts.
  EXPECT_EQ(engine_->bot_command(kAlice, false, BotId{1}, OperatorCommandKind::kStartBot).status,
            CommandStatus::kAccepted);
}

TEST_F(BulkEngineTest, RefusesTheItemsPastCapacityWholeAndCreatesTheRest) {
  std::vector<std::string> first;
  for (int i = 0; i < 14; ++i)
    first.push_back(rsi(i));
  const auto a = bulk(first);
  ASSERT_EQ(a.status, CommandStatus::kAccepted) << a.message;
  for (const auto& item : a.items)
    EXPECT_EQ(item.status, CommandStatus::kAccepted) << item.message;

  // Two fit (ids 14, 15); the invalid one is refused for itself; three find no room.
  const auto b = bulk({rsi(14), kBadType, grid(15), rsi(16), rsi(17), rsi(18)});
  ASSERT_EQ(b.status, CommandStatus::kAccepted) << b.message;
  EXPECT_EQ(b.items[0].bot, BotId{14});
  EXPECT_EQ(b.items[1].status, CommandStatus::kInvalid);
  EXPECT_EQ(b.items[2].bot, BotId{15});
  for (const std::size_t past : {3u, 4u, 5u}) {
    EXPECT_EQ(b.items[past].status, CommandStatus::kConflict) << past;
    EXPECT_NE(b.items[past].message.find("bot capacity (16) is used up"), std::string::npos)
        << b.items[past].message;
    EXPECT_EQ(b.items[past].bot, kNoBot);
    EXPECT_EQ(b.items[past].sequence, 0u) << "never journaled";
  }
  // Nothing half-created: the engine holds exactly the 16 bots, the journal two commands of
  // 14 and 2, and a further bulk or single create finds no room.
  const auto model = engine_->read_model();
  ASSERT_EQ(model->bots.size(), kCapacity);
  for (std::uint32_t i = 0; i < kCapacity; ++i)
    EXPECT_EQ(model->bots[i].id, BotId{i});
  const auto audit = bulk_audit();
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].target, "bots 0..13");
  EXPECT_EQ(audit[1].target, "bots 14..15");
  const auto c = bulk({rsi(20)});
  EXPECT_EQ(c.items[0].status, CommandStatus::kConflict);
  EXPECT_EQ(c.sequence, 0u);
  EXPECT_EQ(engine_->create_bot(kAlice, rsi(21)).status, CommandStatus::kConflict);
  EXPECT_EQ(bulk_audit().size(), 2u);
}

TEST_F(BulkEngineTest, RefusesHostileRequestsWholeWithNothingJournaled) {
  // More configs than one command carries.
  const auto many = bulk(std::vector<std::string>(engine::kMaxBulkBots + 1, rsi(0)));
  EXPECT_EQ(many.status, CommandStatus::kInvalid);
  ASSERT_EQ(many.items.size(), engine::kMaxBulkBots + 1);
  EXPECT_EQ(many.items[0].status, CommandStatus::kInvalid);
  // Valid configs whose blob would pass the journal's blob limit: script bots of 200 KB.
  std::vector<std::string> big;
  const std::string comment = "-- " + std::string(200'000, 'x') + "\\n";
  for (int i = 0; i < 6; ++i) {
    big.push_back(R"({"name":"big )" + std::to_string(i) +
                  R"(","symbol":"BTCUSDT","timeframe":"1m","strategy":{"type":"script",)"
                  R"("parameters":{"source":")" +
                  comment + R"(function on_bar() end"}}})");
  }
  const auto large = bulk(big);
  for (const auto& item : large.items) {
    EXPECT_EQ(item.status, CommandStatus::kInvalid) << item.message;
    ASSERT_FALSE(item.errors.empty());
    EXPECT_NE(item.errors[0].message.find("at most 1048576"), std::string::npos)
        << item.errors[0].message;
  }
  // Not JSON objects at all.
  const auto garbage = bulk({"[1,2]", "{", "\"text\"", ""});
  for (const auto& item : garbage.items)
    EXPECT_EQ(item.status, CommandStatus::kInvalid);
  EXPECT_TRUE(bulk_audit().empty()) << "nothing reached the journal";
  EXPECT_TRUE(engine_->read_model()->bots.empty());
  // Ids were not used up by the refusals: the next bot is bot 0.
  EXPECT_EQ(bulk({rsi(0)}).items[0].bot, BotId{0});
}

TEST_F(BulkEngineTest, ReplayAndRecoveryRebuildTheSameBots) {
  std::vector<std::string> configs;
  for (int i = 0; i < 12; ++i)
    configs.push_back(i % 3 == 1 ? kBadType : i % 2 ? grid(i) : rsi(i));
  ASSERT_EQ(bulk(configs).status, CommandStatus::kAccepted);
  ASSERT_EQ(engine_->create_bot(kAlice, rsi(40)).status, CommandStatus::kAccepted);
  std::vector<std::string> more;
  for (int i = 41; i < 50; ++i)
    more.push_back(i % 2 ? rsi(i) : grid(i));
  const auto last = bulk(more);
  ASSERT_EQ(last.status, CommandStatus::kAccepted);
  EXPECT_EQ(last.items[7].status, CommandStatus::kConflict);
  EXPECT_EQ(last.items[8].status, CommandStatus::kConflict);
  ASSERT_EQ(engine_->bot_command(kAlice, false, BotId{2}, OperatorCommandKind::kStartBot).status,
            CommandStatus::kAccepted);
  const auto before = facts(*engine_->read_model());
  ASSERT_EQ(before.size(), kCapacity) << "8 + 1 + 7 (of 9: the last two past capacity)";
  engine_->stop();
  const std::uint64_t live_hash = engine_->state_hash();
  engine_.reset();

  EXPECT_EQ(replay_verify(), live_hash) << "a from-scratch replay equals the live state";

  ASSERT_NO_FATAL_FAILURE(open());  // recovery: the newest snapshot and the journal's tail
  auto after = facts(*engine_->read_model());
  // A running bot comes back as the journal left it: stopped by the shutdown.
  for (BotFacts& f : after)
    if (f.id == BotId{2}) f.state = BotState::kRunning;
  EXPECT_EQ(after, before);
  EXPECT_EQ(bulk({rsi(60)}).items[0].status, CommandStatus::kConflict) << "ids stay used";
}

}  // namespace
}  // namespace be::api::test
