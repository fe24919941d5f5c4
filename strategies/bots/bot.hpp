// The strategy API: what a bot is and what it may touch.
//
// A bot reacts to inputs (bars, trades, quotes, its own fills and order updates, timers)
// and acts only through its BotContext: it submits order intents, cancels its orders by tag
// and sets timers. It never reads a clock (now() is the event time of the input being
// handled), never touches I/O, and draws randomness only from its own seeded generator, which
// is part of its snapshot state. Replaying the same inputs therefore yields the same intents.
//
// Snapshots: save() writes every field that can influence a future decision; load() restores
// them; state_hash() is a hash of exactly those bytes (STYLE.md 7): the fields go through the
// project's one writer, reader and hash (core/state_io.hpp), so recovery can check a
// restored bot against a replayed one.
//
// Thread-safety: a bot belongs to the strategy stage's thread. Handlers must not allocate or
// throw after on_start() (the stage's zero-allocation test covers the bot types).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/event.hpp"
#include "core/order_intent.hpp"
#include "core/state_io.hpp"
#include "strategies/conditions/condition.hpp"
#include "core/seeded_rng.hpp"
#include "strategies/schedule/schedule.hpp"

namespace be::bots {

// The bots' seeded generator is the project's one (core/seeded_rng.hpp); a class of its own
// here so that headers can declare it ahead.
class SeededRng : public be::SeededRng {
 public:
  using be::SeededRng::SeededRng;
};

struct InstrumentInfo {
  InstrumentId id{};
  int price_scale = 8;
  int qty_scale = 8;
  std::int64_t tick_size = 0;  // 0 = unknown
  std::int64_t step_size = 0;
  std::int64_t min_notional = 0;
};

struct BotFill {
  InstrumentId instrument{};
  Side side = Side::kNone;
  std::uint32_t tag = 0;  // the tag of the intent the order came from
  std::int64_t price = 0;
  std::int64_t quantity = 0;
  std::int64_t fee = 0;  // quote units at price scale
};

enum class BotOrderStatus : std::uint8_t {
  kAccepted = 1,
  kPartiallyFilled,
  kFilled,
  kCanceled,
  kRejected,  // by the venue or by risk
  kExpired,
};
// Whether the order is over (filled, canceled, rejected or expired): nothing more will come.
constexpr bool is_final(BotOrderStatus status) noexcept {
  return status != BotOrderStatus::kAccepted && status != BotOrderStatus::kPartiallyFilled;
}

struct BotOrderUpdate {
  InstrumentId instrument{};
  std::uint32_t tag = 0;
  BotOrderStatus status = BotOrderStatus::kAccepted;
  Side side = Side::kNone;
  std::int64_t price = 0;
  std::int64_t quantity = 0;
  std::int64_t filled_quantity = 0;
};

class BotContext {
 public:
  virtual ~BotContext() = default;
  // The event time of the input being handled.
  virtual Nanos now() const noexcept = 0;
  // Submits an intent; the stage stamps the bot id and the causing sequence.
  virtual void submit(const OrderIntent& intent) noexcept = 0;
  // Cancels this bot's open orders carrying `tag` (all of them when tag is 0).
  virtual void cancel(InstrumentId instrument, std::uint32_t tag) noexcept = 0;
  // Fires on_timer with this id once event time reaches `deadline`; replaces a pending one.
  virtual void set_timer(std::uint32_t timer_id, Nanos deadline) noexcept = 0;
  virtual const InstrumentInfo* instrument(InstrumentId id) const noexcept = 0;
  // The bot's own signed position (base quantity at qty scale).
  virtual std::int64_t position(InstrumentId id) const noexcept = 0;
  // False while the instrument's feed is disconnected, stale or gapped (safe mode).
  virtual bool tradable(InstrumentId id) const noexcept = 0;
  // Quote currency the bot may still spend on this instrument (price scale): its budget
  // less what its open buys reserve. Sizes given as a fraction of capital use it.
  virtual std::int64_t available_quote(InstrumentId id) const noexcept = 0;
};

// A market order intent: `quantity` of base, or (quantity 0) `quote_amount` to spend.
inline OrderIntent market_intent(InstrumentId instrument, Side side, std::int64_t quantity,
                                 std::int64_t quote_amount, std::uint32_t tag,
                                 std::uint8_t flags = OrderIntent::kNone) noexcept {
  OrderIntent intent;
  intent.instrument = instrument;
  intent.side = side;
  intent.type = OrderType::kMarket;
  intent.quantity = quantity;
  intent.quote_amount = quote_amount;
  intent.tag = tag;
  intent.flags = flags;
  return intent;
}

class Bot {
 public:
  Bot(BotId id, InstrumentId instrument, std::uint64_t seed) noexcept
      : id_(id), instrument_(instrument), rng_(seed) {}
  virtual ~Bot() = default;
  Bot(const Bot&) = delete;
  Bot& operator=(const Bot&) = delete;

