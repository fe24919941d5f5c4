// The live-account engine tests' fixture (live_test.cpp, live_kill_test.cpp): a scripted
// in-process venue the test answers for, the runner's side of the seam, and one live
// deployment (bob's live account 2 and a bot on it).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "tests/engine/engine_fixture.hpp"

namespace be::engine::live_test {

using namespace test_support;

inline const std::string kAdminHash(64, 'a');
inline const std::string kBobHash(64, 'b');
// Bob's live account (the import gives alice account 0 and bob account 1, both paper).
constexpr AccountId kLive{2};
constexpr UserId kBob{2};

// A venue that records what the engine sent it; the test answers through the engine's
// VenueResponses as a gateway's I/O thread would. In `matching` mode it acknowledges each
// order and cancel at once, inside the call (as a gateway's immediate answer, through the
// feedback ring), and fills resting orders when the test reports a trade through them
// (on_trade, from the test's thread): the hot-path test's venue, which allocates nothing
// once its vectors are reserved.
class ScriptedVenue final : public oms::Venue {
 public:
  explicit ScriptedVenue(Engine& engine) : responses_(engine.venue_responses()) {
    submits_.reserve(1 << 16);
    resting_.reserve(1 << 12);
  }
  std::string_view name() const noexcept override { return "scripted"; }
  void submit(const OrderNew& o, Nanos now) noexcept override {
    if (hold_next_submit.exchange(false)) {
      // The engine's delivering thread stays here until release(): its sequencer takes no
      // answer meanwhile (the live-answers ring fills).
      std::unique_lock lock(hold_mutex_);
      held_order = o;
      held_ = true;
      hold_cv_.notify_all();
      hold_cv_.wait(lock, [&] { return released_; });
    }
    std::lock_guard lock(mutex_);
    submits_.push_back(o);
    if (!matching) return;
    responses_.respond(answer(o, OrderEvent::kAccepted), now, 0);
    if (resting_.size() < resting_.capacity()) resting_.push_back(o);
  }
  void cancel(const OrderCancel& c, Nanos now) noexcept override {
    std::lock_guard lock(mutex_);
    cancels_.push_back(c);
    if (!matching) return;
    const auto it = std::find_if(resting_.begin(), resting_.end(), [&](const OrderNew& o) {
      return o.bot == c.bot && o.client_sequence == c.client_sequence;
    });
    if (it == resting_.end()) return;
    responses_.respond(answer(*it, OrderEvent::kCanceled), now, 0);
    resting_.erase(it);
  }
  // Fills every resting order the trade's price reaches (matching mode).
  void on_trade(std::int64_t price, Nanos now) {
    std::lock_guard lock(mutex_);
    std::erase_if(resting_, [&](const OrderNew& o) {
      const bool crossed = o.side == Side::kBuy ? price <= o.price : price >= o.price;
      if (!crossed) return false;
      OrderUpdate fill = answer(o, OrderEvent::kFill);
      fill.last_price = o.price;
      fill.last_quantity = o.quantity;
      fill.cumulative_quantity = o.quantity;
      fill.trade_id = ++trades_;
      responses_.respond(fill, now, 0);
      ++filled;
      return true;
    });
  }
  void query_order(BotId bot, InstrumentId, SequenceNumber seq, Nanos) noexcept override {
    std::lock_guard lock(mutex_);
    queried_.push_back({bot, seq});
  }
  void request_balances(AccountId account, Nanos) noexcept override {
    std::lock_guard lock(mutex_);
    balance_requests_.push_back(account);
  }
  void query_open_orders(AccountId account, Nanos) noexcept override {
    std::lock_guard lock(mutex_);
    open_order_queries_.push_back(account);
  }

  static OrderUpdate answer(const OrderNew& o, OrderEvent event) {
    OrderUpdate u = oms::order_update(o.bot, o.client_sequence, o.instrument, o.account, event, 0);
    u.side = o.side;
    u.venue_order_id = 5'000 + o.client_sequence;
    return u;
  }

