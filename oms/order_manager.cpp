#include "oms/order_manager.hpp"

#include <algorithm>
#include <utility>

#include "core/fixed_point.hpp"

namespace be::oms {

namespace {
bool is_fill(OrderEvent e) noexcept {
  return e == OrderEvent::kPartialFill || e == OrderEvent::kFill;
}
}  // namespace

OrderManager::OrderManager(OmsCapacity capacity)
    : capacity_(capacity),
      instruments_(capacity.instruments),
      bots_(capacity.bots),
      positions_(static_cast<std::size_t>(capacity.bots) * capacity.instruments, Position(0)),
      ledger_(capacity.accounts, capacity.assets),
      table_(capacity.orders == 0 ? 1 : capacity.orders),
      first_order_of_bot_(capacity.bots, kNoSlot),
      next_of_bot_(table_.capacity(), kNoSlot),
      prev_of_bot_(table_.capacity(), kNoSlot),
      priced_instrument_(capacity.bots, kNoInstrument),
      view_versions_(capacity.bots) {}

bool OrderManager::define_instrument(const InstrumentDefined& def, AssetId base,
                                     AssetId quote) noexcept {
  const std::uint32_t i = index_of(def.instrument);
  if (i >= capacity_.instruments || def.qty_scale > kMaxDecimalScale ||
      index_of(base) >= capacity_.assets || index_of(quote) >= capacity_.assets) {
    ++stats_.bad_inputs;
    return false;
  }
  InstrumentInfo& in = instruments_[i];
  in.defined = 1;
  in.qty_scale = def.qty_scale;
  in.base = base;
  in.quote = quote;
  in.unit = static_cast<std::int64_t>(pow10(def.qty_scale));
  // Untouched positions take the instrument's scale; a redefinition never rewrites history.
  for (std::uint32_t b = 0; b < capacity_.bots; ++b) {
    Position& p = positions_[static_cast<std::size_t>(b) * capacity_.instruments + i];
    if (p.flat() && p.realized_exact() == 0 && p.fees() == 0) p = Position(def.qty_scale);
  }
  view_versions_.bump_all();
  return true;
}

bool OrderManager::assign_bot(BotId bot, AccountId account) noexcept {
  if (index_of(bot) >= capacity_.bots || index_of(account) >= capacity_.accounts) {
    ++stats_.bad_inputs;
    return false;
  }
  bots_[index_of(bot)].account = account;
  view_versions_.bump(index_of(bot));
  return true;
}

Ledger::Leg OrderManager::leg_of(const ManagedOrder& m) const noexcept {
  const InstrumentInfo& in = instruments_[index_of(m.order.instrument)];
  return {m.account, in.base, in.quote, m.order.side, m.order.type, m.order.price, in.unit};
}

std::optional<OrderNew> OrderManager::open_order(const OrderIntent& accepted, std::int64_t quantity,
                                                 Nanos t) noexcept {
  const std::uint32_t b = index_of(accepted.bot);
  const std::uint32_t i = index_of(accepted.instrument);
  const bool market = accepted.type == OrderType::kMarket;
  if (b >= capacity_.bots || i >= capacity_.instruments || !instruments_[i].defined ||
      bots_[b].account == kNoAccount || quantity <= 0 ||
      (accepted.side != Side::kBuy && accepted.side != Side::kSell) ||
      (!market && accepted.type != OrderType::kLimit) || (!market && accepted.price <= 0) ||
      !amounts_fit(accepted.price, quantity, 0, instruments_[i].unit)) {
    ++stats_.bad_inputs;
    return std::nullopt;
  }
  const ClientOrderId id{accepted.bot, accepted.cause};
  if (table_.find(id) != OrderTable<ManagedOrder>::kNone) {
    ++stats_.duplicate_opens;
    return std::nullopt;
  }
  // A full table forgets its oldest terminal order, whoever's it was.
  if (const std::uint32_t victim = table_.next_eviction(); victim != kNoSlot) {
    unlink_order(victim);
    view_versions_.bump(index_of(table_.key(victim).bot));
  }
  const std::uint32_t s = table_.insert(id);
  if (s == OrderTable<ManagedOrder>::kNone) {
    ++stats_.table_full;
    return std::nullopt;
  }
  link_order(s);
  note_instrument(b, accepted.instrument);
  view_versions_.bump(b);
  ManagedOrder& m = table_[s];
  m.order.client_id = id;
  m.order.instrument = accepted.instrument;
  m.order.side = accepted.side;
  m.order.type = accepted.type;
  m.order.price = market ? 0 : accepted.price;
  m.order.quantity = quantity;
  m.order.state = OrderState::kPendingNew;
  m.account = bots_[b].account;
  m.tag = accepted.tag;
  m.time_in_force = static_cast<std::uint8_t>(accepted.time_in_force);
  m.flags = accepted.flags;
  m.created = t;
  m.updated = t;
  ledger_.open(leg_of(m), quantity, m.money);
  ++bots_[b].open_orders;

  return OrderNew{.bot = accepted.bot,
                  .instrument = accepted.instrument,
                  .client_sequence = accepted.cause,
                  .account = m.account,
                  .side = accepted.side,
                  .order_type = static_cast<std::uint8_t>(accepted.type),
                  .time_in_force = m.time_in_force,
                  .flags = accepted.flags,
                  .tag = accepted.tag,
                  .price = m.order.price,
                  .quantity = quantity};
}

void OrderManager::count(Outcome outcome, OrderState from, OrderEvent event) noexcept {
  if (outcome == Outcome::kIllegal) {
    ++stats_.illegal;
    ++stats_.illegal_by[static_cast<std::size_t>(from)][static_cast<std::size_t>(event)];
  } else if (outcome == Outcome::kDuplicate) {
    ++stats_.duplicates;
  }
}

std::optional<OrderCancel> OrderManager::request_cancel(BotId bot, SequenceNumber client_sequence,
                                                        Nanos t) noexcept {
  const std::uint32_t s = table_.find({bot, client_sequence});
  if (s == OrderTable<ManagedOrder>::kNone) {
    ++stats_.unknown_ids;
    return std::nullopt;
  }
  ManagedOrder& m = table_[s];
  const ApplyResult r = oms::apply(m.order, OrderEvent::kCancelRequested);
  count(r.outcome, r.from, OrderEvent::kCancelRequested);
  if (r.outcome != Outcome::kApplied) return std::nullopt;
  m.updated = t;
  view_versions_.bump(index_of(bot));
  OrderCancel out;
  out.bot = bot;
  out.instrument = m.order.instrument;
  out.client_sequence = client_sequence;
  out.account = m.account;
  out.tag = m.tag;
  return out;
}

Outcome OrderManager::apply_one_fill(ManagedOrder& m, std::int64_t price, std::int64_t quantity,
                                     std::int64_t fee, std::uint8_t liquidity,
                                     UpdateResult& r) noexcept {
  const ApplyResult a = apply_fill(m.order, quantity);
  if (a.outcome != Outcome::kApplied) return a.outcome;
  ledger_.fill(leg_of(m), price, quantity, fee, m.order.filled_quantity, m.money);
  Position& p = position_of(m.order);
  p.apply_fill(m.order.side, price, quantity, fee);
  m.fees += fee;
  instruments_[index_of(m.order.instrument)].last_fill_price = price;
  ++stats_.fills;
  FillApplied f;
  f.bot = m.order.client_id.bot;
  f.instrument = m.order.instrument;
  f.side = m.order.side;
  f.liquidity = liquidity;
  f.tag = m.tag;
  f.client_sequence = m.order.client_id.sequence;
  f.price = price;
  f.quantity = quantity;
  f.fee = fee;
  f.position_after = p.quantity();
  f.realized_pnl = p.realized_pnl();
  r.fill = f;
  return Outcome::kApplied;
}

void OrderManager::after_transition(std::uint32_t slot, OrderState from, UpdateResult& r) noexcept {
  ManagedOrder& m = table_[slot];
  if (!is_terminal(from) && is_terminal(m.order.state)) {
    ledger_.close(leg_of(m), m.money);
    table_.retire(slot);
    --bots_[index_of(m.order.client_id.bot)].open_orders;
    r.closed = true;
    r.remaining = m.order.remaining();
  }
  r.to = m.order.state;
  r.order = m;
}

UpdateResult OrderManager::apply(const OrderUpdate& u, Nanos t) noexcept {
  UpdateResult r;
  if (index_of(u.bot) >= capacity_.bots || u.event >= kOrderEventCount) {
    ++stats_.bad_inputs;
    r.unknown_order = true;
    return r;
  }
  const std::uint32_t s = table_.find({u.bot, u.client_sequence});
  if (s == OrderTable<ManagedOrder>::kNone) {
    ++stats_.unknown_ids;
    r.unknown_order = true;
    return r;
  }
  ManagedOrder& m = table_[s];
  const auto event = static_cast<OrderEvent>(u.event);
  const OrderState from = m.order.state;
  r.from = from;
  m.updated = t;
  view_versions_.bump(index_of(u.bot));
  if (u.venue_order_id != 0) m.venue_order_id = u.venue_order_id;

  if (is_fill(event)) {
    const bool wrong_instrument =
        u.instrument != kNoInstrument && u.instrument != m.order.instrument;
    if (u.trade_id != 0 && u.trade_id == m.last_trade_id) {
      r.outcome = Outcome::kDuplicate;
    } else if (u.cumulative_quantity != 0 && u.cumulative_quantity <= m.order.filled_quantity &&
               u.last_quantity > 0) {
      r.outcome = Outcome::kDuplicate;  // a fill we applied already (resent after a reconnect)
    } else if (wrong_instrument || u.last_price <= 0 ||
               !amounts_fit(u.last_price, u.last_quantity, u.fee,
                            instruments_[index_of(m.order.instrument)].unit) ||
               (u.cumulative_quantity != 0 &&
                u.cumulative_quantity != m.order.filled_quantity + u.last_quantity)) {
      r.outcome = Outcome::kIllegal;  // a gap or a mismatch: reconciliation settles it
      ++m.order.illegal_events;
    } else {
      r.outcome = apply_one_fill(m, u.last_price, u.last_quantity, u.fee, u.liquidity, r);
      if (r.outcome == Outcome::kApplied && u.trade_id != 0) m.last_trade_id = u.trade_id;
    }
    if (r.outcome == Outcome::kDuplicate) ++m.order.duplicate_events;
    count(r.outcome, from, event);
    after_transition(s, from, r);
    return r;
  }

  // A reconciliation answer may report fills we never saw (the outage swallowed them). It
  // carries the order's cumulative quantity, average fill price and total fee, so the missing
  // part is booked first as one fill at the price and fee that make the totals match, then
  // the answer's own transition is applied.
  bool caught_up = false;
  const bool carries_fills =
      event == OrderEvent::kReconciledPartial || event == OrderEvent::kReconciledFilled ||
      event == OrderEvent::kReconciledCanceled || event == OrderEvent::kReconciledExpired;
  if (carries_fills && u.cumulative_quantity > m.order.filled_quantity && u.last_price > 0) {
    const std::int64_t missing = u.cumulative_quantity - m.order.filled_quantity;
    const Wide missing_notional =
        static_cast<Wide>(u.last_price) * u.cumulative_quantity - m.money.notional;
    const Wide exact_price = divide_rounded(missing_notional, missing);
    std::int64_t price = exact_price > 0 && exact_price <= kMaxAmount
                             ? static_cast<std::int64_t>(exact_price)
                             : u.last_price;
    const std::int64_t fee = u.fee - m.fees;
    if (!amounts_fit(price, missing, fee, instruments_[index_of(m.order.instrument)].unit)) {
      ++m.order.illegal_events;
      r.outcome = Outcome::kIllegal;
      count(r.outcome, from, event);
      after_transition(s, from, r);
      return r;
    }
    const Outcome f = apply_one_fill(m, price, missing, fee, u.liquidity, r);
    count(f, from, event);
    if (f != Outcome::kApplied) {
      r.outcome = f;
      after_transition(s, from, r);
      return r;
    }
    caught_up = true;
  }
  const ApplyResult a = oms::apply(m.order, event);
  r.outcome = caught_up ? Outcome::kApplied : a.outcome;
  if (!caught_up || a.outcome == Outcome::kIllegal) count(a.outcome, a.from, event);
  after_transition(s, from, r);
  return r;
}

bool OrderManager::apply(const BalanceUpdate& balance) noexcept {
  if (!ledger_.valid(balance.account, balance.asset)) {
    ++stats_.bad_inputs;
    return false;
  }
  Balance& b = ledger_.at(balance.account, balance.asset);
  b.free = balance.free;
  b.locked = balance.locked;
  return true;
}

std::size_t OrderManager::connection_lost(AccountId account) noexcept {
  std::size_t moved = 0;
  for (std::uint32_t s = 0; s < table_.capacity(); ++s) {
    if (!table_.used(s)) continue;
    ManagedOrder& m = table_[s];
    if ((account != kNoAccount && m.account != account) || is_terminal(m.order.state)) continue;
    const ApplyResult a = oms::apply(m.order, OrderEvent::kConnectionLost);
    if (a.outcome == Outcome::kApplied) {
      ++moved;
      view_versions_.bump(index_of(m.order.client_id.bot));
    }
  }
  return moved;
}

void OrderManager::mark(InstrumentId instrument, std::int64_t price) noexcept {
  if (index_of(instrument) < capacity_.instruments) {
    instruments_[index_of(instrument)].mark = price;
  }
}

const ManagedOrder* OrderManager::find(BotId bot, SequenceNumber client_sequence) const noexcept {
  const std::uint32_t s = table_.find({bot, client_sequence});
  return s == OrderTable<ManagedOrder>::kNone ? nullptr : &table_[s];
}

const Position* OrderManager::position(BotId bot, InstrumentId instrument) const noexcept {
  if (index_of(bot) >= capacity_.bots || index_of(instrument) >= capacity_.instruments ||
      !instruments_[index_of(instrument)].defined) {
    return nullptr;
  }
  return &positions_[static_cast<std::size_t>(index_of(bot)) * capacity_.instruments +
                     index_of(instrument)];
}

Balance OrderManager::balance(AccountId account, AssetId asset) const noexcept {
  return ledger_.valid(account, asset) ? ledger_.at(account, asset) : Balance{};
}

std::int64_t OrderManager::realized_pnl(BotId bot) const noexcept {
  std::int64_t sum = 0;
  if (index_of(bot) >= capacity_.bots) return 0;
  for (std::uint32_t i = 0; i < capacity_.instruments; ++i) {
    sum += positions_[static_cast<std::size_t>(index_of(bot)) * capacity_.instruments + i]
               .realized_pnl();
  }
  return sum;
}

std::int64_t OrderManager::unrealized_pnl(BotId bot) const noexcept {
  std::int64_t sum = 0;
  if (index_of(bot) >= capacity_.bots) return 0;
  for (std::uint32_t i = 0; i < capacity_.instruments; ++i) {
    const Position& p =
        positions_[static_cast<std::size_t>(index_of(bot)) * capacity_.instruments + i];
    if (!p.flat()) sum += unrealized_at_mark(p, i);
  }
  return sum;
}

std::int64_t OrderManager::unrealized_pnl(BotId bot, InstrumentId instrument) const noexcept {
  const auto i = index_of(instrument);
  if (index_of(bot) >= capacity_.bots || i >= capacity_.instruments) return 0;
  const Position& p =
      positions_[static_cast<std::size_t>(index_of(bot)) * capacity_.instruments + i];
  return p.flat() ? 0 : unrealized_at_mark(p, i);
}

std::int64_t OrderManager::fees(BotId bot) const noexcept {
  std::int64_t sum = 0;
  if (index_of(bot) >= capacity_.bots) return 0;
  for (std::uint32_t i = 0; i < capacity_.instruments; ++i) {
    sum += positions_[static_cast<std::size_t>(index_of(bot)) * capacity_.instruments + i].fees();
  }
  return sum;
}

std::uint32_t OrderManager::open_orders(BotId bot) const noexcept {
  return index_of(bot) < capacity_.bots ? bots_[index_of(bot)].open_orders : 0;
}

// ---- Persistence ---------------------------------------------------------------------------

// The whole state in one order: stats, instruments, bots, positions (as their exact figures),
// balances, the order table. Used for the hash, the snapshot and the restore alike.
template <class Self, class V>
void OrderManager::Fields::operator()(Self& self, V& v) const {
  auto& me = const_cast<OrderManager&>(self);  // read-only visitors never write through it
  me.stats_.fields(v);
  for (InstrumentInfo& in : me.instruments_)
    in.fields(v);
  for (BotInfo& b : me.bots_)
    b.fields(v);
  for (std::size_t k = 0; k < me.positions_.size(); ++k) {
    const Position& p = me.positions_[k];
    std::int64_t quantity = p.quantity();
    Wide cost = p.cost_basis_exact();
    Wide realized = p.realized_exact();
    std::int64_t fees = p.fees();
    v(quantity);
    v(cost);
    v(realized);
    v(fees);
    if constexpr (std::is_same_v<V, state_io::Reader>) {
      const InstrumentInfo& in = me.instruments_[k % me.capacity_.instruments];
      // An out-of-range scale is refused by validate() afterwards; never index with it.
      const int scale = in.qty_scale <= kMaxDecimalScale ? in.qty_scale : 0;
      me.positions_[k] = Position::from_parts(scale, quantity, cost, realized, fees);
    }
  }
  me.ledger_.fields(v);
  me.table_.fields(v);
}

std::uint64_t OrderManager::state_hash() const noexcept {
  return state_io::hash_fields(*this, Fields{});
}

std::vector<std::byte> OrderManager::snapshot() const {
  const auto caps = capacity_words();
  return state_io::snapshot_fields(*this, {kSnapshotMagic, kSnapshotVersion, caps}, Fields{});
}

bool OrderManager::validate() const noexcept {
  for (const InstrumentInfo& in : instruments_) {
    if (in.defined > 1 || in.qty_scale > kMaxDecimalScale) return false;
    if (!in.defined) continue;
    if (in.unit != static_cast<std::int64_t>(pow10(in.qty_scale)) ||
        index_of(in.base) >= capacity_.assets || index_of(in.quote) >= capacity_.assets) {
      return false;
    }
  }
  std::vector<std::uint32_t> open(capacity_.bots, 0);
  for (const BotInfo& b : bots_) {
    if (b.account != kNoAccount && index_of(b.account) >= capacity_.accounts) return false;
  }
  bool ok = true;
  table_.for_each([&](std::uint32_t s) {
    const ManagedOrder& m = table_[s];
    const Order& o = m.order;
    const auto state = static_cast<std::size_t>(o.state);
    if (!(table_.key(s) == o.client_id) || index_of(o.client_id.bot) >= capacity_.bots ||
        index_of(o.instrument) >= capacity_.instruments ||
        !instruments_[index_of(o.instrument)].defined ||
        index_of(m.account) >= capacity_.accounts || state >= kOrderStateCount ||
        (o.side != Side::kBuy && o.side != Side::kSell) ||
        (o.type != OrderType::kLimit && o.type != OrderType::kMarket) || o.quantity <= 0 ||
        o.filled_quantity < 0 || o.filled_quantity > o.quantity ||
        table_.retired(s) != is_terminal(o.state)) {
      ok = false;
      return;
    }
    if (!is_terminal(o.state)) ++open[index_of(o.client_id.bot)];
  });
  if (!ok) return false;
  for (std::uint32_t b = 0; b < capacity_.bots; ++b)
    if (open[b] != bots_[b].open_orders) return false;
  return true;
}

Expected<bool, state_io::FrameError> OrderManager::restore(std::span<const std::byte> bytes) {
  ViewVersions versions = view_versions_;  // they never go back (core/view_versions.hpp)
  auto restored = restore_state(bytes);
  view_versions_ = std::move(versions);
  if (restored) {
    index_orders();
    view_versions_.bump_all();
  }
  return restored;
}

Expected<bool, state_io::FrameError> OrderManager::restore_state(std::span<const std::byte> bytes) {
  const auto caps = capacity_words();
  const auto saved =
      state_io::frame_capacities<std::tuple_size_v<std::remove_const_t<decltype(caps)>>>(
          bytes, kSnapshotMagic, kSnapshotVersion);
  if (saved && *saved != caps) {
    // Taken with other table sizes (a deployment whose engine.capacity changed): read at its
    // own sizes, then copied here. Sizes the bytes cannot hold are refused before allocating.
    const OmsCapacity c{(*saved)[0], (*saved)[1], (*saved)[2], (*saved)[3], (*saved)[4]};
    const std::uint64_t size = bytes.size();
    if (std::uint64_t{c.bots} * c.instruments * 8 > size ||
        std::uint64_t{c.accounts} * c.assets * 8 > size || std::uint64_t{c.orders} * 8 > size ||
        c.bots > size || c.instruments > size) {
      return Unexpected{state_io::FrameError::kTruncated};
    }
    OrderManager old(c);
    if (auto r = old.restore(bytes); !r) return r;
    OrderManager fresh(capacity_);
    if (!fresh.adopt(old)) return Unexpected{state_io::FrameError::kCapacityMismatch};
    *this = std::move(fresh);
    return true;
  }
  return state_io::restore_fields(
      *this, OrderManager(capacity_), bytes, {kSnapshotMagic, kSnapshotVersion, caps}, Fields{},
      [](OrderManager& fresh) { return fresh.table_.rebuild_index() && fresh.validate(); });
}

}  // namespace be::oms

