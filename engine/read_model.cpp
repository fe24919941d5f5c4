// The read model: an immutable view of the engine that the control API, dashboard and
// notifier read (engine/control.hpp), built on the replica's thread from the replica's fold
// (replica.hpp; every publish interval, and when a command or drain() asks; at open, before
// the threads start), plus the history the fold does not keep (recent fills, equity curves),
// which snapshots carry.
#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

#include "core/counters.hpp"
#include "core/state_io.hpp"
#include "engine/engine_impl.hpp"
#include "oms/order.hpp"
#include "risk/types.hpp"

namespace be::engine {

namespace {

// "<part>_<counter>", made once per process and kept for its life: a publication then
// allocates no counter name. Bounded: the parts and counter tables are compiled in.
std::string_view counter_name(std::string_view part, std::string_view counter) {
  static std::mutex mutex;
  static std::map<std::pair<const char*, const char*>, std::string> names;  // static texts
  std::lock_guard lock(mutex);
  auto [it, fresh] = names.try_emplace({part.data(), counter.data()});
  if (fresh) it->second = std::string(part) + "_" + std::string(counter);
  return it->second;
}

std::string client_id_text(const oms::ClientOrderId& id) {
  char buf[oms::kClientOrderIdMaxChars + 1] = {};
  return std::string(buf, oms::format_client_order_id(id, buf));
}

}  // namespace

void Engine::Impl::publish(Nanos now) {
  const Nanos started = monotonic_now();
  auto m = std::make_shared<ReadModel>();
  build_read_model(*m, now);
  auto d = std::make_shared<const Directory>(replica.fold.directory());
  {
    std::lock_guard lock(model_mutex);
    model = std::move(m);
    directory_view = std::move(d);
  }
  published.store(replica.fold.ordinal(), std::memory_order_release);
  published_position.store(replica.position, std::memory_order_release);
  {
    // Commands wait for a read model that shows them (submit()).
    std::lock_guard lock(request_mutex);
  }
  request_cv.notify_all();
  replica.last_publish = now;
  replica.publish.record(monotonic_now() - started);
}

void Engine::Impl::publish_halted() {
  std::shared_ptr<const ReadModel> last;
  {
    std::lock_guard lock(model_mutex);
    last = model;
  }
  auto m = last ? std::make_shared<ReadModel>(*last) : std::make_shared<ReadModel>();
  m->engine.problems.clear();
  m->engine.healthy = true;
  add_problems(m->engine);
  m->engine.published_wall_time = wall_now();
  {
    std::lock_guard lock(model_mutex);
    model = std::move(m);
  }
  { std::lock_guard lock(request_mutex); }
  request_cv.notify_all();
}

StageLatency stage_latency(std::string name, const LatencyHistogram& h) {
  StageLatency s;
  s.stage = std::move(name);
  s.count = h.count();
  s.p50 = h.quantile(0.50);
  s.p99 = h.quantile(0.99);
  s.max = h.max();
  s.sum = h.sum();
  s.cumulative = h.cumulative_counts();
  return s;
}

void Engine::Impl::build_read_model(ReadModel& m, Nanos now) {
  const Fold& model_fold = replica.fold;  // never the pipeline's: it is applying inputs meanwhile
  const stage::StrategyStage& st = model_fold.strategy();
  const risk::RiskEngine& rk = model_fold.risk().engine();
  EngineView& e = m.engine;
  e.last_sequence = journaled_through.load(std::memory_order_acquire);
  e.journal_committed = writer ? writer->committed() : 0;
  e.disk_free_bytes = disk_free.load(std::memory_order_relaxed);
  e.disk_reserve = model_fold.risk().engine().disk_reserve();
  e.journal_durable = writer ? writer->durable() : 0;
  e.durability = std::string(to_string(config.journal));
  e.topology = std::string(to_string(config.topology));
  Replica& rep = replica;
  if (rep.last_publish != 0 && now > rep.last_publish) {
    rep.events_per_second = static_cast<double>(rep.inputs - rep.inputs_at_last_publish) * 1e9 /
                            static_cast<double>(now - rep.last_publish);
  }
  rep.inputs_at_last_publish = rep.inputs;
  e.events_per_second = rep.events_per_second;
  e.engine_time = st.engine_time();
  e.published_wall_time = now;
  e.inputs = rep.inputs;
  e.orders_sent = model_fold.stats()["orders_sent"];
  e.fills = model_fold.stats()["fills"];
  e.risk_rejects = model_fold.risk().stats()["rejected"];
  for (int r = 1; r < risk::kRejectReasonCount; ++r) {
    const std::uint64_t n = model_fold.risk().stats().by_reason[static_cast<std::size_t>(r)];
    if (n != 0) {
      e.rejects_by_reason.emplace_back(
          std::string(risk::to_string(static_cast<risk::RejectReason>(r))), n);
    }
  }
  e.counters.clear();
  // The same tables in the same order every time: their names are looked up once.
  e.counters.reserve(counter_names.size() + 4);
  std::size_t next_name = 0;
  const auto add_counters = [&](std::string_view part, const auto& set) {
    for_each_counter(set, [&](const CounterSpec& c, std::uint64_t value) {
      if (next_name == counter_names.size()) counter_names.push_back(counter_name(part, c.name));
      e.counters.push_back({counter_names[next_name++], c.help, c.kind, value});
    });
  };
  add_counters("strategy", st.stats());
  add_counters("feed_health", st.feed_health().stats());
  add_counters("risk", model_fold.risk().stats());
  add_counters("order_stage", model_fold.order_stage().stats());
  add_counters("order_stage", model_fold.order_stage().live_stats());
  if (model_fold.paper() != nullptr) add_counters("paper", model_fold.paper()->stats());
  if (writer) add_counters("journal", writer->counters());
  e.counters.push_back({"engine_capacity_refused",
                        "Bot creates refused (409) past the deployment's engine.capacity.bots.",
                        CounterKind::kCounter, capacity_refused.load(std::memory_order_relaxed)});
  // From the risk stage's latches: they are fold state, so a restart shows them too.
  e.global_kill_switch = rk.kill_switch_latched(risk::Scope::kGlobal, 0);
  const auto account_count = std::max<std::uint32_t>(
      1, static_cast<std::uint32_t>(model_fold.directory().accounts().size()));
  for (std::uint32_t a = 0; a < account_count; ++a)
    if (rk.kill_switch_latched(risk::Scope::kAccount, a)) e.killed_accounts.push_back(a);
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
      f.last_message_time = cs.last_frame_time;
      if (f.state == "disconnected" && cs.connect_failures > 0) f.state = "reconnecting";
    } else if (const PolledFeed* pf = v < polled.size() ? polled[v].load() : nullptr) {
      const PolledFeedStats ps = pf->stats();
      f.messages = ps.frames;
      f.last_message_time = ps.last_frame_time;
      if (f.state == "disconnected" && ps.connect_failures > 0) f.state = "reconnecting";
    }
    f.rejects = parse_rejects_io.load(std::memory_order_relaxed);
    if (f.state != "connected") {
      e.healthy = false;
      e.problems.push_back("feed " + f.venue + " is " + f.state);
    }
    e.feeds.push_back(std::move(f));
  }
  e.market_ready = instruments.size() > 0;
  for (std::size_t i = 0; i < instruments.size(); ++i) {
    if (rk.reference_price(InstrumentId{static_cast<std::uint32_t>(i)}) == 0)
      e.market_ready = false;
  }
  e.latency.push_back(stage_latency("feed", latency.feed));
  e.latency.push_back(stage_latency("strategy", latency.strategy));
  e.latency.push_back(stage_latency("risk", latency.risk));
  e.latency.push_back(stage_latency("orders", latency.orders));
  e.latency.push_back(stage_latency("fold", latency.fold));
  e.latency.push_back(stage_latency("journal", latency.journal));
  e.latency.push_back(stage_latency("tick_to_order", latency.tick_to_order));
  e.balances = balances_of(AccountId{0});
  add_problems(e);
  replica_view(e, now);

  publish_bots(m);
  directory_views(m);
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

