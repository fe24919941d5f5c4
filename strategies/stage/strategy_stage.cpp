#include "strategies/stage/strategy_stage.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "core/codes.hpp"
#include "core/fixed_point.hpp"
#include "core/order_intent.hpp"
#include "core/state_io.hpp"

namespace be::stage {

namespace {

constexpr std::uint8_t kSnapshotVersion = 2;  // 2: bot_ids_used_
// The quote value of a fill, price x quantity at price scale, truncated toward zero.
std::int64_t notional(std::int64_t price, std::int64_t quantity, int qty_scale) noexcept {
  __extension__ using Wide = __int128;
  return static_cast<std::int64_t>(static_cast<Wide>(price) * quantity /
                                   static_cast<Wide>(pow10(qty_scale)));
}

}  // namespace

// One open order as the bot sees it: enough to turn venue updates into BotFill and
// BotOrderUpdate (the order manager keeps the authoritative record).
struct TrackedOrder {
  SequenceNumber client_sequence = 0;
  InstrumentId instrument = kNoInstrument;
  std::uint32_t tag = 0;
  Side side = Side::kNone;
  std::uint8_t reserved[3] = {};
  std::int64_t price = 0;
  std::int64_t quantity = 0;  // 0 for a quote-amount market buy until fills say
  std::int64_t filled = 0;
};

struct TimerSlot {
  std::uint32_t id = 0;
  std::uint32_t armed = 0;
  Nanos deadline = 0;
};

struct StrategyStage::BotSlot {
  bots::BotConfig config;
  std::string config_json;
  std::unique_ptr<bots::Bot> bot;
  UserId owner{};
  BotState state = BotState::kStopped;
  BotStatusReason reason = BotStatusReason::kOperator;
  InstrumentId instrument = kNoInstrument;
  Nanos heartbeat = 0;
  std::uint64_t inputs = 0;
  std::int64_t position = 0;
  std::int64_t open_buy_quote = 0;  // reserved by open limit buys, price scale
  std::uint64_t fills = 0;
  std::uint64_t suppressed = 0;
  std::vector<TrackedOrder> orders;  // open, in submission order; capacity reserved
  std::vector<TimerSlot> timers;     // capacity reserved
  std::vector<cond::SubscriptionId> subscriptions;
};

struct StrategyStage::Instrument {
  bool defined = false;
  bots::InstrumentInfo info;
  std::string symbol;
  VenueId venue{};
  AssetId base{};
  AssetId quote{};
  std::array<BarAggregator, kStandardIntervals.size()> bars{
      BarAggregator(InstrumentId{}, kStandardIntervals[0]),
      BarAggregator(InstrumentId{}, kStandardIntervals[1]),
      BarAggregator(InstrumentId{}, kStandardIntervals[2]),
      BarAggregator(InstrumentId{}, kStandardIntervals[3]),
      BarAggregator(InstrumentId{}, kStandardIntervals[4]),
      BarAggregator(InstrumentId{}, kStandardIntervals[5])};
};
static_assert(std::is_trivially_copyable_v<BarAggregator>,
              "snapshots copy bar aggregators as bytes");

// The BotContext a bot acts through while one of its handlers runs.
class StrategyStage::Context final : public bots::BotContext {
 public:
  Context(StrategyStage& stage, BotSlot& slot, Outbox& out) noexcept
      : stage_(stage), slot_(slot), out_(out) {}

  Nanos now() const noexcept override { return stage_.now_; }

  void submit(const OrderIntent& requested) noexcept override {
    OrderIntent intent = requested;
    intent.bot = slot_.bot->id();
    const bool entry = !intent.reduce_only();
    // A paused bot, or an entry on an instrument in safe mode, is held back: the intent is
    // journaled flagged kFlagHeld and comes back to the bot as a local reject, so the bot
    // knows (it never waits for an order that was not sent).
    const bool held =
        slot_.state != BotState::kRunning || (entry && !stage_.health_.tradable(intent.instrument));
    if (held) ++slot_.suppressed;
    if (stage_.intents_this_input_ >= stage_.capacity_.intents_per_input ||
        slot_.orders.size() >= stage_.capacity_.orders_per_bot) {
      ++stage_.stats_.intents_dropped;
      return;
    }
    intent.cause = client_sequence(stage_.input_ordinal_, stage_.intents_this_input_++);
    TrackedOrder tracked;
    tracked.client_sequence = intent.cause;
    tracked.instrument = intent.instrument;
    tracked.tag = intent.tag;
    tracked.side = intent.side;
    tracked.price = intent.price;
    tracked.quantity = intent.quantity;
    slot_.orders.push_back(tracked);  // capacity reserved at creation: no allocation
    if (intent.side == Side::kBuy && intent.type == OrderType::kLimit) {
      if (const auto* info = stage_.instrument(intent.instrument)) {
        slot_.open_buy_quote += notional(intent.price, intent.quantity, info->qty_scale);
      }
    }
    ++stage_.stats_.intents;
    out_.emit(intent, stage_.now_, 0,
              static_cast<std::uint16_t>(kFlagDerived | (held ? kFlagHeld : kFlagNone)));
  }

