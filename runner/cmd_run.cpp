// `botengine run [CONFIG]`: the production runner. Without a config it starts the embedded
// demo: the exchange simulator on loopback serving a synthetic market, four paper-trading bots
// (DCA, grid, RSI, MA cross), the journal in ./data, the control API and dashboard on
// 127.0.0.1:8080 with an admin token in ./data/admin.token, and a one-line live status.
// docs/CLI.md and docs/CONFIG.md are the reference.
#include <unistd.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "core/clock.hpp"
#include "core/json_config.hpp"
#include "core/log.hpp"
#include "engine/engine.hpp"
#include "engine/format.hpp"
#include "runner/api/auth.hpp"
#include "runner/api/backtests.hpp"
#include "runner/api/options.hpp"
#include "runner/api/server.hpp"
#include "runner/backtest_process.hpp"
#include "runner/cli.hpp"
#include "runner/dashboard/dashboard.hpp"
#include "runner/key_directory.hpp"
#include "runner/live_accounts.hpp"
#include "runner/live_sim.hpp"
#include "runner/notify/notifier.hpp"
#include "runner/plugin_loader.hpp"
#include "runner/status_line.hpp"
#include "sim/market.hpp"
#include "sim/sim_server.hpp"

namespace be::cli {

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}

constexpr const char* kUsage =
    "usage: botengine run [CONFIG] [--data-dir DIR] [--api-bind ADDR] [--api-port N]\n"
    "                     [--tokens FILE] [--master-key-file F] [--no-status]\n"
    "                     [--journal off|async|durable|none] [--sim-port N] [--duration-s N]\n"
    "                     [--log-format text|json] [--live-sim] [--dry-run] [--ca-file F]\n"
    "  CONFIG            a deployment config (docs/CONFIG.md); none: the embedded demo\n"
    "  --data-dir DIR    journal, snapshots, tokens and reports (default ./data)\n"
    "  --api-bind ADDR   control API address (default: the config's api.bind, 127.0.0.1)\n"
    "  --api-port N      control API port (default: the config's api.port, 8080; 0 = any\n"
    "                    free port, printed)\n"
    "  --tokens FILE     API tokens file (default DIR/tokens; created with an admin entry;\n"
    "                    imported into the journal at its first start, which rules after)\n"
    "  --master-key-file F  the key store's master key (default: BE_MASTER_KEY; neither:\n"
    "                    the API refuses key uploads); keys live in DIR/keys\n"
    "  --journal MODE    durability (default async)\n"
    "  --no-status       no live status line\n"
    "  --sim-port N      the demo simulator's port (default: any free port; with\n"
    "                    --live-sim 19443)\n"
    "  --live-sim        the demo's bots on a live-mode account: orders through the real\n"
    "                    Binance gateway, over TLS, to the simulator's exchange (docs/LIVE.md)\n"
    "  --dry-run         live accounts' orders answered by the paper venue on the live market;\n"
    "                    no gateway is built, nothing is sent to a venue\n"
    "  --ca-file F       extra trust anchors (PEM) for the venues' https/wss\n"
    "  --duration-s N    stop by itself after N seconds (tests, demos)\n"
    "  --log-format F    text (default) or json: one JSON object per line (time, level,\n"
    "                    component, message) for log tools\n";