  virtual std::string_view type_name() const noexcept = 0;

  // What the strategy stage calls: start() once, timer() for every timer input of this bot.
  // They add the bot's schedule (a timer at each activity change, so on_schedule_change runs
  // at the exact event time in live and replay alike) around the handlers below.
  static constexpr std::uint32_t kScheduleTimer = 0xFFFF'FFFFu;  // reserved timer id
  void start(BotContext& ctx);
  void timer(std::uint32_t timer_id, BotContext& ctx);

  virtual void on_start(BotContext& /*ctx*/) {}
  virtual void on_bar(const Bar& /*bar*/, BotContext& /*ctx*/) {}
  virtual void on_trade(const Trade& /*trade*/, BotContext& /*ctx*/) {}
  virtual void on_quote(const Quote& /*quote*/, BotContext& /*ctx*/) {}
  virtual void on_fill(const BotFill& /*fill*/, BotContext& /*ctx*/) {}
  virtual void on_order_update(const BotOrderUpdate& /*update*/, BotContext& /*ctx*/) {}
  virtual void on_timer(std::uint32_t /*timer_id*/, BotContext& /*ctx*/) {}
  // The conditions this bot wants evaluated; the strategy stage subscribes them to the shared
  // condition engine when the bot starts, and calls on_condition(i) when conditions()[i]
  // triggers on a closed bar (after the bar itself was handed to on_bar).
  virtual const std::vector<cond::ConditionDef>& conditions() const noexcept;
  virtual void on_condition(std::uint32_t /*index*/, BotContext& /*ctx*/) {}
  // The schedule's activity changed at ctx.now() (a start or stop time, the edge of active
  // hours). Bots that keep resting orders withdraw them when it becomes inactive.
  virtual void on_schedule_change(bool /*active*/, BotContext& /*ctx*/) {}
  virtual void on_stop(BotContext& /*ctx*/) {}

  // Non-empty once the bot has stopped itself for good (a script's uncaught error or a limit
  // it hit: strategies/script/): the message, with its line. The strategy stage then moves the
  // bot to `error`. Built-in bots never fail.
  virtual std::string_view failure() const noexcept { return {}; }

  // Snapshot state: the bot's own fields (the base class adds its generator).
  void save(std::vector<std::byte>& out) const;
  // False when the bytes are not this bot type's state; the bot is then in an unspecified
  // state and must be discarded (recovery loads into a bot freshly built from its config).
  bool load(std::span<const std::byte> in);
  std::uint64_t state_hash() const;

  BotId id() const noexcept { return id_; }
  InstrumentId instrument() const noexcept { return instrument_; }

  // When the bot may open positions and place new orders: its config's `schedule` (start and
  // stop times, active hours and weekdays, UTC), judged on the event time of each input so a
  // replay decides alike. Exits and protective orders are never held back by it. Without a
  // schedule a bot is always active.
  void set_schedule(const sched::ScheduleSpec& spec) noexcept { schedule_.emplace(spec); }
  bool active(Nanos event_time) const noexcept {
    return !schedule_.has_value() || schedule_->is_active(event_time);
  }

 protected:
  virtual void save_fields(state_io::Writer& w) const = 0;
  virtual bool load_fields(state_io::Reader& r) = 0;
  SeededRng& rng() noexcept { return rng_; }

 private:
  BotId id_;
  InstrumentId instrument_;
  SeededRng rng_;
  std::optional<sched::Schedule> schedule_;
};

// A bot's snapshot fields listed once, as a std::tie (see snapshot_fields in the bot types):
// save_all writes them in that order and load_all reads them back in the same order, so a
// bot's save and load cannot disagree.
template <class Fields>
void save_all(state_io::Writer& w, const Fields& fields) {
  std::apply([&](const auto&... field) { (w.put(field), ...); }, fields);
}
template <class Fields>
bool load_all(state_io::Reader& r, const Fields& fields) {
  std::apply([&](auto&... field) { (r.get(field), ...); }, fields);
  return !r.failed();
}

}  // namespace be::bots
