#include "engine/fold.hpp"

#include <cstring>
#include <type_traits>

#include "core/order_intent.hpp"

namespace be::engine {

namespace {

// 2: held sends and their stats. Older snapshots are refused: recovery then uses an older
// snapshot or replays from the start, which gives the same state.
constexpr std::uint8_t kFoldSnapshotVersion = 2;

}  // namespace

// The paper venue keeps a reference to its sink for life; the fold's target changes between
// recovery (drop) and live (ingress), so the venue talks to this forwarder.
struct Fold::Forwarder final : oms::VenueResponses {
  oms::VenueResponses* target = nullptr;
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

void append(std::vector<std::byte>& out, const void* p, std::size_t n) {
  const std::size_t at = out.size();
  out.resize(at + n);
  if (n != 0) std::memcpy(out.data() + at, p, n);
}
void append_blob(std::vector<std::byte>& out, const std::vector<std::byte>& blob) {
  const std::uint64_t n = blob.size();
  append(out, &n, sizeof n);
  append(out, blob.data(), blob.size());
}
bool take_blob(std::span<const std::byte>& in, std::span<const std::byte>& blob) {
  std::uint64_t n = 0;
  if (in.size() < sizeof n) return false;
  std::memcpy(&n, in.data(), sizeof n);
  in = in.subspan(sizeof n);
  if (in.size() < n) return false;
  blob = in.first(n);
  in = in.subspan(n);
  return true;
}

}  // namespace

Fold::Fold(const FoldConfig& config, oms::VenueResponses& responses)
    : config_(config),
      starting_(config.paper.starting_balances.begin(), config.paper.starting_balances.end()),
      strategy_(config.strategy),
      risk_(config.risk),
      oms_(config.oms),
      responses_(&responses),
      batch_(config.max_records_per_input),
      strategy_out_(config.max_records_per_input),
      risk_out_(config.max_records_per_input),
      oms_out_(config.max_records_per_input) {
  // A journal that stalls past this many unreleased sends makes the vector grow: never a
  // dropped order.
  if (config.hold_sends) held_.reserve(16'384);
  if (config.paper_venue) {
    forwarder_ = std::make_unique<Forwarder>();
    forwarder_->target = responses_;
    oms::PaperConfig paper = config.paper;
    paper.starting_balances = starting_;
    paper_ = std::make_unique<oms::PaperVenue>(paper, *forwarder_);
  }
}

Fold::~Fold() = default;

void Fold::set_responses(oms::VenueResponses& responses) {
  responses_ = &responses;
  if (forwarder_) forwarder_->target = &responses;
}

std::span<const Event> Fold::apply(const Event& input, SequenceNumber ordinal) {
  strategy_phase(input, ordinal, batch_);
  risk_phase(batch_);
  order_phase(batch_);
  return batch_.records.records();
}

void Fold::strategy_phase(const Event& raw_input, SequenceNumber ordinal, FoldBatch& b) {
  b.records.clear();
  b.actions.clear();
  b.ordinal = ordinal;
  Event input = raw_input;
  input.header.sequence = ordinal;
  input.header.flags &= static_cast<std::uint16_t>(~kFlagDerived);
  b.records.push(input);
  strategy_out_.clear();
  strategy_.on_input(input, strategy_out_);
  for (const Event& record : strategy_out_.records())
    b.records.push(record);
  b.strategy_end = b.records.size();
  b.engine_time = strategy_.engine_time();
  b.strategy_overflow = strategy_out_.overflow();
}

void Fold::risk_phase(FoldBatch& b) {
  // Risk folds the input (which may derive protection exits), then checks in place what the
  // strategy derived; its own records (exits, rejects, notifications) follow the strategy's.
  risk_out_.clear();
  const Event& input = b.records.records()[0];
  risk_.on_input(input, risk_out_);
  for (std::size_t i = 1; i < b.strategy_end; ++i)
    risk_.on_derived(b.records.records()[i], risk_out_);
  for (const Event& record : risk_out_.records())
    b.records.push(record);
  b.risk_overflow = risk_out_.overflow();
}

void Fold::order_phase(FoldBatch& b) {
  oms_out_.clear();
  ordinal_ = b.ordinal;
  ++stats_.inputs;
  const Event input = b.records.records()[0];
  if (input.header.type == EventType::kInstrumentDefined) {
    const auto def = input.as<InstrumentDefined>();
    const AssetId base = assets_.intern(def.base_view());
    const AssetId quote = assets_.intern(def.quote_view());
    oms_.define_instrument(def, base, quote);
    if (paper_) paper_->define_instrument(def, base, quote);
  }
  order_manager(input, b, oms_out_);
  const std::size_t derived_end = b.records.size();
  for (std::size_t i = 1; i < derived_end; ++i)
    on_derived_for_oms(b.records.records()[i], i, b, oms_out_);
  for (const Event& record : oms_out_.records())
    b.records.push(record);
  record_overflow_ = b.strategy_overflow + b.risk_overflow + oms_out_.overflow();
  // The paper venue sees the orders this input produced after the order manager opened them
  // (durable: once released).
  if (paper_) {
    for (const VenueAction& a : b.actions) {
      if (a.kind == VenueAction::Kind::kLoopBackReject) continue;
      if (config_.hold_sends) {
        held_.push_back(HeldSend{a, input.header.event_time, b.ordinal});
        ++stats_.sends_held;
      } else {
        send_to_paper(a, input.header.event_time);
      }
    }
  }
}

void Fold::send_to_paper(const VenueAction& a, Nanos at) {
  if (a.kind == VenueAction::Kind::kSubmit) paper_->submit(a.order, at);
  if (a.kind == VenueAction::Kind::kCancel) paper_->cancel(a.cancel, at);
}

void Fold::release_held(SequenceNumber through) {
  std::size_t n = 0;
  while (n < held_.size() && held_[n].ordinal <= through) {
    // At the time the order was made: the paper venue's latency model starts there.
    send_to_paper(held_[n].action, held_[n].at);
    ++n;
  }
  held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(n));
}

void Fold::order_manager(const Event& input, FoldBatch& batch, Outbox& out) {
  const Nanos t = input.header.event_time;
  switch (input.header.type) {
    case EventType::kTrade: {
      const auto trade = input.as<Trade>();
      oms_.mark(trade.instrument, trade.price);
      if (paper_) paper_->on_market(input, t);
      break;
    }
    case EventType::kQuote: {
      const auto q = input.as<Quote>();
      if (q.bid_price > 0 && q.ask_price > 0)
        oms_.mark(q.instrument, (q.bid_price + q.ask_price) / 2);
      if (paper_) paper_->on_market(input, t);
      break;
    }
    case EventType::kTimer: {
      const auto timer = input.as<Timer>();
      if (timer.owner == kNoBot && timer.timer_id == kReconcileTimer) {
        stats_.sends_dropped += held_.size();
        held_.clear();
        stats_.reconciled_unknown += connection_lost();
        reconcile(t);
      }
      if (timer.owner == kNoBot && timer.timer_id == kReleaseTimer && paper_)
        release_held(static_cast<SequenceNumber>(timer.deadline));
      if (paper_) paper_->advance(t);
      break;
    }
    case EventType::kOrderUpdate: {
      const auto update = input.as<OrderUpdate>();
      const oms::UpdateResult r = oms_.apply(update, t);
      if (r.unknown_order) ++stats_.oms_unknown;
      if (r.fill) {
        ++stats_.fills;
        out.emit(*r.fill, t);
        Notification n;
        n.kind = NotificationKind::kTrade;
        n.side = r.fill->side;
        n.bot = r.fill->bot;
        n.instrument = r.fill->instrument;
        n.value1 = r.fill->price;
        n.value2 = r.fill->quantity;
        n.cause = batch.ordinal;
        out.emit(n, t);
      }
      break;
    }
    case EventType::kBalanceUpdate:
      oms_.apply(input.as<BalanceUpdate>());
      break;
    case EventType::kOperatorCommand: {
      const auto c = input.as<OperatorCommand>();
      if (c.kind == OperatorCommandKind::kCreateBot) {
        oms_.assign_bot(c.bot, AccountId{0});
      } else if (c.kind == OperatorCommandKind::kKillSwitchSet) {
        // A latched kill switch withdraws every open order it covers.
        const bool global = c.scope == CommandScope::kGlobal ||
                            (c.scope == CommandScope::kBotOrGlobal && c.bot == kNoBot) ||
                            c.scope == CommandScope::kAccount;  // one account: account 0
        for (std::uint32_t index = 0; index < config_.oms.bots; ++index) {
          const BotId bot{index};
          if (!global && bot != c.bot) continue;
          std::array<SequenceNumber, 256> open{};
          std::size_t n = 0;
          oms_.for_each_order(bot, [&](const oms::ManagedOrder& m) {
            if (n < open.size() && oms::is_open(m.order.state))
              open[n++] = m.order.client_id.sequence;
          });
          for (std::size_t k = 0; k < n; ++k) {
            if (auto cancel = oms_.request_cancel(bot, open[k], t)) {
              ++stats_.cancels_sent;
              VenueAction a;
              a.kind = VenueAction::Kind::kCancel;
              a.cancel = *cancel;
              batch.actions.push_back(a);
            }
          }
        }
      }
      break;
    }
    default:
      break;
  }
}

void Fold::on_derived_for_oms(const Event& record, std::size_t index, FoldBatch& b, Outbox& out) {
  const Nanos t = record.header.event_time;
  switch (record.header.type) {
    case EventType::kOrderIntent: {
      const auto intent = record.as<OrderIntent>();
      if ((record.header.flags & kFlagHeld) != 0) {
        VenueAction a;
        a.kind = VenueAction::Kind::kLoopBackReject;
        a.reject.bot = intent.bot;
        a.reject.event = static_cast<std::uint8_t>(oms::OrderEvent::kRejected);
        a.reject.reason = kLocalRejectBase + kHeldReason;
        a.reject.instrument = intent.instrument;
        a.reject.client_sequence = intent.cause;
        a.reject.side = intent.side;
        b.actions.push_back(a);
        return;
      }
      if ((record.header.flags & kFlagRiskAccepted) == 0) {
        // The RiskReject that follows it in the records says why; loop it back to the bot.
        const auto all = b.records.records();
        for (std::size_t j = index + 1; j < all.size(); ++j) {
          if (all[j].header.type != EventType::kRiskReject) continue;
          const auto reject = all[j].as<risk::RiskReject>();
          if (reject.cause != intent.cause) continue;
          VenueAction a;
          a.kind = VenueAction::Kind::kLoopBackReject;
          a.reject.bot = intent.bot;
          a.reject.event = static_cast<std::uint8_t>(oms::OrderEvent::kRejected);
          a.reject.reason =
              static_cast<std::uint16_t>(kLocalRejectBase + static_cast<unsigned>(reject.reason));
          a.reject.instrument = intent.instrument;
          a.reject.client_sequence = intent.cause;
          a.reject.side = intent.side;
          ++stats_.risk_rejects;
          b.actions.push_back(a);
          break;
        }
        return;
      }
      if (auto order = oms_.open_order(intent, intent.quantity, t)) {
        ++stats_.orders_sent;
        out.emit(*order, t);
        VenueAction a;
        a.kind = VenueAction::Kind::kSubmit;
        a.order = *order;
        b.actions.push_back(a);
      } else {
        ++stats_.oms_refused;
        VenueAction a;
        a.kind = VenueAction::Kind::kLoopBackReject;
        a.reject.bot = intent.bot;
        a.reject.event = static_cast<std::uint8_t>(oms::OrderEvent::kRejected);
        a.reject.reason = kLocalRejectBase + 0xFF;  // the order manager refused it
        a.reject.instrument = intent.instrument;
        a.reject.client_sequence = intent.cause;
        a.reject.side = intent.side;
        b.actions.push_back(a);
      }
      return;
    }
    case EventType::kOrderCancel: {
      if ((record.header.flags & kFlagRiskAccepted) == 0) return;
      const auto c = record.as<OrderCancel>();
      if (auto cancel = oms_.request_cancel(c.bot, c.client_sequence, t)) {
        ++stats_.cancels_sent;
        VenueAction a;
        a.kind = VenueAction::Kind::kCancel;
        a.cancel = *cancel;
        b.actions.push_back(a);
      }
      return;
    }
    default:
      return;
  }
}

std::size_t Fold::connection_lost() {
  return oms_.connection_lost(AccountId{0});
}

void Fold::reconcile(Nanos now) {
  if (!paper_) return;
  oms_.for_each_unknown([&](const oms::ManagedOrder& m) {
    paper_->query_order(m.order.client_id.bot, m.order.instrument, m.order.client_id.sequence, now);
  });
  paper_->request_balances(AccountId{0}, now);
}

StateHashes Fold::hashes() const {
  StateHashes h;
  h.strategy = strategy_.state_hash();
  h.risk = risk_.state_hash();
  h.orders = oms_.state_hash() ^ (paper_ ? paper_->state_hash() * 0x9E3779B97F4A7C15ULL : 0);
  for (const HeldSend& held : held_)
    h.orders =
        (h.orders ^ held.ordinal ^ static_cast<std::uint64_t>(held.action.kind)) * 0x100000001b3ULL;
  h.combined = h.strategy;
  for (std::uint64_t part : {h.risk, h.orders, static_cast<std::uint64_t>(ordinal_)}) {
    h.combined = (h.combined ^ part) * 0x100000001b3ULL;
  }
  return h;
}

StateHash Fold::state_hash_record() const {
  const StateHashes h = hashes();
  StateHash record;
  record.at = ordinal_;
  record.strategy = h.strategy;
  record.risk = h.risk;
  record.orders = h.orders;
  record.combined = h.combined;
  return record;
}

std::vector<std::byte> Fold::snapshot() const {
  std::vector<std::byte> out;
  append(out, &kFoldSnapshotVersion, 1);
  append(out, &ordinal_, sizeof ordinal_);
  append(out, &stats_, sizeof stats_);
  const std::uint32_t assets = static_cast<std::uint32_t>(assets_.size());
  append(out, &assets, sizeof assets);
  for (std::uint32_t a = 0; a < assets; ++a) {
    const std::string_view name = assets_.name(AssetId{static_cast<std::uint16_t>(a)});
    const std::uint32_t n = static_cast<std::uint32_t>(name.size());
    append(out, &n, sizeof n);
    append(out, name.data(), n);
  }
  append_blob(out, strategy_.snapshot());
  append_blob(out, risk_.snapshot());
  append_blob(out, oms_.snapshot());
  append_blob(out, paper_ ? paper_->snapshot() : std::vector<std::byte>{});
  const std::uint64_t held = held_.size();
  append(out, &held, sizeof held);
  if (held != 0) append(out, held_.data(), held * sizeof(HeldSend));
  return out;
}

std::optional<std::string> Fold::restore(std::span<const std::byte> in) {
  std::uint8_t version = 0;
  SequenceNumber ordinal = 0;
  FoldStats stats;
  std::uint32_t assets = 0;
  if (in.size() < 1 + sizeof ordinal + sizeof stats + sizeof assets)
    return "fold snapshot: truncated";
  std::memcpy(&version, in.data(), 1);
  if (version != kFoldSnapshotVersion) return "fold snapshot: unknown version";
  in = in.subspan(1);
  std::memcpy(&ordinal, in.data(), sizeof ordinal);
  in = in.subspan(sizeof ordinal);
  std::memcpy(&stats, in.data(), sizeof stats);
  in = in.subspan(sizeof stats);
  std::memcpy(&assets, in.data(), sizeof assets);
  in = in.subspan(sizeof assets);
  InternTable<AssetId> table;
  for (std::uint32_t a = 0; a < assets; ++a) {
    std::uint32_t n = 0;
    if (in.size() < sizeof n) return "fold snapshot: truncated";
    std::memcpy(&n, in.data(), sizeof n);
    in = in.subspan(sizeof n);
    if (in.size() < n) return "fold snapshot: truncated";
    table.intern(std::string_view(reinterpret_cast<const char*>(in.data()), n));
    in = in.subspan(n);
  }
  std::span<const std::byte> s, r, o, p;
  if (!take_blob(in, s) || !take_blob(in, r) || !take_blob(in, o) || !take_blob(in, p)) {
    return "fold snapshot: truncated";
  }
  static_assert(std::is_trivially_copyable_v<HeldSend>);
  std::vector<HeldSend> held;
  std::uint64_t n = 0;
  if (in.size() < sizeof n) return "fold snapshot: truncated";
  std::memcpy(&n, in.data(), sizeof n);
  in = in.subspan(sizeof n);
  if (n > in.size() / sizeof(HeldSend)) return "fold snapshot: truncated";
  held.resize(n);
  if (n != 0) std::memcpy(held.data(), in.data(), n * sizeof(HeldSend));
  in = in.subspan(n * sizeof(HeldSend));
  if (!in.empty()) return "fold snapshot: trailing bytes";
  if (auto e = strategy_.restore(s)) return e;
  if (auto e = risk_.restore(r)) return e;
  if (auto e = oms_.restore(o); !e) return "fold snapshot: order manager state refused";
  if (paper_ && !p.empty()) {
    if (auto e = paper_->restore(p); !e) return "fold snapshot: paper venue state refused";
  }
  ordinal_ = ordinal;
  stats_ = stats;
  assets_ = std::move(table);
  held_.assign(held.begin(), held.end());
  return std::nullopt;
}

}  // namespace be::engine