std::vector<BalanceView> Engine::Impl::balances_of(AccountId account) const {
  const Fold& model_fold = replica.fold;
  std::vector<BalanceView> out;
  for (std::size_t a = 0; a < model_fold.asset_count(); ++a) {
    const AssetId asset{static_cast<std::uint16_t>(a)};
    const oms::Balance b = model_fold.orders().balance(account, asset);
    const auto idx = instruments.asset_index(model_fold.asset_name(asset));
    const int scale = idx ? instruments.asset_scale(*idx) : 8;
    out.push_back(BalanceView{std::string(model_fold.asset_name(asset)),
                              decimal_to_string(b.free, scale),
                              decimal_to_string(b.locked, scale)});
  }
  return out;
}

// Users and accounts as the directory holds them, with each account's balances, kill switch
// and bot count (after the bots, which say what they trade on).
void Engine::Impl::directory_views(ReadModel& m) const {
  const Fold& model_fold = replica.fold;
  const Directory& d = model_fold.directory();
  for (std::size_t i = 0; i < d.users().size(); ++i) {
    const DirectoryUser& u = d.users()[i];
    m.users.push_back(UserView{UserId{static_cast<std::uint32_t>(i + 1)}, u.name, u.admin,
                               u.disabled, u.token_sha256, u.changed});
  }
  const risk::RiskEngine& rk = model_fold.risk().engine();
  // Counted as the bots' views were built (reading every view would touch every bot).
  const std::vector<std::uint32_t>& bots_per_account = published_bots.bots_per_account;
  for (std::size_t i = 0; i < d.accounts().size(); ++i) {
    const DirectoryAccount& a = d.accounts()[i];
    AccountView v;
    v.id = AccountId{static_cast<std::uint32_t>(i)};
    v.owner = a.owner;
    v.name = a.name;
    v.venue = a.venue;
    v.mode = a.mode;
    v.endpoint = a.endpoint;
    v.rest_url = a.rest_url;
    v.ws_api_url = a.ws_api_url;
    v.stream_url = a.stream_url;
    v.key_name = a.key_name;
    v.key_fingerprint = a.key_fingerprint;
    v.removed = a.removed;
    v.kill_switch = rk.kill_switch_latched(risk::Scope::kAccount, static_cast<std::uint32_t>(i));
    v.balances = balances_of(v.id);
    v.bots = i < bots_per_account.size() ? bots_per_account[i] : 0;
    live_account_view(v);
    m.accounts.push_back(std::move(v));
  }
}

