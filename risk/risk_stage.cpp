#include "risk/risk_stage.hpp"

#include <algorithm>
#include <cstring>

#include "core/json_config.hpp"
#include "core/order_intent.hpp"
#include "oms/order_state_machine.hpp"
#include "risk/config.hpp"

namespace be::risk {

namespace {

constexpr std::uint8_t kStageSnapshotVersion = 1;

// The order events risk folds, as OrderUpdate::event carries them (risk already depends on
// oms/ for positions, so it names the table's own values).
constexpr auto kEvAccepted = static_cast<std::uint8_t>(oms::OrderEvent::kAccepted);
constexpr auto kEvPartialFill = static_cast<std::uint8_t>(oms::OrderEvent::kPartialFill);
constexpr auto kEvFill = static_cast<std::uint8_t>(oms::OrderEvent::kFill);
constexpr auto kEvRejected = static_cast<std::uint8_t>(oms::OrderEvent::kRejected);
constexpr auto kEvCanceled = static_cast<std::uint8_t>(oms::OrderEvent::kCanceled);
constexpr auto kEvExpired = static_cast<std::uint8_t>(oms::OrderEvent::kExpired);
constexpr auto kEvReconciledNew = static_cast<std::uint8_t>(oms::OrderEvent::kReconciledNew);
constexpr auto kEvReconciledPartial =
    static_cast<std::uint8_t>(oms::OrderEvent::kReconciledPartial);
constexpr auto kEvReconciledFilled = static_cast<std::uint8_t>(oms::OrderEvent::kReconciledFilled);
constexpr auto kEvReconciledCanceled =
    static_cast<std::uint8_t>(oms::OrderEvent::kReconciledCanceled);
constexpr auto kEvReconciledExpired =
    static_cast<std::uint8_t>(oms::OrderEvent::kReconciledExpired);
constexpr auto kEvReconciledNotFound =
    static_cast<std::uint8_t>(oms::OrderEvent::kReconciledNotFound);

NotificationKind exit_kind(std::uint32_t tag) noexcept {
  if (tag == kTagStopLoss) return NotificationKind::kStopLoss;
  if (tag == kTagTakeProfit) return NotificationKind::kTakeProfit;
  return NotificationKind::kTrailingStop;
}

// resize + memcpy rather than insert(): GCC 12 reports a false -Wstringop-overflow on
// vector<std::byte>::insert of a small object at -O3.
void put_raw(std::vector<std::byte>& out, const void* p, std::size_t n) {
  const std::size_t at = out.size();
  out.resize(at + n);
  if (n != 0) std::memcpy(out.data() + at, p, n);
}
template <class T>
void put(std::vector<std::byte>& out, const T& v) {
  put_raw(out, &v, sizeof(T));
}
template <class T>
bool get(std::span<const std::byte>& in, T& v) {
  if (in.size() < sizeof(T)) return false;
  std::memcpy(&v, in.data(), sizeof(T));
  in = in.subspan(sizeof(T));
  return true;
}

}  // namespace

RiskStage::RiskStage(Options options)
    : options_(options), engine_(options.capacity), instruments_(options.capacity.instruments) {
  orders_.reserve(options.max_tracked_orders);
  engine_.configure_account(AccountId{0}, options.account);
}

RiskStage::Tracked* RiskStage::find(SequenceNumber client_sequence, BotId bot) noexcept {
  for (Tracked& t : orders_) {
    if (t.client_sequence == client_sequence && t.bot == bot) return &t;
  }
  return nullptr;
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
    case EventType::kBlob: {
      const auto blob = input.as<BlobRef>();
      if (blob.data != nullptr && blob.size <= BlobRef::kMaxSize) {
        blobs_[blob.blob_id].assign(reinterpret_cast<const char*>(blob.data), blob.size);
      }
      break;
    }
    default:
      engine_.advance_time(t);
      break;
  }
}