namespace be::oms {

bool OrderManager::adopt(const OrderManager& old) {
  stats_ = old.stats_;
  const auto empty_instrument = [](const InstrumentInfo& in) { return in.defined == 0; };
  const auto empty_bot = [](const BotInfo& b) {
    return b.account == kNoAccount && b.open_orders == 0;
  };
  const auto empty_position = [](const Position& p) {
    return p.quantity() == 0 && p.cost_basis_exact() == 0 && p.realized_exact() == 0 &&
           p.fees() == 0;
  };
  for (const InstrumentInfo& in : old.instruments_) {
    if (in.defined &&
        (index_of(in.base) >= capacity_.assets || index_of(in.quote) >= capacity_.assets))
      return false;
  }
  return state_io::copy_grid(std::span<const InstrumentInfo>(old.instruments_), 1,
                             std::span<InstrumentInfo>(instruments_), 1, empty_instrument) &&
         state_io::copy_grid(std::span<const BotInfo>(old.bots_), 1, std::span<BotInfo>(bots_), 1,
                             empty_bot) &&
         state_io::copy_grid(std::span<const Position>(old.positions_), old.capacity_.instruments,
                             std::span<Position>(positions_), capacity_.instruments,
                             empty_position) &&
         ledger_.adopt(old.ledger_) && table_.adopt(old.table_) && validate();
}

// ---- Derived indexes --------------------------------------------------------------------------

void OrderManager::link_order(std::uint32_t slot) noexcept {
  const std::uint32_t b = index_of(table_.key(slot).bot);
  if (b >= capacity_.bots) return;  // open_order and validate() refuse such orders
  const std::uint32_t head = first_order_of_bot_[b];
  next_of_bot_[slot] = head;
  prev_of_bot_[slot] = kNoSlot;
  if (head != kNoSlot) prev_of_bot_[head] = slot;
  first_order_of_bot_[b] = slot;
}

void OrderManager::unlink_order(std::uint32_t slot) noexcept {
  const std::uint32_t b = index_of(table_.key(slot).bot);
  if (b >= capacity_.bots) return;
  const std::uint32_t next = next_of_bot_[slot], prev = prev_of_bot_[slot];
  if (prev != kNoSlot) {
    next_of_bot_[prev] = next;
  } else {
    first_order_of_bot_[b] = next;
  }
  if (next != kNoSlot) prev_of_bot_[next] = prev;
  next_of_bot_[slot] = prev_of_bot_[slot] = kNoSlot;
}

void OrderManager::note_instrument(std::uint32_t bot, InstrumentId instrument) noexcept {
  InstrumentId& priced = priced_instrument_[bot];
  if (priced == kNoInstrument) {
    priced = instrument;
  } else if (priced != instrument) {
    priced = kAllInstruments;
  }
}

// After a restore: the lists from the table, and each bot's priced instrument from its orders
// and from every position it holds (its orders may be evicted, its position stays).
void OrderManager::index_orders() noexcept {
  std::fill(first_order_of_bot_.begin(), first_order_of_bot_.end(), kNoSlot);
  std::fill(priced_instrument_.begin(), priced_instrument_.end(), kNoInstrument);
  table_.for_each([&](std::uint32_t s) {
    link_order(s);
    const Order& o = table_[s].order;
    if (index_of(o.client_id.bot) < capacity_.bots)
      note_instrument(index_of(o.client_id.bot), o.instrument);
  });
  for (std::uint32_t b = 0; b < capacity_.bots; ++b) {
    for (std::uint32_t i = 0; i < capacity_.instruments; ++i) {
      const Position& p = positions_[static_cast<std::size_t>(b) * capacity_.instruments + i];
      if (!p.flat() || p.realized_exact() != 0 || p.fees() != 0)
        note_instrument(b, InstrumentId{i});
    }
  }
}

}  // namespace be::oms
