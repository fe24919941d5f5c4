// A latched kill switch (an account's, a bot's own, the global one) against a scripted venue
// (docs/LIVE.md "The kill switch"): orders a reconciliation brings back open (after a
// reconnect, after a restart) are cancelled at the venue again, the venue's refusals are
// listed on the account, and once the switch is reset a reconciled order is left alone.
#include <algorithm>
#include <string>
#include <vector>

#include "tests/engine/live_fixture.hpp"
#include "tests/support/field_errors.hpp"

namespace be::engine {
namespace {

using namespace live_test;

// The orders of `sent` the venue was asked to cancel, counting repeats.
std::size_t cancels_of(const std::vector<OrderCancel>& cancels, const OrderNew& o) {
  return static_cast<std::size_t>(std::count_if(cancels.begin(), cancels.end(), [&](const auto& c) {
    return c.bot == o.bot && c.client_sequence == o.client_sequence;
  }));
}

TEST(LiveKillSwitch, ReconciledOpenOrdersAreCancelledAgainWhileTheSwitchIsLatched) {
  TempDir dir;
  const EngineConfig config = live_config(dir.path);
  std::vector<OrderNew> sent;
  {
    LiveEngine e(config);
    ASSERT_TRUE(e.engine);
    ScriptedVenue& venue = e.venue();
    ASSERT_TRUE(e.trade_with_resting_orders(sent));

    // The switch's sweep goes out, then the channel drops before the venue answered it.
    ASSERT_EQ(
        e.engine->kill_switch(kBob, false, CommandScope::kAccount, index_of(kLive), true).status,
        CommandStatus::kAccepted);
    ASSERT_TRUE(e.engine->drain(10'000'000'000));
    ASSERT_EQ(venue.cancels().size(), sent.size());
    e.channel(ConnectivityState::kDisconnected);
    EXPECT_EQ(e.account().unknown_orders, sent.size());

    // Back: the venue still holds every order (the cancels were lost with the connection).
    // Each one reconciled open is cancelled again; the venue refuses the first re-cancel.
    e.channel(ConnectivityState::kConnected);
    for (const OrderNew& o : sent)
      e.answer(answer_to(o, OrderEvent::kReconciledNew));
    ASSERT_TRUE(e.engine->drain(10'000'000'000));
    const auto cancels = venue.cancels();
    ASSERT_EQ(cancels.size(), 2 * sent.size());
    for (const OrderNew& o : sent)
      EXPECT_EQ(cancels_of(cancels, o), 2u) << "order " << o.client_sequence;
    e.answer(oms::order_update(sent[0].bot, sent[0].client_sequence, sent[0].instrument, kLive,
                               OrderEvent::kCancelRejected, 2011));
    for (std::size_t i = 1; i < sent.size(); ++i)
      e.answer(answer_to(sent[i], OrderEvent::kCanceled));
    ASSERT_TRUE(e.engine->drain(10'000'000'000));
    const AccountView& a = e.account();
    ASSERT_EQ(a.refused_cancels.size(), 1u);
    EXPECT_EQ(a.refused_cancels[0].reason, 2011);
    EXPECT_EQ(a.refused_cancels[0].client_order_id, "be" + std::to_string(index_of(sent[0].bot)) +
                                                        "x" +
                                                        std::to_string(sent[0].client_sequence));
    EXPECT_EQ(count_state(orders_of(*e.model(), e.bot), "canceled"), sent.size() - 1);
    e.stop_and_verify();
  }

  // Restarted (from the stop's snapshot): the switch is still latched. The refused order is
  // reconciled open once more and cancelled again; this time the venue takes it.
  {
    LiveEngine restarted(config);
    ASSERT_TRUE(restarted.engine);
    ScriptedVenue& venue = restarted.venue();
    restarted.bot = sent[0].bot;
    EXPECT_EQ(restarted.account().unknown_orders, 1u);
    restarted.channel(ConnectivityState::kConnected);
    restarted.answer(answer_to(sent[0], OrderEvent::kReconciledNew));
    ASSERT_TRUE(restarted.engine->drain(10'000'000'000));
    const auto cancels = venue.cancels();
    ASSERT_EQ(cancels.size(), 1u);
    EXPECT_EQ(cancels_of(cancels, sent[0]), 1u);
    restarted.answer(answer_to(sent[0], OrderEvent::kCanceled));
    ASSERT_TRUE(restarted.engine->drain(10'000'000'000));
    EXPECT_EQ(count_state(orders_of(*restarted.model(), sent[0].bot), "canceled"), sent.size());
    restarted.stop_and_verify();
  }
}

// A bot's own switch sweeps that bot's orders like an account's: the sweep's cancels lost with
// the connection are sent again when the reconciliation brings the orders back, during the run
// and after a restart.
TEST(LiveKillSwitch, ABotsOwnSwitchCancelsItsReconciledOrdersAgain) {
  TempDir dir;
  const EngineConfig config = live_config(dir.path);
  std::vector<OrderNew> sent;
  {
    LiveEngine e(config);
    ASSERT_TRUE(e.engine);
    ScriptedVenue& venue = e.venue();
    ASSERT_TRUE(e.trade_with_resting_orders(sent));
    ASSERT_EQ(e.engine->kill_switch(kBob, false, CommandScope::kBotOrGlobal, index_of(e.bot), true)
                  .status,
              CommandStatus::kAccepted);
    ASSERT_TRUE(e.engine->drain(10'000'000'000));
    ASSERT_EQ(venue.cancels().size(), sent.size()) << "the sweep";
    e.channel(ConnectivityState::kDisconnected);
    e.channel(ConnectivityState::kConnected);
    for (const OrderNew& o : sent)
      e.answer(answer_to(o, OrderEvent::kReconciledNew));
    ASSERT_TRUE(e.engine->drain(10'000'000'000));
    const auto cancels = venue.cancels();
    ASSERT_EQ(cancels.size(), 2 * sent.size());
    for (const OrderNew& o : sent)
      EXPECT_EQ(cancels_of(cancels, o), 2u) << "order " << o.client_sequence;
    e.stop_and_verify();
  }
  {
    LiveEngine restarted(config);  // from the stop's snapshot: the bot's switch is latched
    ASSERT_TRUE(restarted.engine);
    ScriptedVenue& venue = restarted.venue();
    restarted.bot = sent[0].bot;
    restarted.channel(ConnectivityState::kConnected);
    restarted.answer(answer_to(sent[0], OrderEvent::kReconciledNew));
    ASSERT_TRUE(restarted.engine->drain(10'000'000'000));
    EXPECT_EQ(cancels_of(venue.cancels(), sent[0]), 1u);
    // Reset: a reconciled order of the bot is left alone from then on.
    ASSERT_EQ(
        restarted.engine
            ->kill_switch(kBob, false, CommandScope::kBotOrGlobal, index_of(sent[0].bot), false)
            .status,
        CommandStatus::kAccepted);
    restarted.answer(answer_to(sent[1], OrderEvent::kReconciledNew));
    ASSERT_TRUE(restarted.engine->drain(10'000'000'000));
    EXPECT_EQ(cancels_of(venue.cancels(), sent[1]), 0u);
    restarted.stop_and_verify();
  }
}

TEST(LiveKillSwitch, AResetSwitchLeavesReconciledOrdersOpen) {
  TempDir dir;
  const EngineConfig config = live_config(dir.path);
  LiveEngine e(config);
  ASSERT_TRUE(e.engine);
  ScriptedVenue& venue = e.venue();
  std::vector<OrderNew> sent;
  ASSERT_TRUE(e.trade_with_resting_orders(sent, 1));
  // The global switch, set and reset while the channel is down: the sweep's cancels find the
  // channel down at the gateway's side only, so the orders stay open at the venue.
  e.channel(ConnectivityState::kDisconnected);
  ASSERT_EQ(e.engine->kill_switch(UserId{1}, true, CommandScope::kGlobal, 0, true).status,
            CommandStatus::kAccepted);
  ASSERT_EQ(e.engine->kill_switch(UserId{1}, true, CommandScope::kGlobal, 0, false).status,
            CommandStatus::kAccepted);
  ASSERT_TRUE(e.engine->drain(10'000'000'000));
  const std::size_t swept = venue.cancels().size();
  e.channel(ConnectivityState::kConnected);
  for (const OrderNew& o : sent)
    e.answer(answer_to(o, OrderEvent::kReconciledNew));
  ASSERT_TRUE(e.engine->drain(10'000'000'000));
  EXPECT_EQ(venue.cancels().size(), swept) << "reset: nothing cancelled again";
  EXPECT_EQ(count_state(orders_of(*e.model(), e.bot), "new"), sent.size());
  e.stop_and_verify();
}

// The foreign-order policies of the deployment config (docs/CONFIG.md "engine"): a default
// and per-account entries; a bad value or a missing account is named.
TEST(LiveConfig, shouldReadTheForeignOrderPoliciesAndNameEveryBadField) {
  const std::string instruments =
      R"("instruments": [{"venue": "binance", "symbol": "BTCUSDT", "base": "BTC",
         "quote": "USDT"}])";
  const auto fallback = parse_engine_config("{" + instruments + "}");
  ASSERT_TRUE(fallback.has_value());
  EXPECT_EQ(fallback->foreign_orders, oms::ForeignOrderPolicy::kReport);
  EXPECT_TRUE(fallback->live_accounts.empty());

  const auto good = parse_engine_config(
      R"({"engine": {"foreign_orders": "cancel", "live_accounts": [{"account": 3,
          "foreign_orders": "report"}, {"account": 4}]}, )" +
      instruments + "}");
  ASSERT_TRUE(good.has_value()) << config::format_errors(good.error());
  EXPECT_EQ(good->foreign_orders, oms::ForeignOrderPolicy::kCancel);
  ASSERT_EQ(good->live_accounts.size(), 2u);
  EXPECT_EQ(good->live_accounts[0].account, 3u);
  EXPECT_EQ(good->live_accounts[0].foreign_orders, oms::ForeignOrderPolicy::kReport);
  EXPECT_EQ(good->live_accounts[1].foreign_orders, oms::ForeignOrderPolicy::kCancel)
      << "the default";

  const auto bad = parse_engine_config(
      R"({"engine": {"foreign_orders": "adopt", "live_accounts": [{"foreign_orders": "x"}]}, )" +
      instruments + "}");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(test::field_names(bad.error()),
            (std::vector<std::string>{"engine.foreign_orders", "engine.live_accounts[0].account",
                                      "engine.live_accounts[0].foreign_orders"}));
}

}  // namespace
}  // namespace be::engine
