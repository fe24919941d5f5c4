#include "risk/risk_stage.hpp"

#include <algorithm>
#include <cstring>

#include "core/codes.hpp"
#include "core/json_config.hpp"
#include "core/order_intent.hpp"
#include "core/state_io.hpp"
#include "risk/config.hpp"

namespace be::risk {

namespace {

// 2: by_reason counts kDiskReserve too (one more u64 at the end); 1 still restores.
constexpr std::uint8_t kStageSnapshotVersion = 2;

NotificationKind exit_kind(std::uint32_t tag) noexcept {
  if (tag == kTagStopLoss) return NotificationKind::kStopLoss;
  if (tag == kTagTakeProfit) return NotificationKind::kTakeProfit;
  return NotificationKind::kTrailingStop;
}

// A notification about an intent (a risk reject of it, or a protection exit): whose, on what,
// and the two figures that kind reports.
Notification notification_about(const OrderIntent& intent, NotificationKind kind,
                                std::int64_t value1, std::int64_t value2) noexcept {
  Notification n;
  n.kind = kind;
  n.side = intent.side;
  n.bot = intent.bot;
  n.instrument = intent.instrument;
  n.value1 = value1;
  n.value2 = value2;
  n.cause = intent.cause;
  return n;
}

// A tracked order's snapshot fields, in order (its padding and reserved bytes are not state).
template <class TrackedOrder, class Visitor>
void visit_tracked(TrackedOrder& t, Visitor& visit) {
  visit(t.client_sequence), visit(t.bot), visit(t.instrument), visit(t.side);
  visit(t.resting), visit(t.price), visit(t.quantity), visit(t.filled);
}

}  // namespace

RiskStage::RiskStage(Options options)
    : options_(options),
      engine_(options.capacity),
      instruments_(options.capacity.instruments),
      orders_index_(options.max_tracked_orders) {
  orders_.reserve(options.max_tracked_orders);
  engine_.configure_account(AccountId{0}, options.account);
}

RiskStage::Tracked* RiskStage::find(SequenceNumber client_sequence, BotId bot) noexcept {
  const std::uint32_t p = orders_index_.find(orders_, TrackedKey{bot, client_sequence});
  return p == TrackedIndex::kNone ? nullptr : &orders_[p];
}

void RiskStage::on_input(const Event& input, Outbox& out) {
  input_ordinal_ = input.header.sequence;
  exits_this_input_ = 0;
  const Nanos t = input.header.event_time;
  switch (input.header.type) {
    case EventType::kInstrumentDefined: {
      const auto def = input.as<InstrumentDefined>();
      const auto i = index_of(def.instrument);
      if (i >= instruments_.size()) break;
      const AssetId base = assets_.intern(def.base_view());
      const AssetId quote = assets_.intern(def.quote_view());
      if (engine_.define_instrument(def, base, quote)) {
        instruments_[i] = {std::string(def.symbol_view()), def.price_scale, def.qty_scale};
      }
      break;
    }
    case EventType::kTrade: {
      std::array<OrderIntent, 16> exits;
      const std::size_t n = engine_.apply_trade(input.as<Trade>(), t, exits);
      emit_exits(std::span(exits.data(), n), t, out);
      break;
    }
    case EventType::kQuote: {
      std::array<OrderIntent, 16> exits;
      const std::size_t n = engine_.apply_quote(input.as<Quote>(), t, exits);
      emit_exits(std::span(exits.data(), n), t, out);
      break;
    }
    case EventType::kOrderUpdate:
      on_order_update(input.as<OrderUpdate>(), t, out);
      break;
    case EventType::kBalanceUpdate: {
      const auto b = input.as<BalanceUpdate>();
      engine_.apply_balance(BalanceInput{b.account, b.asset, b.free + b.locked});
      break;
    }
    case EventType::kOperatorCommand:
      on_command(input.as<OperatorCommand>(), t, out);
      break;
    case EventType::kBlob:
      keep_blob(blobs_, input.as<BlobRef>());
      break;
    default:
      engine_.advance_time(t);
      break;
  }
}

void RiskStage::emit_exits(std::span<OrderIntent> exits, Nanos t, Outbox& out) {
  for (OrderIntent& exit : exits) {
    if (kExitIndexBase + exits_this_input_ >= (1u << kIntentIndexBits)) break;
    exit.cause = client_sequence(input_ordinal_, kExitIndexBase + exits_this_input_++);
    ++stats_["exits"];
    const Notification n = notification_about(
        exit, exit_kind(exit.tag), engine_.reference_price(exit.instrument), exit.quantity);
    Event record = Event::make(exit, t, 0);
    record.header.flags = kFlagDerived;
    const std::size_t at = out.size();
    out.push(record);
    if (at < out.size()) check_intent(out.records()[at], exit, out);
    out.emit(n, t);
  }
}

void RiskStage::check_intent(Event& record, OrderIntent intent, Outbox& out) {
  const Nanos t = record.header.event_time;
  ++stats_["checked"];
  const Decision d = engine_.check(intent, t);
  if (d.accepted()) {
    record.header.flags |= kFlagRiskAccepted;
    if (intent.quantity == 0 && d.quantity > 0) {
      intent.quantity = d.quantity;
      std::memcpy(record.payload.data(), &intent, sizeof(intent));
    }
    if (orders_.size() < orders_.capacity()) {
      orders_.push_back(Tracked{intent.cause,
                                intent.bot,
                                intent.instrument,
                                intent.side,
                                0,
                                {},
                                intent.type == OrderType::kLimit ? intent.price : 0,
                                intent.quantity,
                                0});
      orders_index_.insert(orders_, static_cast<std::uint32_t>(orders_.size() - 1));
    }
    return;
  }
  ++stats_["rejected"];
  ++stats_.by_reason[static_cast<std::size_t>(d.reject.reason)];
  const RiskReject& reject = d.reject;  // its cause and event time are the intent's and t
  out.emit(reject, t);
  Notification n =
      notification_about(intent, NotificationKind::kRiskReject, reject.limit, reject.observed);
  n.code = static_cast<std::uint16_t>(reject.reason);
  out.emit(n, t);
}

void RiskStage::on_derived(Event& record, Outbox& out) {
  if (record.header.type == EventType::kOrderIntent) {
    if ((record.header.flags & kFlagHeld) != 0) return;  // never sent: nothing to check
    check_intent(record, record.as<OrderIntent>(), out);
  } else if (record.header.type == EventType::kOrderCancel) {
    const auto c = record.as<OrderCancel>();
    ++stats_["checked"];
    const RiskReject r = engine_.check_cancel(c.bot, record.header.event_time);
    if (r.accepted()) {
      record.header.flags |= kFlagRiskAccepted;
    } else {
      ++stats_["rejected"];
      ++stats_.by_reason[static_cast<std::size_t>(r.reason)];
      RiskReject reject = r;
      reject.cause = c.client_sequence;
      reject.event_time = record.header.event_time;
      out.emit(reject, record.header.event_time);
    }
  }
}

void RiskStage::on_order_update(const OrderUpdate& u, Nanos t, Outbox& out) {
  engine_.advance_time(t);
  Tracked* order = find(u.client_sequence, u.bot);
  const bool local_reject = u.reason >= kLocalRejectBase;
  // OrderUpdate.event is a be::OrderEvent (core/codes.hpp); unknown numbers are ignored.
  const auto event = static_cast<OrderEvent>(u.event);
  switch (event) {
    case OrderEvent::kAccepted:
    case OrderEvent::kReconciledNew:
      engine_.on_success(u.bot);
      if (order != nullptr && !order->resting && order->price != 0) {
        order->resting = 1;
        engine_.apply_order_opened(
            OrderInput{order->bot, order->instrument, order->side, order->price, order->quantity});
      }
      return;
    case OrderEvent::kPartialFill:
    case OrderEvent::kFill:
    case OrderEvent::kReconciledPartial:
    case OrderEvent::kReconciledFilled:
      if (u.last_quantity > 0) {
        FillInput f;
        f.bot = u.bot;
        f.instrument = u.instrument;
        f.side = order != nullptr ? order->side : u.side;
        f.from_open_order = order != nullptr && order->resting;
        f.price = u.last_price;
        f.quantity = u.last_quantity;
        f.fee = u.fee;
        f.order_price = order != nullptr ? order->price : 0;
        engine_.apply_fill(f, t);
        engine_.on_success(u.bot);
        if (order != nullptr) order->filled += u.last_quantity;
      }
      if (event == OrderEvent::kFill || event == OrderEvent::kReconciledFilled) break;
      return;
    case OrderEvent::kRejected:
      if (!local_reject) {
        if (engine_.on_error(u.bot, ErrorKind::kVenueReject, t)) {
          ++stats_["circuit_opened"];
          BotStatus s;
          s.bot = u.bot;
          s.from = BotState::kRunning;
          s.to = BotState::kError;
          s.reason = static_cast<std::uint16_t>(BotStatusReason::kCircuitBreaker);
          out.emit(s, t);
          Notification n;
          n.kind = NotificationKind::kBotError;
          n.bot = u.bot;
          n.instrument = u.instrument;
          n.code = u.reason;
          n.cause = input_ordinal_;
          out.emit(n, t);
        }
      }
      break;
    case OrderEvent::kCanceled:
    case OrderEvent::kExpired:
    case OrderEvent::kReconciledCanceled:
    case OrderEvent::kReconciledExpired:
    case OrderEvent::kReconciledNotFound:
      break;
    default:
      return;
  }
  // The order left the open set: release what it still reserved and forget it.
  if (order == nullptr) return;
  if (order->resting) {
    engine_.apply_order_closed(
        OrderInput{order->bot, order->instrument, order->side, order->price,
                   std::max<std::int64_t>(0, order->quantity - order->filled)});
  }
  // Swap-and-pop: the last order fills the hole (the index follows it).
  const auto position = static_cast<std::uint32_t>(order - orders_.data());
  const auto last = static_cast<std::uint32_t>(orders_.size() - 1);
  orders_index_.erase(orders_, position);
  if (position != last) orders_index_.moved(orders_, last, position);
  *order = orders_.back();
  orders_.pop_back();
}

void RiskStage::on_command(const OperatorCommand& command, Nanos t, Outbox& out) {
  using K = OperatorCommandKind;
  engine_.advance_time(t);
  // A bot's limits from its config, on `account`: a create, an update, each item of a bulk
  // create alike.
  auto configure = [&](const std::string& json, BotId bot, AccountId account) {
    auto doc = config::parse(json);
    if (!doc) {
      ++stats_["bad_configs"];
      return;
    }
    // The bot's instrument gives the scales risk amounts are read at.
    const config::Value* symbol = doc->find("symbol");
    const InstrumentRef* ref = nullptr;
    for (const InstrumentRef& in : instruments_) {
      if (symbol != nullptr && !in.symbol.empty() && in.symbol == symbol->text) {
        ref = &in;
        break;
      }
    }
    BotConfig bot_config{};
    if (const config::Value* rm = doc->find("risk_management"); rm != nullptr && ref != nullptr) {
      const std::string wrapped = "{\"risk_management\":" + config::to_json(*rm) + "}";
      auto parsed = parse_bot_risk_config(wrapped, ref->price_scale, ref->qty_scale);
      if (parsed) {
        bot_config = *parsed;
      } else {
        ++stats_["bad_configs"];
      }
    }
    if (!engine_.configure_bot(bot, account, bot_config)) ++stats_["bad_configs"];
  };
  switch (command.kind) {
    case K::kCreateBot:
    case K::kUpdateBot: {
      const std::optional<std::string> json = take_blob(blobs_, command.blob_id);
      if (!json) return;
      // Created: the account the fold journaled with the command (0 in journals from before
      // accounts); updated: the one it trades on already (a bot never changes account).
      configure(*json, command.bot,
                command.kind == K::kCreateBot ? AccountId{command.account}
                                              : engine_.bot_account(command.bot));
      return;
    }
    case K::kCreateBots: {
      const std::optional<std::string> json = take_blob(blobs_, command.blob_id);
      if (!json) return;
      const std::vector<std::string> configs = config::split_array(*json, command.count);
      for (std::size_t i = 0; i < configs.size(); ++i) {
        configure(configs[i], BotId{index_of(command.bot) + static_cast<std::uint32_t>(i)},
                  AccountId{command.account});
      }
      return;
    }
    case K::kKillSwitchSet:
    case K::kKillSwitchReset: {
      const bool set = command.kind == K::kKillSwitchSet;
      Scope scope = command.bot == kNoBot ? Scope::kGlobal : Scope::kBot;
      std::uint32_t id = command.bot == kNoBot ? 0 : index_of(command.bot);
      if (command.scope == CommandScope::kAccount) {
        scope = Scope::kAccount;
        id = command.account;
      } else if (command.scope == CommandScope::kGlobal) {
        scope = Scope::kGlobal;
        id = 0;
      }
      const bool changed =
          set ? engine_.set_kill_switch(scope, id) : engine_.reset_kill_switch(scope, id);
      if (changed) {
        Notification n;
        n.kind = NotificationKind::kKillSwitch;
        n.code = set ? 1 : 0;
        n.bot = scope == Scope::kBot ? command.bot : kNoBot;
        n.value1 = static_cast<std::int64_t>(scope);
        n.value2 = id;
        n.cause = input_ordinal_;
        out.emit(n, t);
      }
      return;
    }
    case K::kCircuitReset:
      engine_.reset_circuit(command.bot);
      return;
    case K::kDiskReserveSet:
    case K::kDiskReserveReset:
      (void)engine_.set_disk_reserve(command.kind == K::kDiskReserveSet);
      return;
    default:
      if (command.blob_id != 0) blobs_.erase(command.blob_id);  // the directory's JSON
      return;
  }
}

// ---- Snapshot ------------------------------------------------------------------------------

std::uint64_t RiskStage::state_hash() const noexcept {
  // The engine's hash, extended by what the stage tracks of each live order.
  state_io::Hasher h(engine_.state_hash());
  for (const Tracked& t : orders_) {
    h(t.client_sequence), h(t.bot), h(t.resting), h(t.quantity), h(t.filled);
  }
  return h.value();
}

// Layout: [version u8][engine size u64][engine snapshot][assets u32 {name}][instruments u32
// {symbol, price_scale u8, qty_scale u8}][orders u32 {tracked fields}][blobs u32 {id u64,
// text}][stats]; names and texts as u32 length + bytes.
std::vector<std::byte> RiskStage::snapshot() const {
  std::vector<std::byte> out;
  state_io::Writer w(out);
  w(kStageSnapshotVersion);
  const std::vector<std::byte> engine = engine_.snapshot();
  w(static_cast<std::uint64_t>(engine.size()));
  w.bytes(engine.data(), engine.size());
  w(static_cast<std::uint32_t>(assets_.size()));
  for (std::size_t a = 0; a < assets_.size(); ++a) {
    w.put_string(assets_.name(AssetId{static_cast<std::uint16_t>(a)}));
  }
  w(static_cast<std::uint32_t>(instruments_.size()));
  for (const InstrumentRef& in : instruments_) {
    w.put_string(in.symbol);
    w(in.price_scale), w(in.qty_scale);
  }
  w(static_cast<std::uint32_t>(orders_.size()));
  for (const Tracked& t : orders_)
    visit_tracked(t, w);
  save_blobs(w, blobs_);
  w(stats_);
  return out;
}

std::optional<std::string> RiskStage::restore(std::span<const std::byte> bytes) {
  state_io::Reader in(bytes);
  const auto version = in.get<std::uint8_t>();
  if ((version != 1 && version != kStageSnapshotVersion) || !in.ok()) {
    return "risk snapshot: version";
  }
  const auto engine_size = in.get<std::uint64_t>();
  if (!in.ok() || in.rest().size() < engine_size) return "risk snapshot: truncated";
  RiskEngine engine(options_.capacity);
  if (auto r = engine.restore(in.rest().first(engine_size)); !r)
    return "risk snapshot: engine state";
  in.skip(engine_size);
  InternTable<AssetId> assets;
  std::uint32_t n = in.get<std::uint32_t>();
  if (!in.ok()) return "risk snapshot: truncated";
  for (std::uint32_t a = 0; a < n; ++a) {
    const std::string name = in.get_string();
    if (!in.ok()) return "risk snapshot: truncated";
    assets.intern(name);
  }
  // Taken with another instrument capacity (engine.capacity changed): instruments beyond this
  // deployment's must be undefined (the engine state restored above checked the same).
  n = in.get<std::uint32_t>();
  if (!in.ok() || n > bytes.size()) return "risk snapshot: truncated";
  std::vector<InstrumentRef> instruments(instruments_.size());
  for (std::uint32_t k = 0; k < n; ++k) {
    InstrumentRef ref;
    ref.symbol = in.get_string();
    in(ref.price_scale), in(ref.qty_scale);
    if (!in.ok()) return "risk snapshot: truncated";
    if (k < instruments.size()) {
      instruments[k] = std::move(ref);
    } else if (!ref.symbol.empty()) {
      return "risk snapshot: instrument capacity";
    }
  }
  n = in.get<std::uint32_t>();
  if (!in.ok() || n > options_.max_tracked_orders) return "risk snapshot: orders";
  std::vector<Tracked> orders;
  orders.reserve(options_.max_tracked_orders);
  for (std::uint32_t k = 0; k < n; ++k) {
    Tracked t{};
    visit_tracked(t, in);
    if (!in.ok()) return "risk snapshot: truncated";
    orders.push_back(t);
  }
  SeenBlobs blobs;
  if (!load_blobs(in, blobs)) return "risk snapshot: truncated";
  RiskStageStats stats;
  if (version == 1) {
    // Written before kDiskReserve: by_reason, the last field, ends one reason earlier.
    constexpr std::size_t kV1Size = sizeof(RiskStageStats) - sizeof(std::uint64_t);
    if (in.rest().size() != kV1Size) return "risk snapshot: trailing or missing bytes";
    std::memcpy(static_cast<void*>(&stats), in.rest().data(), kV1Size);
    in.skip(kV1Size);
  } else {
    in(stats);
  }
  if (!in.ok() || !in.at_end()) return "risk snapshot: trailing or missing bytes";
  engine_ = std::move(engine);
  assets_ = std::move(assets);
  instruments_ = std::move(instruments);
  orders_ = std::move(orders);
  orders_index_.rebuild(orders_);
  blobs_ = std::move(blobs);
  stats_ = stats;
  return std::nullopt;
}

}  // namespace be::risk
