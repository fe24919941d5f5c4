// `botengine sim`: the exchange simulator on loopback (sim/, docs/SIMULATOR.md).
//
//   botengine sim [--port N] [--bind ADDR] [--allow-remote]
//                 [--source synthetic|candles:FILE|capture:FILE] [--symbols a,b,...]
//                 [--speed 1|N|max] [--seed N] [--ping-interval-ms N]
//                 [--volatility X] [--drift X] [--trades-per-bar N]
//                 [--tls-cert F --tls-key F] [--no-exchange] [--exchange-keys F]
//                 [--balances A=N,..] [--commission-bps MAKER,TAKER] [--fees-in-bnb]
//
// Prints where it listens and runs until SIGINT or SIGTERM, then stops cleanly.
// Exit codes: 0 stopped by a signal; 1 the source or the socket failed; 2 a bad argument.
#include <signal.h>

#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "runner/cli.hpp"
#include "sim/binance/sim_venue.hpp"
#include "sim/market.hpp"
#include "sim/sim_server.hpp"
#include "sim/ticker_stream.hpp"

namespace be::cli {
namespace {

constexpr std::string_view kUsage =
    "usage: botengine sim [--port N] [--bind ADDR] [--allow-remote]\n"
    "                     [--source synthetic|candles:FILE|capture:FILE] [--symbols a,b]\n"
    "                     [--speed 1|N|max] [--seed N] [--ping-interval-ms N]\n"
    "                     [--volatility X] [--drift X] [--trades-per-bar N]\n"
    "                     [--tls-cert F --tls-key F] [--no-exchange] [--exchange-keys F]\n"
    "                     [--balances A=N,..] [--commission-bps M,T] [--fees-in-bnb]\n"
    "  --port N             TCP port (default 9443, Binance's; 0 = any free port)\n"
    "  --bind ADDR          listen address (default 127.0.0.1; non-loopback needs\n"
    "                       --allow-remote)\n"
    "  --source             synthetic (default): seeded random walk per symbol\n"
    "                       candles:FILE: CSV or candles-1m JSON expanded into trades\n"
    "                       capture:FILE: a cryptofeed Binance capture served as recorded\n"
    "  --symbols a,b        synthetic: the markets (default btcusdt,ethusdt); candles: the\n"
    "                       symbol name (default from the file name); capture: a filter\n"
    "  --speed 1|N|max      event-time pacing: real time, N times faster, or as fast as\n"
    "                       the slowest client reads (default 1)\n"
    "  --seed N             seed of the synthetic market and the candle expansion (default 1)\n"
    "  --tls-cert F --tls-key F\n"
    "                       serve wss:// and https:// with this PEM certificate and key\n"
    "  --no-exchange        market streams only (no Binance REST API or user data)\n"
    "  --exchange-keys F    an exchange account's API key and secret: a file of two lines,\n"
    "                       api_key=... and secret=... (without it: public endpoints only);\n"
    "                       repeat for more accounts, each named by its file (alice.keys:\n"
    "                       alice), each with --balances\n"
    "  --balances A=N,..    the account's starting balances\n"
    "                       (default USDT=100000,BTC=1,ETH=10,BNB=100)\n"
    "  --commission-bps M,T maker and taker commission in 0.01 % (default 10,10: 0.1 %)\n"
    "  --fees-in-bnb        pay commission in BNB (25 % off) while BNB covers it\n";

constexpr cli::Usage usage{"sim", kUsage};

template <class T>
bool parse_number(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool parse_double(std::string_view text, double& out) {
  const std::string s(text);
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size();
}

std::vector<std::string> split_symbols(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    if (comma != 0) out.push_back(sim::to_lower(list.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

// "BTCUSDT_2021-02-19_1week_1m.json" -> "btcusdt".
std::string symbol_from_path(std::string_view path) {
  const auto slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  name = name.substr(0, name.find_first_of("_.-"));
  return name.empty() ? "btcusdt" : sim::to_lower(name);
}

// The exchange's options (--no-exchange, --exchange-keys, --balances, --commission-bps,
// --fees-in-bnb); Binance's default spot tier is 0.1 % maker and taker.
struct ExchangeOptions {
  bool enabled = true;
  std::string balances = "USDT=100000,BTC=1,ETH=10,BNB=100";
  std::vector<std::string> keys_files;  // one account each, named by the file (alice.keys)
  binance::mock::MockConfig config = [] {
    binance::mock::MockConfig c;
    c.maker_commission_bps = 10;
    c.taker_commission_bps = 10;
    return c;
  }();
};

}  // namespace

int run_sim(Args args) {
  sim::SimConfig config;
  std::string source = "synthetic";
  std::vector<std::string> symbols;
  std::uint64_t seed = 1;
  double volatility = 0.8, drift = 0.0;
  ExchangeOptions exchange;
  int trades_per_bar = 20;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
      return kExitOk;
    }
    if (a == "--allow-remote") {
      config.allow_remote = true;
      continue;
    }
    if (a == "--no-exchange") {
      exchange.enabled = false;
      continue;
    }
    if (a == "--fees-in-bnb") {
      exchange.config.pay_fees_in_bnb = true;
      continue;
    }
    if (i + 1 >= args.size()) return usage(std::string(a) + " needs a value");
    const std::string_view v = args[++i];
    if (a == "--port") {
      if (!parse_number(v, config.port)) return usage("--port: not a port: " + std::string(v));
    } else if (a == "--bind") {
      config.bind_address = std::string(v);
    } else if (a == "--source") {
      source = std::string(v);
    } else if (a == "--symbols") {
      symbols = split_symbols(v);
    } else if (a == "--speed") {
      if (v == "max") {
        config.speed = 0;
      } else if (!parse_double(v, config.speed) || !(config.speed > 0) || config.speed > 1e6) {
        return usage("--speed: expected a number in (0, 1e6] or max, not " + std::string(v));
      }
    } else if (a == "--seed") {
      if (!parse_number(v, seed)) return usage("--seed: not an integer: " + std::string(v));
    } else if (a == "--ping-interval-ms") {
      std::uint32_t ms = 0;
      if (!parse_number(v, ms) || ms == 0) return usage("--ping-interval-ms: positive integer");
      config.ping_interval = static_cast<Nanos>(ms) * 1'000'000;
    } else if (a == "--volatility") {
      if (!parse_double(v, volatility) || volatility < 0) return usage("--volatility: >= 0");
    } else if (a == "--drift") {
      if (!parse_double(v, drift)) return usage("--drift: a number");
    } else if (a == "--tls-cert") {
      config.tls_certificate_file = std::string(v);
    } else if (a == "--tls-key") {
      config.tls_private_key_file = std::string(v);
    } else if (a == "--exchange-keys") {
      exchange.keys_files.push_back(std::string(v));
    } else if (a == "--balances") {
      exchange.balances = std::string(v);
    } else if (a == "--commission-bps") {
      const auto comma = v.find(',');
      if (comma == std::string_view::npos ||
          !parse_number(v.substr(0, comma), exchange.config.maker_commission_bps) ||
          !parse_number(v.substr(comma + 1), exchange.config.taker_commission_bps) ||
          exchange.config.maker_commission_bps > 1000 ||
          exchange.config.taker_commission_bps > 1000) {
        return usage("--commission-bps: MAKER,TAKER, integers in 0..1000");
      }
    } else if (a == "--trades-per-bar") {
      if (!parse_number(v, trades_per_bar) || trades_per_bar < 4) {
        return usage("--trades-per-bar: an integer >= 4");
      }
    } else {
      return usage("unknown option " + std::string(a));
    }
  }

  std::unique_ptr<sim::MarketSource> market;
  if (source == "synthetic") {
    sim::SyntheticConfig sc;
    if (!symbols.empty())
      sc.symbols = symbols;
    else
      sc.symbols = {"btcusdt", "ethusdt"};
    sc.seed = seed;
    sc.volatility = volatility;
    sc.drift = drift;
    // A live-looking feed: event times start now. Tests fix start_time for determinism.
    sc.start_time = WallClock{}.now() / 1'000'000 * 1'000'000;
    market = sim::make_synthetic_source(sc);
  } else if (source.starts_with("candles:")) {
    const std::string path = source.substr(8);
    sim::CandleSourceConfig cc;
    cc.symbol = symbols.empty() ? symbol_from_path(path) : symbols.front();
    cc.seed = seed;
    cc.trades_per_bar = trades_per_bar;
    auto loaded = sim::load_candle_source(path, cc);
    if (!loaded) {
      std::fprintf(stderr, "botengine sim: %s\n", loaded.error().c_str());
      return kExitFailure;
    }
    market = std::move(*loaded);
  } else if (source.starts_with("capture:")) {
    std::size_t skipped = 0;
    auto loaded = sim::load_capture_source(source.substr(8), symbols, &skipped);
    if (!loaded) {
      std::fprintf(stderr, "botengine sim: %s\n", loaded.error().c_str());
      return kExitFailure;
    }
    if (skipped) std::fprintf(stderr, "botengine sim: skipped %zu capture lines\n", skipped);
    market = std::move(*loaded);
  } else {
    return usage("--source: synthetic, candles:FILE or capture:FILE, not " + source);
  }
  market = sim::with_ticker_streams(std::move(market));
  const std::vector<std::string> streams = market->streams();

  // The exchange on the same port: Binance's REST API and user data, fed by this market.
  std::optional<binance::mock::MockVenue> venue;
  WallClock wall_clock;
  if (exchange.enabled) {
    auto parsed = binance::mock::parse_balances(exchange.balances);
    if (!parsed) return usage("--balances: " + parsed.error());
    exchange.config.balances = std::move(*parsed);
    exchange.config.symbols = binance::mock::symbols_in(streams);
    std::vector<binance::mock::VenueAccount> accounts;
    for (const auto& file : exchange.keys_files) {
      binance::mock::VenueAccount account{binance::mock::account_name_of(file), exchange.config};
      if (auto keys = binance::mock::read_keys_file(file, account.config); !keys) {
        std::fprintf(stderr, "botengine sim: %s\n", keys.error().c_str());
        return kExitFailure;
      }
      accounts.push_back(std::move(account));
    }
    if (accounts.empty()) accounts.push_back({"default", exchange.config});
    venue.emplace(std::move(accounts), wall_clock);
    config.venue = &*venue;
  }

  // Block the stop signals before the server thread exists so it inherits the mask and only
  // this thread receives them, in sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  sim::SimServer server(config, std::move(market));
  auto port = server.start();
  if (!port) {
    std::fprintf(stderr, "botengine sim: %s\n", port.error().c_str());
    return kExitFailure;
  }
  const std::string host = config.bind_address.find(':') != std::string::npos
                               ? "[" + config.bind_address + "]"
                               : config.bind_address;
  char speed[32];
  if (config.speed == 0) {
    std::snprintf(speed, sizeof speed, "max");
  } else {
    std::snprintf(speed, sizeof speed, "%gx", config.speed);
  }
  const char* scheme = config.tls_certificate_file.empty() ? "ws" : "wss";
  std::printf("botengine sim: listening on %s://%s:%u (source %s, speed %s, seed %llu)\n", scheme,
              host.c_str(), static_cast<unsigned>(*port), source.c_str(), speed,
              static_cast<unsigned long long>(seed));
  std::printf("  raw      %s://%s:%u/ws/<stream>   combined %s://%s:%u/stream?streams=<a>/<b>\n",
              scheme, host.c_str(), static_cast<unsigned>(*port), scheme, host.c_str(),
              static_cast<unsigned>(*port));
  const char* http = config.tls_certificate_file.empty() ? "http" : "https";
  std::printf("  control  POST %s://%s:%u/sim/fault   GET %s://%s:%u/sim/stats\n", http,
              host.c_str(), static_cast<unsigned>(*port), http, host.c_str(),
              static_cast<unsigned>(*port));
  if (venue) {
    std::printf(
        "  exchange %s://%s:%u/api/v3/...   ws api %s://%s:%u/ws-api/v3%s\n", http, host.c_str(),
        static_cast<unsigned>(*port), scheme, host.c_str(), static_cast<unsigned>(*port),
        exchange.keys_files.empty() ? "   (public endpoints only: no --exchange-keys)" : "");
    if (!exchange.keys_files.empty()) {
      std::printf("  accounts");
      for (const auto& file : exchange.keys_files)
        std::printf(" %s", binance::mock::account_name_of(file).c_str());
      std::printf("   faults POST %s://%s:%u/sim/exchange/fault\n", http, host.c_str(),
                  static_cast<unsigned>(*port));
    }
  }
  std::printf("  streams ");
  for (std::size_t i = 0; i < streams.size() && i < 12; ++i)
    std::printf(" %s", streams[i].c_str());
  if (streams.size() > 12) std::printf(" ... (%zu)", streams.size());
  std::printf("\n");
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::fprintf(stderr, "botengine sim: %s, stopping\n",
               signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  // The venue's user-data connections live on the server: end them before it stops, and
  // drop any that arrived meanwhile while the server still exists.
  if (venue) venue->stop();
  server.stop();
  if (venue) venue->stop();
  const sim::SimStats s = server.stats();
  std::fprintf(stderr,
               "botengine sim: %" PRIu64 " connections, %" PRIu64 " frames sent, %" PRIu64
               " market messages, %" PRIu64 " faults\n",
               s.connections, s.frames_sent, s.market_messages, s.faults);
  return kExitOk;
}

}  // namespace be::cli
