// Live accounts on the engine's side of the seam (engine/live_venues.hpp): the fold decides
// and journals; this file delivers its kLive* actions to the attached gateways once the input
// that decided them is journaled (durable: released), brings the gateways' answers in as
// inputs, journals dry run and the venue's filters, and shows each live account's state.
#include <algorithm>
#include <chrono>
#include <thread>

#include "core/fixed_point.hpp"
#include "core/log.hpp"
#include "core/names.hpp"
#include "engine/engine_impl.hpp"

namespace be::engine {

namespace {

constexpr std::array<Named<LiveConnection>, 5> kLiveConnectionNames{{
    {LiveConnection::kNone, "no_gateway"},
    {LiveConnection::kConnecting, "connecting"},
    {LiveConnection::kConnected, "connected"},
    {LiveConnection::kDisconnected, "disconnected"},
    {LiveConnection::kRefused, "refused"},
}};

// Set while the thread that finishes inputs is inside a gateway call: an answer the gateway
// gives at once (a refusal before anything went out) then takes the feedback ring that thread
// produces, never a lock.
thread_local bool t_delivering = false;

struct DeliveryScope {
  DeliveryScope() noexcept { t_delivering = true; }
  ~DeliveryScope() { t_delivering = false; }
  DeliveryScope(const DeliveryScope&) = delete;
  DeliveryScope& operator=(const DeliveryScope&) = delete;
};

}  // namespace

std::string_view to_string(LiveConnection state) noexcept {
  return name_of(kLiveConnectionNames, state);
}

// ---- Answers in --------------------------------------------------------------------------------

// From a gateway's thread: into the live ring; full, the thread waits for the sequencer to
// make room (backpressure on that gateway's I/O: its socket buffers, then the venue's TCP
// window, hold what follows), for at most EngineConfig::live_answers_wait and only while the
// engine runs. Then the answer is lost, counted, and its account resynced.
void Engine::Impl::answer(const Event& e) noexcept {
  if (t_delivering) {
    push_from_pipeline(e);
    return;
  }
  Nanos deadline = 0;
  for (std::uint32_t round = 0;; ++round) {
    {
      std::lock_guard lock(live_answers_mutex);
      if (live_answers.try_push(InputItem{e, 0})) return;
    }
    const Nanos now = monotonic_now();
    if (round == 0) {
      live_answers_waits.fetch_add(1, std::memory_order_relaxed);
      deadline =
          now +
          std::chrono::duration_cast<std::chrono::nanoseconds>(config.live_answers_wait).count();
    }
    if (now >= deadline || !self.running() || stop_requested.load(std::memory_order_acquire)) break;
    // The sequencer drains the ring between inputs: a yield is usually enough; past that,
    // a short nap keeps a stalled engine from burning the gateway's core.
    if (round < 64) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
  lose_live_answer(e);
}

// Whose answer it was: the account of an order or balance answer, of an order channel (none:
// every account of the venue).
void Engine::Impl::lose_live_answer(const Event& e) noexcept {
  live_answers_full.fetch_add(1, std::memory_order_relaxed);
  AccountId account = kNoAccount;
  if (e.header.type == EventType::kOrderUpdate) account = e.as<OrderUpdate>().account;
  if (e.header.type == EventType::kBalanceUpdate) account = e.as<BalanceUpdate>().account;
  if (e.header.type == EventType::kConnectivity) account = e.as<Connectivity>().account;
  const std::size_t slot =
      index_of(account) < oms::kAccountCapacity ? index_of(account) : oms::kAccountCapacity;
  // A lost "channel down" is resynced as down only: the channel is down, and the gateway's
  // own "up" after its reconnect reconciles; anything else lost, as down then up (a later
  // lost "up" makes it that too).
  const bool lost_down = e.header.type == EventType::kConnectivity &&
                         e.as<Connectivity>().state == ConnectivityState::kDisconnected;
  if (e.header.type == EventType::kConnectivity) {
    live_resync_wanted[slot].store(lost_down ? kResyncDownOnly : kResyncDownUp,
                                   std::memory_order_relaxed);
  } else {
    std::uint8_t none = 0;
    live_resync_wanted[slot].compare_exchange_strong(none, kResyncDownUp,
                                                     std::memory_order_relaxed);
  }
  live_resync_any.store(true, std::memory_order_release);
}

// The sequencer, with the live ring drained: for each account whose answer was lost, the
// order channel down then up, as journaled inputs. Down makes its live orders unknown; up
// makes the fold ask the venue about each of them, the open orders and the balances, and the
// answers settle what the lost one said. Taken only whole (both inputs fit in `out`).
std::size_t Engine::Impl::take_live_resyncs(std::span<InputItem> out) noexcept {
  live_resync_any.store(false, std::memory_order_relaxed);
  std::size_t n = 0;
  bool left = false;
  for (std::size_t slot = 0; slot < live_resync_wanted.size(); ++slot) {
    const std::uint8_t wanted = live_resync_wanted[slot].load(std::memory_order_relaxed);
    if (wanted == 0) continue;
    if (n + 2 > out.size()) {
      left = true;
      continue;
    }
    live_resync_wanted[slot].store(0, std::memory_order_relaxed);
    Connectivity c;
    c.channel = ConnectivityChannel::kOrders;
    c.account =
        slot < oms::kAccountCapacity ? AccountId{static_cast<std::uint32_t>(slot)} : kNoAccount;
    c.venue = slot < oms::kAccountCapacity
                  ? VenueId{live_venue_of[slot].load(std::memory_order_relaxed)}
                  : VenueId{0};
    const Nanos now = wall_now();
    c.state = ConnectivityState::kDisconnected;
    out[n++] = InputItem{Event::make(c, now, now), 0};
    if (wanted == kResyncDownUp) {
      c.state = ConnectivityState::kConnected;
      out[n++] = InputItem{Event::make(c, now, now), 0};
    }
    live_resyncs.fetch_add(1, std::memory_order_relaxed);
  }
  if (left) live_resync_any.store(true, std::memory_order_release);
  return n;
}

void Engine::Impl::LiveAnswers::respond(const OrderUpdate& u, Nanos t, Nanos r) noexcept {
  im.answer(Event::make(u, t, r != 0 ? r : wall_now()));
}

void Engine::Impl::LiveAnswers::respond(const BalanceUpdate& b, Nanos t, Nanos r) noexcept {
  im.answer(Event::make(b, t, r != 0 ? r : wall_now()));
}

void Engine::Impl::LiveAnswers::order_channel(VenueId v, AccountId a, ConnectivityState s,
                                              Nanos t) noexcept {
  if (index_of(a) < oms::kAccountCapacity)
    im.live_venue_of[index_of(a)].store(static_cast<std::uint16_t>(index_of(v)),
                                        std::memory_order_relaxed);
  Connectivity c;
  c.venue = v;
  c.state = s;
  c.channel = ConnectivityChannel::kOrders;
  c.account = a;
  im.answer(Event::make(c, t, wall_now()));
}

// ---- Actions out ---------------------------------------------------------------------------

// A send that found no gateway: the order (or cancel) never left. Looped back as an input, so
// the journal holds the reject and a replay, which has no gateway either, agrees.
void Engine::Impl::loop_back_no_venue(const VenueAction& a, Nanos t) noexcept {
  const bool submit = a.kind == VenueAction::Kind::kLiveSubmit;
  OrderUpdate u =
      oms::order_update(submit ? a.order.bot : a.cancel.bot,
                        submit ? a.order.client_sequence : a.cancel.client_sequence,
                        submit ? a.order.instrument : a.cancel.instrument, oms::account_of(a),
                        submit ? OrderEvent::kRejected : OrderEvent::kCancelRejected,
                        kLocalRejectBase + oms::kNoLiveVenueReason);
  if (submit) u.side = a.order.side;
  push_from_pipeline(Event::make(u, t, wall_now()));
}

bool Engine::Impl::deliver_live(const FoldBatch& batch) {
  bool sent = false;
  const Nanos t = batch.engine_time;
  for (const VenueAction& a : batch.actions) {
    if (!oms::is_live_action(a.kind)) continue;
    oms::Venue* venue = live_venues != nullptr ? live_venues->venue(oms::account_of(a)) : nullptr;
    if (venue == nullptr) {
      // Questions without a gateway stay unasked: the orders stay unknown until it connects.
      if (a.kind == VenueAction::Kind::kLiveSubmit || a.kind == VenueAction::Kind::kLiveCancel)
        loop_back_no_venue(a, t);
      continue;
    }
    const DeliveryScope scope;
    switch (a.kind) {
      case VenueAction::Kind::kLiveSubmit:
        venue->submit(a.order, t);
        sent = true;
        break;
      case VenueAction::Kind::kLiveCancel:
        venue->cancel(a.cancel, t);
        break;
      case VenueAction::Kind::kLiveQueryOrder:
        venue->query_order(a.cancel.bot, a.cancel.instrument, a.cancel.client_sequence, t);
        break;
      case VenueAction::Kind::kLiveQueryBalances:
        venue->request_balances(a.cancel.account, t);
        break;
      case VenueAction::Kind::kLiveQueryOpenOrders:
        venue->query_open_orders(a.cancel.account, t);
        break;
      default:
        break;
    }
  }
  return sent;
}

// ---- Start: dry run ---------------------------------------------------------------------------

void Engine::Impl::journal_dry_run() {
  if (config.dry_run == fold.order_stage().dry_run()) return;
  OperatorCommand c;
  c.kind = config.dry_run ? OperatorCommandKind::kDryRunSet : OperatorCommandKind::kDryRunReset;
  const Nanos now = wall_now();
  control_producer->try_push(InputItem{Event::make(c, now, now), 0});
}

// ---- Read model ---------------------------------------------------------------------------

void Engine::Impl::live_account_view(AccountView& v) const {
  if (v.mode != "live") return;
  const oms::OrderStage& stage = replica.fold.order_stage();
  if (stage.dry_run()) {
    v.connection = "dry_run";
  } else {
    std::lock_guard lock(live_status_mutex);
    const auto it = live_status.find(index_of(v.id));
    const LiveConnection state = it != live_status.end()  ? it->second.state
                                 : live_venues != nullptr ? LiveConnection::kConnecting
                                                          : LiveConnection::kNone;
    v.connection = std::string(to_string(state));
    if (it != live_status.end()) v.refusal = it->second.reason;
  }
  v.channel_up = stage.live_connected(v.id);
  stage.orders().for_each_unknown([&](const oms::ManagedOrder& m) {
    if (m.account == v.id) ++v.unknown_orders;
  });
  std::vector<const oms::OrderStage::LiveNote*> notes;
  stage.for_each_live_note([&](const oms::OrderStage::LiveNote& n) {
    if (n.update.account == v.id) notes.push_back(&n);
  });
  for (const auto* n : notes) {
    const OrderUpdate& u = n->update;
    if (n->foreign != 0) {
      const auto e = static_cast<OrderEvent>(u.event);
      const std::string id = std::to_string(u.venue_order_id);
      if (e == OrderEvent::kCanceled || e == OrderEvent::kCancelRejected) {
        // The cancel of a foreign order reported before it (ForeignOrderPolicy::kCancel).
        for (auto it = v.foreign_orders.rbegin(); it != v.foreign_orders.rend(); ++it) {
          if (it->venue_order_id != id) continue;
          it->action = e == OrderEvent::kCanceled ? "canceled" : "cancel_refused";
          it->reason = u.reason;
          if (e == OrderEvent::kCanceled)
            it->filled_quantity = qty_text(instruments, u.instrument, u.cumulative_quantity);
          break;
        }
        continue;
      }
      v.foreign_orders.push_back(
          {id, instruments.symbol(u.instrument), std::string(side_text(u.side)),
           price_text(instruments, u.instrument, u.last_price),
           qty_text(instruments, u.instrument, u.last_quantity),
           qty_text(instruments, u.instrument, u.cumulative_quantity), n->time});
    } else {
      char buf[64];
      const std::size_t len =
          oms::format_client_order_id(oms::ClientOrderId{u.bot, u.client_sequence}, buf);
      v.refused_cancels.push_back(
          {std::string(buf, len), instruments.symbol(u.instrument), u.reason, n->time});
    }
  }
  // Counts among the fold's newest kLiveNotes notes (the engine-wide totals are counters in
  // /metrics); the lists show the newest kMaxShown.
  const auto keep_newest = [](auto& list) {
    if (list.size() > AccountView::kMaxShown)
      list.erase(list.begin(), list.end() - AccountView::kMaxShown);
  };
  v.foreign_orders_seen = v.foreign_orders.size();
  v.cancels_refused = v.refused_cancels.size();
  keep_newest(v.foreign_orders);
  keep_newest(v.refused_cancels);
}

void Engine::Impl::add_live_problems(EngineView& e) const {
  {
    std::lock_guard lock(live_status_mutex);
    for (const auto& [account, status] : live_status) {
      // Shown, not unhealthy: the other accounts trade; the runner retries it (docs/LIVE.md).
      if (status.state == LiveConnection::kRefused)
        e.problems.push_back("live account " + std::to_string(account) +
                             " refused: " + status.reason);
    }
  }
  const std::uint64_t lost = live_answers_full.load(std::memory_order_relaxed);
  if (lost == 0) return;
  const bool pending = live_resync_any.load(std::memory_order_acquire);
  if (pending) e.healthy = false;
  e.problems.push_back("live answers: " + std::to_string(lost) + " lost to a full ring" +
                       (pending ? ", their accounts awaiting a resync"
                                : ", their accounts resynced from the venue"));
}

// ---- The public calls ------------------------------------------------------------------------

void Engine::attach_live_venues(LiveVenues* venues) noexcept {
  impl_->live_venues = venues;
}

oms::VenueResponses& Engine::venue_responses() noexcept {
  return impl_->live_answers_sink;
}

void Engine::set_live_account_status(AccountId account, LiveConnection state, std::string reason) {
  {
    std::lock_guard lock(impl_->live_status_mutex);
    impl_->live_status[index_of(account)] = Impl::LiveStatus{state, reason};
  }
  if (state == LiveConnection::kRefused) {
    log::write(log::Level::kWarning, log::kEngine,
               "live account " + std::to_string(index_of(account)) + " refused: " + reason);
  }
  impl_->publish_requested.store(true, std::memory_order_release);
}

CommandResult Engine::define_venue_filters(std::string_view venue,
                                           std::span<const VenueFilter> filters) {
  Impl& im = *impl_;
  std::vector<config::FieldError> errors;
  std::vector<InstrumentDefined> changed;
  for (std::size_t k = 0; k < filters.size(); ++k) {
    const VenueFilter& f = filters[k];
    const std::string field = "filters[" + std::to_string(k) + "]";
    std::optional<std::size_t> index;
    for (std::size_t i = 0; i < im.config.instruments.size() && !index; ++i) {
      const InstrumentSpec& in = im.config.instruments[i];
      if (in.venue == venue && in.symbol == f.symbol) index = i;
    }
    if (!index) {
      errors.push_back({field + ".symbol", "not an instrument of venue " + std::string(venue)});
      continue;
    }
    InstrumentDefined d = im.instruments.definition(*index);
    const auto parse = [&](const std::string& text, int scale, std::int64_t& into,
                           const char* name) {
      if (text.empty()) {
        into = 0;
        return;
      }
      const auto v = parse_decimal(text, scale);
      if (!v || *v < 0) {
        errors.push_back({field + "." + name, "not a decimal at the instrument's scale"});
      } else {
        into = *v;
      }
    };
    parse(f.tick_size, d.price_scale, d.tick_size, "tick_size");
    parse(f.step_size, d.qty_scale, d.step_size, "step_size");
    parse(f.min_notional, d.price_scale, d.min_notional, "min_notional");
    changed.push_back(d);
  }
  if (!errors.empty()) return invalid_command(std::move(errors));
  CommandResult r;
  std::lock_guard lock(im.control_mutex);
  for (const InstrumentDefined& d : changed) {
    const Nanos now = wall_now();
    const InputItem item{Event::make(d, now, now), 0};
    if (!im.control_producer) {
      im.pending_filters.push_back(item);  // journaled by start(), after the instruments
    } else if (!im.control_producer->try_push(item)) {
      r.status = CommandStatus::kUnavailable;
      r.message = "the engine's intake is full";
      return r;
    }
  }
  r.message = std::to_string(changed.size()) + " instrument filters journaled";
  return r;
}

}  // namespace be::engine