  void cancel(InstrumentId instrument, std::uint32_t tag) noexcept override {
    for (const TrackedOrder& o : slot_.orders) {
      if (o.instrument != instrument || (tag != 0 && o.tag != tag)) continue;
      OrderCancel c;
      c.bot = slot_.bot->id();
      c.instrument = o.instrument;
      c.client_sequence = o.client_sequence;
      c.tag = o.tag;
      ++stage_.stats_.cancels;
      out_.emit(c, stage_.now_);
    }
  }

  void set_timer(std::uint32_t timer_id, Nanos deadline) noexcept override {
    for (TimerSlot& t : slot_.timers) {
      if (t.armed && t.id == timer_id) {
        t.deadline = deadline;
        stage_.timer_floor_ = std::min(stage_.timer_floor_, deadline);
        return;
      }
    }
    for (TimerSlot& t : slot_.timers) {
      if (!t.armed) {
        t = {timer_id, 1, deadline};
        stage_.timer_floor_ = std::min(stage_.timer_floor_, deadline);
        return;
      }
    }
    ++stage_.stats_.intents_dropped;  // no free timer slot: a configuration limit
  }

  const bots::InstrumentInfo* instrument(InstrumentId id) const noexcept override {
    return stage_.instrument(id);
  }
  std::int64_t position(InstrumentId id) const noexcept override {
    return id == slot_.instrument ? slot_.position : 0;
  }
  bool tradable(InstrumentId id) const noexcept override { return stage_.health_.tradable(id); }
  std::int64_t available_quote(InstrumentId id) const noexcept override {
    const auto i = index_of(id);
    if (i >= stage_.instruments_.size() || !stage_.instruments_[i].defined) return 0;
    const auto asset = index_of(stage_.instruments_[i].quote);
    const std::int64_t free =
        asset < stage_.free_quote_.size() ? stage_.free_quote_[asset] : std::int64_t{0};
    return std::max<std::int64_t>(0, free - slot_.open_buy_quote);
  }