// The demo's deployment: BTCUSDT and ETHUSDT on the simulator, a paper account with 100,000
// USDT, four bots on BTCUSDT. The filters are the simulator's exchange's (tick 0.01, step
// 0.00001 for every USDT pair): --live-sim's preflight refuses an account whose instruments'
// filters differ from its venue's.
constexpr const char* kDemoConfig = R"({
  "engine": {"journal": "async", "snapshot_every_inputs": 50000, "snapshot_interval_ms": 30000},
  "venues": [{"name": "binance", "url": ""}],
  "instruments": [
    {"venue": "binance", "symbol": "BTCUSDT", "base": "BTC", "quote": "USDT",
     "price_scale": 8, "qty_scale": 8, "tick_size": 0.01, "step_size": 0.00001,
     "min_notional": 5},
    {"venue": "binance", "symbol": "ETHUSDT", "base": "ETH", "quote": "USDT",
     "price_scale": 8, "qty_scale": 8, "tick_size": 0.01, "step_size": 0.00001,
     "min_notional": 5}
  ],
  "paper": {"taker_fee_bps": 10, "maker_fee_bps": 2, "slippage_bps": 1, "latency_us": 500,
            "balances": {"USDT": "100000"}},
  "bots": [
    {"name": "demo dca", "symbol": "BTCUSDT", "timeframe": "1m",
     "strategy": {"type": "dca", "parameters": {"base_order_quote": 100.0, "take_profit_pct": 0.5,
       "interval_minutes": 5,
       "safety_orders": {"count": 3, "quote": 100.0, "deviation_pct": 0.3, "step_scale": 1.2,
                         "volume_scale": 1.5}}}},
    {"name": "demo grid", "symbol": "BTCUSDT",
     "strategy": {"type": "grid", "parameters": {"lower": 49000, "upper": 51000, "grids": 20,
                  "spacing": "arithmetic", "quantity_per_grid": 0.001}}},
    {"name": "demo rsi", "symbol": "BTCUSDT", "timeframe": "1m",
     "strategy": {"type": "rsi", "parameters": {"period": 14, "oversold": 30, "overbought": 70,
                  "quote_amount": 100.0}},
     "risk_management": {"max_position_size": 1000.0, "stop_loss_pct": 3.0,
                         "take_profit_pct": 6.0, "max_daily_loss": 200.0,
                         "max_daily_trades": 50}},
    {"name": "demo ma cross", "symbol": "BTCUSDT", "timeframe": "1m",
     "strategy": {"type": "ma_cross", "parameters": {"ma": "ema", "fast": 5, "slow": 20,
                  "quote_amount": 100.0}}}
  ]
})";

// A progress line on stdout: plain text, or a JSON info line with --log-format json.
void say(const std::string& line) {
  log::write(log::Level::kInfo, log::kRunProgress, line);
}

struct Options {
  std::string master_key_file;  // "": BE_MASTER_KEY, else no key uploads
  std::string config_path;
  std::string data_dir = "./data";
  std::optional<std::string> api_bind;  // given: overrides the config's api.bind
  std::optional<int> api_port;          // given: overrides the config's api.port
  std::string tokens;
  std::string journal;
  bool status = true;
  int sim_port = -1;  // -1: the default (any free port; --live-sim: kLiveSimPort)
  long duration_s = 0;
  bool live_sim = false;
  bool dry_run = false;
  std::string ca_file;
};

constexpr cli::Usage usage{"run", kUsage};

bool parse_int(std::string_view s, long lo, long hi, long& out) {
  if (s.empty() || s.size() > 12) return false;
  long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) return false;
  out = v;
  return true;
}

std::string read_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return {};
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Key uploads through the control API go to the key directory (DIR/keys) under the master
// key, from --master-key-file or BE_MASTER_KEY; with neither the API answers them 503. False
// (logged) when a master key was named but cannot be used.
bool wire_key_store(const Options& o, api::ApiOptions& ao,
                    std::shared_ptr<const binance::MasterKey>& master_out) {
  const char* env = std::getenv(std::string(binance::kMasterKeyEnv).c_str());
  if (o.master_key_file.empty() && env == nullptr) return true;
  std::optional<std::string_view> env_value;
  if (env != nullptr) env_value = env;
  auto master = binance::load_master_key(o.master_key_file, env_value);
  if (!master) {
    log::write(log::Level::kError, log::kRun, "key store: " + master.error());
    return false;
  }
  auto key = std::make_shared<binance::MasterKey>(std::move(*master));
  master_out = key;
  const std::filesystem::path dir = std::filesystem::path(o.data_dir) / "keys";
  ao.store_key = [key, dir](std::string_view name, std::string_view api_key,
                            std::string_view secret) {
    return store_key_entry(dir, *key, name, api_key, secret);
  };
  ao.find_key = [key, dir](std::string_view name) {
    return key_entry_fingerprint(dir, *key, name);
  };
  return true;
}

}  // namespace