// The bots, by id: each view rebuilt only when something it shows moved since the last
// publication (the stages' view versions, core/view_versions.hpp; the prices the bot is
// valued at; its kill switch and circuit), the others shared with the last read model
// (engine/shared_views.hpp). Work: a scan of a few dense per-bot arrays plus the changed bots.
void Engine::Impl::publish_bots(ReadModel& m) {
  const Fold& model_fold = replica.fold;
  const stage::StrategyStage& st = model_fold.strategy();
  const risk::RiskEngine& rk = model_fold.risk().engine();
  const oms::OrderManager& om = model_fold.orders();
  PublishedBots& pub = published_bots;

  // Which instruments' prices moved (the position view's mark; unrealized PnL).
  const std::size_t instrument_count = om.capacity().instruments;
  pub.reference_prices.resize(instrument_count, 0);
  pub.valuation_prices.resize(instrument_count, 0);
  pub.price_moved.assign(instrument_count, 0);
  bool any_price_moved = false;
  for (std::uint32_t i = 0; i < instrument_count; ++i) {
    const std::int64_t reference = rk.reference_price(InstrumentId{i});
    const std::int64_t valuation = om.valuation_price(InstrumentId{i});
    if (reference != pub.reference_prices[i] || valuation != pub.valuation_prices[i]) {
      pub.price_moved[i] = 1;
      any_price_moved = true;
      pub.reference_prices[i] = reference;
      pub.valuation_prices[i] = valuation;
    }
  }
  const auto moved = [&](InstrumentId i) {
    if (i == oms::OrderManager::kAllInstruments) return any_price_moved;
    return index_of(i) < instrument_count && pub.price_moved[index_of(i)] != 0;
  };
  const bool everything = rebuild_every_view.load(std::memory_order_acquire);
  const bool flags_moved = rk.bot_flag_changes() != pub.risk_flag_changes;
  pub.risk_flag_changes = rk.bot_flag_changes();

  const std::span<const std::uint32_t> strategy_versions = st.view_versions();
  const std::span<const std::uint32_t> order_versions = om.view_versions();
  const std::uint32_t ids = st.next_bot_id();
  if (pub.by_id.size() < ids) {
    pub.shown.resize(ids, 0);
    pub.strategy_versions.resize(ids, 0);
    pub.order_versions.resize(ids, 0);
    pub.instruments.resize(ids, kNoInstrument);
    pub.by_id.resize(ids);
  }
  const auto count_in = [&](AccountId account, int delta) {
    const std::uint32_t a = index_of(account);  // kNoAccount (none yet) is past them all
    if (a >= om.capacity().accounts) return;
    if (a >= pub.bots_per_account.size()) pub.bots_per_account.resize(a + 1, 0);
    pub.bots_per_account[a] += static_cast<std::uint32_t>(delta);
  };
  bool membership_changed = false;
  std::vector<std::uint32_t>& changed = pub.changed;  // ids whose view is rebuilt
  changed.clear();
  // Two dense compares a bot; a bot created or deleted moved its strategy version too (its
  // state changed), so membership needs no look-up of its own. (A bot past the stages'
  // versioned ids, none today, is looked at every time.)
  for (std::uint32_t id = 0; id < ids; ++id) {
    const bool versioned = id < strategy_versions.size() && id < order_versions.size();
    bool dirty = everything || !versioned || strategy_versions[id] != pub.strategy_versions[id] ||
                 order_versions[id] != pub.order_versions[id];
    if (!dirty && any_price_moved && pub.shown[id])
      dirty = moved(pub.instruments[id]) || moved(om.priced_instrument(BotId{id}));
    if (!dirty && flags_moved && pub.shown[id]) {
      dirty = rk.circuit_open(BotId{id}) != pub.by_id[id].circuit_open ||
              rk.kill_switch_latched(risk::Scope::kBot, id) != pub.by_id[id].kill_switch;
    }
    if (dirty) changed.push_back(id);
  }

  std::size_t rebuilt = 0;
  for (const std::uint32_t id : changed) {
    PublishedBot& p = pub.by_id[id];
    const BotId bot{id};
    pub.strategy_versions[id] = id < strategy_versions.size() ? strategy_versions[id] : 0;
    pub.order_versions[id] = id < order_versions.size() ? order_versions[id] : 0;
    const std::optional<stage::BotSummary> summary = st.describe(bot);
    if (!summary) {  // deleted (or an id whose create was refused)
      if (pub.shown[id]) {
        count_in(p.account, -1);
        pub.shown[id] = 0;
        p = PublishedBot{};
        membership_changed = true;
      }
      continue;
    }
    ++rebuilt;
    if (pub.shown[id]) {
      count_in(p.account, -1);
    } else {
      membership_changed = true;
    }
    pub.shown[id] = 1;
    pub.instruments[id] = summary->instrument;
    p.account = om.account_of(bot);
    count_in(p.account, +1);
    p.circuit_open = rk.circuit_open(bot);
    p.kill_switch = rk.kill_switch_latched(risk::Scope::kBot, id);
    p.view = std::make_shared<const BotView>(bot_view(*summary));
  }
  pub.rebuilt += rebuilt;

  if (membership_changed) {  // a bot came or went: the list is laid out again, by id
    pub.list.clear();
    for (std::uint32_t id = 0; id < ids; ++id) {
      PublishedBot& p = pub.by_id[id];
      if (!pub.shown[id]) continue;
      p.position = static_cast<std::uint32_t>(pub.list.size());
      pub.list.push_back(p.view);
    }
  } else {
    for (const std::uint32_t id : changed)
      if (pub.shown[id]) pub.list.replace(pub.by_id[id].position, pub.by_id[id].view);
  }
  pub.published += pub.list.size();
  m.bots = pub.list;
  m.engine.views_rebuilt = rebuilt;
  m.engine.counters.push_back({"read_model_views_rebuilt",
                               "Bot views the read model's publications rebuilt (a bot that "
                               "changed since the publication before).",
                               CounterKind::kCounter, pub.rebuilt});
  m.engine.counters.push_back({"read_model_views_published",
                               "Bot views the read model's publications showed, rebuilt or "
                               "shared with the publication before.",
                               CounterKind::kCounter, pub.published});
}

