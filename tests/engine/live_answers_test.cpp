// The live-answers ring full (engine_impl.hpp): a gateway's answers wait for room while the
// sequencer is held up (backpressure: none lost), and an answer that still finds no room is
// counted, makes the engine unhealthy, and resyncs its account (order channel down and up,
// journaled) so the venue is asked about the order whose acknowledgement was lost.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "tests/engine/live_fixture.hpp"

namespace be::engine {
namespace {

using namespace live_test;
using std::chrono::seconds;

// A small ring: filling the deployment's 65,536 slots took 8 s in release and over 60 s under
// TSan; what is tested (wait, loss, resync) does not depend on its size.
constexpr std::size_t kRing = 1'024;

EngineConfig small_ring(EngineConfig config) {
  config.live_answers_capacity = kRing;
  return config;
}

// One Prometheus sample's value ("name value" line), or -1.
double metric(const Engine& engine, const std::string& name) {
  const std::string text = engine.metrics_text();
  const std::size_t at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1.0 : std::stod(text.substr(at + name.size() + 2));
}

bool eventually(const std::function<bool()>& done, seconds timeout = seconds(30)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::yield();
  }
  return true;
}

// The bot started and the market offered (not drained) until its first order is held inside
// the venue's submit: the engine's thread is then stuck there and takes no answer.
::testing::AssertionResult hold_the_engine(LiveEngine& e) {
  if (auto made = e.create_live_bot(); !made) return made;
  e.channel(ConnectivityState::kConnected);
  e.venue().hold_next_submit.store(true);
  const CommandResult r = e.engine->bot_command(kBob, false, e.bot, OperatorCommandKind::kStartBot);
  if (r.status != CommandStatus::kAccepted) return ::testing::AssertionFailure() << r.message;
  for (int i = 0; i < LiveEngine::kBarInputs; ++i) {
    const Event ev = e.market.next();
    while (!e.engine->offer_event(ev))
      std::this_thread::yield();
  }
  if (!e.venue().wait_held(seconds(30))) return ::testing::AssertionFailure() << "never held";
  return ::testing::AssertionSuccess();
}

// An answer about an order the engine never sent: the fold counts each (oms_unknown).
OrderUpdate stray(BotId bot, std::size_t i) {
  return oms::order_update(bot, 1'000'000 + i, InstrumentId{0}, kLive, OrderEvent::kAccepted, 0);
}

TEST(LiveAnswers, ARingCapacityThatIsNotAPowerOfTwoIsRefusedAtOpen) {
  TempDir dir;
  EngineConfig config = live_config(dir.path);
  config.live_answers_capacity = 1'000;
  auto opened = Engine::open(config);
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().find("live_answers_capacity must be a power of two"), std::string::npos)
      << opened.error();
}