 private:
  StrategyStage& stage_;
  BotSlot& slot_;
  Outbox& out_;
};

StrategyStage::StrategyStage(StrategyCapacity capacity, const bots::BotRegistry& registry)
    : capacity_(capacity),
      registry_(&registry),
      instruments_(capacity.instruments),
      venue_names_(capacity.venues),
      health_(capacity.instruments, capacity.venues) {}

StrategyStage::~StrategyStage() = default;

const bots::InstrumentInfo* StrategyStage::instrument(InstrumentId id) const noexcept {
  const auto i = index_of(id);
  if (i >= instruments_.size() || !instruments_[i].defined) return nullptr;
  return &instruments_[i].info;
}

std::string_view StrategyStage::symbol(InstrumentId id) const noexcept {
  const auto i = index_of(id);
  if (i >= instruments_.size() || !instruments_[i].defined) return {};
  return instruments_[i].symbol;
}

std::string_view StrategyStage::venue_name(VenueId id) const noexcept {
  const auto i = index_of(id);
  return i < venue_names_.size() ? std::string_view(venue_names_[i]) : std::string_view{};
}

StrategyStage::BotSlot* StrategyStage::find(BotId bot) noexcept {
  auto it = bots_.find(bot);
  return it == bots_.end() ? nullptr : it->second.get();
}
const StrategyStage::BotSlot* StrategyStage::find(BotId bot) const noexcept {
  auto it = bots_.find(bot);
  return it == bots_.end() ? nullptr : it->second.get();
}
bool StrategyStage::has_bot(BotId bot) const noexcept {
  return find(bot) != nullptr;
}
BotState StrategyStage::state_of(BotId bot) const noexcept {
  const BotSlot* s = find(bot);
  return s == nullptr ? BotState::kDeleted : s->state;
}

// ---- Inputs ------------------------------------------------------------------------------

void StrategyStage::on_input(const Event& input, Outbox& out) {
  ++stats_.inputs;
  input_ordinal_ = input.header.sequence;
  intents_this_input_ = 0;
  const Nanos t = input.header.event_time;
  if (t > now_) {
    now_ = t;
    fire_timers(now_, out);
  }
  switch (input.header.type) {
    case EventType::kInstrumentDefined:
      define(input.as<InstrumentDefined>());
      break;
    case EventType::kTrade:
      on_trade(input.as<Trade>(), t, out);
      break;
    case EventType::kQuote:
      on_quote(input.as<Quote>(), out);
      break;
    case EventType::kBar:
      on_bar_input(input.as<Bar>(), out);
      break;
    case EventType::kConnectivity:
      health_.apply(input.as<Connectivity>(), t);
      break;
    case EventType::kOrderUpdate:
      on_order_update(input.as<OrderUpdate>(), t, out);
      break;
    case EventType::kBalanceUpdate: {
      const auto b = input.as<BalanceUpdate>();
      if (index_of(b.account) == 0 && index_of(b.asset) < free_quote_.size()) {
        free_quote_[index_of(b.asset)] = b.free;
      }
      break;
    }
    case EventType::kOperatorCommand:
      on_command(input.as<OperatorCommand>(), t, out);
      break;
    case EventType::kBlob: {
      const auto blob = input.as<BlobRef>();
      if (blob.data != nullptr && blob.size <= BlobRef::kMaxSize) {
        blobs_[blob.blob_id].assign(reinterpret_cast<const char*>(blob.data), blob.size);
      }
      break;
    }
    case EventType::kTimer: {
      // Event time moved (above); a clock tick also closes bars whose interval ended in a
      // quiet market, so bots see the bar when it ends, not at the next trade.
      for (Instrument& in : instruments_) {
        if (!in.defined) continue;
        for (BarAggregator& a : in.bars) {
          a.on_time(now_, [&](const Bar& bar) { on_closed_bar(bar, out); });
        }
      }
      break;
    }
    default:
      break;  // derived records never reach a fold
  }
}

void StrategyStage::define(const InstrumentDefined& def) {
  const auto i = index_of(def.instrument);
  if (i >= instruments_.size() || index_of(def.venue) >= venue_names_.size()) {
    ++stats_.bad_commands;
    return;
  }
  Instrument& in = instruments_[i];
  in.defined = true;
  in.info.id = def.instrument;
  in.info.price_scale = def.price_scale;
  in.info.qty_scale = def.qty_scale;
  in.info.tick_size = def.tick_size;
  in.info.step_size = def.step_size;
  in.info.min_notional = def.min_notional;
  in.symbol = std::string(def.symbol_view());
  in.venue = def.venue;
  in.base = assets_.intern(def.base_view());
  in.quote = assets_.intern(def.quote_view());
  if (free_quote_.size() < assets_.size()) free_quote_.resize(assets_.size(), 0);
  for (std::size_t k = 0; k < in.bars.size(); ++k) {
    in.bars[k] = BarAggregator(def.instrument, kStandardIntervals[k]);
  }
  health_.define(def.instrument, def.venue);
}

void StrategyStage::on_trade(const Trade& trade, Nanos t, Outbox& out) {
  const auto i = index_of(trade.instrument);
  if (i >= instruments_.size() || !instruments_[i].defined) return;
  for (BarAggregator& a : instruments_[i].bars) {
    a.on_trade(trade, t, [&](const Bar& bar) { on_closed_bar(bar, out); });
  }
  for (auto& [id, slot] : bots_) {
    if (slot->instrument != trade.instrument || slot->state == BotState::kStopped ||
        slot->state == BotState::kError) {
      continue;
    }
    Context ctx(*this, *slot, out);
    slot->heartbeat = now_;
    ++slot->inputs;
    slot->bot->on_trade(trade, ctx);
  }
}

void StrategyStage::on_bar_input(const Bar& bar, Outbox& out) {
  const auto i = index_of(bar.instrument);
  if (i >= instruments_.size() || !instruments_[i].defined || !bar.closed) return;
  for (BarAggregator& a : instruments_[i].bars) {
    a.on_bar(bar, [&](const Bar& b) { on_closed_bar(b, out); });
  }
}

namespace {
struct TriggerBuffer final : cond::TriggerSink {
  std::array<cond::Trigger, 256> items;
  std::size_t size = 0;
  std::uint64_t dropped = 0;
  void on_trigger(const cond::Trigger& t) noexcept override {
    if (size < items.size()) {
      items[size++] = t;
    } else {
      ++dropped;
    }
  }
};
}  // namespace

void StrategyStage::on_closed_bar(const Bar& bar, Outbox& out) {
  ++stats_.bars;
  const Instrument& in = instruments_[index_of(bar.instrument)];
  TriggerBuffer triggers;
  conditions_.on_bar(bar, in.info.price_scale, in.info.qty_scale, triggers);
  for (auto& [id, slot] : bots_) {
    if (slot->instrument != bar.instrument ||
        slot->config.timeframe_seconds != bar.interval_seconds ||
        slot->state == BotState::kStopped || slot->state == BotState::kError) {
      continue;
    }
    Context ctx(*this, *slot, out);
    slot->heartbeat = now_;
    ++slot->inputs;
    slot->bot->on_bar(bar, ctx);
  }
  stats_.intents_dropped += triggers.dropped;
  for (std::size_t k = 0; k < triggers.size; ++k) {
    const cond::Trigger& trig = triggers.items[k];
    auto sub = subscriptions_.find(trig.subscription);
    if (sub == subscriptions_.end()) continue;
    BotSlot* slot = find(sub->second.first);
    if (slot == nullptr) continue;
    Signal sig;
    sig.bot = slot->bot->id();
    sig.condition_index = sub->second.second;
    sig.instrument = trig.instrument;
    sig.timeframe_seconds = trig.timeframe_seconds;
    sig.bar_open_time = trig.bar_open_time;
    sig.lhs = trig.lhs;
    sig.rhs = trig.rhs;
    ++stats_.signals;
    out.emit(sig, now_);
    if (slot->state != BotState::kRunning && slot->state != BotState::kPaused) continue;
    Context ctx(*this, *slot, out);
    slot->bot->on_condition(sub->second.second, ctx);
  }
}

void StrategyStage::on_quote(const Quote& quote, Outbox& out) {
  for (auto& [id, slot] : bots_) {
    if (slot->instrument != quote.instrument || slot->state == BotState::kStopped ||
        slot->state == BotState::kError) {
      continue;
    }
    Context ctx(*this, *slot, out);
    slot->heartbeat = now_;
    ++slot->inputs;
    slot->bot->on_quote(quote, ctx);
  }
}

void StrategyStage::on_order_update(const OrderUpdate& update, Nanos /*t*/, Outbox& out) {
  BotSlot* slot = find(update.bot);
  if (slot == nullptr) {
    ++stats_.unknown_orders;
    return;
  }
  auto it = std::find_if(slot->orders.begin(), slot->orders.end(), [&](const TrackedOrder& o) {
    return o.client_sequence == update.client_sequence;
  });
  if (it == slot->orders.end()) {
    ++stats_.unknown_orders;
    return;
  }
  TrackedOrder& order = *it;
  const bots::InstrumentInfo* info = instrument(order.instrument);
  const int qty_scale = info != nullptr ? info->qty_scale : 8;
  Context ctx(*this, *slot, out);
  const auto event = static_cast<OrderEvent>(update.event);
  const bool is_fill = event == OrderEvent::kPartialFill || event == OrderEvent::kFill;
  if (is_fill && update.last_quantity > 0) {
    const std::int64_t q = update.last_quantity;
    order.filled += q;
    slot->position += order.side == Side::kBuy ? q : -q;
    ++slot->fills;
    const std::int64_t value = notional(update.last_price, q, qty_scale);
    if (info != nullptr) {
      const auto quote = index_of(instruments_[index_of(order.instrument)].quote);
      if (quote < free_quote_.size()) {
        free_quote_[quote] += order.side == Side::kBuy ? -(value + update.fee) : value - update.fee;
      }
    }
    if (order.side == Side::kBuy && order.price != 0) {
      slot->open_buy_quote -= notional(order.price, q, qty_scale);
    }
    bots::BotFill fill;
    fill.instrument = order.instrument;
    fill.side = order.side;
    fill.tag = order.tag;
    fill.price = update.last_price;
    fill.quantity = q;
    fill.fee = update.fee;
    slot->bot->on_fill(fill, ctx);
  }
  bots::BotOrderUpdate u;
  u.instrument = order.instrument;
  u.tag = order.tag;
  u.side = order.side;
  u.price = order.price;
  u.quantity = order.quantity;
  u.filled_quantity = order.filled;
  bool closed = false;
  switch (event) {
    case OrderEvent::kAccepted:
      u.status = bots::BotOrderStatus::kAccepted;
      break;
    case OrderEvent::kPartialFill:
    case OrderEvent::kReconciledPartial:
      u.status = bots::BotOrderStatus::kPartiallyFilled;
      break;
    case OrderEvent::kFill:
    case OrderEvent::kReconciledFilled:
      u.status = bots::BotOrderStatus::kFilled;
      closed = true;
      break;
    case OrderEvent::kRejected:
    case OrderEvent::kReconciledNotFound:
      u.status = bots::BotOrderStatus::kRejected;
      closed = true;
      break;
    case OrderEvent::kCanceled:
    case OrderEvent::kReconciledCanceled:
      u.status = bots::BotOrderStatus::kCanceled;
      closed = true;
      break;
    case OrderEvent::kExpired:
    case OrderEvent::kReconciledExpired:
      u.status = bots::BotOrderStatus::kExpired;
      closed = true;
      break;
    default:
      return;  // cancel requested/rejected, connection lost, reconciled new: nothing changes
  }
  if (closed) {
    if (order.side == Side::kBuy && order.price != 0 && order.quantity > order.filled) {
      slot->open_buy_quote -= notional(order.price, order.quantity - order.filled, qty_scale);
    }
    slot->orders.erase(it);  // no allocation: erase within reserved capacity
  }
  slot->bot->on_order_update(u, ctx);
}

void StrategyStage::fire_timers(Nanos t, Outbox& out) {
  if (t < timer_floor_) return;
  // Deadline order across bots; ties by bot id (map order) then timer slot order. Each scan
  // also finds the earliest armed deadline (a stopped bot's too: it may start again), the
  // floor below which the next call need not scan.
  for (;;) {
    BotSlot* best_slot = nullptr;
    TimerSlot* best = nullptr;
    Nanos floor = std::numeric_limits<Nanos>::max();
    for (auto& [id, slot] : bots_) {
      const bool runs = slot->state != BotState::kStopped && slot->state != BotState::kError;
      for (TimerSlot& timer : slot->timers) {
        if (!timer.armed) continue;
        floor = std::min(floor, timer.deadline);
        if (runs && timer.deadline <= t && (best == nullptr || timer.deadline < best->deadline)) {
          best = &timer;
          best_slot = slot.get();
        }
      }
    }
    if (best == nullptr) {
      timer_floor_ = floor;
      return;
    }
    const std::uint32_t id = best->id;
    best->armed = 0;
    Context ctx(*this, *best_slot, out);
    best_slot->bot->timer(id, ctx);
  }
}

// ---- Bot lifecycle -------------------------------------------------------------------------

bots::InstrumentResolver StrategyStage::resolver() const {
  return [this](std::string_view venue, std::string_view symbol) -> const bots::InstrumentInfo* {
    for (const Instrument& in : instruments_) {
      if (!in.defined || in.symbol != symbol) continue;
      // Venue names are the deployment's (InstrumentDefined carries only the id): a name the
      // stage was never told matches any venue, and the engine validates names beforehand.
      const std::string_view known = venue_name(in.venue);
      if (!venue.empty() && !known.empty() && known != venue) continue;
      return &in.info;
    }
    return nullptr;
  };
}

Expected<bots::CreatedBot, bots::ConfigErrors> StrategyStage::build(std::string_view json,
                                                                    BotId id) const {
  const bots::InstrumentResolver resolve = resolver();
  return registry_->create(json, id, resolve);
}

std::vector<config::FieldError> StrategyStage::validate(std::string_view json) const {
  auto built = build(json, BotId{0});
  if (built) return {};
  return built.error();
}

void StrategyStage::set_state(BotSlot& slot, BotState to, BotStatusReason reason,
                              std::uint32_t user, Nanos t, Outbox& out) {
  BotStatus status;
  status.bot = slot.bot->id();
  status.from = slot.state;
  status.to = to;
  status.reason = static_cast<std::uint16_t>(reason);
  status.user_id = user;
  slot.state = to;
  slot.reason = reason;
  out.emit(status, t);
  Notification n;
  n.kind = NotificationKind::kBotStatus;
  n.code = static_cast<std::uint16_t>(to);
  n.bot = status.bot;
  n.instrument = slot.instrument;
  n.cause = input_ordinal_;
  out.emit(n, t);
}

void StrategyStage::subscribe_conditions(BotSlot& slot) {
  const auto& defs = slot.bot->conditions();
  for (std::uint32_t k = 0; k < defs.size(); ++k) {
    auto sub = conditions_.subscribe(slot.bot->id(), defs[k]);
    if (!sub) {
      ++stats_.bad_commands;
      continue;
    }
    slot.subscriptions.push_back(*sub);
    subscriptions_[*sub] = {slot.bot->id(), k};
  }
}

// starting -> `to` (running, or paused for a paused bot whose config was swapped), then the
// bot's own start: what it submits from on_start already sees its final state.
void StrategyStage::start_bot(BotSlot& slot, BotState to, std::uint32_t user, Nanos t,
                              Outbox& out) {
  set_state(slot, BotState::kStarting, BotStatusReason::kOperator, user, t, out);
  set_state(slot, to, BotStatusReason::kOperator, user, t, out);
  subscribe_conditions(slot);
  Context ctx(*this, slot, out);
  slot.bot->start(ctx);
}

// stopping -> the bot's on_stop and the withdrawal of its orders -> `to` (stopped, deleted).
void StrategyStage::stop_bot(BotSlot& slot, BotState to, BotStatusReason reason, std::uint32_t user,
                             Nanos t, Outbox& out) {
  set_state(slot, BotState::kStopping, reason, user, t, out);
  {
    Context ctx(*this, slot, out);
    slot.bot->on_stop(ctx);
    // Whatever the bot left resting is withdrawn: a stopped bot owns no live orders.
    for (const TrackedOrder& o : slot.orders) {
      OrderCancel c;
      c.bot = slot.bot->id();
      c.instrument = o.instrument;
      c.client_sequence = o.client_sequence;
      c.tag = o.tag;
      ++stats_.cancels;
      out.emit(c, now_);
    }
  }
  for (cond::SubscriptionId sub : slot.subscriptions) {
    conditions_.unsubscribe(sub);
    subscriptions_.erase(sub);
  }
  slot.subscriptions.clear();
  for (TimerSlot& timer : slot.timers)
    timer.armed = 0;
  set_state(slot, to, reason, user, t, out);
}

void StrategyStage::on_command(const OperatorCommand& command, Nanos t, Outbox& out) {
  using K = OperatorCommandKind;
  const std::uint32_t user = command.user_id;
  BotSlot* slot = find(command.bot);
  auto bad = [&] { ++stats_.bad_commands; };
  switch (command.kind) {
    case K::kCreateBot: {
      bot_ids_used_ = std::max(bot_ids_used_, index_of(command.bot) + 1);
      auto blob = blobs_.find(command.blob_id);
      if (blob == blobs_.end()) {
        ++stats_.missing_blobs;
        return;
      }
      const std::string json = std::move(blob->second);
      blobs_.erase(blob);
      if (slot != nullptr || bots_.size() >= capacity_.bots) return bad();
      auto built = build(json, command.bot);
      if (!built) return bad();
      auto fresh = std::make_unique<BotSlot>();
      fresh->config = std::move(built->config);
      fresh->config_json = json;
      fresh->bot = std::move(built->bot);
      fresh->owner = UserId{user};
      fresh->instrument = fresh->bot->instrument();
      fresh->orders.reserve(capacity_.orders_per_bot);
      fresh->timers.resize(capacity_.timers_per_bot);
      BotSlot& s = *fresh;
      bots_[command.bot] = std::move(fresh);
      s.state = BotState::kDeleted;
      set_state(s, BotState::kStopped, BotStatusReason::kOperator, user, t, out);
      return;
    }
    case K::kUpdateBot: {
      auto blob = blobs_.find(command.blob_id);
      if (blob == blobs_.end()) {
        ++stats_.missing_blobs;
        return;
      }
      const std::string json = std::move(blob->second);
      blobs_.erase(blob);
      if (slot == nullptr) return bad();
      auto built = build(json, command.bot);
      if (!built) return bad();
      const bool was_active = slot->state == BotState::kRunning || slot->state == BotState::kPaused;
      const BotState before = slot->state;
      if (was_active) {
        stop_bot(*slot, BotState::kStopped, BotStatusReason::kOperator, user, t, out);
      }
      // Carry the state over where the type is the same and the saved bytes still load.
      if (built->bot->type_name() == slot->bot->type_name()) {
        std::vector<std::byte> saved;
        slot->bot->save(saved);
        std::vector<std::byte> fallback;
        built->bot->save(fallback);
        if (!built->bot->load(saved)) built->bot->load(fallback);
      }
      slot->config = std::move(built->config);
      slot->config_json = json;
      slot->bot = std::move(built->bot);
      slot->instrument = slot->bot->instrument();
      if (was_active) {
        start_bot(*slot, before, user, t, out);
      }
      return;
    }
    case K::kDeleteBot: {
      if (slot == nullptr) return bad();
      if (slot->state == BotState::kRunning || slot->state == BotState::kPaused) {
        stop_bot(*slot, BotState::kDeleted, BotStatusReason::kOperator, user, t, out);
      } else {
        set_state(*slot, BotState::kDeleted, BotStatusReason::kOperator, user, t, out);
      }
      bots_.erase(command.bot);
      return;
    }
    case K::kStartBot: {
      if (slot == nullptr ||
          (slot->state != BotState::kStopped && slot->state != BotState::kError)) {
        return bad();
      }
      start_bot(*slot, BotState::kRunning, user, t, out);
      return;
    }
    case K::kStopBot: {
      if (slot == nullptr ||
          (slot->state != BotState::kRunning && slot->state != BotState::kPaused)) {
        return bad();
      }
      stop_bot(*slot, BotState::kStopped, BotStatusReason::kOperator, user, t, out);
      return;
    }
    case K::kPauseBot:
      if (slot == nullptr || slot->state != BotState::kRunning) return bad();
      set_state(*slot, BotState::kPaused, BotStatusReason::kOperator, user, t, out);
      return;
    case K::kResumeBot:
      if (slot == nullptr || slot->state != BotState::kPaused) return bad();
      set_state(*slot, BotState::kRunning, BotStatusReason::kOperator, user, t, out);
      return;
    case K::kRestartBot: {
      if (slot == nullptr || slot->state == BotState::kStopping) return bad();
      if (slot->state == BotState::kRunning || slot->state == BotState::kPaused) {
        stop_bot(*slot, BotState::kStopped, BotStatusReason::kOperator, user, t, out);
      }
      start_bot(*slot, BotState::kRunning, user, t, out);
      return;
    }
    case K::kShutdown:
      for (auto& [id, s] : bots_) {
        if (s->state != BotState::kRunning && s->state != BotState::kPaused) continue;
        stop_bot(*s, BotState::kStopped, BotStatusReason::kShutdown, user, t, out);
      }
      return;
    case K::kKillSwitchSet:
    case K::kKillSwitchReset:
    case K::kCircuitReset:
      return;  // risk's and the order manager's business
  }
}

// ---- Read model ----------------------------------------------------------------------------

std::vector<BotSummary> StrategyStage::describe() const {
  std::vector<BotSummary> all;
  all.reserve(bots_.size());
  for (const auto& [id, slot] : bots_) {
    if (auto one = describe(id)) all.push_back(std::move(*one));
  }
  return all;
}

std::optional<BotSummary> StrategyStage::describe(BotId bot) const {
  const BotSlot* slot = find(bot);
  if (slot == nullptr) return std::nullopt;
  BotSummary s;
  s.id = bot;
  s.owner = slot->owner;
  s.name = slot->config.name;
  s.type = std::string(slot->bot->type_name());
  s.venue = slot->config.venue;
  s.symbol = slot->config.symbol;
  s.config_json = slot->config_json;
  s.instrument = slot->instrument;
  s.state = slot->state;
  s.reason = slot->reason;
  s.heartbeat = slot->heartbeat;
  s.inputs = slot->inputs;
  s.position = slot->position;
  s.open_orders = static_cast<std::uint32_t>(slot->orders.size());
  s.fills = slot->fills;
  s.suppressed_intents = slot->suppressed;
  for (cond::SubscriptionId sub : slot->subscriptions) {
    if (auto c = conditions_.condition_of(sub)) {
      if (auto st = conditions_.condition_stats(*c)) s.conditions.push_back(st->canonical);
    }
  }
  return s;
}

// ---- Snapshot ------------------------------------------------------------------------------
// Layout: version, counters, instruments (definition fields, aggregators as bytes), assets,
// free quote, feed health, condition engine, then each bot: id, config json, owner, state,
// slot fields, orders, timers, subscriptions, the bot's own save() bytes.

template <class W>
void StrategyStage::write_state(W& w) const {
  w.put(kSnapshotVersion);
  w.put(now_);
  w.put(input_ordinal_);
  w.put(bot_ids_used_);
  w.put(static_cast<std::uint32_t>(instruments_.size()));
  for (const Instrument& in : instruments_) {
    w.put(static_cast<std::uint8_t>(in.defined));
    if (!in.defined) continue;
    w.put(in.info.id), w.put(in.info.price_scale), w.put(in.info.qty_scale);
    w.put(in.info.tick_size), w.put(in.info.step_size), w.put(in.info.min_notional);
    w.put_string(in.symbol);
    w.put(in.venue), w.put(in.base), w.put(in.quote);
    for (const BarAggregator& a : in.bars) {
      // The open bar and its presence decide what is emitted next; the hash covers those
      // (the aggregator's padding bytes are not hashed).
      w.put(static_cast<std::uint8_t>(a.has_open_bar()));
      if (a.has_open_bar()) w.put(a.open_bar());
    }
  }
  w.put(static_cast<std::uint32_t>(assets_.size()));
  for (std::size_t a = 0; a < assets_.size(); ++a) {
    w.put_string(assets_.name(AssetId{static_cast<std::uint16_t>(a)}));
  }
  w.put(static_cast<std::uint32_t>(free_quote_.size()));
  for (std::int64_t q : free_quote_)
    w.put(q);
  health_.save(w);
  w.put(static_cast<std::uint32_t>(bots_.size()));
  for (const auto& [id, slot] : bots_) {
    w.put(id);
    w.put_string(slot->config_json);
    w.put(slot->owner), w.put(slot->state), w.put(slot->reason), w.put(slot->heartbeat);
    w.put(slot->inputs), w.put(slot->position), w.put(slot->open_buy_quote), w.put(slot->fills);
    w.put(slot->suppressed);
    w.put(static_cast<std::uint32_t>(slot->orders.size()));
    for (const TrackedOrder& o : slot->orders) {
      w.put(o.client_sequence), w.put(o.instrument), w.put(o.tag), w.put(o.side);
      w.put(o.price), w.put(o.quantity), w.put(o.filled);
    }
    for (const TimerSlot& timer : slot->timers) {
      w.put(timer.id), w.put(timer.armed), w.put(timer.deadline);
    }
    w.put(static_cast<std::uint32_t>(slot->subscriptions.size()));
    for (cond::SubscriptionId sub : slot->subscriptions) {
      w.put(sub);
      w.put(subscriptions_.at(sub).second);
    }
    std::vector<std::byte> bot_state;
    slot->bot->save(bot_state);
    w.put_bytes(bot_state);
  }
}

std::uint64_t StrategyStage::state_hash() const {
  state_io::Hasher w;
  write_state(w);
  w.put(conditions_.state_hash());
  return w.value();
}

std::vector<std::byte> StrategyStage::snapshot() const {
  std::vector<std::byte> out;
  state_io::Writer w(out);
  write_state(w);
  // Aggregators in full (their cursor and last close are private): as bytes.
  for (const Instrument& in : instruments_) {
    if (!in.defined) continue;
    for (const BarAggregator& a : in.bars) {
      w.put_bytes(std::as_bytes(std::span(&a, 1)));
    }
  }
  std::vector<std::byte> cond_bytes;
  conditions_.save(cond_bytes);
  w.put_bytes(cond_bytes);
  w.put(static_cast<std::uint32_t>(blobs_.size()));
  for (const auto& [id, text] : blobs_) {
    w.put(id);
    w.put_string(text);
  }
  return out;
}

std::optional<std::string> StrategyStage::restore(std::span<const std::byte> bytes) {
  timer_floor_ = std::numeric_limits<Nanos>::min();  // rescanned at the next input
  StrategyStage fresh(capacity_, *registry_);
  state_io::Reader r(bytes);
  std::uint8_t version = 0;
  if (!r.get(version) || version != kSnapshotVersion) return "strategy snapshot: unknown version";
  r.get(fresh.now_), r.get(fresh.input_ordinal_), r.get(fresh.bot_ids_used_);
  std::uint32_t n = 0;
  if (!r.get(n) || n != fresh.instruments_.size()) return "strategy snapshot: instrument capacity";
  for (Instrument& in : fresh.instruments_) {
    std::uint8_t defined = 0;
    r.get(defined);
    in.defined = defined != 0;
    if (!in.defined) continue;
    r.get(in.info.id), r.get(in.info.price_scale), r.get(in.info.qty_scale);
    r.get(in.info.tick_size), r.get(in.info.step_size), r.get(in.info.min_notional);
    in.symbol = r.get_string();
    if (r.failed()) return "strategy snapshot: truncated";
    r.get(in.venue), r.get(in.base), r.get(in.quote);
    for (std::size_t k = 0; k < in.bars.size(); ++k) {
      std::uint8_t open = 0;
      r.get(open);
      if (open) {
        Bar skipped;
        r.get(skipped);
      }
    }
  }
  if (!r.get(n)) return "strategy snapshot: truncated";
  for (std::uint32_t a = 0; a < n; ++a) {
    std::string name;
    name = r.get_string();
    if (r.failed()) return "strategy snapshot: truncated";
    fresh.assets_.intern(name);
  }
  if (!r.get(n) || n > 65536) return "strategy snapshot: bad asset count";
  fresh.free_quote_.assign(n, 0);
  for (std::int64_t& q : fresh.free_quote_)
    r.get(q);
  if (!fresh.health_.load(r)) return "strategy snapshot: feed health";
  if (!r.get(n) || n > capacity_.bots) return "strategy snapshot: bot count";
  struct PendingSubs {
    BotId bot;
    std::vector<std::pair<cond::SubscriptionId, std::uint32_t>> subs;
  };
  std::vector<PendingSubs> pending;
  for (std::uint32_t b = 0; b < n; ++b) {
    BotId id{};
    r.get(id);
    std::string json;
    json = r.get_string();
    if (r.failed()) return "strategy snapshot: truncated";
    auto built = fresh.build(json, id);
    if (!built) return "strategy snapshot: bot " + std::to_string(index_of(id)) + " config";
    auto slot = std::make_unique<BotSlot>();
    slot->config = std::move(built->config);
    slot->config_json = json;
    slot->bot = std::move(built->bot);
    slot->instrument = slot->bot->instrument();
    slot->orders.reserve(capacity_.orders_per_bot);
    slot->timers.resize(capacity_.timers_per_bot);
    r.get(slot->owner), r.get(slot->state), r.get(slot->reason), r.get(slot->heartbeat);
    r.get(slot->inputs), r.get(slot->position), r.get(slot->open_buy_quote), r.get(slot->fills);
    r.get(slot->suppressed);
    std::uint32_t orders = 0;
    if (!r.get(orders) || orders > capacity_.orders_per_bot) return "strategy snapshot: orders";
    for (std::uint32_t k = 0; k < orders; ++k) {
      TrackedOrder o;
      r.get(o.client_sequence), r.get(o.instrument), r.get(o.tag), r.get(o.side);
      r.get(o.price), r.get(o.quantity), r.get(o.filled);
      slot->orders.push_back(o);
    }
    for (TimerSlot& timer : slot->timers) {
      r.get(timer.id), r.get(timer.armed), r.get(timer.deadline);
    }
    std::uint32_t subs = 0;
    if (!r.get(subs) || subs > 4096) return "strategy snapshot: subscriptions";
    PendingSubs ps{id, {}};
    for (std::uint32_t k = 0; k < subs; ++k) {
      cond::SubscriptionId sub = 0;
      std::uint32_t index = 0;
      r.get(sub), r.get(index);
      ps.subs.emplace_back(sub, index);
      slot->subscriptions.push_back(sub);
    }
    pending.push_back(std::move(ps));
    const auto bot_state = r.get_bytes();
    if (r.failed() || !slot->bot->load(bot_state)) {
      return "strategy snapshot: bot " + std::to_string(index_of(id)) + " state";
    }
    fresh.bots_[id] = std::move(slot);
  }
  for (Instrument& in : fresh.instruments_) {
    if (!in.defined) continue;
    for (BarAggregator& a : in.bars) {
      const auto raw = r.get_bytes();
      if (r.failed() || raw.size() != sizeof(BarAggregator)) return "strategy snapshot: bars";
      std::memcpy(static_cast<void*>(&a), raw.data(), sizeof(BarAggregator));
    }
  }
  const auto cond_bytes = r.get_bytes();
  if (r.failed()) return "strategy snapshot: truncated";
  if (auto err = fresh.conditions_.restore(cond_bytes)) return "strategy snapshot: " + *err;
  for (const PendingSubs& ps : pending) {
    for (const auto& [sub, index] : ps.subs)
      fresh.subscriptions_[sub] = {ps.bot, index};
  }
  if (!r.get(n)) return "strategy snapshot: truncated";
  for (std::uint32_t k = 0; k < n; ++k) {
    std::uint64_t id = 0;
    std::string text;
    r.get(id);
    text = r.get_string();
    if (r.failed()) return "strategy snapshot: truncated";
    fresh.blobs_[id] = std::move(text);
  }
  if (r.failed() || !r.at_end()) return "strategy snapshot: trailing or missing bytes";
  // Commit: everything parsed.
  instruments_ = std::move(fresh.instruments_);
  assets_ = std::move(fresh.assets_);
  free_quote_ = std::move(fresh.free_quote_);
  health_ = std::move(fresh.health_);
  conditions_ = std::move(fresh.conditions_);
  bots_ = std::move(fresh.bots_);
  subscriptions_ = std::move(fresh.subscriptions_);
  blobs_ = std::move(fresh.blobs_);
  now_ = fresh.now_;
  input_ordinal_ = fresh.input_ordinal_;
  bot_ids_used_ = fresh.bot_ids_used_;
  return std::nullopt;
}

}  // namespace be::stage
