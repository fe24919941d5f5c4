// engine.capacity (docs/CONFIG.md "capacity"): the config section and its checks, a create past
// the capacity refused (409, counted, nothing taken), and growth: a snapshot restores into
// larger tables and the grown fold goes on deriving exactly what the original would. An old
// snapshot (a fixture written by the release before this section existed) still restores.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "bench/harness/scale_workload.hpp"
#include "engine/engine.hpp"
#include "engine/engine_impl.hpp"
#include "engine/fold.hpp"
#include "engine/journal_check.hpp"
#include "journal/reader.hpp"
#include "tests/engine/engine_fixture.hpp"

namespace be::engine {
namespace {

using namespace test_support;

// The test deployment (engine_fixture.hpp) with an engine.capacity section.
std::string deployment_text(const std::string& capacity) {
  return R"({
    "engine": {"journal": "async", "snapshot_every_inputs": 700, "tick_ms": 5,
               "capacity": )" +
         capacity + R"(},
    "venues": [{"name": "binance"}],
    "instruments": [{"venue": "binance", "symbol": "BTCUSDT", "base": "BTC", "quote": "USDT",
                     "price_scale": 8, "qty_scale": 8, "tick_size": 0.01, "step_size": 0.00001,
                     "min_notional": 5}],
    "paper": {"taker_fee_bps": 10, "maker_fee_bps": 2, "latency_us": 200,
              "balances": {"USDT": "100000"}}
  })";
}

EngineConfig capacity_config(const fs::path& dir, const std::string& capacity) {
  return deployment_config(dir, deployment_text(capacity));
}

std::string errors_of(const std::string& text) {
  auto parsed = parse_engine_config(text);
  return parsed ? std::string("(accepted)") : config::format_errors(parsed.error());
}

TEST(CapacityConfigTest, shouldSizeEveryTableFromTheCapacitySection) {
  TempDir dir;
  const EngineConfig c = capacity_config(
      dir.path, R"({"bots": 300, "instruments": 40, "accounts": 20, "open_orders": 5000})");
  const FoldConfig& f = c.fold;
  EXPECT_EQ(f.strategy.bots, 300u);
  EXPECT_EQ(f.risk.capacity.bots, 300u);
  EXPECT_EQ(f.oms.bots, 300u);
  EXPECT_EQ(f.strategy.instruments, 40u);
  EXPECT_EQ(f.risk.capacity.instruments, 40u);
  EXPECT_EQ(f.oms.instruments, 40u);
  EXPECT_EQ(f.paper.instruments, 40u);
  EXPECT_EQ(f.risk.capacity.accounts, 20u);
  EXPECT_EQ(f.oms.accounts, 20u);
  EXPECT_EQ(f.paper.accounts, 20u);
  EXPECT_EQ(f.directory.max_accounts, 20u);
  EXPECT_EQ(f.oms.orders, 5000u);
  EXPECT_EQ(f.paper.max_orders, 5000u);
  EXPECT_EQ(f.risk.max_tracked_orders, 5000u);
  EXPECT_GE(f.max_records_per_input, 8192u);
}

TEST(CapacityConfigTest, shouldKeepTheHistoricTablesWithoutTheSection) {
  TempDir dir;
  const EngineConfig c = test_config(dir.path);
  const FoldConfig defaults;
  EXPECT_EQ(c.fold.oms.bots, defaults.oms.bots);
  EXPECT_EQ(c.fold.risk.capacity.bots, defaults.risk.capacity.bots);
  EXPECT_EQ(c.fold.strategy.instruments, defaults.strategy.instruments);
  EXPECT_EQ(c.fold.oms.orders, defaults.oms.orders);
  EXPECT_EQ(c.fold.paper.max_orders, defaults.paper.max_orders);
  EXPECT_EQ(c.fold.max_records_per_input, defaults.max_records_per_input);
}

