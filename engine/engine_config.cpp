// The deployment config (docs/CONFIG.md): parsed with every bad field named, and the fold a
// deployment runs (its opening balances and options), shared by the engine, recovery, replay
// and backtests.
#include <algorithm>
#include <cinttypes>

#include "core/fixed_point.hpp"
#include "core/json_config.hpp"
#include "core/log.hpp"
#include "engine/engine.hpp"
#include "engine/format.hpp"

namespace be::engine {

namespace {

constexpr std::array<Named<JournalMode>, 4> kJournalModeNames{{
    {JournalMode::kOff, "off"},
    {JournalMode::kAsync, "async"},
    {JournalMode::kDurable, "durable"},
    {JournalMode::kNone, "none"},
}};
static_assert(names_every_code(kJournalModeNames, 4), "a new JournalMode needs its name here");

constexpr std::array<Named<Topology>, 2> kTopologyNames{{
    {Topology::kFused, "fused"},
    {Topology::kPipelined, "pipelined"},
}};
static_assert(names_every_code(kTopologyNames, 2), "a new Topology needs its name here");

constexpr std::array<Named<Ingest>, 2> kIngestNames{{
    {Ingest::kThread, "thread"},
    {Ingest::kHot, "hot"},
}};
static_assert(names_every_code(kIngestNames, 2), "a new Ingest needs its name here");

// A CPU number in [-1, 1023], or nothing.
std::optional<int> cpu_number(const config::Value& item) {
  if (item.kind != config::Value::Kind::kNumber) return std::nullopt;
  const auto parsed = parse_decimal(item.text, 0);
  if (!parsed || *parsed < -1 || *parsed > 1023) return std::nullopt;
  return static_cast<int>(*parsed);
}

// The `threads` section (docs/CONFIG.md): "policy" and a CPU set per role, each error naming
// its field.
void parse_threads(const config::Value& threads, PlacementConfig& out,
                   std::vector<config::FieldError>& errors) {
  for (std::size_t i = 0; i < threads.keys.size(); ++i) {
    const std::string& key = threads.keys[i];
    const config::Value& value = threads.values[i];
    const std::string field = "threads." + key;
    if (key == "policy") {
      const auto policy = value.kind == config::Value::Kind::kString
                              ? placement_policy_from(value.text)
                              : std::nullopt;
      if (policy) {
        out.policy = *policy;
      } else {
        errors.push_back({field, "expected \"auto\" or \"none\""});
      }
      continue;
    }
    const auto role = thread_role_from(key);
    if (!role) {
      std::string roles;
      for (std::size_t r = 0; r < kThreadRoles; ++r)
        roles += (r ? ", " : "") + std::string(to_string(static_cast<ThreadRole>(r)));
      errors.push_back({field, "unknown thread role (expected policy, " + roles + ")"});
      continue;
    }
    if (value.kind == config::Value::Kind::kNumber) {
      const auto cpu = cpu_number(value);
      if (cpu && *cpu >= 0) {
        out[*role] = CpuSet::of(*cpu);
      } else {
        errors.push_back({field,
                          "expected a CPU number in [0, 1023], a list like \"0-2,5\" "
                          "or \"any\""});
      }
    } else if (value.kind == config::Value::Kind::kString) {
      if (auto set = parse_cpu_set(value.text)) {
        out[*role] = *set;
      } else {
        errors.push_back({field, set.error()});
      }
    } else {
      errors.push_back({field, "expected a CPU list string (\"0-2,5\", \"any\") or a number"});
    }
  }
}

// engine.cpu (fused) and engine.cpus (pipelined) place the hot threads as threads.pipeline,
// .risk and .orders do; -1 leaves that thread to the policy.
void apply_engine_cpus(EngineConfig& c, std::int64_t fused_cpu,
                       const std::array<std::int64_t, 3>& stage_cpus,
                       std::vector<config::FieldError>& errors) {
  const auto alias = [&](ThreadRole role, std::int64_t cpu, const std::string& field) {
    if (cpu < 0) return;
    if (c.threads[role]) {
      errors.push_back({field, "threads." + std::string(to_string(role)) +
                                   " places the same thread: give one of the two"});
      return;
    }
    c.threads[role] = CpuSet::of(static_cast<int>(cpu));
  };
  if (c.topology == Topology::kFused) {
    alias(ThreadRole::kPipeline, fused_cpu, "engine.cpu");
    return;
  }
  alias(ThreadRole::kPipeline, stage_cpus[0], "engine.cpus[0]");
  alias(ThreadRole::kRisk, stage_cpus[1], "engine.cpus[1]");
  alias(ThreadRole::kOrders, stage_cpus[2], "engine.cpus[2]");
}

// engine.capacity (docs/CONFIG.md "capacity"): each field optional, the rest at its default.
EngineCapacity parse_capacity(config::ObjectReader& r) {
  EngineCapacity c;
  constexpr EngineCapacity kMax = kMaxEngineCapacity;
  if (auto v = r.integer("bots", config::Presence::kOptional, 1, kMax.bots))
    c.bots = static_cast<std::uint32_t>(*v);
  if (auto v = r.integer("instruments", config::Presence::kOptional, 1, kMax.instruments))
    c.instruments = static_cast<std::uint32_t>(*v);
  if (auto v = r.integer("accounts", config::Presence::kOptional, 1, kMax.accounts))
    c.accounts = static_cast<std::uint32_t>(*v);
  if (auto v = r.integer("open_orders", config::Presence::kOptional, 16, kMax.open_orders))
    c.open_orders = static_cast<std::uint32_t>(*v);
  r.finish();
  return c;
}

// Sizes the fold's tables: from engine.capacity when given (checked against what the
// deployment defines), else the historic defaults grown to the instruments defined.
void size_fold(EngineConfig& c, const std::optional<EngineCapacity>& capacity,
               std::vector<config::FieldError>& errors) {
  const auto n = static_cast<std::uint32_t>(c.instruments.size());
  const std::uint32_t bots_held =
      capacity ? capacity->bots : std::min(c.fold.oms.bots, c.fold.risk.capacity.bots);
  if (c.initial_bots.size() > bots_held) {
    errors.push_back({"bots", std::to_string(c.initial_bots.size()) +
                                  " bots, more than engine.capacity.bots (" +
                                  std::to_string(bots_held) + ")"});
  }
  if (!capacity) {
    c.fold.risk.capacity.instruments = std::max(c.fold.risk.capacity.instruments, n);
    c.fold.oms.instruments = std::max(c.fold.oms.instruments, n);
    c.fold.strategy.instruments = std::max(c.fold.strategy.instruments, n);
    return;
  }
  if (n > capacity->instruments) {
    errors.push_back({"engine.capacity.instruments", std::to_string(capacity->instruments) +
                                                         " is fewer than the " + std::to_string(n) +
                                                         " instruments defined"});
  }
  if (std::uint64_t{capacity->bots} * capacity->instruments > kMaxBotInstrumentCells) {
    errors.push_back({"engine.capacity",
                      "bots x instruments must be at most " +
                          std::to_string(kMaxBotInstrumentCells) + ", got " +
                          std::to_string(std::uint64_t{capacity->bots} * capacity->instruments)});
  }
  const InstrumentTable table(c.instruments);
  size_tables(c.fold, *capacity, static_cast<std::uint32_t>(table.assets().size()));
}

}  // namespace

PlacementPlan placement_plan(const EngineConfig& config, std::span<const int> usable_cpus) {
  static constexpr std::array<ThreadRole, 1> kFusedHot{ThreadRole::kPipeline};
  static constexpr std::array<ThreadRole, 3> kPipelinedHot{ThreadRole::kPipeline, ThreadRole::kRisk,
                                                           ThreadRole::kOrders};
  const std::span<const ThreadRole> hot = config.topology == Topology::kPipelined
                                              ? std::span<const ThreadRole>(kPipelinedHot)
                                              : std::span<const ThreadRole>(kFusedHot);
  return resolve_placement(config.threads, usable_cpus, hot);
}

PlacementPlan place_threads(const EngineConfig& config) {
  const PlacementPlan plan = placement_plan(config, usable_cpus());
  install_thread_placement(plan);
  set_thread_placement_reporter(
      [](std::string_view message) { log::write(log::Level::kWarning, log::kEngine, message); });
  place_current_thread(ThreadRole::kOthers);
  return plan;
}

std::string_view to_string(JournalMode mode) noexcept {
  return name_of(kJournalModeNames, mode, "invalid");
}

std::string_view to_string(Topology topology) noexcept {
  return name_of(kTopologyNames, topology, "invalid");
}

std::string_view to_string(Ingest ingest) noexcept {
  return name_of(kIngestNames, ingest, "invalid");
}

std::optional<JournalMode> journal_mode_from(std::string_view name) noexcept {
  return code_of(kJournalModeNames, name);
}

std::optional<Topology> topology_from(std::string_view name) noexcept {
  return code_of(kTopologyNames, name);
}

std::vector<oms::PaperStartingBalance> paper_balances(const EngineConfig& config,
                                                      const InstrumentTable& instruments) {
  std::vector<oms::PaperStartingBalance> out;
  for (const auto& [asset, text] : config.balances) {
    const auto index = instruments.asset_index(asset);
    if (!index) continue;
    const auto amount = parse_decimal(text, instruments.asset_scale(*index));
    if (!amount) continue;
    out.push_back({AccountId{0}, AssetId{static_cast<std::uint16_t>(*index)}, *amount});
  }
  return out;
}

FoldConfig fold_config(const EngineConfig& config,
                       std::span<const oms::PaperStartingBalance> balances) {
  FoldConfig f = config.fold;
  // Durable: paper and live sends alike wait for their input to be durable.
  f.hold_sends = config.journal == JournalMode::kDurable;
  f.paper.starting_balances = balances;
  f.paper.instruments = std::max<std::uint32_t>(
      f.paper.instruments, static_cast<std::uint32_t>(config.instruments.size()));
  // Users and accounts: paper accounts open with the deployment's paper balances unless
  // their command names others; account limits are read at the first instrument's scales.
  const InstrumentTable table(config.instruments);
  f.directory.assets.clear();
  for (std::size_t a = 0; a < table.assets().size(); ++a)
    f.directory.assets.push_back({table.assets()[a], table.asset_scale(a)});
  if (!config.instruments.empty()) {
    f.directory.limit_price_scale = config.instruments.front().price_scale;
    f.directory.limit_qty_scale = config.instruments.front().qty_scale;
  }
  f.directory.default_opening.assign(balances.begin(), balances.end());
  return f;
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
  c.threads.policy = PlacementPolicy::kAuto;  // a deployment's default
  config::ObjectReader root(*doc, "", errors);
  using config::Presence;
  std::int64_t fused_cpu = -1;                         // engine.cpu
  std::array<std::int64_t, 3> stage_cpus{-1, -1, -1};  // engine.cpus
  std::optional<EngineCapacity> capacity;              // engine.capacity
  if (auto engine = root.object("engine", Presence::kOptional)) {
    if (auto v = engine->string("data_dir", Presence::kOptional)) c.data_dir = *v;
    if (auto v = engine->code("journal", Presence::kOptional, kJournalModeNames)) c.journal = *v;
    if (auto v = engine->code("topology", Presence::kOptional, kTopologyNames)) c.topology = *v;
    // The older spellings of threads.pipeline/risk/orders, for the topology in use.
    if (const config::Value* cpus = engine->array("cpus", Presence::kOptional)) {
      if (cpus->items.size() != 3) {
        errors.push_back({"engine.cpus", "expected 3 CPUs: sequencer and strategy, risk, orders"});
      }
      for (std::size_t i = 0; i < cpus->items.size() && i < 3; ++i) {
        const auto cpu = cpu_number(cpus->items[i]);
        if (!cpu) {
          errors.push_back({"engine.cpus[" + std::to_string(i) + "]",
                            "expected a CPU number in [-1, 1023] (-1: not pinned)"});
        } else if (*cpu >= 0) {
          stage_cpus[i] = *cpu;
        }
      }
    }
    if (auto v = engine->string("idle", Presence::kOptional, {"spin", "yield", "backoff"}))
      c.idle = *v;
    if (auto v = engine->integer("cpu", Presence::kOptional, -1, 1023)) fused_cpu = *v;
    if (auto v = engine->integer("snapshot_every_inputs", Presence::kOptional, 1, 1'000'000'000)) {
      c.snapshot_every_inputs = static_cast<std::uint64_t>(*v);
    }
    if (auto v = engine->integer("snapshot_interval_ms", Presence::kOptional, 1, 86'400'000)) {
      c.snapshot_interval = *v * 1'000'000;
    }
    if (auto v = engine->integer("tick_ms", Presence::kOptional, 1, 60'000))
      c.tick_interval = *v * 1'000'000;
    if (auto v = engine->integer("journal_segment_mb", Presence::kOptional, 0, 1 << 20))
      c.journal_segment_bytes = static_cast<std::uint64_t>(*v) << 20;
    if (auto v = engine->integer("journal_segment_age_s", Presence::kOptional, 0, 1 << 30))
      c.journal_segment_age_s = *v;
    if (auto v = engine->integer("keep_snapshots", Presence::kOptional, 0, 1'000'000))
      c.keep_snapshots = static_cast<std::size_t>(*v);
    if (auto v = engine->string("journal_archive_dir", Presence::kOptional))
      c.journal_archive_dir = *v;
    if (auto v = engine->boolean("journal_delete_unarchived", Presence::kOptional))
      c.journal_delete_unarchived = *v;
    if (auto v = engine->integer("disk_reserve_mb", Presence::kOptional, 0, 1 << 30))
      c.disk_reserve_bytes = static_cast<std::uint64_t>(*v) << 20;
    if (auto v = engine->integer("disk_stop_mb", Presence::kOptional, 0, 1 << 30))
      c.disk_stop_bytes = static_cast<std::uint64_t>(*v) << 20;
    if (auto v = engine->boolean("cancel_open_orders_on_shutdown", Presence::kOptional)) {
      c.cancel_open_orders_on_shutdown = *v;
    }
    // Live accounts (docs/ACCOUNTS.md "Live accounts"): dry run is also `run --dry-run`.
    if (auto v = engine->integer("max_live_accounts", Presence::kOptional, 0, 1'000'000))
      c.max_live_accounts = static_cast<std::uint32_t>(*v);
    if (auto v = engine->boolean("dry_run", Presence::kOptional)) c.dry_run = *v;
    static constexpr std::array<Named<oms::ForeignOrderPolicy>, 2> kForeignOrders{{
        {oms::ForeignOrderPolicy::kReport, "report"},
        {oms::ForeignOrderPolicy::kCancel, "cancel"},
    }};
    if (auto v = engine->code("foreign_orders", Presence::kOptional, kForeignOrders))
      c.foreign_orders = *v;
    engine->objects("live_accounts", Presence::kOptional, [&](config::ObjectReader& r) {
      EngineConfig::LiveAccountSettings s;
      if (auto v = r.integer("account", Presence::kRequired, 0, oms::kAccountCapacity - 1))
        s.account = static_cast<std::uint32_t>(*v);
      s.foreign_orders = c.foreign_orders;
      if (auto v = r.code("foreign_orders", Presence::kOptional, kForeignOrders))
        s.foreign_orders = *v;
      r.finish();
      c.live_accounts.push_back(s);
    });
    if (auto section = engine->object("capacity", Presence::kOptional)) {
      capacity = parse_capacity(*section);
    }
    engine->finish();
  }
  root.objects("venues", Presence::kOptional, [&](config::ObjectReader& r) {
    VenueSpec v;
    if (auto name = r.string("name", Presence::kRequired)) v.name = *name;
    if (auto url = r.string("url", Presence::kOptional)) v.url = *url;
    if (auto ingest = r.code("ingest", Presence::kOptional, kIngestNames)) v.ingest = *ingest;
    // The io_uring path decrypts nothing yet (docs/CONNECTIVITY.md).
    if (v.ingest == Ingest::kHot && v.url.starts_with("wss://")) {
      errors.push_back({"venues[" + std::to_string(c.venues.size()) + "].ingest",
                        "hot needs a ws:// url: wss:// is not supported on the io_uring path yet"});
    }
    r.finish();
    c.venues.push_back(std::move(v));
  });
  root.objects("instruments", Presence::kRequired, [&](config::ObjectReader& r) {
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
  });
  if (auto paper = root.object("paper", Presence::kOptional)) {
    if (auto v = paper->integer("slippage_bps", Presence::kOptional, 0, 10'000))
      c.fold.paper.slippage_bps = *v;
    if (auto v = paper->integer("maker_fee_bps", Presence::kOptional, -10'000, 10'000))
      c.fold.paper.maker_fee_bps = *v;
    if (auto v = paper->integer("taker_fee_bps", Presence::kOptional, 0, 10'000))
      c.fold.paper.taker_fee_bps = *v;
    if (auto v = paper->integer("latency_us", Presence::kOptional, 0, 60'000'000))
      c.fold.paper.latency_ns = *v * 1000;
    // The fill and latency models (docs/CONFIG.md "Fill model", oms/paper_venue.hpp).
    if (auto v = paper->code("fill_model", Presence::kOptional, oms::kFillModelNames))
      c.fold.paper.fill_model = *v;
    if (auto v = paper->integer("feed_latency_us", Presence::kOptional, 0, 60'000'000))
      c.fold.paper.feed_latency_ns = *v * 1000;
    if (auto v = paper->code("latency_distribution", Presence::kOptional,
                             oms::kLatencyDistributionNames))
      c.fold.paper.latency_distribution = *v;
    if (auto v = paper->integer("latency_jitter_us", Presence::kOptional, 0, 60'000'000))
      c.fold.paper.latency_jitter_ns = *v * 1000;
    if (auto v = paper->integer("latency_seed", Presence::kOptional, 0, INT64_MAX))
      c.fold.paper.latency_seed = static_cast<std::uint64_t>(*v);
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
  if (const config::Value* threads = root.object_value("threads")) {
    parse_threads(*threads, c.threads, errors);
  }
  apply_engine_cpus(c, fused_cpu, stage_cpus, errors);
  root.object_value("api");            // read by the runner (runner/cmd_run.cpp)
  root.object_value("notifications");  // read by the notifier (runner/notify)
  root.object_value("plugins");        // loaded by the runner (runner/plugin_loader.hpp)
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
  size_fold(c, capacity, errors);
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