// One bot as the read model shows it: its summary, position, orders, fills and equity curve.
BotView Engine::Impl::bot_view(const stage::BotSummary& s) {
  const Fold& model_fold = replica.fold;
  const stage::StrategyStage& st = model_fold.strategy();
  const risk::RiskEngine& rk = model_fold.risk().engine();
  const oms::OrderManager& om = model_fold.orders();
  BotView b;
  b.id = s.id;
  b.owner = s.owner;
  b.account = om.account_of(s.id);
  b.name = s.name;
  b.type = s.type;
  b.venue = s.venue.empty() ? "binance" : s.venue;
  b.symbol = s.symbol;
  b.state = s.state;
  b.state_reason = std::string(to_string(s.reason));
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
  // Orders: open first, then the most recent closed ones; among equal times, the newest
  // order first (a total order: the bot's list says nothing of age).
  std::vector<const oms::ManagedOrder*> orders;
  om.for_each_order(s.id, [&](const oms::ManagedOrder& o) { orders.push_back(&o); });
  std::sort(orders.begin(), orders.end(), [](const auto* a, const auto* c) {
    const bool ao = !oms::is_terminal(a->order.state), co = !oms::is_terminal(c->order.state);
    if (ao != co) return ao;
    if (a->updated != c->updated) return a->updated > c->updated;
    return a->order.client_id.sequence > c->order.client_id.sequence;
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
  return b;
}

// What is wrong, one line each: the engine's halt and the journal make it unhealthy; refused
// inputs and unpinned threads are reported without.
void Engine::Impl::add_problems(EngineView& e) const {
  {
    std::lock_guard lock(problems_mutex);
    if (!halt_reason.empty()) {
      e.healthy = false;
      e.problems.push_back("engine halted: " + halt_reason);
    }
    for (const ThreadPlacementFailure& f : thread_placement_failures())  // of the process
      e.problems.push_back(f.why + " (the thread runs unpinned)");
    e.journal_failed = !journal_error.empty() || (writer && writer->failed());
    if (!journal_error.empty()) {
      e.healthy = false;
      e.problems.push_back(journal_error);
    }
  }
  for (const std::string& w : self.recovery().warnings)
    e.problems.push_back("recovery: " + w);  // healthy still: it ran on what it could trust
  if (writer && writer->failed()) {
    e.healthy = false;
    e.problems.push_back("journal writer failed: " + writer->error().message);
  }
  if (const std::uint64_t refused = ingress_full.load(); refused > 0)
    e.problems.push_back("ingress refused " + std::to_string(refused) + " inputs");
  add_live_problems(e);
  if (const std::uint64_t lost = feedback_full.load(); lost > 0) {
    e.healthy = false;
    e.problems.push_back("feedback ring refused " + std::to_string(lost) +
                         " venue answers or loop-backs (the sequencer fell behind)");
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

// Fills for the read model's per-bot history, from the journaled records (the replica's
// thread; recovery's before it starts).
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

void Engine::rebuild_every_view(bool on) {
  impl_->rebuild_every_view.store(on, std::memory_order_release);
}

std::shared_ptr<const ReadModel> Engine::read_model() const {
  std::lock_guard lock(impl_->model_mutex);
  return impl_->model;
}

void Engine::Impl::BotHistory::note(const Event& fill) {
  if (fills.size() < kFills) {
    fills.push_back(fill);
  } else {
    fills[trade_count % kFills] = fill;
  }
  ++trade_count;
}

}  // namespace be::engine