TEST(CapacityConfigTest, shouldNameEveryCapacityFieldThatCannotHold) {
  EXPECT_EQ(errors_of(deployment_text(R"({"bots": 0, "accounts": 2000000, "colour": 1})")),
            "engine.capacity.bots: must be an integer from 1 to 1000000, got 0; "
            "engine.capacity.accounts: must be an integer from 1 to 1000000, got 2000000; "
            "engine.capacity.colour: unknown field");
  EXPECT_EQ(errors_of(deployment_text(R"({"open_orders": 8})")),
            "engine.capacity.open_orders: must be an integer from 16 to 16777216, got 8");
  // Fewer instruments than the deployment defines, and tables past the dense bound.
  EXPECT_EQ(errors_of(deployment_text(R"({"instruments": 1, "bots": 5000000})")),
            "engine.capacity.bots: must be an integer from 1 to 1000000, got 5000000");
  std::string two_instruments = deployment_text(R"({"instruments": 1})");
  const std::string eth = R"({"venue": "binance", "symbol": "ETHUSDT", "base": "ETH",
                              "quote": "USDT"}, )";
  two_instruments.insert(two_instruments.find(R"({"venue": "binance", "symbol": "BTCUSDT")"), eth);
  EXPECT_EQ(errors_of(two_instruments),
            "engine.capacity.instruments: 1 is fewer than the 2 instruments defined");
  EXPECT_EQ(errors_of(deployment_text(R"({"bots": 100000, "instruments": 1000})")),
            "engine.capacity: bots x instruments must be at most 4194304, got 100000000");
  // More initial bots than the capacity holds: refused at start, not at the third create.
  std::string three_bots = deployment_text(R"({"bots": 2})");
  three_bots.insert(three_bots.rfind('}'), std::string(R"(, "bots": [)") + kGridBot + "," +
                                               kGridBot + "," + kDcaBot + "]");
  EXPECT_EQ(errors_of(three_bots), "bots: 3 bots, more than engine.capacity.bots (2)");
}

// A deployment's fold driven as the engine drives it (bench/harness/scale_workload.hpp).
using DrivenFold = bench::FeedbackFold;

// Applies `input` and the answers it leads to; returns every record, in order.
std::vector<Event> apply_all(DrivenFold& d, const Event& input) {
  std::vector<Event> out;
  d.apply(input, [&](const Event&, std::span<const Event> records) {
    out.insert(out.end(), records.begin(), records.end());
  });
  return out;
}

Event blob_of(const std::string& json, std::uint64_t id) {
  BlobRef ref;
  ref.blob_id = id;
  ref.size = static_cast<std::uint32_t>(json.size());
  ref.data = reinterpret_cast<const std::byte*>(json.data());
  return Event::make(ref, 1, 1);
}

Event command(OperatorCommandKind kind, std::uint32_t bot, std::uint64_t blob = 0) {
  OperatorCommand c;
  c.kind = kind;
  c.bot = BotId{bot};
  c.blob_id = blob;
  return Event::make(c, 1, 1);
}

// The session every growth test starts from: two bots (grid, DCA) trading a seeded market.
void trade_a_session(DrivenFold& d, Market& market, int market_inputs) {
  static const std::string grid = kGridBot;
  static const std::string dca = kDcaBot;
  apply_all(d, Event::make(d.table().definition(0), 1, 1));
  for (std::uint32_t bot = 0; bot < 2; ++bot) {
    apply_all(d, blob_of(bot == 0 ? grid : dca, bot + 1));
    apply_all(d, command(OperatorCommandKind::kCreateBot, bot, bot + 1));
  }
  for (int i = 0; i < 40; ++i)
    apply_all(d, market.next());
  for (std::uint32_t bot = 0; bot < 2; ++bot)
    apply_all(d, command(OperatorCommandKind::kStartBot, bot));
  for (int i = 0; i < market_inputs; ++i)
    apply_all(d, market.next());
}

// Both folds take the same inputs and must derive the same records, input by input.
void expect_same_course(DrivenFold& a, DrivenFold& b, Market& market, int inputs) {
  std::size_t derived = 0;
  for (int i = 0; i < inputs; ++i) {
    const Event input = market.next();
    const auto want = apply_all(a, input);
    const auto got = apply_all(b, input);
    ASSERT_EQ(got.size(), want.size()) << "input " << i;
    for (std::size_t r = 0; r < got.size(); ++r) {
      ASSERT_EQ(got[r].header.type, want[r].header.type) << "input " << i << " record " << r;
      ASSERT_EQ(got[r].header.flags, want[r].header.flags) << "input " << i << " record " << r;
      ASSERT_EQ(0,
                std::memcmp(got[r].payload.data(), want[r].payload.data(), want[r].payload.size()))
          << "input " << i << " record " << r;
    }
    derived += got.size();
  }
  EXPECT_GT(derived, static_cast<std::size_t>(inputs)) << "the bots traded on";
}

