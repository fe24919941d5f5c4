// A script bot in the strategy stage: when its script stops (an error, a limit), the stage
// moves it to `error` with the reason script_error and its message, derives the BotStatus
// record replay checks, gives it no more callbacks, and leaves the other bots running; the
// error survives the stage's snapshot.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "core/outbox.hpp"
#include "strategies/stage/strategy_stage.hpp"
#include "tests/script/script_harness.hpp"

namespace be::script::test {
namespace {

class StageWithScripts {
 public:
  StageWithScripts() : out_(4096) {
    InstrumentDefined def;
    def.instrument = InstrumentId{0};
    std::memcpy(def.symbol.data(), "BTCUSDT", 7);
    std::memcpy(def.base_asset.data(), "BTC", 3);
    std::memcpy(def.quote_asset.data(), "USDT", 4);
    apply(Event::make(def, 1, 1));
  }

  void create_and_start(std::uint32_t bot, const std::string& json) {
    configs_.push_back(json);
    BlobRef ref;
    ref.blob_id = bot + 1;
    ref.size = static_cast<std::uint32_t>(configs_.back().size());
    ref.data = reinterpret_cast<const std::byte*>(configs_.back().data());
    apply(Event::make(ref, 1, 1));
    OperatorCommand c;
    c.kind = OperatorCommandKind::kCreateBot;
    c.bot = BotId{bot};
    c.blob_id = bot + 1;
    apply(Event::make(c, 1, 1));
    c.kind = OperatorCommandKind::kStartBot;
    c.blob_id = 0;
    apply(Event::make(c, 1, 1));
  }

  void trade(std::int64_t price, Nanos t) {
    Trade trade;
    trade.instrument = InstrumentId{0};
    trade.price = price;
    trade.quantity = bots::test::kUnit;
    apply(Event::make(trade, t, t));
  }

  void apply(const Event& input) {
    Event e = input;
    e.header.sequence = ++sequence_;
    out_.clear();
    stage.on_input(e, out_);
  }
  const Outbox& out() const { return out_; }

  stage::StrategyStage stage;

 private:
  Outbox out_;
  SequenceNumber sequence_ = 0;
  std::vector<std::string> configs_;  // the blobs' bytes stay alive
};

TEST(ScriptStage, shouldMoveAStoppedScriptBotToErrorAndLeaveTheOthersRunning) {
  StageWithScripts s;
  s.create_and_start(
      0, script_config("function on_trade(price)\n  if price > 5 then error('boom') end\nend"));
  s.create_and_start(1, script_config("function on_trade() state.n = (state.n or 0) + 1 end"));
  s.trade(1, 10);
  EXPECT_EQ(s.stage.state_of(BotId{0}), BotState::kRunning);
  s.trade(7, 20);
  EXPECT_EQ(s.stage.state_of(BotId{0}), BotState::kError);
  const auto failed = s.stage.describe(BotId{0});
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->reason, BotStatusReason::kScriptError);
  EXPECT_EQ(failed->failure, "line 2: boom");
  const auto records = s.out().records();
  const bool derived = std::any_of(records.begin(), records.end(), [](const Event& e) {
    if (e.header.type != EventType::kBotStatus) return false;
    const auto status = e.as<BotStatus>();
    return status.to == BotState::kError &&
           status.reason == static_cast<std::uint16_t>(BotStatusReason::kScriptError);
  });
  EXPECT_TRUE(derived) << "the stop is a derived BotStatus record";

  const std::uint64_t inputs = failed->inputs;
  s.trade(9, 30);
  EXPECT_EQ(s.stage.describe(BotId{0})->inputs, inputs) << "a bot in error gets no callbacks";
  EXPECT_EQ(s.stage.state_of(BotId{1}), BotState::kRunning);
  EXPECT_EQ(s.stage.describe(BotId{1})->inputs, 3u);

  stage::StrategyStage restored;
  ASSERT_EQ(restored.restore(s.stage.snapshot()), std::nullopt);
  EXPECT_EQ(restored.state_hash(), s.stage.state_hash());
  EXPECT_EQ(restored.state_of(BotId{0}), BotState::kError);
  EXPECT_EQ(restored.describe(BotId{0})->failure, "line 2: boom");
}

}  // namespace
}  // namespace be::script::test