int run_run(Args args) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    auto value = [&](std::string_view& v) {
      if (i + 1 >= args.size()) return false;
      v = args[++i];
      return true;
    };
    std::string_view v;
    long n = 0;
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    } else if (a == "--data-dir") {
      if (!value(v)) return usage("--data-dir needs a directory");
      o.data_dir = std::string(v);
    } else if (a == "--api-bind") {
      if (!value(v)) return usage("--api-bind needs an address");
      o.api_bind = std::string(v);
    } else if (a == "--api-port") {
      if (!value(v) || !parse_int(v, 0, 65535, n)) return usage("--api-port needs 0..65535");
      o.api_port = static_cast<int>(n);
    } else if (a == "--master-key-file") {
      if (!value(v)) return usage("--master-key-file needs a file");
      o.master_key_file = std::string(v);
    } else if (a == "--tokens") {
      if (!value(v)) return usage("--tokens needs a file");
      o.tokens = std::string(v);
    } else if (a == "--journal") {
      if (!value(v) || (v != "off" && v != "async" && v != "durable" && v != "none")) {
        return usage("--journal needs off|async|durable|none");
      }
      o.journal = std::string(v);
    } else if (a == "--live-sim") {
      o.live_sim = true;
    } else if (a == "--dry-run") {
      o.dry_run = true;
    } else if (a == "--ca-file") {
      if (!value(v)) return usage("--ca-file needs a file");
      o.ca_file = std::string(v);
    } else if (a == "--no-status") {
      o.status = false;
    } else if (a == "--sim-port") {
      if (!value(v) || !parse_int(v, 0, 65535, n)) return usage("--sim-port needs 0..65535");
      o.sim_port = static_cast<int>(n);
    } else if (a == "--log-format") {
      log::Format f = log::Format::kText;
      if (!value(v) || !log::parse_format(v, f)) return usage("--log-format needs text|json");
      log::set_format(f);
    } else if (a == "--duration-s") {
      if (!value(v) || !parse_int(v, 1, 100'000'000, n)) return usage("--duration-s needs N >= 1");
      o.duration_s = n;
    } else if (!a.empty() && a[0] != '-' && o.config_path.empty()) {
      o.config_path = std::string(a);
    } else {
      return usage("unknown argument " + std::string(a));
    }
  }

  const bool demo = o.config_path.empty();
  if (o.live_sim && !demo) return usage("--live-sim runs the demo: give no CONFIG");
  std::string error;
  const std::string text = demo ? std::string(kDemoConfig) : read_file(o.config_path, error);
  if (!error.empty()) {
    log::write(log::Level::kError, log::kRun, error);
    return kExitFailure;
  }
  auto parsed = engine::parse_engine_config(text);
  if (!parsed) {
    log::write(
        log::Level::kError, log::kRun,
        (demo ? "demo config" : o.config_path) + ": " + config::format_errors(parsed.error()));
    return kExitFailure;
  }
  // Plugins: only the ones the deployment config names, loaded and hashed before the engine
  // opens, so recovery already runs (or refuses) their bots (docs/STRATEGIES.md "Plugins").
  if (auto plugins = install_plugins(text, demo ? "demo config" : o.config_path); !plugins) {
    log::write(log::Level::kError, log::kRun, plugins.error());
    return kExitFailure;
  }
  for (const plugin::LoadedPlugin& p : *plugin::installed())
    say("plugin " + p.name + ": " + p.path + " (sha256 " + p.sha256 + ")");
  // The control API's address and limits: the config's "api", then the command line.
  auto api_options = api::read_api_options(text);
  if (!api_options) {
    log::write(
        log::Level::kError, log::kRun,
        (demo ? "demo config" : o.config_path) + ": " + config::format_errors(api_options.error()));
    return kExitFailure;
  }
  api::ApiOptions ao = std::move(*api_options);
  if (o.api_bind) ao.bind_address = *o.api_bind;
  if (o.api_port) ao.port = static_cast<std::uint16_t>(*o.api_port);
  engine::EngineConfig config = std::move(*parsed);
  config.data_dir = o.data_dir;
  if (!o.journal.empty()) {
    // The word was checked against the same names when the options were read.
    config.journal = engine::journal_mode_from(o.journal).value_or(engine::JournalMode::kNone);
  }
  if (!make_directory("run", o.data_dir)) return kExitFailure;
  // Before any thread starts: every one of them follows the config's "threads" (CONFIG.md).
  engine::place_threads(config);
  config.dry_run = config.dry_run || o.dry_run;
  if (!o.ca_file.empty()) config.ca_file = o.ca_file;

  // Tokens: the admin's is created on first start and kept in DATA/admin.token (0600).
  const std::filesystem::path tokens_path = o.tokens.empty()
                                                ? std::filesystem::path(o.data_dir) / "tokens"
                                                : std::filesystem::path(o.tokens);
  auto created = api::ensure_tokens_file(tokens_path);
  if (!created) {
    log::write(log::Level::kError, log::kRun, created.error());
    return kExitFailure;
  }
  const std::filesystem::path admin_token = std::filesystem::path(o.data_dir) / "admin.token";
  if (*created) {
    if (auto w = api::write_private_file(admin_token, **created + "\n"); !w) {
      log::write(log::Level::kError, log::kRun, w.error());
      return kExitFailure;
    }
  }
  auto tokens = api::TokenStore::load(tokens_path);
  if (!tokens) {
    log::write(log::Level::kError, log::kRun, tokens.error());
    return kExitFailure;
  }
  // The tokens file is imported into the journal when the journal has no users yet (the
  // first start of this version; ids are the file's line order); from then on the journal's
  // users are the truth (docs/API.md, "Users and accounts").
  for (const api::TokenStore::Entry& entry : tokens->entries())
    config.initial_users.push_back({entry.name, entry.admin, entry.token_sha256});
  std::shared_ptr<const binance::MasterKey> master;
  if (!wire_key_store(o, ao, master)) return kExitFailure;

  // --live-sim: the simulator and its exchange over TLS; the demo's bots go on a live account
  // once the engine runs (live_sim.hpp).
  WallClock wall_clock;
  std::unique_ptr<LiveSim> live_sim;
  std::vector<std::string> live_sim_bots;
  if (o.live_sim) {
    const auto port = static_cast<std::uint16_t>(o.sim_port < 0 ? kLiveSimPort : o.sim_port);
    auto started = LiveSim::start(o.data_dir, port, master, wall_clock);
    if (!started) {
      log::write(log::Level::kError, log::kRun, started.error());
      return kExitFailure;
    }
    live_sim = std::move(*started);
    master = live_sim->master();
    config.venues.at(0).url = live_sim->stream_url();
    config.ca_file = live_sim->ca_file();
    live_sim_bots = std::move(config.initial_bots);
    config.initial_bots.clear();
    say("exchange simulator and its Binance exchange on " + live_sim->stream_url() +
        " (TLS, throwaway certificate " + live_sim->ca_file() + ")");
  }

  // The demo's market: the simulator on loopback, Binance's wire format.
  std::unique_ptr<sim::SimServer> simulator;
  if (demo && !live_sim) {
    sim::SyntheticConfig sc;
    sc.symbols = {"btcusdt", "ethusdt"};
    sc.seed = 7;
    sc.start_time = WallClock{}.now() / 1'000'000 * 1'000'000;
    sim::SimConfig simc;
    simc.port = static_cast<std::uint16_t>(std::max(o.sim_port, 0));
    simulator = std::make_unique<sim::SimServer>(simc, sim::make_synthetic_source(sc));
    auto port = simulator->start();
    if (!port) {
      log::write(log::Level::kError, log::kRun, "simulator: " + port.error());
      return kExitFailure;
    }
    config.venues.at(0).url = "ws://127.0.0.1:" + std::to_string(*port) + "/stream";
    say("exchange simulator on ws://127.0.0.1:" + std::to_string(*port) +
        " (synthetic BTCUSDT, ETHUSDT)");
  }

  // Notifications: webhooks from the config's "notifications" (none in the demo). Created
  // before the engine opens: its cursor says which journaled notifications to send again.
  std::unique_ptr<notify::Notifier> notifier;
  if (auto nc = notify::parse_notify_config(text); nc && !nc->webhooks.empty()) {
    notify::NotifierOptions no;
    no.config = std::move(*nc);
    no.state_dir = std::filesystem::path(o.data_dir) / "notify";
    auto n = notify::Notifier::create(std::move(no));
    if (!n) {
      log::write(log::Level::kError, log::kRun, "notifications: " + n.error());
      return kExitFailure;
    }
    notifier = std::move(*n);
    config.notifications_after = notifier->delivered_through();
  } else if (!nc) {
    log::write(log::Level::kError, log::kRun, config::format_errors(nc.error()));
    return kExitFailure;
  }

  auto opened = engine::Engine::open(config);
  if (!opened) {
    log::write(log::Level::kError, log::kRun, opened.error());
    return kExitFailure;
  }
  engine::Engine& eng = **opened;
  const auto& rec = eng.recovery();
  if (rec.last_position > 0) {
    char line[256];
    std::snprintf(line, sizeof line,
                  "recovered %llu journal records (snapshot at %llu, %llu tail records) in %.3f s; "
                  "%llu orders in flight, reconciled with the venue at start",
                  static_cast<unsigned long long>(rec.last_position),
                  static_cast<unsigned long long>(rec.snapshot_position),
                  static_cast<unsigned long long>(rec.tail_records), rec.seconds,
                  static_cast<unsigned long long>(rec.unknown_orders));
    say(line);
  }
  for (const std::string& w : rec.warnings)
    log::write(log::Level::kWarning, log::kRun, "recovery: " + w);

  if (notifier) {
    notify::Notifier* raw = notifier.get();
    const engine::InstrumentTable table(config.instruments);
    eng.set_notification_handler(
        [raw, &eng, table](SequenceNumber seq, Nanos t, const Notification& note) {
          notify::NotifyItem item;
          item.seq = seq;
          item.time = t;
          item.n = note;
          if (const InstrumentDefined* d = table.find(note.instrument)) {
            item.symbol = std::string(d->symbol_view());
            item.price_scale = d->price_scale;
            item.qty_scale = d->qty_scale;
          }
          if (auto m = eng.read_model()) {
            if (const auto* b = m->find(note.bot)) item.bot_name = b->name;
          }
          if (seq == 0) {  // raised, not journaled (kReplicaDivergence)
            item.seq = note.cause;
            raw->alert(std::move(item));
          } else {
            raw->offer(std::move(item));
          }
        });
    eng.set_metrics_extra([raw] { return raw->stats_text(); });
  }

  // Live accounts: a gateway per live account on shared threads, handed to the engine
  // (live_accounts.hpp); attached before start, synced with the directory while running.
  const engine::InstrumentTable instruments(config.instruments);
  LiveAccountsOptions lo;
  lo.keys_dir = std::filesystem::path(o.data_dir) / "keys";
  lo.master = master;
  lo.max_live_accounts = config.max_live_accounts;
  lo.tls.ca_file = config.ca_file;
  lo.dry_run = config.dry_run;
  lo.foreign_orders = config.foreign_orders;
  lo.account_settings = config.live_accounts;
  // The venue id the engine gave the venue's instruments (their order of first appearance).
  for (std::size_t i = 0; i < config.instruments.size(); ++i)
    if (config.instruments[i].venue == lo.venue_name) lo.venue = instruments.definition(i).venue;
  LiveAccounts live(eng, instruments, std::move(lo), wall_clock);
  eng.attach_live_venues(&live);
  // The gateways of the journal's live accounts, and the venue's filters (journaled once, at
  // the first account that connects). Before start: a restarted runner's bots then send
  // nothing before their gateway is there, and the filters are journaled ahead of any order.
  // The filters are fetched when an account connects (a refused one retried into connection
  // among them), not on every pass: a venue that cannot answer is logged once per connection.
  std::size_t connected_before = 0;
  const auto connect_live = [&] {
    const auto m = eng.read_model();
    if (!m) return;
    live.sync(*m);
    const bool more = live.connected() > connected_before;
    connected_before = live.connected();
    if (more && !config.dry_run) {
      if (auto filters = live.journal_venue_filters(*m); !filters) {
        log::write(log::Level::kWarning, log::kRun, "venue filters: " + filters.error());
      }
    }
  };
  connect_live();

  if (auto started = eng.start(); !started) {
    log::write(log::Level::kError, log::kRun, started.error());
    return kExitFailure;
  }
  if (live_sim) {
    auto account = live_sim->ensure_account(eng, live_sim_bots, connect_live);
    if (!account) {
      log::write(log::Level::kError, log::kRun, account.error());
      eng.stop();
      return kExitFailure;
    }
  }
  connect_live();  // accounts the start made (the tokens-file import makes paper ones only)

  ao.reports_dir = std::filesystem::path(o.data_dir) / "reports";
  ao.static_assets = [](std::string_view path) -> std::optional<api::StaticAsset> {
    const dashboard::Asset* a = dashboard::find_asset(path);
    if (a == nullptr) return std::nullopt;
    return api::StaticAsset{
        a->content_type,
        std::string_view(reinterpret_cast<const char*>(a->bytes.data()), a->bytes.size())};
  };
  // POST /api/v1/backtests: each job a `botengine replay --bots` child over this journal
  // (backtest_process.hpp). Declared before the server, so it outlives it.
  std::optional<api::BacktestQueue> backtests;
  if (config.journal != engine::JournalMode::kOff) {
    BacktestProcessOptions bo;
    bo.botengine = "/proc/self/exe";
    bo.journal_dir = o.data_dir + "/journal";
    bo.work_dir = o.data_dir + "/backtests";
    std::error_code ignored;
    std::filesystem::remove_all(bo.work_dir, ignored);  // a crashed run's leftovers
    backtests.emplace(
        [bo](std::uint64_t id, const std::vector<std::string>& bots, std::stop_token stop) {
          return run_backtest_process(bo, id, bots, stop);
        });
    ao.backtests = &*backtests;
  }
  api::ApiServer server(eng, std::move(*tokens), ao);
  auto port = server.start();
  if (!port) {
    log::write(log::Level::kError, log::kRun, "control API: " + port.error());
    eng.stop();
    return kExitFailure;
  }
  say(std::string("control API and dashboard on ") + (ao.tls ? "https://" : "http://") +
      ao.bind_address + ":" + std::to_string(*port) + "/");
  say("admin token in " + std::filesystem::absolute(admin_token).string());
  say("journal in " + std::filesystem::absolute(o.data_dir + "/journal").string() + " (" +
      std::string(engine::to_string(config.journal)) + ")");

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A terminal gets the status line redrawn in place; a log (a file, or JSON lines) one in 25.
  const bool tty = o.status && isatty(STDOUT_FILENO) && log::format() == log::Format::kText;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.duration_s);
  bool halted = false;
  while (!g_stop) {
    // The status line's cadence; shutdown is driven by the signal flag, not by this wait.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (o.duration_s > 0 && std::chrono::steady_clock::now() >= deadline) break;
    if (!halted && !eng.running()) {
      // An engine thread failed: the engine has stopped trading; the control API stays up so
      // that /api/v1/health says why, until the operator stops the process.
      halted = true;
      if (tty) {
        std::fputs("\n", stdout);
        std::fflush(stdout);
      }
      log::write(log::Level::kError, log::kRun, "the engine halted: " + eng.failure());
    }
    connect_live();  // accounts added, removed or re-keyed; refused ones retried when due
    if (o.status) {
      if (auto m = eng.read_model()) {
        const std::string line = status_line(*m);
        if (tty) {
          std::printf("\r%-150s", line.c_str());
          std::fflush(stdout);
        } else {
          static int every = 0;
          if (++every % 25 == 0) say(line);
        }
      }
    }
  }
  if (tty) {
    std::fputs("\n", stdout);
    std::fflush(stdout);
  }
  say(std::string("stopping: intake off, ") +
      (config.cancel_open_orders_on_shutdown ? "cancelling" : "keeping") +
      " open orders, journal flush, final snapshot");
  server.stop();
  const std::string unrecorded = eng.stop();
  live.stop();
  if (live_sim) live_sim->stop();
  if (simulator) simulator->stop();
  if (!unrecorded.empty()) {
    log::write(log::Level::kError, log::kRun, unrecorded);
    return kExitFailure;
  }
  if (halted) return kExitFailure;
  say("stopped cleanly");
  return kExitOk;
}

}  // namespace be::cli