// The bots' part of the state as the read model shows it: equal across table sizes.
std::vector<std::string> bots_of(const Fold& f) {
  std::vector<std::string> out;
  for (const auto& b : f.strategy().describe()) {
    out.push_back(std::to_string(index_of(b.id)) + " " + b.type + " " + std::to_string(b.position) +
                  " open " + std::to_string(b.open_orders) + " fills " + std::to_string(b.fills) +
                  " orders " + std::to_string(f.orders().open_orders(b.id)) + " fees " +
                  std::to_string(f.orders().fees(b.id)));
  }
  return out;
}

constexpr const char* kSmall = R"({"bots": 4, "instruments": 2, "accounts": 4, "open_orders": 64})";
constexpr const char* kLarge =
    R"({"bots": 500, "instruments": 30, "accounts": 40, "open_orders": 4096})";

TEST(CapacityGrowthTest, shouldRestoreASnapshotIntoLargerTablesAndTradeOnAlike) {
  TempDir dir;
  const EngineConfig small = capacity_config(dir.path, kSmall);
  const EngineConfig large = capacity_config(dir.path, kLarge);
  DrivenFold original(small);
  Market market(11);
  trade_a_session(original, market, 3000);
  ASSERT_GT(original.fold().stats()["fills"], 0u);
  const auto bytes = original.fold().snapshot();

  DrivenFold grown(large);
  ASSERT_EQ(grown.fold().restore(bytes), std::nullopt);
  grown.ordinal = original.ordinal;
  EXPECT_EQ(bots_of(grown.fold()), bots_of(original.fold()));
  EXPECT_EQ(grown.fold().ordinal(), original.fold().ordinal());
  EXPECT_EQ(grown.fold().orders().capacity().bots, 500u);
  // Same tables, same state: a snapshot of the grown fold restores to its own hash.
  DrivenFold again(large);
  ASSERT_EQ(again.fold().restore(grown.fold().snapshot()), std::nullopt);
  EXPECT_EQ(again.fold().hashes().combined, grown.fold().hashes().combined);

  expect_same_course(original, grown, market, 3000);
  EXPECT_EQ(bots_of(grown.fold()), bots_of(original.fold()));
}

TEST(CapacityGrowthTest, shouldRefuseASnapshotWhoseEntriesDoNotFitSmallerTables) {
  TempDir dir;
  DrivenFold original(capacity_config(dir.path, kSmall));
  Market market(12);
  trade_a_session(original, market, 500);
  // Bot 1 has no place in a one-bot table: refused, never cut.
  DrivenFold smaller(capacity_config(dir.path, R"({"bots": 1, "instruments": 2, "accounts": 4,
                                                   "open_orders": 64})"));
  const auto refused = smaller.fold().restore(original.fold().snapshot());
  ASSERT_TRUE(refused.has_value());
  // Smaller tables that still hold everything restore.
  DrivenFold fitting(capacity_config(dir.path, R"({"bots": 2, "instruments": 1, "accounts": 1,
                                                   "open_orders": 64})"));
  EXPECT_EQ(fitting.fold().restore(original.fold().snapshot()), std::nullopt);
  EXPECT_EQ(bots_of(fitting.fold()), bots_of(original.fold()));
}

// tests/engine/data/fold_snapshot_release.bin: a fold snapshot in the format of the release
// before engine.capacity (commit 031d774: fold frame version 4, the order manager's and the
// paper venue's frames with their capacity words), of the `kSmall` session below, and the
// combined hash it restores to. Its writers (Fold::snapshot and every stage's) are those of
// 031d774, unchanged here; it was written with BE_WRITE_CAPACITY_FIXTURE=1 at the commit that
// added it, and is kept as is so that later formats must still read it.
constexpr const char* kFixture = BE_SOURCE_DIR "/tests/engine/data/fold_snapshot_release.bin";
constexpr std::uint64_t kFixtureHash = 0xedb55d951091663bULL;

std::vector<std::byte> read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(chars.size());
  if (!chars.empty()) std::memcpy(out.data(), chars.data(), chars.size());
  return out;
}