TEST(LiveAnswers, AFullRingHoldsTheGatewayBackAndLosesNothing) {
  TempDir dir;
  EngineConfig config = small_ring(live_config(dir.path));
  config.live_answers_wait = std::chrono::milliseconds(120'000);
  LiveEngine e(config);
  ASSERT_TRUE(e.engine);
  ASSERT_TRUE(hold_the_engine(e));
  const std::uint64_t unknown_before = counter(*e.model(), "order_stage_oms_unknown");

  // A gateway's thread answers more than the ring holds: it waits once the ring is full.
  constexpr std::size_t kAnswers = kRing + 500;
  std::atomic<std::size_t> answered{0};
  std::thread gateway([&] {
    for (std::size_t i = 0; i < kAnswers; ++i) {
      e.answer(stray(e.bot, i));
      answered.fetch_add(1);
    }
  });
  ASSERT_TRUE(
      eventually([&] { return metric(*e.engine, "botengine_live_answers_waits_total") >= 1; }));
  EXPECT_LT(answered.load(), kAnswers) << "the gateway's thread is held back";
  e.venue().release();
  gateway.join();
  ASSERT_TRUE(e.engine->drain(60'000'000'000));
  EXPECT_EQ(metric(*e.engine, "botengine_live_answers_rejected_total"), 0.0);
  EXPECT_EQ(metric(*e.engine, "botengine_live_resyncs_total"), 0.0);
  // Counted once stopped: the replica publishes the read model on its cadence, and a quiet
  // engine may not reach the next publication (66,024 of 66,036 seen while running).
  ASSERT_EQ(e.engine->stop(), "");
  EXPECT_EQ(counter(*e.model(), "order_stage_oms_unknown") - unknown_before, kAnswers);
  const std::uint64_t stopped = e.engine->state_hash();
  e.engine.reset();
  expect_replay_and_recovery_agree(e.config_, stopped);
}

TEST(LiveAnswers, ALostAnswerIsCountedAndItsAccountResynced) {
  TempDir dir;
  EngineConfig config = small_ring(live_config(dir.path));
  config.live_answers_wait = std::chrono::milliseconds(0);  // no waiting: lost at once
  LiveEngine e(config);
  ASSERT_TRUE(e.engine);
  ScriptedVenue& venue = e.venue();
  ASSERT_TRUE(hold_the_engine(e));
  const OrderNew held = venue.held_order;
  for (std::size_t i = 0; i < kRing; ++i)
    e.answer(stray(e.bot, i));
  EXPECT_EQ(metric(*e.engine, "botengine_live_answers_rejected_total"), 0.0) << "all fit";
  // The held order's acknowledgement finds the ring full.
  e.answer(answer_to(held, OrderEvent::kAccepted));
  EXPECT_EQ(metric(*e.engine, "botengine_live_answers_rejected_total"), 1.0);
  EXPECT_EQ(metric(*e.engine, "botengine_live_answers_waits_total"), 1.0);

  venue.release();
  ASSERT_TRUE(e.engine->drain(60'000'000'000));
  // The account was resynced: its channel down then up, so the order whose ack was lost is
  // unknown and asked about, with the open orders (twice now: the first connect, the resync).
  EXPECT_EQ(metric(*e.engine, "botengine_live_resyncs_total"), 1.0);
  EXPECT_EQ(venue.open_order_queries(), 2u);
  const auto queried = venue.queried();
  EXPECT_NE(std::find_if(queried.begin(), queried.end(),
                         [&](const oms::ClientOrderId& id) {
                           return id.bot == held.bot && id.sequence == held.client_sequence;
                         }),
            queried.end());
  EXPECT_TRUE(e.account().channel_up);
  // The venue's answers settle it.
  for (const OrderNew& o : venue.submits())
    e.answer(answer_to(o, OrderEvent::kReconciledNew));
  ASSERT_TRUE(e.engine->drain(10'000'000'000));
  EXPECT_TRUE(eventually([&] {
    return e.account().unknown_orders == 0 &&
           count_state(orders_of(*e.model(), e.bot), "new") == venue.submits().size();
  }));
  // Health: the loss is still told, the engine healthy again once the resync was taken.
  ASSERT_TRUE(eventually([&] {
    const auto m = e.model();
    for (const std::string& p : m->engine.problems)
      if (p.find("1 lost to a full ring, their accounts resynced") != std::string::npos)
        return m->engine.healthy;
    return false;
  }));
  e.stop_and_verify();
}

// A lost "channel down" resyncs as down only: the channel stays down (the gateway's own "up"
// after its reconnect reconciles), and no reconcile is asked of a gateway that is down.
TEST(LiveAnswers, ALostChannelDownIsResyncedAsDownOnly) {
  TempDir dir;
  EngineConfig config = small_ring(live_config(dir.path));
  config.live_answers_wait = std::chrono::milliseconds(0);
  LiveEngine e(config);
  ASSERT_TRUE(e.engine);
  ScriptedVenue& venue = e.venue();
  ASSERT_TRUE(hold_the_engine(e));
  for (std::size_t i = 0; i < kRing; ++i)
    e.answer(stray(e.bot, i));
  e.engine->venue_responses().order_channel(VenueId{0}, kLive, ConnectivityState::kDisconnected,
                                            e.market_time());
  EXPECT_EQ(metric(*e.engine, "botengine_live_answers_rejected_total"), 1.0);
  venue.release();
  ASSERT_TRUE(e.engine->drain(60'000'000'000));
  EXPECT_EQ(metric(*e.engine, "botengine_live_resyncs_total"), 1.0);
  EXPECT_TRUE(eventually([&] {
    const AccountView& a = e.account();
    return !a.channel_up && a.unknown_orders == venue.submits().size();
  }));
  EXPECT_EQ(venue.open_order_queries(), 1u) << "only the first connect's";
  e.stop_and_verify();
}

}  // namespace
}  // namespace be::engine
