#include "oms/order_stage.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <type_traits>

#include "core/codes.hpp"
#include "core/order_intent.hpp"
#include "risk/types.hpp"

namespace be::oms {

// The paper venue keeps a reference to its sink for life; the stage's target changes between
// recovery (drop) and live (ingress), so the venue talks to this forwarder.
struct OrderStage::Forwarder final : VenueResponses {
  VenueResponses* target = nullptr;
  void respond(const OrderUpdate& u, Nanos t, Nanos r) noexcept override {
    if (target != nullptr) target->respond(u, t, r);
  }
  void respond(const BalanceUpdate& b, Nanos t, Nanos r) noexcept override {
    if (target != nullptr) target->respond(b, t, r);
  }
  void connectivity(VenueId v, ConnectivityState s, Nanos t) noexcept override {
    if (target != nullptr) target->connectivity(v, s, t);
  }
};

namespace {

// The counters in the order the fold's snapshot has always held them. The slot after
// oms_refused held the fold's record overflow, which was always written as 0 (it is the last
// input's, not state): it stays, as a zero, so older snapshots keep their layout.
static_assert(sizeof(OrderStageStats) == 10 * sizeof(std::uint64_t) &&
                  OrderStage::kCountersBytes == sizeof(OrderStageStats) + 8 + 4,
              "a new counter changes the fold's snapshot: add it here and bump its version");
template <class Stats, class V>
void counter_fields(Stats& s, V& v, std::uint64_t& unused) {
  constexpr std::size_t kUnusedSlot = kOrderStageCounters.index_of("oms_refused") + 1;
  for (std::size_t i = 0; i < Stats::size(); ++i) {
    if (i == kUnusedSlot) v(unused);
    v(s.values()[i]);
  }
}

}  // namespace

void put_blob(state_io::Writer& w, std::span<const std::byte> blob) {
  w.put(static_cast<std::uint64_t>(blob.size()));
  w.bytes(blob.data(), blob.size());
}

std::optional<std::span<const std::byte>> get_blob(state_io::Reader& r) noexcept {
  const auto n = r.get<std::uint64_t>();
  if (!r.ok() || n > r.rest().size()) {
    r.skip(r.rest().size() + 1);  // fails the reader: every later read fails too
    return std::nullopt;
  }
  const auto blob = r.rest().first(static_cast<std::size_t>(n));
  r.skip(blob.size());
  return blob;
}

OrderStage::OrderStage(const OrderStageConfig& config, VenueResponses& responses)
    : config_(config),
      starting_(config.paper.starting_balances.begin(), config.paper.starting_balances.end()),
      orders_(config.capacity) {
  // A journal that stalls past this many unreleased sends makes the vector grow: never a
  // dropped order.
  if (config.hold_sends) held_.reserve(16'384);
  live_.assign(config.capacity.accounts, 0);
  connected_.assign(config.capacity.accounts, 0);
  paper_opened_.assign(config.capacity.accounts, 0);
  killed_.assign(config.capacity.accounts, 0);
  killed_bots_.assign(config.capacity.bots, 0);
  sweep_orders_.assign(config.capacity.orders, 0);
  sweep_first_.assign(std::size_t{config.capacity.bots} + 1, 0);
  sweep_next_.assign(config.capacity.bots, 0);
  forwarder_ = std::make_unique<Forwarder>();
  forwarder_->target = &responses;
  if (config.paper_venue) {
    PaperConfig paper = config.paper;
    paper.starting_balances = starting_;
    paper_ = std::make_unique<PaperVenue>(paper, *forwarder_);
  }
  config_.paper.starting_balances = starting_;
}

OrderStage::~OrderStage() = default;

void OrderStage::set_responses(VenueResponses& responses) noexcept {
  forwarder_->target = &responses;
}

void OrderStage::on_input(std::span<const Event> records, Outbox& out,
                          std::vector<VenueAction>& actions) {
  ++stats_["inputs"];
  const Event& input = records[0];
  if (input.header.type == EventType::kInstrumentDefined) {
    const auto def = input.as<InstrumentDefined>();
    const AssetId base = assets_.intern(def.base_view());
    const AssetId quote = assets_.intern(def.quote_view());
    orders_.define_instrument(def, base, quote);
    if (paper_) paper_->define_instrument(def, base, quote);
  }
  const std::size_t first = actions.size();
  on_market_input(input, actions, out);
  for (std::size_t i = 1; i < records.size(); ++i)
    on_derived(records, i, out, actions);
  route_sends(first, input, actions);
}

void OrderStage::send_to_paper(const VenueAction& a, Nanos at) {
  if (a.kind == VenueAction::Kind::kSubmit) paper_->submit(a.order, at);
  if (a.kind == VenueAction::Kind::kCancel) paper_->cancel(a.cancel, at);
}

void OrderStage::release_held(SequenceNumber through, std::vector<VenueAction>& actions) {
  std::size_t n = 0;
  while (n < held_.size() && held_[n].ordinal <= through) {
    // Live sends leave with the release input's actions (the caller delivers them once that
    // input is journaled); paper ones at the time the order was made: the paper venue's
    // latency model starts there.
    if (is_live_action(held_[n].action.kind)) {
      actions.push_back(held_[n].action);
    } else if (paper_) {
      send_to_paper(held_[n].action, held_[n].at);
    }
    ++n;
  }
  held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(n));
}

void OrderStage::on_market_input(const Event& input, std::vector<VenueAction>& actions,
                                 Outbox& out) {
  const Nanos t = input.header.event_time;
  switch (input.header.type) {
    case EventType::kTrade: {
      const auto trade = input.as<Trade>();
      orders_.mark(trade.instrument, trade.price);
      if (paper_) paper_->on_market(input, t);
      break;
    }
    case EventType::kQuote: {
      const auto q = input.as<Quote>();
      if (q.bid_price > 0 && q.ask_price > 0)
        orders_.mark(q.instrument, (q.bid_price + q.ask_price) / 2);
      if (paper_) paper_->on_market(input, t);
      break;
    }
    case EventType::kBookDelta:
      // Book levels place resting orders in their queue (the paper venue's queue model
      // only: the optimistic model never saw them, so its replays stay as recorded).
      if (paper_ && paper_->fill_model() == FillModel::kQueue) paper_->on_market(input, t);
      break;
    case EventType::kTimer: {
      const auto timer = input.as<Timer>();
      if (timer.owner == kNoBot && timer.timer_id == kReconcileTimer) {
        stats_["sends_dropped"] += held_.size();
        held_.clear();
        stats_["reconciled_unknown"] += connection_lost();
        // A (re)start: every live account's gateway is new; its unknown orders are asked
        // about when its channel reports connected.
        std::fill(connected_.begin(), connected_.end(), std::uint8_t{0});
        reconcile(t);
      }
      if (timer.owner == kNoBot && timer.timer_id == kReleaseTimer)
        release_held(static_cast<SequenceNumber>(timer.deadline), actions);
      if (paper_) paper_->advance(t);
      break;
    }
    case EventType::kConnectivity: {
      const auto c = input.as<Connectivity>();
      if (c.channel == ConnectivityChannel::kOrders) on_order_channel(c, t, actions);
      break;
    }
    case EventType::kOrderUpdate: {
      const auto update = input.as<OrderUpdate>();
      if (is_foreign_order(update)) {  // never applied: not ours to adopt
        note_live(true, update, t);
        break;
      }
      on_live_update(update, t);
      const UpdateResult r = orders_.apply(update, t);
      if (r.unknown_order) ++stats_["oms_unknown"];
      recancel_if_killed(update, r, t, actions);
      if (r.fill) {
        ++stats_["fills"];
        out.emit(*r.fill, t);
        Notification n;
        n.kind = NotificationKind::kTrade;
        n.side = r.fill->side;
        n.bot = r.fill->bot;
        n.instrument = r.fill->instrument;
        n.value1 = r.fill->price;
        n.value2 = r.fill->quantity;
        n.cause = input.header.sequence;
        out.emit(n, t);
      }
      break;
    }
    case EventType::kBalanceUpdate:
      orders_.apply(input.as<BalanceUpdate>());
      break;
    case EventType::kOperatorCommand: {
      const auto c = input.as<OperatorCommand>();
      if (c.kind == OperatorCommandKind::kCreateBot) {
        orders_.assign_bot(c.bot, AccountId{c.account});
      } else if (c.kind == OperatorCommandKind::kCreateBots) {
        for (std::uint32_t i = 0; i < c.count; ++i)
          orders_.assign_bot(BotId{index_of(c.bot) + i}, AccountId{c.account});
      } else if (c.kind == OperatorCommandKind::kKillSwitchSet) {
        on_kill_switch(c);
        kill_switch_sweep(c, t, actions);
      } else if (c.kind == OperatorCommandKind::kKillSwitchReset) {
        on_kill_switch(c);
      } else if (c.kind == OperatorCommandKind::kDryRunSet ||
                 c.kind == OperatorCommandKind::kDryRunReset) {
        set_dry_run(c.kind == OperatorCommandKind::kDryRunSet, t);
      }
      break;
    }
    default:
      break;
  }
}

// A latched kill switch withdraws every open order it covers: bot by bot in id order, each
// bot's in slot order. Two walks of the order table bucket them by bot (a walk per bot was
// O(bots x orders): seconds at 10,000 bots), then the cancels go out in that order.
void OrderStage::kill_switch_sweep(const OperatorCommand& c, Nanos t,
                                   std::vector<VenueAction>& actions) {
  const bool global = c.scope == CommandScope::kGlobal ||
                      (c.scope == CommandScope::kBotOrGlobal && c.bot == kNoBot);
  const bool account = c.scope == CommandScope::kAccount;
  const std::uint32_t bots = config_.capacity.bots;
  const auto covered = [&](BotId bot) {
    if (index_of(bot) >= bots) return false;
    if (global) return true;
    if (account) return orders_.account_of(bot) == AccountId{c.account};
    return bot == c.bot;
  };
  std::fill(sweep_first_.begin(), sweep_first_.end(), 0);
  orders_.for_each_order([&](const ManagedOrder& m) {
    if (is_open(m.order.state) && covered(m.order.client_id.bot))
      ++sweep_first_[index_of(m.order.client_id.bot) + 1];
  });
  for (std::uint32_t b = 0; b < bots; ++b) {
    sweep_first_[b + 1] += sweep_first_[b];
    sweep_next_[b] = sweep_first_[b];
  }
  orders_.for_each_order([&](const ManagedOrder& m) {
    if (is_open(m.order.state) && covered(m.order.client_id.bot))
      sweep_orders_[sweep_next_[index_of(m.order.client_id.bot)]++] = m.order.client_id.sequence;
  });
  for (std::uint32_t b = 0; b < bots; ++b) {
    for (std::uint32_t k = sweep_first_[b]; k < sweep_first_[b + 1]; ++k) {
      if (auto cancel = orders_.request_cancel(BotId{b}, sweep_orders_[k], t)) {
        ++stats_["cancels_sent"];
        VenueAction a;
        a.kind = VenueAction::Kind::kCancel;
        a.cancel = *cancel;
        actions.push_back(a);
      }
    }
  }
}

void OrderStage::loop_back_reject(const OrderIntent& intent, std::uint16_t reason,
                                  std::vector<VenueAction>& actions) {
  VenueAction a;
  a.kind = VenueAction::Kind::kLoopBackReject;
  a.reject.bot = intent.bot;
  a.reject.event = static_cast<std::uint8_t>(OrderEvent::kRejected);
  a.reject.reason = reason;
  a.reject.instrument = intent.instrument;
  a.reject.client_sequence = intent.cause;
  a.reject.side = intent.side;
  actions.push_back(a);
}

void OrderStage::on_derived(std::span<const Event> records, std::size_t index, Outbox& out,
                            std::vector<VenueAction>& actions) {
  const Event& record = records[index];
  const Nanos t = record.header.event_time;
  switch (record.header.type) {
    case EventType::kOrderIntent: {
      const auto intent = record.as<OrderIntent>();
      if ((record.header.flags & kFlagHeld) != 0) {
        loop_back_reject(intent, kLocalRejectBase + kHeldReason, actions);
        return;
      }
      if ((record.header.flags & kFlagRiskAccepted) != 0) {
        const AccountId account = orders_.account_of(intent.bot);
        if (routes_live(account) && !live_connected(account)) {
          // The account's order channel is down: the order never leaves, nor opens.
          ++live_stats_["live_disconnected_rejects"];
          loop_back_reject(intent, kLocalRejectBase + kLiveDisconnectedReason, actions);
          return;
        }
      }
      if ((record.header.flags & kFlagRiskAccepted) == 0) {
        // The RiskReject that follows it in the records says why; loop it back to the bot.
        for (std::size_t j = index + 1; j < records.size(); ++j) {
          if (records[j].header.type != EventType::kRiskReject) continue;
          const auto reject = records[j].as<risk::RiskReject>();
          if (reject.cause != intent.cause) continue;
          ++stats_["risk_rejects"];
          loop_back_reject(
              intent,
              static_cast<std::uint16_t>(kLocalRejectBase + static_cast<unsigned>(reject.reason)),
              actions);
          break;
        }
        return;
      }
      if (auto order = orders_.open_order(intent, intent.quantity, t)) {
        ++stats_["orders_sent"];
        out.emit(*order, t);
        VenueAction a;
        a.kind = VenueAction::Kind::kSubmit;
        a.order = *order;
        actions.push_back(a);
      } else {
        ++stats_["oms_refused"];
        loop_back_reject(intent, kLocalRejectBase + kOrderManagerRefusedReason, actions);
      }
      return;
    }
    case EventType::kOrderCancel: {
      if ((record.header.flags & kFlagRiskAccepted) == 0) return;
      const auto c = record.as<OrderCancel>();
      if (auto cancel = orders_.request_cancel(c.bot, c.client_sequence, t)) {
        ++stats_["cancels_sent"];
        VenueAction a;
        a.kind = VenueAction::Kind::kCancel;
        a.cancel = *cancel;
        actions.push_back(a);
      }
      return;
    }
    default:
      return;
  }
}

std::size_t OrderStage::connection_lost() {
  return orders_.connection_lost(kNoAccount);
}

void OrderStage::reconcile(Nanos now) {
  if (!paper_) return;
  // The paper venue's own orders only: a live account's are asked about at its reconnect.
  orders_.for_each_unknown([&](const ManagedOrder& m) {
    if (routes_live(m.account)) return;
    paper_->query_order(m.order.client_id.bot, m.order.instrument, m.order.client_id.sequence, now);
  });
  // Account 0 (the deployment's paper account) and every account a bot trades on, each once.
  paper_->request_balances(AccountId{0}, now);
  for (std::uint32_t b = 0; b < config_.capacity.bots; ++b) {
    const AccountId a = orders_.account_of(BotId{b});
    if (a == kNoAccount || a == AccountId{0} || routes_live(a)) continue;
    bool first = true;
    for (std::uint32_t earlier = 0; earlier < b && first; ++earlier)
      first = orders_.account_of(BotId{earlier}) != a;
    if (first) paper_->request_balances(a, now);
  }
}

void OrderStage::open_paper_account(AccountId account,
                                    std::span<const PaperStartingBalance> credits, Nanos now) {
  if (!paper_) return;
  for (const PaperStartingBalance& b : credits)
    paper_->credit(account, b.asset, b.amount);
  paper_->request_balances(account, now);
}

// ---- Snapshot -------------------------------------------------------------------------------

std::uint64_t OrderStage::state_hash() const noexcept {
  // Word-wise mixes with the FNV prime, as every StateHash record in a journal holds them.
  constexpr std::uint64_t kPaperMix = 0x9E3779B97F4A7C15ULL;  // keeps the two tables apart
  std::uint64_t h = orders_.state_hash() ^ (paper_ ? paper_->state_hash() * kPaperMix : 0);
  for (const HeldSend& held : held_)
    h = (h ^ held.ordinal ^ static_cast<std::uint64_t>(held.action.kind)) * state_io::kFnvPrime;
  // Only once a live account or dry run exists: older journals keep their hashes.
  if (const std::uint64_t live = live_hash(); live != 0) h = (h ^ live) * state_io::kFnvPrime;
  return h;
}

void OrderStage::save_counters(state_io::Writer& w) const {
  std::uint64_t unused = 0;
  counter_fields(stats_, w, unused);
  w.put(static_cast<std::uint32_t>(assets_.size()));
  for (std::size_t a = 0; a < assets_.size(); ++a)
    w.put_string(assets_.name(AssetId{static_cast<std::uint16_t>(a)}));
}

void OrderStage::save_tables(state_io::Writer& w) const {
  put_blob(w, orders_.snapshot());
  put_blob(w, paper_ ? paper_->snapshot() : std::vector<std::byte>{});
  // Held sends as their bytes (VenueAction has padding, which the field visitors refuse).
  static_assert(std::is_trivially_copyable_v<HeldSend>);
  w.put(static_cast<std::uint64_t>(held_.size()));
  w.bytes(held_.data(), held_.size() * sizeof(HeldSend));
}

bool OrderStage::read_counters(state_io::Reader& r, Saved& into) const {
  std::uint64_t unused = 0;
  counter_fields(into.stats, r, unused);
  const auto assets = r.get<std::uint32_t>();
  for (std::uint32_t a = 0; a < assets && r.ok(); ++a) {
    const auto name = r.get_bytes();
    if (r.ok())
      into.assets.intern(std::string_view(reinterpret_cast<const char*>(name.data()), name.size()));
  }
  return r.ok();
}

bool OrderStage::read_tables(state_io::Reader& r, Saved& into) const {
  const auto orders = get_blob(r);
  const auto paper = get_blob(r);
  const auto held = r.get<std::uint64_t>();
  if (!orders || !paper || !r.ok() || held > r.rest().size() / sizeof(HeldSend)) return false;
  into.orders = *orders;
  into.paper = *paper;
  into.held.resize(static_cast<std::size_t>(held));
  const std::size_t bytes = into.held.size() * sizeof(HeldSend);
  if (bytes != 0) std::memcpy(into.held.data(), r.rest().data(), bytes);
  return r.skip(bytes);
}

std::optional<std::string> OrderStage::restore(const Saved& saved) {
  if (auto e = orders_.restore(saved.orders); !e) return "order manager state refused";
  if (paper_ && !saved.paper.empty()) {
    if (auto e = paper_->restore(saved.paper); !e) return "paper venue state refused";
  }
  stats_ = saved.stats;
  assets_ = saved.assets;
  held_.assign(saved.held.begin(), saved.held.end());
  return std::nullopt;
}

namespace {
constexpr std::uint32_t kKillBlockMarker = 0x4C4C494B;     // "KILL"
constexpr std::uint32_t kBotKillBlockMarker = 0x544F424B;  // "KBOT"
}  // namespace

void OrderStage::save_live(state_io::Writer& w) const {
  w.put(static_cast<std::uint32_t>(live_.size()));
  w.bytes(live_.data(), live_.size());
  w.bytes(connected_.data(), connected_.size());
  w.bytes(paper_opened_.data(), paper_opened_.size());
  w.put(static_cast<std::uint8_t>(dry_run_ ? 1 : 0));
  for (const std::uint64_t v : live_stats_.values())
    w.put(v);
  w.put(notes_total_);
  static_assert(std::is_trivially_copyable_v<LiveNote>);
  w.bytes(notes_.data(), sizeof notes_);
  // The latched kill switches, after a marker: a live block written before them lacks it.
  w.put(kKillBlockMarker);
  w.put(static_cast<std::uint8_t>(killed_all_ ? 1 : 0));
  w.bytes(killed_.data(), killed_.size());
  // The bots' own latched switches, after a second marker (absent from older snapshots).
  w.put(kBotKillBlockMarker);
  w.put(static_cast<std::uint32_t>(killed_bots_.size()));
  w.bytes(killed_bots_.data(), killed_bots_.size());
}

bool OrderStage::load_live(state_io::Reader& r) {
  // Taken with another account capacity (engine.capacity changed): each account keeps its
  // index; one beyond this deployment's tables must have nothing set.
  const auto accounts = r.get<std::uint32_t>();
  if (!r.ok() || r.rest().size() < 3 * std::size_t{accounts}) return false;
  for (auto* table : {&live_, &connected_, &paper_opened_}) {
    const auto saved = std::span(reinterpret_cast<const std::uint8_t*>(r.rest().data()), accounts);
    std::fill(table->begin(), table->end(), 0);
    if (!state_io::copy_grid(saved, 1, std::span<std::uint8_t>(*table), 1,
                             [](std::uint8_t v) { return v == 0; })) {
      return false;
    }
    r.skip(accounts);
  }
  dry_run_ = r.get<std::uint8_t>() != 0;
  for (std::uint64_t& v : live_stats_.values())
    v = r.get<std::uint64_t>();
  notes_total_ = r.get<std::uint64_t>();
  if (!r.ok() || r.rest().size() < sizeof notes_) return false;
  std::memcpy(notes_.data(), r.rest().data(), sizeof notes_);
  if (!r.skip(sizeof notes_)) return false;
  // Kill switches latched (absent before they were folded here: none then; risk still holds
  // them, and the next kKillSwitchSet latches them here too).
  std::uint32_t marker = 0;
  if (r.rest().size() < sizeof marker) return true;
  std::memcpy(&marker, r.rest().data(), sizeof marker);
  if (marker != kKillBlockMarker) return true;
  r.skip(sizeof marker);
  killed_all_ = r.get<std::uint8_t>() != 0;
  if (!r.ok() || r.rest().size() < accounts) return false;
  // Saved at the snapshot's account capacity, like the tables above.
  std::fill(killed_.begin(), killed_.end(), 0);
  const auto saved = std::span(reinterpret_cast<const std::uint8_t*>(r.rest().data()), accounts);
  if (!state_io::copy_grid(saved, 1, std::span<std::uint8_t>(killed_), 1,
                           [](std::uint8_t v) { return v == 0; })) {
    return false;
  }
  if (!r.skip(accounts)) return false;
  // Bots' switches latched (absent before they were folded here: none then, as above).
  std::fill(killed_bots_.begin(), killed_bots_.end(), 0);
  if (r.rest().size() < sizeof marker) return true;
  std::memcpy(&marker, r.rest().data(), sizeof marker);
  if (marker != kBotKillBlockMarker) return true;
  r.skip(sizeof marker);
  // Saved at the snapshot's bot capacity: a bot beyond this deployment's must have none set.
  const auto bots = r.get<std::uint32_t>();
  if (!r.ok() || r.rest().size() < bots) return false;
  const auto saved_bots = std::span(reinterpret_cast<const std::uint8_t*>(r.rest().data()), bots);
  if (!state_io::copy_grid(saved_bots, 1, std::span<std::uint8_t>(killed_bots_), 1,
                           [](std::uint8_t v) { return v == 0; })) {
    return false;
  }
  return r.skip(bots);
}

}  // namespace be::oms
