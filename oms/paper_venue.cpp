#include "oms/paper_venue.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "core/fixed_point.hpp"
#include "core/seeded_rng.hpp"

namespace be::oms {

namespace {
constexpr std::int64_t kBpsDenominator = 10'000;

std::uint32_t at_least_one(std::uint32_t n) noexcept {
  return n == 0 ? 1 : n;
}
}  // namespace

PaperVenue::PaperVenue(const PaperConfig& config, VenueResponses& sink)
    : config_(config),
      sink_(&sink),
      markets_(config.instruments),
      asset_known_(config.assets, 0),
      ledger_(config.accounts, config.assets),
      table_(at_least_one(config.max_orders)),
      pending_(at_least_one(config.max_pending == 0 ? config.max_orders : config.max_pending)),
      taken_(config.accounts, 0) {
  touched_.reserve(config.accounts);
  for (const PaperStartingBalance& b : config.starting_balances) {
    if (!ledger_.valid(b.account, b.asset)) continue;
    ledger_.at(b.account, b.asset).free += b.amount;
    asset_known_[index_of(b.asset)] = 1;
  }
  config_.starting_balances = {};  // copied: the caller's span may not outlive us
}

bool PaperVenue::credit(AccountId account, AssetId asset, std::int64_t amount) noexcept {
  if (!ledger_.valid(account, asset) || amount < 0 || amount > kMaxAmount) return false;
  ledger_.at(account, asset).free += amount;
  asset_known_[index_of(asset)] = 1;
  return true;
}

bool PaperVenue::define_instrument(const InstrumentDefined& def, AssetId base,
                                   AssetId quote) noexcept {
  if (index_of(def.instrument) >= markets_.size() || def.qty_scale > kMaxDecimalScale ||
      index_of(base) >= config_.assets || index_of(quote) >= config_.assets) {
    return false;
  }
  Market& m = markets_[index_of(def.instrument)];
  m.defined = 1;
  m.base = base;
  m.quote = quote;
  m.unit = static_cast<std::int64_t>(pow10(def.qty_scale));
  asset_known_[index_of(base)] = 1;
  asset_known_[index_of(quote)] = 1;
  return true;
}

Ledger::Leg PaperVenue::leg_of(const PaperOrder& o) const noexcept {
  const Market& m = markets_[index_of(o.instrument)];
  return {o.account, m.base, m.quote, o.side, o.type, o.price, m.unit};
}

std::int64_t PaperVenue::fee(std::int64_t price, std::int64_t quantity, std::int64_t unit,
                             std::int64_t bps) const noexcept {
  const Wide n = static_cast<Wide>(price) * quantity * bps;
  return static_cast<std::int64_t>(divide_rounded(n, static_cast<Wide>(unit) * kBpsDenominator));
}

// ---- Requests: queued until they reach the venue ---------------------------------------------

void PaperVenue::enqueue(const Work& w, Nanos now) noexcept {
  ++stats_["requests"];
  release_due(now);
  const auto n = static_cast<std::uint32_t>(pending_.size());
  if (pending_count_ == n) {
    ++stats_["busy"];
    if (w.kind == WorkKind::kNew) {
      reject(w.order, PaperReason::kVenueBusy, now);
    } else if (w.kind == WorkKind::kCancel) {
      refuse(w.order, OrderEvent::kCancelRejected, PaperReason::kVenueBusy, now);
    }
    return;  // a dropped query or balance request is asked again by reconciliation
  }
  // Insert in due order. With one constant latency due times only grow, so this appends; a
  // drawn latency may place a request before later-due ones, but never before an earlier
  // request of its own bot (it then arrives with it).
  std::uint32_t at = pending_count_;
  Work placed = w;
  while (at > 0) {
    const Work& before = pending_[(pending_head_ + at - 1) % n];
    if (before.due <= placed.due) break;
    if (before.order.bot == placed.order.bot) {
      placed.due = before.due;
      break;
    }
    pending_[(pending_head_ + at) % n] = before;
    --at;
  }
  pending_[(pending_head_ + at) % n] = placed;
  ++pending_count_;
  release_due(now);
}

Nanos PaperVenue::arrival(const OrderNew& key, Nanos now) const noexcept {
  Nanos delay = config_.feed_latency_ns + config_.latency_ns;
  if (config_.latency_distribution == LatencyDistribution::kConstant ||
      config_.latency_jitter_ns <= 0) {
    return now + delay;
  }
  // A draw keyed by (seed, bot, order, request time): the same request always draws the same.
  const std::uint64_t key_word = config_.latency_seed ^ (std::uint64_t{index_of(key.bot)} << 40) ^
                                 (key.client_sequence * SeededRng::kGamma) ^
                                 static_cast<std::uint64_t>(now);
  const double u = static_cast<double>(splitmix64_mix(key_word) >> 11) * 0x1.0p-53;  // [0, 1)
  const auto jitter = static_cast<double>(config_.latency_jitter_ns);
  const double draw = config_.latency_distribution == LatencyDistribution::kUniform
                          ? u * jitter
                          : -std::log1p(-u) * jitter;  // exponential, mean = jitter
  // Bounded at 1000 means so a tail draw cannot park a request for ever.
  delay += static_cast<Nanos>(std::min(draw, jitter * 1000));
  return now + delay;
}

void PaperVenue::submit(const OrderNew& order, Nanos now) noexcept {
  enqueue(Work{WorkKind::kNew, arrival(order, now), order}, now);
}

void PaperVenue::cancel(const OrderCancel& c, Nanos now) noexcept {
  OrderNew key;
  key.bot = c.bot;
  key.instrument = c.instrument;
  key.client_sequence = c.client_sequence;
  key.account = c.account;
  enqueue(Work{WorkKind::kCancel, arrival(key, now), key}, now);
}

void PaperVenue::query_order(BotId bot, InstrumentId instrument, SequenceNumber client_sequence,
                             Nanos now) noexcept {
  OrderNew key;
  key.bot = bot;
  key.instrument = instrument;
  key.client_sequence = client_sequence;
  enqueue(Work{WorkKind::kQuery, arrival(key, now), key}, now);
}

void PaperVenue::request_balances(AccountId account, Nanos now) noexcept {
  OrderNew key;
  key.account = account;
  enqueue(Work{WorkKind::kBalances, arrival(key, now), key}, now);
}

void PaperVenue::release_due(Nanos now) noexcept {
  const auto n = static_cast<std::uint32_t>(pending_.size());
  while (pending_count_ != 0 && pending_[pending_head_].due <= now) {
    const Work w = pending_[pending_head_];
    pending_head_ = (pending_head_ + 1) % n;
    --pending_count_;
    switch (w.kind) {
      case WorkKind::kNew:
        arrive_new(w.order, w.due);
        break;
      case WorkKind::kCancel:
        arrive_cancel(w.order, w.due);
        break;
      case WorkKind::kQuery:
        arrive_query(w.order, w.due);
        break;
      case WorkKind::kBalances:
        arrive_balances(w.order.account, w.due);
        break;
    }
  }
}

// ---- Answers ---------------------------------------------------------------------------------

// An answer about a request the venue holds no order for (refused, or never seen): it names
// the order as the request did.
void PaperVenue::refuse(const OrderNew& o, OrderEvent event, PaperReason reason, Nanos t) noexcept {
  sink_->respond(order_update(o.bot, o.client_sequence, o.instrument, o.account, event,
                              static_cast<std::uint16_t>(reason)),
                 t, 0);
}

void PaperVenue::reject(const OrderNew& o, PaperReason reason, Nanos t) noexcept {
  ++stats_["rejected"];
  refuse(o, OrderEvent::kRejected, reason, t);
}

// An update about the order in `slot`: its ids, venue order id and filled quantity.
OrderUpdate PaperVenue::update_of(std::uint32_t slot, OrderEvent event,
                                  PaperReason reason) const noexcept {
  const PaperOrder& o = table_[slot];
  const ClientOrderId id = table_.key(slot);
  OrderUpdate u = order_update(id.bot, id.sequence, o.instrument, o.account, event,
                               static_cast<std::uint16_t>(reason));
  u.venue_order_id = o.venue_order_id;
  u.cumulative_quantity = o.filled;
  return u;
}

void PaperVenue::answer(std::uint32_t slot, OrderEvent event, Nanos t,
                        PaperReason reason) noexcept {
  sink_->respond(update_of(slot, event, reason), t, 0);
}

void PaperVenue::fill(std::uint32_t slot, std::int64_t price, std::int64_t quantity, bool maker,
                      Nanos t) noexcept {
  PaperOrder& o = table_[slot];
  const Market& m = markets_[index_of(o.instrument)];
  const std::int64_t f =
      fee(price, quantity, m.unit, maker ? config_.maker_fee_bps : config_.taker_fee_bps);
  o.filled += quantity;
  o.fees += f;
  ledger_.fill(leg_of(o), price, quantity, f, o.filled, o.money);
  ++stats_["fills"];
  OrderUpdate u =
      update_of(slot, o.filled == o.quantity ? OrderEvent::kFill : OrderEvent::kPartialFill,
                PaperReason::kNone);
  u.liquidity = maker ? OrderUpdate::kMaker : OrderUpdate::kTaker;
  u.last_price = price;
  u.last_quantity = quantity;
  u.fee = f;
  u.trade_id = next_trade_id_++;
  if (o.filled == o.quantity) finish(slot, Status::kFilled);
  sink_->respond(u, t, 0);
}

void PaperVenue::finish(std::uint32_t slot, Status status) noexcept {
  PaperOrder& o = table_[slot];
  if (o.resting) unrest(slot);
  o.status = status;
  ledger_.close(leg_of(o), o.money);
  table_.retire(slot);
}

// ---- Arrivals --------------------------------------------------------------------------------

void PaperVenue::arrive_new(const OrderNew& o, Nanos t) noexcept {
  const ClientOrderId id{o.bot, o.client_sequence};
  const std::uint32_t existing = table_.find(id);
  if (existing != OrderTable<PaperOrder>::kNone) {
    // A resend of an order we have: idempotent. A live one is acknowledged again.
    ++stats_["duplicates"];
    if (table_[existing].status == Status::kLive) {
      answer(existing, OrderEvent::kAccepted, t, PaperReason::kNone);
    }
    return;
  }
  const std::uint32_t i = index_of(o.instrument);
  if (i >= markets_.size() || !markets_[i].defined) {
    return reject(o, PaperReason::kUnknownInstrument, t);
  }
  if (index_of(o.account) >= config_.accounts) return reject(o, PaperReason::kBadAccount, t);
  const auto type = static_cast<OrderType>(o.order_type);
  const bool market = type == OrderType::kMarket;
  if (o.quantity <= 0 || (o.side != Side::kBuy && o.side != Side::kSell)) {
    return reject(o, PaperReason::kBadQuantity, t);
  }
  if ((!market && type != OrderType::kLimit) || (!market && o.price <= 0) ||
      !amounts_fit(o.price, o.quantity, 0, markets_[i].unit)) {
    return reject(o, PaperReason::kBadPrice, t);
  }
  const Market& m = markets_[i];
  const bool buy = o.side == Side::kBuy;
  // The touch we would take: the opposite best, else the last trade.
  std::int64_t touch = buy ? m.ask : m.bid;
  if (touch == 0) touch = m.last;
  std::int64_t take_price = 0;  // 0: does not take
  if (market) {
    if (touch == 0) return reject(o, PaperReason::kNoMarket, t);
    const std::int64_t bps =
        buy ? kBpsDenominator + config_.slippage_bps : kBpsDenominator - config_.slippage_bps;
    take_price =
        static_cast<std::int64_t>(divide_rounded(static_cast<Wide>(touch) * bps, kBpsDenominator));
    if (take_price <= 0) return reject(o, PaperReason::kNoMarket, t);
  } else if (touch != 0 && (buy ? o.price >= touch : o.price <= touch)) {
    if (o.flags & OrderIntent::kPostOnly) return reject(o, PaperReason::kPostOnlyWouldTake, t);
    take_price = touch;
  }
  if (take_price != 0 && !amounts_fit(take_price, o.quantity, 0, m.unit)) {
    return reject(o, PaperReason::kBadPrice, t);  // an absurd touch: nothing fills at it
  }
  if (config_.enforce_balances) {
    const Balance& paying = ledger_.at(o.account, buy ? m.quote : m.base);
    std::int64_t need = lock_needed(o.side, type, o.price, o.quantity, m.unit);
    if (buy && market) {
      OrderMoney scratch;
      need = settle_notional(scratch, take_price, o.quantity, m.unit) +
             std::max<std::int64_t>(0, fee(take_price, o.quantity, m.unit, config_.taker_fee_bps));
    }
    if (paying.free < need) return reject(o, PaperReason::kInsufficientBalance, t);
  }
  const std::uint32_t s = table_.insert(id);
  if (s == OrderTable<PaperOrder>::kNone) return reject(o, PaperReason::kTooManyOrders, t);
  PaperOrder& p = table_[s];
  p.instrument = o.instrument;
  p.account = o.account;
  p.side = o.side;
  p.type = type;
  p.price = market ? 0 : o.price;
  p.quantity = o.quantity;
  p.venue_order_id = next_venue_order_id_++;
  ledger_.open(leg_of(p), o.quantity, p.money);
  ++stats_["accepted"];
  answer(s, OrderEvent::kAccepted, t, PaperReason::kNone);
  if (take_price != 0) return fill(s, take_price, o.quantity, false, t);
  const auto tif = static_cast<TimeInForce>(o.time_in_force);
  if (tif == TimeInForce::kIoc || tif == TimeInForce::kFok) {
    ++stats_["expired"];
    finish(s, Status::kExpired);
    return answer(s, OrderEvent::kExpired, t, PaperReason::kNone);
  }
  if (config_.fill_model == FillModel::kQueue) place_in_queue(p);
  rest(s);
}

void PaperVenue::arrive_cancel(const OrderNew& o, Nanos t) noexcept {
  const std::uint32_t s = table_.find({o.bot, o.client_sequence});
  if (s == OrderTable<PaperOrder>::kNone) {
    ++stats_["cancel_rejected"];
    return refuse(o, OrderEvent::kCancelRejected, PaperReason::kUnknownOrder, t);
  }
  if (table_[s].status != Status::kLive) {
    ++stats_["cancel_rejected"];
    return answer(s, OrderEvent::kCancelRejected, t, PaperReason::kTooLateToCancel);
  }
  ++stats_["canceled"];
  finish(s, Status::kCanceled);
  answer(s, OrderEvent::kCanceled, t, PaperReason::kNone);
}

void PaperVenue::arrive_query(const OrderNew& o, Nanos t) noexcept {
  const std::uint32_t s = table_.find({o.bot, o.client_sequence});
  // A query names no account: the answer's stays unset, as the request's.
  if (s == OrderTable<PaperOrder>::kNone) {
    return refuse(o, OrderEvent::kReconciledNotFound, PaperReason::kNone, t);
  }
  const PaperOrder& p = table_[s];
  // What a query finds for each status; a live order with fills is partially filled. A
  // rejected order never lived at the venue.
  static constexpr std::array<OrderEvent, 5> kFoundAs = {
      OrderEvent::kReconciledNew,       // kLive
      OrderEvent::kReconciledFilled,    // kFilled
      OrderEvent::kReconciledCanceled,  // kCanceled
      OrderEvent::kReconciledExpired,   // kExpired
      OrderEvent::kReconciledNotFound,  // kRejected
  };
  const OrderEvent event = p.status == Status::kLive && p.filled != 0
                               ? OrderEvent::kReconciledPartial
                               : kFoundAs[static_cast<std::size_t>(p.status)];
  OrderUpdate u = update_of(s, event, PaperReason::kNone);
  // A reconciliation answer carries the order's average fill price and its total fee.
  u.last_price = p.filled == 0 ? 0
                               : static_cast<std::int64_t>(
                                     divide_rounded(p.money.notional, static_cast<Wide>(p.filled)));
  u.fee = p.fees;
  sink_->respond(u, t, 0);
}

void PaperVenue::arrive_balances(AccountId account, Nanos t) noexcept {
  if (index_of(account) >= config_.accounts) return;
  for (std::uint32_t a = 0; a < config_.assets; ++a) {
    if (!asset_known_[a]) continue;
    const Balance& b = ledger_.at(account, AssetId{static_cast<std::uint16_t>(a)});
    BalanceUpdate u;
    u.account = account;
    u.asset = AssetId{static_cast<std::uint16_t>(a)};
    u.free = b.free;
    u.locked = b.locked;
    sink_->respond(u, t, 0);
  }
}

// ---- Market ----------------------------------------------------------------------------------

void PaperVenue::on_market(const Event& input, Nanos now) noexcept {
  release_due(now);
  if (input.is<Trade>()) {
    const Trade trade = input.as<Trade>();
    on_trade(trade, now);
  } else if (input.is<Quote>()) {
    const Quote q = input.as<Quote>();
    if (index_of(q.instrument) >= markets_.size()) return;
    Market& m = markets_[index_of(q.instrument)];
    m.bid = q.bid_price > 0 ? q.bid_price : 0;
    m.ask = q.ask_price > 0 ? q.ask_price : 0;
    m.bid_size = m.bid != 0 ? std::max<std::int64_t>(q.bid_quantity, 0) : 0;
    m.ask_size = m.ask != 0 ? std::max<std::int64_t>(q.ask_quantity, 0) : 0;
    if (config_.fill_model == FillModel::kQueue) {
      if (m.bid != 0) on_level(q.instrument, Side::kBuy, m.bid, m.bid_size);
      if (m.ask != 0) on_level(q.instrument, Side::kSell, m.ask, m.ask_size);
    }
  } else if (input.is<BookDelta>() && config_.fill_model == FillModel::kQueue) {
    const BookDelta d = input.as<BookDelta>();
    on_level(d.instrument, d.side, d.price, std::max<std::int64_t>(d.quantity, 0));
  }
}

// The queue model's view of a level: the first size seen places an order whose level was
// unknown; later sizes can only shorten the queue (risk-averse: a level that shrank lost
// quantity ahead of us at most; one that grew added it behind us).
void PaperVenue::on_level(InstrumentId instrument, Side side, std::int64_t price,
                          std::int64_t size) noexcept {
  if (index_of(instrument) >= markets_.size()) return;
  const Market& m = fresh_bounds(markets_[index_of(instrument)]);
  // Only levels where an order of ours could rest: at or below the best buy, at or above
  // the best sell.
  if (side == Side::kBuy ? (m.best_buy == 0 || price > m.best_buy)
                         : (m.best_sell == 0 || price < m.best_sell)) {
    return;
  }
  for (std::uint32_t s = m.head; s != kNil; s = table_[s].next) {
    PaperOrder& o = table_[s];
    if (o.side != side || o.price != price) continue;
    o.queue_ahead = o.queue_known ? std::min(o.queue_ahead, size) : size;
    o.queue_known = 1;
  }
}

// Where a resting order joins its level's queue (FillModel::kQueue): behind the size the
// touch shows at its price; first at a price better than the touch (an empty level); unknown
// deeper in the book until a book delta names the level.
void PaperVenue::place_in_queue(PaperOrder& o) const noexcept {
  const Market& m = markets_[index_of(o.instrument)];
  const bool buy = o.side == Side::kBuy;
  const std::int64_t touch = buy ? m.bid : m.ask;
  o.queue_ahead = 0;
  o.queue_known = 0;
  if (touch == 0) return;
  if (o.price == touch) {
    o.queue_ahead = buy ? m.bid_size : m.ask_size;
    o.queue_known = 1;
  } else if (buy ? o.price > touch : o.price < touch) {
    o.queue_known = 1;
  }
}

void PaperVenue::on_trade(const Trade& trade, Nanos t) noexcept {
  if (index_of(trade.instrument) >= markets_.size() || trade.price <= 0) return;
  Market& m = markets_[index_of(trade.instrument)];
  m.last = trade.price;
  fresh_bounds(m);
  const bool reaches_buys = m.best_buy != 0 && trade.price <= m.best_buy;
  const bool reaches_sells = m.best_sell != 0 && trade.price >= m.best_sell;
  if (!reaches_buys && !reaches_sells) return;
  const std::int64_t traded = trade.quantity > 0 ? trade.quantity : 0;
  const bool queue = config_.fill_model == FillModel::kQueue;
  // What our orders took at the trade's price, in arrival order: one tally, or one per
  // account when accounts are isolated.
  std::int64_t taken_by_all = 0;
  for (std::uint32_t s = m.head; s != kNil;) {
    const std::uint32_t next = table_[s].next;  // fill() may unlink s
    PaperOrder& o = table_[s];
    const bool buy = o.side == Side::kBuy;
    const bool through = buy ? trade.price < o.price : trade.price > o.price;
    if (through) {
      fill(s, o.price, o.quantity - o.filled, true, t);
    } else if (trade.price == o.price) {
      const std::uint32_t account = index_of(o.account);
      std::int64_t& taken = config_.isolate_accounts ? taken_[account] : taken_by_all;
      // The optimistic model's queue ahead is always empty; the queue model's, once known.
      const std::int64_t ahead = queue ? (o.queue_known ? o.queue_ahead : traded) : 0;
      const std::int64_t beyond = std::max<std::int64_t>(0, traded - ahead - taken);
      if (queue && o.queue_known) o.queue_ahead = std::max<std::int64_t>(0, o.queue_ahead - traded);
      const std::int64_t q = std::min(beyond, o.quantity - o.filled);
      if (q > 0) {
        if (config_.isolate_accounts && taken == 0) touched_.push_back(account);
        taken += q;
        fill(s, o.price, q, true, t);
      }
    }
    s = next;
  }
  for (const std::uint32_t account : touched_)
    taken_[account] = 0;
  touched_.clear();
}

void PaperVenue::rest(std::uint32_t s) noexcept {
  PaperOrder& o = table_[s];
  Market& m = markets_[index_of(o.instrument)];
  o.resting = 1;
  o.prev = m.tail;
  o.next = kNil;
  if (m.tail != kNil) {
    table_[m.tail].next = s;
  } else {
    m.head = s;
  }
  m.tail = s;
  ++resting_;
  if (m.bounds_stale) return;  // the recompute will see this order in the list
  if (o.side == Side::kBuy) {
    m.best_buy = std::max(m.best_buy, o.price);
  } else {
    m.best_sell = m.best_sell == 0 ? o.price : std::min(m.best_sell, o.price);
  }
}

void PaperVenue::unrest(std::uint32_t s) noexcept {
  PaperOrder& o = table_[s];
  Market& m = markets_[index_of(o.instrument)];
  if (o.prev != kNil) {
    table_[o.prev].next = o.next;
  } else {
    m.head = o.next;
  }
  if (o.next != kNil) {
    table_[o.next].prev = o.prev;
  } else {
    m.tail = o.prev;
  }
  o.prev = o.next = kNil;
  o.resting = 0;
  --resting_;
  if ((o.side == Side::kBuy && o.price == m.best_buy) ||
      (o.side == Side::kSell && o.price == m.best_sell)) {
    m.bounds_stale = true;  // stale bounds only ever cover more than the list: still safe
  }
}

const PaperVenue::Market& PaperVenue::fresh_bounds(const Market& m) const noexcept {
  if (m.bounds_stale) recompute_bounds(m);
  return m;
}

void PaperVenue::settle_bounds() const noexcept {
  for (const Market& m : markets_)
    fresh_bounds(m);
}

void PaperVenue::recompute_bounds(const Market& m) const noexcept {
  m.bounds_stale = false;
  m.best_buy = 0;
  m.best_sell = 0;
  for (std::uint32_t s = m.head; s != kNil; s = table_[s].next) {
    const PaperOrder& o = table_[s];
    if (o.side == Side::kBuy) {
      m.best_buy = std::max(m.best_buy, o.price);
    } else {
      m.best_sell = m.best_sell == 0 ? o.price : std::min(m.best_sell, o.price);
    }
  }
}

Balance PaperVenue::balance(AccountId account, AssetId asset) const noexcept {
  return ledger_.valid(account, asset) ? ledger_.at(account, asset) : Balance{};
}
}  // namespace be::oms
