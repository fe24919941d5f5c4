// The order stage's live accounts (docs/ACCOUNTS.md "Live accounts"): which sends leave as
// kLive* actions for the caller to deliver, the account's order channel as its journaled
// Connectivity inputs say, the reconcile questions after a (re)connect, dry run, and the notes
// an operator must see (foreign orders, cancels a venue refused). Everything here is folded
// from inputs, so a replay routes and reconciles exactly as the run did.
#include <cstring>

#include "oms/order_stage.hpp"

namespace be::oms {

namespace {

bool is_paper_send(VenueAction::Kind k) noexcept {
  return k == VenueAction::Kind::kSubmit || k == VenueAction::Kind::kCancel;
}

bool is_live_send(VenueAction::Kind k) noexcept {
  return k == VenueAction::Kind::kLiveSubmit || k == VenueAction::Kind::kLiveCancel;
}

VenueAction live_question(VenueAction::Kind kind, AccountId account) {
  VenueAction a;
  a.kind = kind;
  a.cancel.account = account;
  return a;
}

}  // namespace

bool OrderStage::is_live(AccountId account) const noexcept {
  return index_of(account) < live_.size() && live_[index_of(account)] != 0;
}

bool OrderStage::routes_live(AccountId account) const noexcept {
  return !dry_run_ && is_live(account);
}

bool OrderStage::live_connected(AccountId account) const noexcept {
  return routes_live(account) && connected_[index_of(account)] != 0;
}

void OrderStage::mark_live(AccountId account, Nanos now) {
  if (index_of(account) >= live_.size()) return;
  live_[index_of(account)] = 1;
  if (dry_run_) open_dry_run_account(account, now);
}

void OrderStage::open_dry_run_account(AccountId account, Nanos now) {
  if (!paper_ || paper_opened_[index_of(account)] != 0) return;
  paper_opened_[index_of(account)] = 1;
  for (const PaperStartingBalance& b : starting_)
    paper_->credit(account, b.asset, b.amount);
  paper_->request_balances(account, now);
}

void OrderStage::set_dry_run(bool on, Nanos now) {
  dry_run_ = on;
  if (!on) return;
  for (std::uint32_t a = 0; a < live_.size(); ++a)
    if (live_[a] != 0) open_dry_run_account(AccountId{a}, now);
}

// The sends this input made, from `first` on: a live account's become kLive* actions (held
// in durable mode: they then leave with the kReleaseTimer input that releases them); the
// paper venue gets the others, after the order manager opened them (durable: once released).
void OrderStage::route_sends(std::size_t first, const Event& input,
                             std::vector<VenueAction>& actions) {
  std::size_t kept = first;
  for (std::size_t i = first; i < actions.size(); ++i) {
    VenueAction a = actions[i];
    if (is_live_send(a.kind)) {  // released by this input (kReleaseTimer): out it goes
      actions[kept++] = a;
      continue;
    }
    if (is_paper_send(a.kind) && routes_live(account_of(a))) {
      const bool submit = a.kind == VenueAction::Kind::kSubmit;
      a.kind = submit ? VenueAction::Kind::kLiveSubmit : VenueAction::Kind::kLiveCancel;
      if (submit) {
        ++live_stats_["live_orders_sent"];
      } else {
        ++live_stats_["live_cancels_sent"];
      }
    }
    const bool live = is_live_send(a.kind);
    const bool sends = live || (is_paper_send(a.kind) && paper_);
    if (sends && config_.hold_sends) {
      held_.push_back(HeldSend{a, input.header.event_time, input.header.sequence});
      ++stats_["sends_held"];
      if (live) continue;  // not this input's to deliver
    } else if (sends && !live) {
      send_to_paper(a, input.header.event_time);
    }
    actions[kept++] = a;
  }
  actions.resize(kept);
}

void OrderStage::on_order_channel(const Connectivity& c, Nanos t,
                                  std::vector<VenueAction>& actions) {
  for (std::uint32_t index = 0; index < live_.size(); ++index) {
    const AccountId account{index};
    if (live_[index] == 0 || (c.account != kNoAccount && c.account != account)) continue;
    if (c.state == ConnectivityState::kDisconnected) {
      connected_[index] = 0;
      if (!routes_live(account)) continue;  // dry run: the paper venue holds its orders
      // Held sends of the account never left: dropped; their orders turn unknown with the
      // rest and the reconcile after the reconnect settles them.
      const auto before = held_.size();
      std::erase_if(held_, [&](const HeldSend& h) {
        return is_live_send(h.action.kind) && account_of(h.action) == account;
      });
      stats_["sends_dropped"] += before - held_.size();
      stats_["reconciled_unknown"] += orders_.connection_lost(account);
    } else if (c.state == ConnectivityState::kConnected) {
      connected_[index] = 1;
      ++live_stats_["live_reconnects"];
      if (routes_live(account)) reconcile_live(account, actions);
    }
  }
  (void)t;
}

// After a (re)connect: each unknown order of the account, its open orders (foreign ones are
// found there) and recent trades, its balances. Questions are never held: they change nothing
// at the venue.
void OrderStage::reconcile_live(AccountId account, std::vector<VenueAction>& actions) {
  orders_.for_each_unknown([&](const ManagedOrder& m) {
    if (m.account != account) return;
    VenueAction a = live_question(VenueAction::Kind::kLiveQueryOrder, account);
    a.cancel.bot = m.order.client_id.bot;
    a.cancel.instrument = m.order.instrument;
    a.cancel.client_sequence = m.order.client_id.sequence;
    actions.push_back(a);
  });
  actions.push_back(live_question(VenueAction::Kind::kLiveQueryOpenOrders, account));
  actions.push_back(live_question(VenueAction::Kind::kLiveQueryBalances, account));
}

void OrderStage::on_live_update(const OrderUpdate& u, Nanos t) {
  if (static_cast<OrderEvent>(u.event) != OrderEvent::kCancelRejected || !is_live(u.account))
    return;
  ++live_stats_["live_cancels_refused"];
  note_live(false, u, t);
}

void OrderStage::note_live(bool foreign, const OrderUpdate& u, Nanos t) {
  // A foreign order's report counts; the outcome of its cancel (ForeignOrderPolicy::kCancel,
  // a second input for the same venue order) is noted without counting it twice.
  const auto e = static_cast<OrderEvent>(u.event);
  if (foreign && (e == OrderEvent::kReconciledNew || e == OrderEvent::kReconciledPartial))
    ++live_stats_["foreign_orders"];
  LiveNote& n = notes_[notes_total_ % kLiveNotes];
  n = LiveNote{};
  n.foreign = foreign ? 1 : 0;
  n.update = u;
  n.time = t;
  ++notes_total_;
}

// The kill switches the command latches or resets, at bot, account or global scope. A bot's
// own switch is latched here too: its sweep cancelled the bot's open orders, and a cancel
// lost with the connection must be sent again when a reconciliation brings the order back.
void OrderStage::on_kill_switch(const OperatorCommand& c) {
  const std::uint8_t latched = c.kind == OperatorCommandKind::kKillSwitchSet ? 1 : 0;
  if (c.scope == CommandScope::kGlobal ||
      (c.scope == CommandScope::kBotOrGlobal && c.bot == kNoBot)) {
    killed_all_ = latched != 0;
  } else if (c.scope == CommandScope::kAccount && c.account < killed_.size()) {
    killed_[c.account] = latched;
  } else if (c.scope == CommandScope::kBotOrGlobal && index_of(c.bot) < killed_bots_.size()) {
    killed_bots_[index_of(c.bot)] = latched;
  }
}

bool OrderStage::kill_latched(AccountId account, BotId bot) const noexcept {
  return killed_all_ || (index_of(account) < killed_.size() && killed_[index_of(account)] != 0) ||
         (index_of(bot) < killed_bots_.size() && killed_bots_[index_of(bot)] != 0);
}

// A reconciliation answer that leaves a live order of a killed account open (the venue still
// holds it after a start or a reconnect: the sweep's cancel was refused, lost with the
// connection, or never left) is cancelled again; the venue's refusal, if any, is noted like
// the sweep's (refused_cancels).
void OrderStage::recancel_if_killed(const OrderUpdate& u, const UpdateResult& r, Nanos t,
                                    std::vector<VenueAction>& actions) {
  const auto e = static_cast<OrderEvent>(u.event);
  if (r.unknown_order || (e != OrderEvent::kReconciledNew && e != OrderEvent::kReconciledPartial))
    return;
  if (!routes_live(r.order.account) || !kill_latched(r.order.account, u.bot) || !is_open(r.to))
    return;
  if (auto cancel = orders_.request_cancel(u.bot, u.client_sequence, t)) {
    ++stats_["cancels_sent"];
    VenueAction a;
    a.kind = VenueAction::Kind::kCancel;  // route_sends makes it the account's kLiveCancel
    a.cancel = *cancel;
    actions.push_back(a);
  }
}

std::uint64_t OrderStage::live_hash() const noexcept {
  std::uint64_t h = 0;
  for (std::size_t a = 0; a < live_.size(); ++a) {
    if (live_[a] == 0) continue;
    const std::uint64_t word = (std::uint64_t{a} << 8) | (std::uint64_t{killed_[a]} << 2) |
                               (std::uint64_t{connected_[a]} << 1) |
                               std::uint64_t{paper_opened_[a]};
    h = (h ^ (word + 1)) * state_io::kFnvPrime;
  }
  if (dry_run_) h = (h ^ 0xD2) * state_io::kFnvPrime;
  // Like the global switch, the bots' latches only matter (and only change the hash) where an
  // account is live, so paper journals hash as they did before bots' switches were folded here.
  for (std::size_t b = 0; h != 0 && b < killed_bots_.size(); ++b) {
    if (killed_bots_[b] != 0) h = (h ^ ((std::uint64_t{b} << 8) | 0xB7)) * state_io::kFnvPrime;
  }
  if (h != 0 && killed_all_) h = (h ^ 0x6B) * state_io::kFnvPrime;
  return h;
}

}  // namespace be::oms