  std::vector<OrderNew> submits() const {
    std::lock_guard lock(mutex_);
    return submits_;
  }
  std::vector<OrderCancel> cancels() const {
    std::lock_guard lock(mutex_);
    return cancels_;
  }
  std::vector<oms::ClientOrderId> queried() const {
    std::lock_guard lock(mutex_);
    return queried_;
  }
  std::size_t balance_requests() const {
    std::lock_guard lock(mutex_);
    return balance_requests_.size();
  }
  std::size_t open_order_queries() const {
    std::lock_guard lock(mutex_);
    return open_order_queries_.size();
  }

  bool matching = false;
  std::uint64_t filled = 0;
  // The next submit holds the engine's thread until release() (wait_held() sees it there).
  std::atomic<bool> hold_next_submit{false};
  OrderNew held_order{};  // the submit held (set before wait_held() returns)
  bool wait_held(std::chrono::seconds timeout) {
    std::unique_lock lock(hold_mutex_);
    return hold_cv_.wait_for(lock, timeout, [&] { return held_; });
  }
  void release() {
    std::lock_guard lock(hold_mutex_);
    released_ = true;
    hold_cv_.notify_all();
  }

 private:
  oms::VenueResponses& responses_;
  mutable std::mutex mutex_;
  std::vector<OrderNew> submits_;
  std::vector<OrderCancel> cancels_;
  std::vector<oms::ClientOrderId> queried_;
  std::vector<AccountId> balance_requests_, open_order_queries_;
  std::vector<OrderNew> resting_;
  std::uint64_t trades_ = 0;
  std::mutex hold_mutex_;
  std::condition_variable hold_cv_;
  bool held_ = false, released_ = false;
};

// The runner's side: one venue for the live account, or none (a refused account).
struct ScriptedLive final : LiveVenues {
  oms::Venue* only = nullptr;
  oms::Venue* venue(AccountId account) noexcept override {
    return account == kLive ? only : nullptr;
  }
};

inline EngineConfig live_config(const fs::path& dir) {
  EngineConfig c = test_config(dir);
  c.initial_users = {{"alice", true, kAdminHash}, {"bob", false, kBobHash}};
  return c;
}

inline std::uint64_t counter(const ReadModel& m, std::string_view name) {
  for (const CounterView& c : m.engine.counters)
    if (c.name == name) return c.value;
  ADD_FAILURE() << "no counter " << name;
  return 0;
}

inline std::vector<OrderView> orders_of(const ReadModel& m, BotId bot) {
  const BotView* b = m.find(bot);
  return b != nullptr ? b->orders : std::vector<OrderView>{};
}

inline std::size_t count_state(const std::vector<OrderView>& orders, std::string_view state) {
  return static_cast<std::size_t>(std::count_if(
      orders.begin(), orders.end(), [&](const OrderView& o) { return o.state == state; }));
}

// A grid 5 USDT apart around the market's 50,000: the random walk crosses its levels often.
inline const char* kDenseGrid = R"({"name":"dense","symbol":"BTCUSDT","timeframe":"1m",
  "strategy":{"type":"grid","parameters":{"lower":49900,"upper":50100,"grids":40,
  "spacing":"arithmetic","quantity_per_grid":0.001}}})";

// One live deployment: bob's live account 2 and a grid bot on it; `live` attached before start.
class LiveEngine {
 public:
  // kScripted: a ScriptedVenue for the live account; kNone: LiveVenues attached without a
  // venue for it (refused at preflight, say); kNotAttached: none at all (dry run, replay).
  enum class Gateways { kScripted, kNone, kNotAttached };
  explicit LiveEngine(const EngineConfig& config, Gateways gateways = Gateways::kScripted)
      : config_(config) {
    auto opened = Engine::open(config);
    EXPECT_TRUE(opened.has_value()) << (opened ? "" : opened.error());
    if (!opened) return;
    engine = std::move(*opened);
    if (gateways != Gateways::kNotAttached) engine->attach_live_venues(&live_);
    if (gateways == Gateways::kScripted) {
      venue_ = std::make_unique<ScriptedVenue>(*engine);
      live_.only = venue_.get();
    }
    const auto started = engine->start();
    EXPECT_TRUE(started.has_value()) << (started ? "" : started.error());
  }
  ScriptedVenue& venue() { return *venue_; }
  // The engine goes first: its threads may still call the venue.
  ~LiveEngine() { engine.reset(); }
  LiveEngine(const LiveEngine&) = delete;
  LiveEngine& operator=(const LiveEngine&) = delete;
  // Stops the engine, then replays its journal from scratch and recovers it.
  void stop_and_verify();