TEST(CapacityGrowthTest, shouldRestoreASnapshotWrittenByTheReleaseBeforeCapacity) {
  TempDir dir;
  const EngineConfig small = capacity_config(dir.path, kSmall);
  if (std::getenv("BE_WRITE_CAPACITY_FIXTURE") != nullptr) {
    DrivenFold writer(small);
    Market market(13);
    trade_a_session(writer, market, 2000);
    const auto bytes = writer.fold().snapshot();
    std::ofstream(kFixture, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    std::printf("fixture hash %016llx\n",
                static_cast<unsigned long long>(writer.fold().hashes().combined));
  }
  const auto bytes = read_file(kFixture);
  ASSERT_FALSE(bytes.empty()) << kFixture;
  DrivenFold same(small);
  ASSERT_EQ(same.fold().restore(bytes), std::nullopt);
  EXPECT_EQ(same.fold().hashes().combined, kFixtureHash) << "restores to the state it recorded";
  ASSERT_EQ(same.fold().strategy().describe().size(), 2u);
  DrivenFold grown(capacity_config(dir.path, kLarge));
  ASSERT_EQ(grown.fold().restore(bytes), std::nullopt);
  EXPECT_EQ(bots_of(grown.fold()), bots_of(same.fold()));
  same.ordinal = grown.ordinal = same.fold().ordinal();
  Market market(14, 1'795'000'000'000'000'000 + 2100 * 50'000'000LL);
  expect_same_course(same, grown, market, 1000);
}

// Through the engine: the create past the capacity is a 409 (kConflict) that names it, is
// counted and takes no bot id; a restart with a larger capacity restores the snapshot into
// the larger tables, passes the start's snapshot check, and creates the next bot with the id
// the refused one did not take.
TEST(CapacityEngineTest, shouldRefuseACreatePastCapacityAndGrowOnARestart) {
  TempDir dir;
  BotId third{};
  {
    auto engine = started_engine(capacity_config(dir.path, R"({"bots": 2})"));
    ASSERT_TRUE(engine);
    Market market(21, wall_clock_now());
    ASSERT_TRUE(start_trading(*engine, market, {kGridBot, kDcaBot}));
    const CommandResult refused = engine->create_bot(UserId{1}, kGridBot);
    EXPECT_EQ(refused.status, CommandStatus::kConflict);
    EXPECT_NE(refused.message.find("bot capacity (2) is used up"), std::string::npos)
        << refused.message;
    EXPECT_EQ(engine->create_bot(UserId{1}, kGridBot).status, CommandStatus::kConflict);
    ASSERT_TRUE(offer_market(*engine, market, 1500));
    const auto model = engine->read_model();
    ASSERT_TRUE(model);
    EXPECT_EQ(model->bots.size(), 2u) << "nothing half-created";
    const auto counted =
        std::find_if(model->engine.counters.begin(), model->engine.counters.end(),
                     [](const CounterView& c) { return c.name == "engine_capacity_refused"; });
    ASSERT_NE(counted, model->engine.counters.end());
    EXPECT_EQ(counted->value, 2u);
    engine->stop();
  }
  const EngineConfig grown = capacity_config(dir.path, R"({"bots": 40})");
  {
    auto reader = journal::Reader::open(grown.data_dir + "/journal");
    ASSERT_TRUE(reader.has_value());
    const auto checked = check_snapshots(**reader, grown);
    ASSERT_TRUE(checked.has_value()) << checked.error();
    EXPECT_GT(checked->snapshots, 0u);
  }
  auto engine = started_engine(grown);
  ASSERT_TRUE(engine);
  EXPECT_GT(engine->recovery().snapshot_position, 0u) << "the snapshot restored, larger";
  EXPECT_EQ(engine->recovery().derived_mismatches, 0u);
  const CommandResult created = engine->create_bot(UserId{1}, kGridBot);
  ASSERT_EQ(created.status, CommandStatus::kAccepted) << created.message;
  third = created.bot;
  EXPECT_EQ(index_of(third), 2u) << "the refused creates took no id";
  const auto model = engine->read_model();
  ASSERT_TRUE(model);
  EXPECT_EQ(model->bots.size(), 3u);
  engine->stop();
}

}  // namespace
}  // namespace be::engine
