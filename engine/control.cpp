// Engine's ControlPlane side: commands, read model, metrics, the deployment config. Runs on
// control threads (commands, reads) and on the pipeline thread (build_read_model, every
// publish interval).
#include <algorithm>
#include <cinttypes>
#include <cstring>

#include "core/fixed_point.hpp"
#include "core/json_config.hpp"
#include "core/state_io.hpp"
#include "oms/order.hpp"
#include "risk/types.hpp"
#include "engine/engine_impl.hpp"

namespace be::engine {

namespace {

std::string_view reason_text(BotStatusReason r) noexcept {
  switch (r) {
    case BotStatusReason::kOperator:
      return "operator";
    case BotStatusReason::kCircuitBreaker:
      return "circuit_breaker";
    case BotStatusReason::kKillSwitch:
      return "kill_switch";
    case BotStatusReason::kConfigError:
      return "config_error";
    case BotStatusReason::kShutdown:
      return "shutdown";
    case BotStatusReason::kRecovered:
      return "recovered";
  }
  return "unknown";
}

std::string client_id_text(const oms::ClientOrderId& id) {
  char buf[oms::kClientOrderIdMaxChars + 1] = {};
  return std::string(buf, oms::format_client_order_id(id, buf));
}

}  // namespace

void Engine::Impl::build_read_model(ReadModel& m, Nanos now) {
  const stage::StrategyStage& st = fold.strategy();
  const risk::RiskEngine& rk = fold.risk().engine();
  const oms::OrderManager& om = fold.orders();
  EngineView& e = m.engine;
  e.last_sequence = next_position - 1;
  e.journal_committed = writer ? writer->committed() : 0;
  e.journal_durable = writer ? writer->durable() : 0;
  e.durability = std::string(to_string(config.journal));
  e.topology = std::string(to_string(config.topology));
  if (last_publish != 0 && now > last_publish) {
    events_per_second = static_cast<double>(inputs_total - inputs_at_last_publish) * 1e9 /
                        static_cast<double>(now - last_publish);
  }
  inputs_at_last_publish = inputs_total;
  e.events_per_second = events_per_second;
  e.engine_time = st.engine_time();
  e.published_wall_time = now;
  e.inputs = inputs_total;
  e.orders_sent = fold.stats().orders_sent;
  e.fills = fold.stats().fills;
  e.risk_rejects = fold.risk().stats().rejected;
  for (int r = 1; r < risk::kRejectReasonCount; ++r) {
    const std::uint64_t n = fold.risk().stats().by_reason[static_cast<std::size_t>(r)];
    if (n != 0) {
      e.rejects_by_reason.emplace_back(
          std::string(risk::to_string(static_cast<risk::RejectReason>(r))), n);
    }
  }
  // From the risk stage's latches: they are fold state, so a restart shows them too.
  e.global_kill_switch = rk.kill_switch_latched(risk::Scope::kGlobal, 0);
  if (rk.kill_switch_latched(risk::Scope::kAccount, 0)) e.killed_accounts.push_back(0);
  for (std::size_t v = 0; v < config.venues.size(); ++v) {
    FeedView f;
    f.venue = config.venues[v].name;
    const VenueId vid{static_cast<std::uint16_t>(v)};
    bool any = false;
    SafeModeReason worst = SafeModeReason::kNone;
    for (std::size_t i = 0; i < instruments.size(); ++i) {
      if (instruments.definition(i).venue != vid) continue;
      any = true;
      const SafeModeReason r = st.feed_health().reason(InstrumentId{static_cast<std::uint32_t>(i)});
      if (r != SafeModeReason::kNone) worst = r;
    }
    f.state = !any                                     ? "connected"
              : worst == SafeModeReason::kNone         ? "connected"
              : worst == SafeModeReason::kStale        ? "stale"
              : worst == SafeModeReason::kGap          ? "gap"
              : worst == SafeModeReason::kNotConnected ? "disconnected"
                                                       : "reconnecting";
    if (v < clients.size() && clients[v]) {
      const auto cs = clients[v]->stats();
      f.messages = cs.frames;
      if (f.state == "disconnected" && cs.connect_failures > 0) f.state = "reconnecting";
    }
    f.rejects = parse_rejects_io.load(std::memory_order_relaxed);
    if (f.state != "connected") {
      e.healthy = false;
      e.problems.push_back("feed " + f.venue + " is " + f.state);
    }
    e.feeds.push_back(std::move(f));
  }
  auto stage_latency = [](std::string name, const Log2Histogram& h) {
    StageLatency s;
    s.stage = std::move(name);
    s.count = h.count;
    s.p50 = h.percentile(0.50);
    s.p99 = h.percentile(0.99);
    s.max = h.max;
    return s;
  };
  e.market_ready = instruments.size() > 0;
  for (std::size_t i = 0; i < instruments.size(); ++i) {
    if (rk.reference_price(InstrumentId{static_cast<std::uint32_t>(i)}) == 0)
      e.market_ready = false;
  }
  e.latency.push_back(stage_latency("feed", feed_latency));
  e.latency.push_back(stage_latency("strategy", strategy_latency));
  e.latency.push_back(stage_latency("risk", risk_latency));
  e.latency.push_back(stage_latency("orders", orders_latency));
  e.latency.push_back(stage_latency("fold", fold_latency));
  e.latency.push_back(stage_latency("journal", journal_latency));
  e.latency.push_back(stage_latency("tick_to_order", tick_to_order));
  for (std::size_t a = 0; a < fold.asset_count(); ++a) {
    const AssetId asset{static_cast<std::uint16_t>(a)};
    const oms::Balance b = om.balance(AccountId{0}, asset);
    const auto idx = instruments.asset_index(fold.asset_name(asset));
    const int scale = idx ? instruments.asset_scale(*idx) : 8;
    e.balances.push_back(BalanceView{std::string(fold.asset_name(asset)),
                                     decimal_to_string(b.free, scale),
                                     decimal_to_string(b.locked, scale)});
  }
  if (!journal_error.empty()) {
    e.healthy = false;
    e.problems.push_back(journal_error);
  }
  if (writer && writer->failed()) {
    e.healthy = false;
    e.problems.push_back("journal writer failed: " + writer->error().message);
  }
  if (const std::uint64_t refused = ingress_full.load(); refused > 0)
    e.problems.push_back("ingress refused " + std::to_string(refused) + " inputs");
  if (const std::uint64_t lost = feedback_full.load(); lost > 0) {
    e.healthy = false;
    e.problems.push_back("feedback ring refused " + std::to_string(lost) +
                         " venue answers or loop-backs (the sequencer fell behind)");
  }

  for (const stage::BotSummary& s : st.describe()) {
    BotView b;
    b.id = s.id;
    b.owner = s.owner;
    b.name = s.name;
    b.type = s.type;
    b.venue = s.venue.empty() ? "binance" : s.venue;
    b.symbol = s.symbol;
    b.state = s.state;
    b.state_reason = std::string(reason_text(s.reason));
    if (rk.circuit_open(s.id)) {
      b.state = BotState::kError;
      b.state_reason = "circuit_breaker";
      b.circuit_open = true;
    }
    b.config_json = s.config_json;
    b.kill_switch = rk.kill_switch_latched(risk::Scope::kBot, index_of(s.id));
    b.heartbeat = s.heartbeat;
    b.inputs_handled = s.inputs;
    b.condition_texts = s.conditions;
    const InstrumentId inst = s.instrument;
    PositionView& p = b.position;
    p.symbol = s.symbol;
    const Position* pos = om.position(s.id, inst);
    const std::int64_t mark = rk.reference_price(inst);
    p.quantity = qty_text(instruments, inst, pos ? pos->quantity() : 0);
    p.average_entry_price = price_text(instruments, inst, pos ? pos->average_entry_price() : 0);
    p.realized_pnl = price_text(instruments, inst, pos ? pos->realized_pnl() : 0);
    p.unrealized_pnl = price_text(instruments, inst, pos && mark ? pos->unrealized_pnl(mark) : 0);
    p.fees = price_text(instruments, inst, pos ? pos->fees() : 0);
    p.mark_price = price_text(instruments, inst, mark);
    const std::int64_t equity = om.realized_pnl(s.id) + om.unrealized_pnl(s.id) - om.fees(s.id);
    b.pnl = price_text(instruments, inst, equity);
    b.open_orders = om.open_orders(s.id);
    // Orders: open first, then the most recent closed ones.
    std::vector<const oms::ManagedOrder*> orders;
    om.for_each_order(s.id, [&](const oms::ManagedOrder& o) { orders.push_back(&o); });
    std::stable_sort(orders.begin(), orders.end(), [](const auto* a, const auto* c) {
      const bool ao = !oms::is_terminal(a->order.state), co = !oms::is_terminal(c->order.state);
      if (ao != co) return ao;
      return a->updated > c->updated;
    });
    for (const oms::ManagedOrder* o : orders) {
      if (b.orders.size() >= 100) break;
      OrderView v;
      v.client_order_id = client_id_text(o->order.client_id);
      v.symbol = instruments.symbol(o->order.instrument);
      v.side = std::string(side_text(o->order.side));
      v.type = o->order.type == OrderType::kMarket ? "market" : "limit";
      v.state = std::string(oms::to_string(o->order.state));
      v.price = price_text(instruments, o->order.instrument, o->order.price);
      v.quantity = qty_text(instruments, o->order.instrument, o->order.quantity);
      v.filled_quantity = qty_text(instruments, o->order.instrument, o->order.filled_quantity);
      v.tag = o->tag;
      v.updated_time = o->updated;
      b.orders.push_back(std::move(v));
    }
    auto& history = bot_history[index_of(s.id)];
    history.for_each_fill_newest_first(
        [&](const Event& fill) { b.fills.push_back(fill_view(fill)); });
    b.trades = history.trade_count;
    // Equity curve: one point per publish while it moves (bounded).
    if (history.equity.empty() || history.equity.back().equity != b.pnl) {
      history.equity.push_back(EquityPoint{st.engine_time(), b.pnl});
      if (history.equity.size() > 1000) history.equity.erase(history.equity.begin());
    }
    b.equity = history.equity;
    m.bots.push_back(std::move(b));
  }
  for (const cond::ConditionStats& c : st.conditions()) {
    ConditionView v;
    v.id = c.id;
    v.canonical = c.canonical;
    for (const cond::Subscriber& sub : c.subscribers)
      v.subscribers.push_back(sub.bot);
    v.evaluations = c.evaluations;
    v.triggers = c.triggers;
    m.conditions.push_back(std::move(v));
  }
}

// A journaled FillApplied as the read model shows it.
FillView Engine::Impl::fill_view(const Event& e) const {
  const auto f = e.as<FillApplied>();
  FillView v;
  v.client_order_id = client_id_text(oms::ClientOrderId{f.bot, f.client_sequence});
  v.symbol = instruments.symbol(f.instrument);
  v.side = std::string(side_text(f.side));
  v.price = price_text(instruments, f.instrument, f.price);
  v.quantity = qty_text(instruments, f.instrument, f.quantity);
  v.fee = price_text(instruments, f.instrument, f.fee);
  v.liquidity = f.liquidity == OrderUpdate::kMaker   ? "maker"
                : f.liquidity == OrderUpdate::kTaker ? "taker"
                                                     : "unknown";
  v.time = e.header.event_time;
  v.sequence = e.header.sequence;
  return v;
}

// Fills for the read model's per-bot history, from the journaled records (the orders stage).
void Engine::Impl::note_fill(const Event& e) {
  bot_history[index_of(e.as<FillApplied>().bot)].note(e);
}

// Per bot: id, trade count, fills (newest last), equity points. Read back by the same binary.
std::vector<std::byte> Engine::Impl::history_bytes() const {
  std::vector<std::byte> out;
  state_io::Writer w{out};
  w.put(static_cast<std::uint32_t>(bot_history.size()));
  for (const auto& [bot, h] : bot_history) {
    w.put(bot);
    w.put(h.trade_count);
    w.put(static_cast<std::uint32_t>(h.fills.size()));
    for (const Event& fill : h.fills)
      w.put(fill);
    w.put(static_cast<std::uint32_t>(h.equity.size()));
    for (const EquityPoint& p : h.equity) {
      w.put(p.time);
      w.put_string(p.equity);
    }
  }
  return out;
}

bool Engine::Impl::restore_history(std::span<const std::byte> bytes) {
  state_io::Reader r{bytes};
  std::map<std::uint32_t, BotHistory> restored;
  const auto bots = r.get<std::uint32_t>();
  for (std::uint32_t i = 0; i < bots && r.ok(); ++i) {
    BotHistory& h = restored[r.get<std::uint32_t>()];
    h.trade_count = r.get<std::uint64_t>();
    const auto fills = r.get<std::uint32_t>();
    // A ring holds every fill until it is full (note() relies on it).
    if (fills > BotHistory::kFills || (fills < BotHistory::kFills && fills != h.trade_count))
      return false;
    for (std::uint32_t k = 0; k < fills && r.ok(); ++k)
      h.fills.push_back(r.get<Event>());
    const auto points = r.get<std::uint32_t>();
    for (std::uint32_t k = 0; k < points && r.ok(); ++k) {
      EquityPoint p;
      p.time = r.get<Nanos>();
      p.equity = r.get_string();
      h.equity.push_back(std::move(p));
    }
  }
  if (!r.ok() || !r.at_end()) return false;
  bot_history = std::move(restored);
  return true;
}

std::shared_ptr<const ReadModel> Engine::read_model() const {
  std::lock_guard lock(impl_->model_mutex);
  return impl_->model;
}

// ---- Commands ------------------------------------------------------------------------------

CommandResult Engine::Impl::submit(OperatorCommand command, const std::string* blob) {
  CommandResult result;
  result.bot = command.bot;
  if (!self.running()) {
    result.status = CommandStatus::kUnavailable;
    result.message = "the engine is not running";
    return result;
  }
  command.request_id = next_request.fetch_add(1);
  const Nanos now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  {
    std::lock_guard lock(control_mutex);
    if (blob != nullptr) {
      BlobRef ref;
      ref.blob_id = next_blob.fetch_add(1);
      ref.kind = kBotConfigBlobKind;
      ref.size = static_cast<std::uint32_t>(blob->size());
      auto owned = std::make_unique<std::string>(*blob);
      ref.data = reinterpret_cast<const std::byte*>(owned->data());
      {
        std::lock_guard blob_lock(blob_mutex);
        blobs[ref.blob_id] = std::move(owned);
      }
      command.blob_id = ref.blob_id;
      if (!control_producer->try_push(InputItem{Event::make(ref, now, now), 0})) {
        result.status = CommandStatus::kUnavailable;
        result.message = "the engine's intake is full";
        return result;
      }
    }
    if (!control_producer->try_push(InputItem{Event::make(command, now, now), 0})) {
      result.status = CommandStatus::kUnavailable;
      result.message = "the engine's intake is full";
      return result;
    }
  }
  std::unique_lock lock(request_mutex);
  const bool done = request_cv.wait_for(lock, std::chrono::seconds(5),
                                        [&] { return outcomes.count(command.request_id) != 0; });
  if (!done) {
    result.status = CommandStatus::kTimeout;
    result.message = "journaled but not applied yet";
    return result;
  }
  const Outcome o = outcomes[command.request_id];
  outcomes.erase(command.request_id);
  lock.unlock();
  result.sequence = o.sequence;
  if (!o.accepted) {
    result.status = CommandStatus::kConflict;
    result.message = "the bot's state does not allow this command";
    return result;
  }
  // Answered once a published read model shows the effect, so the caller's next read sees
  // it (the control API's clients read right after a command). Bounded: the command is
  // applied either way.
  publish_requested.store(true, std::memory_order_release);
  lock.lock();
  request_cv.wait_for(lock, std::chrono::seconds(5), [&] {
    return published_position.load(std::memory_order_acquire) >= o.sequence;
  });
  return result;
}

CommandResult Engine::create_bot(UserId user, std::string_view config_json) {
  CommandResult r;
  r.errors = validate_bot_config(config_json);
  if (!r.errors.empty()) {
    r.status = CommandStatus::kInvalid;
    r.message = config::format_errors(r.errors);
    return r;
  }
  OperatorCommand c;
  c.kind = OperatorCommandKind::kCreateBot;
  c.bot = BotId{impl_->next_bot.fetch_add(1)};
  if (index_of(c.bot) >= impl_->config.fold.oms.bots ||
      index_of(c.bot) >= impl_->config.fold.risk.capacity.bots) {
    r.status = CommandStatus::kUnavailable;
    r.message = "this deployment's bot capacity (" + std::to_string(impl_->config.fold.oms.bots) +
                ") is used up";
    return r;
  }
  c.user_id = index_of(user);
  const std::string blob(config_json);
  return impl_->submit(c, &blob);
}

namespace {
bool visible(const ReadModel& m, BotId bot, UserId user, bool is_admin) {
  const BotView* b = m.find(bot);
  return b != nullptr && (is_admin || b->owner == user);
}
CommandResult not_found(BotId bot) {
  CommandResult r;
  r.status = CommandStatus::kNotFound;
  r.bot = bot;
  r.message = "no such bot";
  return r;
}
}  // namespace

CommandResult Engine::update_bot(UserId user, bool is_admin, BotId bot,
                                 std::string_view config_json) {
  const auto model = read_model();
  if (!model || !visible(*model, bot, user, is_admin)) return not_found(bot);
  CommandResult r;
  r.errors = validate_bot_config(config_json);
  if (!r.errors.empty()) {
    r.status = CommandStatus::kInvalid;
    r.message = config::format_errors(r.errors);
    return r;
  }
  OperatorCommand c;
  c.kind = OperatorCommandKind::kUpdateBot;
  c.bot = bot;
  c.user_id = index_of(user);
  const std::string blob(config_json);
  return impl_->submit(c, &blob);
}

CommandResult Engine::bot_command(UserId user, bool is_admin, BotId bot, OperatorCommandKind kind) {
  const auto model = read_model();
  if (user != kEngineUser && (!model || !visible(*model, bot, user, is_admin))) {
    return not_found(bot);
  }
  OperatorCommand c;
  c.kind = kind;
  c.bot = bot;
  c.user_id = index_of(user);
  return impl_->submit(c, nullptr);
}

CommandResult Engine::kill_switch(UserId user, bool is_admin, CommandScope scope, std::uint32_t id,
                                  bool set) {
  const bool bot_scope = scope == CommandScope::kBotOrGlobal && id != index_of(kNoBot);
  if (!bot_scope && !is_admin) {
    CommandResult r;
    r.status = CommandStatus::kNotFound;
    r.message = "account and global kill switches need an admin token";
    return r;
  }
  if (bot_scope) {
    const auto model = read_model();
    if (!model || !visible(*model, BotId{id}, user, is_admin)) return not_found(BotId{id});
  }
  OperatorCommand c;
  c.kind = set ? OperatorCommandKind::kKillSwitchSet : OperatorCommandKind::kKillSwitchReset;
  c.scope = scope;
  c.bot = bot_scope ? BotId{id} : kNoBot;
  c.account = scope == CommandScope::kAccount ? id : 0;
  c.user_id = index_of(user);
  return impl_->submit(c, nullptr);
}

std::vector<config::FieldError> Engine::validate_bot_config(std::string_view json) const {
  // Validated against the configured instruments (immutable), not the live stage.
  bots::InstrumentResolver resolve =
      [this](std::string_view venue, std::string_view symbol) -> const bots::InstrumentInfo* {
    for (const bots::InstrumentInfo& info : impl_->validation_instruments) {
      const InstrumentDefined* d = impl_->instruments.find(info.id);
      if (d == nullptr || d->symbol_view() != symbol) continue;
      if (!venue.empty() && impl_->config.venues.size() > index_of(d->venue) &&
          impl_->config.venues[index_of(d->venue)].name != venue) {
        continue;
      }
      return &info;
    }
    return nullptr;
  };
  auto built = bots::BotRegistry::builtin().create(json, BotId{0}, resolve);
  if (built) return {};
  return built.error();
}

// ---- Stream and metrics ----------------------------------------------------------------------

std::vector<StreamItem> Engine::stream_since(std::uint64_t cursor, std::size_t max,
                                             bool& lost) const {
  std::lock_guard lock(impl_->stream_mutex);
  lost = false;
  std::vector<StreamItem> out;
  const auto& s = impl_->stream;
  if (s.empty()) return out;
  const std::uint64_t oldest = s.front().cursor;
  if (cursor + 1 < oldest) lost = true;
  const std::uint64_t start = std::max(cursor + 1, oldest);
  for (std::size_t i = static_cast<std::size_t>(start - oldest); i < s.size() && out.size() < max;
       ++i) {
    out.push_back(s[i]);
  }
  return out;
}

std::uint64_t Engine::stream_head() const {
  std::lock_guard lock(impl_->stream_mutex);
  return impl_->stream_cursor;
}

std::string Engine::metrics_text() const {
  const auto model = read_model();
  std::string out;
  auto line = [&out](std::string_view name, std::string_view labels, double value) {
    out += name;
    if (!labels.empty()) {
      out += '{';
      out += labels;
      out += '}';
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, " %.17g\n", value);
    out += buf;
  };
  if (!model) return out;
  const EngineView& e = model->engine;
  out +=
      "# HELP botengine_inputs_total Inputs sequenced and applied.\n# TYPE botengine_inputs_total "
      "counter\n";
  line("botengine_inputs_total", "", static_cast<double>(e.inputs));
  out += "# TYPE botengine_orders_sent_total counter\n";
  line("botengine_orders_sent_total", "", static_cast<double>(e.orders_sent));
  out += "# TYPE botengine_fills_total counter\n";
  line("botengine_fills_total", "", static_cast<double>(e.fills));
  out +=
      "# HELP botengine_risk_rejects_total Pre-trade risk rejects by reason.\n# TYPE "
      "botengine_risk_rejects_total counter\n";
  for (const auto& [reason, n] : e.rejects_by_reason)
    line("botengine_risk_rejects_total", "reason=\"" + reason + "\"", static_cast<double>(n));
  out += "# TYPE botengine_events_per_second gauge\n";
  line("botengine_events_per_second", "", e.events_per_second);
  out +=
      "# HELP botengine_journal_lag Records sequenced but not yet committed.\n# TYPE "
      "botengine_journal_lag gauge\n";
  line("botengine_journal_lag", "",
       static_cast<double>(
           e.last_sequence > e.journal_committed ? e.last_sequence - e.journal_committed : 0));
  line("botengine_journal_committed_sequence", "", static_cast<double>(e.journal_committed));
  line("botengine_journal_durable_sequence", "", static_cast<double>(e.journal_durable));
  out +=
      "# HELP botengine_ring_depth Inputs waiting in the ingress queue.\n# TYPE "
      "botengine_ring_depth gauge\n";
  line("botengine_ring_depth", "ring=\"ingress\"",
       static_cast<double>(impl_->ingress.size_approx()));
  line("botengine_ring_depth", "ring=\"feedback\"",
       static_cast<double>(impl_->feedback.size_approx()));
  line("botengine_feedback_rejected_total", "", static_cast<double>(impl_->feedback_full.load()));
  if (impl_->config.topology == Topology::kPipelined) {
    line("botengine_ring_depth", "ring=\"strategy_to_risk\"",
         static_cast<double>(impl_->to_risk.size_approx()));
    line("botengine_ring_depth", "ring=\"risk_to_orders\"",
         static_cast<double>(impl_->to_orders.size_approx()));
  }
  line("botengine_ingress_rejected_total", "", static_cast<double>(impl_->ingress.rejected()));
  line("botengine_stream_dropped_total", "", static_cast<double>(impl_->stream_dropped.load()));
  out +=
      "# HELP botengine_stage_latency_ns Per-stage latency (log2 buckets' upper bounds).\n# TYPE "
      "botengine_stage_latency_ns summary\n";
  for (const StageLatency& s : e.latency) {
    line("botengine_stage_latency_ns", "stage=\"" + s.stage + "\",quantile=\"0.5\"",
         static_cast<double>(s.p50));
    line("botengine_stage_latency_ns", "stage=\"" + s.stage + "\",quantile=\"0.99\"",
         static_cast<double>(s.p99));
    line("botengine_stage_latency_ns_count", "stage=\"" + s.stage + "\"",
         static_cast<double>(s.count));
  }
  out += "# TYPE botengine_bots gauge\n";
  for (BotState state :
       {BotState::kStopped, BotState::kRunning, BotState::kPaused, BotState::kError}) {
    const auto n = std::count_if(model->bots.begin(), model->bots.end(),
                                 [&](const BotView& b) { return b.state == state; });
    line("botengine_bots", "state=\"" + std::string(to_string(state)) + "\"",
         static_cast<double>(n));
  }
  for (const FeedView& f : e.feeds) {
    line("botengine_feed_up", "venue=\"" + f.venue + "\"", f.state == "connected" ? 1 : 0);
    line("botengine_feed_messages_total", "venue=\"" + f.venue + "\"",
         static_cast<double>(f.messages));
  }
  line("botengine_healthy", "", e.healthy ? 1 : 0);
  std::function<std::string()> extra;
  {
    std::lock_guard lock(impl_->notify_mutex);
    extra = impl_->metrics_extra;
  }
  if (extra) out += extra();
  return out;
}

// ---- Deployment config -------------------------------------------------------------------------

Expected<EngineConfig, std::vector<config::FieldError>> parse_engine_config(std::string_view json) {
  std::vector<config::FieldError> errors;
  auto doc = config::parse(json);
  if (!doc) return Unexpected(std::vector<config::FieldError>{{"", doc.error()}});
  if (doc->kind != config::Value::Kind::kObject) {
    return Unexpected(std::vector<config::FieldError>{{"", "expected an object"}});
  }
  EngineConfig c;
  c.venues.clear();
  config::ObjectReader root(*doc, "", errors);
  using config::Presence;
  if (auto engine = root.object("engine", Presence::kOptional)) {
    if (auto v = engine->string("data_dir", Presence::kOptional)) c.data_dir = *v;
    if (auto v =
            engine->string("journal", Presence::kOptional, {"off", "async", "durable", "none"})) {
      c.journal = *v == "off"       ? JournalMode::kOff
                  : *v == "async"   ? JournalMode::kAsync
                  : *v == "durable" ? JournalMode::kDurable
                                    : JournalMode::kNone;
    }
    if (auto v = engine->string("topology", Presence::kOptional, {"fused", "pipelined"}))
      c.topology = *v == "pipelined" ? Topology::kPipelined : Topology::kFused;
    if (const config::Value* cpus = engine->array("cpus", Presence::kOptional)) {
      if (cpus->items.size() != 3) {
        errors.push_back({"engine.cpus", "expected 3 CPUs: sequencer and strategy, risk, orders"});
      }
      for (std::size_t i = 0; i < cpus->items.size() && i < 3; ++i) {
        const config::Value& item = cpus->items[i];
        int cpu = -2;
        if (item.kind == config::Value::Kind::kNumber) {
          const auto parsed = parse_decimal(item.text, 0);
          if (parsed && *parsed >= -1 && *parsed <= 1023) cpu = static_cast<int>(*parsed);
        }
        if (cpu == -2) {
          errors.push_back({"engine.cpus[" + std::to_string(i) + "]",
                            "expected a CPU number in [-1, 1023] (-1: not pinned)"});
          continue;
        }
        c.cpus[i] = cpu;
      }
    }
    if (auto v = engine->string("idle", Presence::kOptional, {"spin", "yield", "backoff"}))
      c.idle = *v;
    if (auto v = engine->integer("cpu", Presence::kOptional, -1, 1023))
      c.cpu = static_cast<int>(*v);
    if (auto v = engine->integer("snapshot_every_inputs", Presence::kOptional, 1, 1'000'000'000)) {
      c.snapshot_every_inputs = static_cast<std::uint64_t>(*v);
    }
    if (auto v = engine->integer("snapshot_interval_ms", Presence::kOptional, 1, 86'400'000)) {
      c.snapshot_interval = *v * 1'000'000;
    }
    if (auto v = engine->integer("tick_ms", Presence::kOptional, 1, 60'000))
      c.tick_interval = *v * 1'000'000;
    if (auto v = engine->boolean("cancel_open_orders_on_shutdown", Presence::kOptional)) {
      c.cancel_open_orders_on_shutdown = *v;
    }
    engine->finish();
  }
  if (const config::Value* venues = root.array("venues", Presence::kOptional)) {
    for (std::size_t i = 0; i < venues->items.size(); ++i) {
      const std::string path = "venues[" + std::to_string(i) + "]";
      if (venues->items[i].kind != config::Value::Kind::kObject) {
        errors.push_back({path, "expected an object"});
        continue;
      }
      config::ObjectReader r(venues->items[i], path, errors);
      VenueSpec v;
      if (auto name = r.string("name", Presence::kRequired)) v.name = *name;
      if (auto url = r.string("url", Presence::kOptional)) v.url = *url;
      r.finish();
      c.venues.push_back(std::move(v));
    }
  }
  if (const config::Value* list = root.array("instruments", Presence::kRequired)) {
    for (std::size_t i = 0; i < list->items.size(); ++i) {
      const std::string path = "instruments[" + std::to_string(i) + "]";
      if (list->items[i].kind != config::Value::Kind::kObject) {
        errors.push_back({path, "expected an object"});
        continue;
      }
      config::ObjectReader r(list->items[i], path, errors);
      InstrumentSpec s;
      if (auto v = r.string("venue", Presence::kOptional)) s.venue = *v;
      if (auto v = r.string("symbol", Presence::kRequired)) s.symbol = *v;
      if (auto v = r.string("base", Presence::kRequired)) s.base = *v;
      if (auto v = r.string("quote", Presence::kRequired)) s.quote = *v;
      if (auto v = r.integer("price_scale", Presence::kOptional, 0, 18))
        s.price_scale = static_cast<std::uint8_t>(*v);
      if (auto v = r.integer("qty_scale", Presence::kOptional, 0, 18))
        s.qty_scale = static_cast<std::uint8_t>(*v);
      if (auto v = r.decimal("tick_size", s.price_scale, Presence::kOptional, 0, INT64_MAX))
        s.tick_size = *v;
      if (auto v = r.decimal("step_size", s.qty_scale, Presence::kOptional, 0, INT64_MAX))
        s.step_size = *v;
      if (auto v = r.decimal("min_notional", s.price_scale, Presence::kOptional, 0, INT64_MAX))
        s.min_notional = *v;
      r.finish();
      if (s.symbol.size() >= InstrumentDefined::kSymbolCapacity) r.error("symbol", "too long");
      if (s.base.size() >= InstrumentDefined::kAssetCapacity) r.error("base", "too long");
      if (s.quote.size() >= InstrumentDefined::kAssetCapacity) r.error("quote", "too long");
      c.instruments.push_back(std::move(s));
    }
  }
  if (auto paper = root.object("paper", Presence::kOptional)) {
    if (auto v = paper->integer("slippage_bps", Presence::kOptional, 0, 10'000))
      c.fold.paper.slippage_bps = *v;
    if (auto v = paper->integer("maker_fee_bps", Presence::kOptional, -10'000, 10'000))
      c.fold.paper.maker_fee_bps = *v;
    if (auto v = paper->integer("taker_fee_bps", Presence::kOptional, 0, 10'000))
      c.fold.paper.taker_fee_bps = *v;
    if (auto v = paper->integer("latency_us", Presence::kOptional, 0, 60'000'000))
      c.fold.paper.latency_ns = *v * 1000;
    if (const config::Value* balances = paper->object_value("balances")) {
      for (std::size_t i = 0; i < balances->keys.size(); ++i) {
        const config::Value& v = balances->values[i];
        if (v.kind != config::Value::Kind::kNumber && v.kind != config::Value::Kind::kString) {
          errors.push_back({"paper.balances." + balances->keys[i], "expected a decimal"});
          continue;
        }
        c.balances.emplace_back(balances->keys[i], v.text);
      }
    }
    paper->finish();
  }
  if (const config::Value* bots = root.array("bots", Presence::kOptional)) {
    for (const config::Value& b : bots->items)
      c.initial_bots.push_back(config::to_json(b));
  }
  root.object_value("api");            // read by the runner (runner/cmd_run.cpp)
  root.object_value("notifications");  // read by the notifier (runner/notify)
  root.finish();
  // Opening balances name an asset of an instrument and are exact at that asset's scale.
  {
    const InstrumentTable table(c.instruments);
    for (const auto& [asset, text] : c.balances) {
      const auto index = table.asset_index(asset);
      if (!index) {
        errors.push_back({"paper.balances." + asset, "not an asset of any instrument"});
      } else if (!parse_decimal(text, table.asset_scale(*index))) {
        errors.push_back(
            {"paper.balances." + asset,
             "not an exact decimal at " + std::to_string(table.asset_scale(*index)) + " places"});
      }
    }
  }
  if (c.venues.empty() && !c.instruments.empty()) c.venues.push_back(VenueSpec{});
  // Tables are sized by what the deployment defines.
  const auto n = static_cast<std::uint32_t>(c.instruments.size());
  c.fold.risk.capacity.instruments = std::max(c.fold.risk.capacity.instruments, n);
  c.fold.oms.instruments = std::max(c.fold.oms.instruments, n);
  c.fold.strategy.instruments = std::max(c.fold.strategy.instruments, n);
  for (std::size_t i = 0; i < c.instruments.size(); ++i) {
    bool known = false;
    for (const VenueSpec& v : c.venues)
      known = known || v.name == c.instruments[i].venue;
    if (!known)
      errors.push_back({"instruments[" + std::to_string(i) + "].venue", "not among venues"});
  }
  if (!errors.empty()) return Unexpected(std::move(errors));
  c.source_text = std::string(json);
  return c;
}

}  // namespace be::engine