void RiskStage::emit_exits(std::span<OrderIntent> exits, Nanos t, Outbox& out) {
  for (OrderIntent& exit : exits) {
    if (kExitIndexBase + exits_this_input_ >= (1u << kIntentIndexBits)) break;
    exit.cause = client_sequence(input_ordinal_, kExitIndexBase + exits_this_input_++);
    ++stats_.exits;
    Notification n;
    n.kind = exit_kind(exit.tag);
    n.side = exit.side;
    n.bot = exit.bot;
    n.instrument = exit.instrument;
    n.value1 = engine_.reference_price(exit.instrument);
    n.value2 = exit.quantity;
    n.cause = exit.cause;
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
  ++stats_.checked;
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
    }
    return;
  }
  ++stats_.rejected;
  ++stats_.by_reason[static_cast<std::size_t>(d.reject.reason)];
  RiskReject reject = d.reject;
  reject.cause = intent.cause;
  reject.event_time = t;
  out.emit(reject, t);
  Notification n;
  n.kind = NotificationKind::kRiskReject;
  n.code = static_cast<std::uint16_t>(reject.reason);
  n.side = intent.side;
  n.bot = intent.bot;
  n.instrument = intent.instrument;
  n.value1 = reject.limit;
  n.value2 = reject.observed;
  n.cause = intent.cause;
  out.emit(n, t);
}