  // Bob's live account and a grid bot on it, the market priced (not yet started).
  ::testing::AssertionResult create_live_bot(const char* bot_config = kGridBot) {
    const CommandResult a = engine->create_account(
        UserId{1}, R"({"owner":2,"name":"spot","mode":"live","endpoint":"testnet"})");
    if (a.status != CommandStatus::kAccepted || a.created_id != index_of(kLive))
      return ::testing::AssertionFailure() << "account: " << a.message;
    std::string on_live = bot_config;
    on_live.insert(1, R"("account":2,)");
    const CommandResult b = engine->create_bot(kBob, on_live);
    if (b.status != CommandStatus::kAccepted) return ::testing::AssertionFailure() << b.message;
    bot = b.bot;
    return offer_market(*engine, market, 50);
  }
  // Started (or restarted), then a minute of market: the grid places its orders at the first
  // bar close after its start.
  ::testing::AssertionResult start_bot(OperatorCommandKind how = OperatorCommandKind::kStartBot) {
    const CommandResult r = engine->bot_command(kBob, false, bot, how);
    if (r.status != CommandStatus::kAccepted) return ::testing::AssertionFailure() << r.message;
    return offer_market(*engine, market, kBarInputs);
  }
  static constexpr int kBarInputs = 1'300;  // 50 ms of event time each
  // create_live_bot, the channel up, start_bot, and every order the grid sent (at least
  // `at_least`) accepted by the venue: a live bot with resting orders.
  ::testing::AssertionResult trade_with_resting_orders(std::vector<OrderNew>& sent,
                                                       std::size_t at_least = 2) {
    if (auto created = create_live_bot(); !created) return created;
    channel(ConnectivityState::kConnected);
    if (auto started = start_bot(); !started) return started;
    sent = venue().submits();
    if (sent.size() < at_least)
      return ::testing::AssertionFailure()
             << sent.size() << " orders sent, " << at_least << " wanted";
    for (const OrderNew& o : sent)
      answer(ScriptedVenue::answer(o, OrderEvent::kAccepted));
    if (!engine->drain(10'000'000'000)) return ::testing::AssertionFailure() << "drain";
    return ::testing::AssertionSuccess();
  }
  void channel(ConnectivityState state) {
    engine->venue_responses().order_channel(VenueId{0}, kLive, state, market_time());
    EXPECT_TRUE(engine->drain(10'000'000'000));
  }
  void answer(const OrderUpdate& u) { engine->venue_responses().respond(u, market_time(), 0); }
  Nanos market_time() const { return wall_clock_now(); }
  std::shared_ptr<const ReadModel> model() const { return engine->read_model(); }
  const AccountView& account() {
    EXPECT_TRUE(engine->drain(10'000'000'000));
    model_ = engine->read_model();
    return *model_->find_account(kLive);
  }

  EngineConfig config_;
  std::unique_ptr<Engine> engine;
  Market market{21, wall_clock_now()};
  BotId bot = kNoBot;

 private:
  ScriptedLive live_;
  std::unique_ptr<ScriptedVenue> venue_;
  std::shared_ptr<const ReadModel> model_;
};

inline OrderUpdate answer_to(const OrderNew& o, OrderEvent event) {
  return ScriptedVenue::answer(o, event);
}

// Replay from scratch agrees with the run (no derived record differs), and recovery rebuilds
// the same state.
inline void expect_replay_and_recovery_agree(const EngineConfig& config,
                                             std::uint64_t hash_at_stop) {
  const ScratchReplay replay = replay_from_scratch(config);
  EXPECT_EQ(replay.derived_mismatches, 0u);
  EXPECT_EQ(replay.hash, hash_at_stop);
  auto reopened = open_engine(config);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->recovery().derived_mismatches, 0u);
}

inline void LiveEngine::stop_and_verify() {
  ASSERT_EQ(engine->stop(), "");
  const std::uint64_t stopped = engine->state_hash();
  engine.reset();
  expect_replay_and_recovery_agree(config_, stopped);
}

}  // namespace be::engine::live_test