void RiskStage::on_derived(Event& record, Outbox& out) {
  if (record.header.type == EventType::kOrderIntent) {
    if ((record.header.flags & kFlagHeld) != 0) return;  // never sent: nothing to check
    check_intent(record, record.as<OrderIntent>(), out);
  } else if (record.header.type == EventType::kOrderCancel) {
    const auto c = record.as<OrderCancel>();
    ++stats_.checked;
    const RiskReject r = engine_.check_cancel(c.bot, record.header.event_time);
    if (r.accepted()) {
      record.header.flags |= kFlagRiskAccepted;
    } else {
      ++stats_.rejected;
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
  switch (u.event) {
    case kEvAccepted:
    case kEvReconciledNew:
      engine_.on_success(u.bot);
      if (order != nullptr && !order->resting && order->price != 0) {
        order->resting = 1;
        engine_.apply_order_opened(
            OrderInput{order->bot, order->instrument, order->side, order->price, order->quantity});
      }
      return;
    case kEvPartialFill:
    case kEvFill:
    case kEvReconciledPartial:
    case kEvReconciledFilled:
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
      if (u.event == kEvFill || u.event == kEvReconciledFilled) break;
      return;
    case kEvRejected:
      if (!local_reject) {
        if (engine_.on_error(u.bot, ErrorKind::kVenueReject, t)) {
          ++stats_.circuit_opened;
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
    case kEvCanceled:
    case kEvExpired:
    case kEvReconciledCanceled:
    case kEvReconciledExpired:
    case kEvReconciledNotFound:
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
  *order = orders_.back();
  orders_.pop_back();
}

void RiskStage::on_command(const OperatorCommand& command, Nanos t, Outbox& out) {
  using K = OperatorCommandKind;
  engine_.advance_time(t);
  switch (command.kind) {
    case K::kCreateBot:
    case K::kUpdateBot: {
      auto blob = blobs_.find(command.blob_id);
      if (blob == blobs_.end()) return;
      const std::string json = std::move(blob->second);
      blobs_.erase(blob);
      auto doc = config::parse(json);
      if (!doc) {
        ++stats_.bad_configs;
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
          ++stats_.bad_configs;
        }
      }
      if (!engine_.configure_bot(command.bot, AccountId{0}, bot_config)) ++stats_.bad_configs;
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
    default:
      return;
  }
}

// ---- Snapshot ------------------------------------------------------------------------------

std::uint64_t RiskStage::state_hash() const noexcept {
  std::uint64_t h = engine_.state_hash();
  auto mix = [&h](const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i)
      h = (h ^ b[i]) * 0x100000001b3ULL;
  };
  for (const Tracked& t : orders_) {
    mix(&t.client_sequence, sizeof t.client_sequence);
    mix(&t.bot, sizeof t.bot);
    mix(&t.resting, 1);
    mix(&t.quantity, sizeof t.quantity);
    mix(&t.filled, sizeof t.filled);
  }
  return h;
}

std::vector<std::byte> RiskStage::snapshot() const {
  std::vector<std::byte> out;
  put(out, kStageSnapshotVersion);
  const std::vector<std::byte> engine = engine_.snapshot();
  put(out, static_cast<std::uint64_t>(engine.size()));
  put_raw(out, engine.data(), engine.size());
  put(out, static_cast<std::uint32_t>(assets_.size()));
  for (std::size_t a = 0; a < assets_.size(); ++a) {
    const std::string_view name = assets_.name(AssetId{static_cast<std::uint16_t>(a)});
    put(out, static_cast<std::uint32_t>(name.size()));
    put_raw(out, name.data(), name.size());
  }
  put(out, static_cast<std::uint32_t>(instruments_.size()));
  for (const InstrumentRef& in : instruments_) {
    put(out, static_cast<std::uint32_t>(in.symbol.size()));
    put_raw(out, in.symbol.data(), in.symbol.size());
    put(out, in.price_scale);
    put(out, in.qty_scale);
  }
  put(out, static_cast<std::uint32_t>(orders_.size()));
  for (const Tracked& t : orders_) {
    put(out, t.client_sequence), put(out, t.bot), put(out, t.instrument), put(out, t.side);
    put(out, t.resting), put(out, t.price), put(out, t.quantity), put(out, t.filled);
  }
  put(out, static_cast<std::uint32_t>(blobs_.size()));
  for (const auto& [id, text] : blobs_) {
    put(out, id);
    put(out, static_cast<std::uint32_t>(text.size()));
    put_raw(out, text.data(), text.size());
  }
  put(out, stats_);
  return out;
}

std::optional<std::string> RiskStage::restore(std::span<const std::byte> in) {
  auto read_string = [&in](std::string& s) {
    std::uint32_t n = 0;
    if (!get(in, n) || in.size() < n) return false;
    s.assign(reinterpret_cast<const char*>(in.data()), n);
    in = in.subspan(n);
    return true;
  };
  std::uint8_t version = 0;
  if (!get(in, version) || version != kStageSnapshotVersion) return "risk snapshot: version";
  std::uint64_t engine_size = 0;
  if (!get(in, engine_size) || in.size() < engine_size) return "risk snapshot: truncated";
  RiskEngine engine(options_.capacity);
  if (auto r = engine.restore(in.first(engine_size)); !r) return "risk snapshot: engine state";
  in = in.subspan(engine_size);
  InternTable<AssetId> assets;
  std::uint32_t n = 0;
  if (!get(in, n)) return "risk snapshot: truncated";
  for (std::uint32_t a = 0; a < n; ++a) {
    std::string name;
    if (!read_string(name)) return "risk snapshot: truncated";
    assets.intern(name);
  }
  if (!get(in, n) || n != instruments_.size()) return "risk snapshot: instrument capacity";
  std::vector<InstrumentRef> instruments(n);
  for (InstrumentRef& ref : instruments) {
    if (!read_string(ref.symbol) || !get(in, ref.price_scale) || !get(in, ref.qty_scale)) {
      return "risk snapshot: truncated";
    }
  }
  if (!get(in, n) || n > options_.max_tracked_orders) return "risk snapshot: orders";
  std::vector<Tracked> orders;
  orders.reserve(options_.max_tracked_orders);
  for (std::uint32_t k = 0; k < n; ++k) {
    Tracked t{};
    if (!get(in, t.client_sequence) || !get(in, t.bot) || !get(in, t.instrument) ||
        !get(in, t.side) || !get(in, t.resting) || !get(in, t.price) || !get(in, t.quantity) ||
        !get(in, t.filled)) {
      return "risk snapshot: truncated";
    }
    orders.push_back(t);
  }
  std::map<std::uint64_t, std::string> blobs;
  if (!get(in, n)) return "risk snapshot: truncated";
  for (std::uint32_t k = 0; k < n; ++k) {
    std::uint64_t id = 0;
    if (!get(in, id) || !read_string(blobs[id])) return "risk snapshot: truncated";
  }
  RiskStageStats stats;
  if (!get(in, stats) || !in.empty()) return "risk snapshot: trailing or missing bytes";
  engine_ = std::move(engine);
  assets_ = std::move(assets);
  instruments_ = std::move(instruments);
  orders_ = std::move(orders);
  blobs_ = std::move(blobs);
  stats_ = stats;
  return std::nullopt;
}

}  // namespace be::risk
