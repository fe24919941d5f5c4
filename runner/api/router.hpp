// The control API's request handling, independent of the transport: a parsed request in, a
// response out. ApiServer (server.hpp) feeds it from the server scaffold; tests and the fuzz
// target call it directly. docs/API.md lists every route; routes.cpp holds them as a table
// (method + path pattern -> handler), views.hpp renders the JSON.
//
// What a request goes through, in order:
//   1. routing: GET /api/v1/health, GET /api/v1/openapi.json and static assets need no token;
//      every other route does
//   2. authentication: `Authorization: Bearer <token>` against the journal's users
//      (ReadModel::users; a disabled user is refused), or the tokens file's while the engine
//      has none yet -> 401
//   3. rate limit: a token bucket per user -> 429 with Retry-After
//   4. admin routes (users, accounts, audit) -> 403 for a user
//   5. the route: reads come from the published ReadModel, filtered by owner (someone else's
//      bot or account is 404, as if absent); commands go to ControlPlane with the user's id,
//      which journals them with who and when.
// Every answer is JSON (errors: {"error":{"code","message"}}, 422: {"errors":[{field,message}]})
// except /metrics (Prometheus text), reports and static assets.
//
// Logging: two budgets, so that noise cannot hide commands. The audit budget carries one line
// per authenticated command (any method but GET, not refused by the rate limit), the noise
// budget everything else (malformed HTTP, unauthenticated commands, 429s, dropped clients, 5xx
// reads). Each is a token bucket of its lines per second; a line over its budget is counted in
// its own botengine_api_log_suppressed_total{budget=...} and summarised on the next line it lets
// out.
//
// Thread-safety: handle() may run on any number of threads at once: the TokenStore and
// options are immutable, counters are atomic, the rate limiter and the log limiter take a
// short mutex. Lifetime: the ControlPlane and TokenStore must outlive the Router.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/names.hpp"
#include "engine/control.hpp"
#include "net/server/server.hpp"
#include "runner/api/auth.hpp"

namespace be::api {

class BacktestQueue;  // backtests.hpp
using SteadyTime = std::chrono::steady_clock::time_point;

// A static file served without authentication (the dashboard's page signs in with a token).
struct StaticAsset {
  std::string_view content_type;
  std::string_view bytes;  // must stay valid for the server's lifetime (static data)
};
// Given a request path ("/", "/app.js"), the asset or nullopt. Called from I/O threads.
using StaticAssetFn = std::function<std::optional<StaticAsset>(std::string_view path)>;
// Receives log lines (already rate-limited); the default writes to stderr.
using LogFn = std::function<void(std::string_view line)>;

struct RouterOptions {
  double rate_per_second = 20.0;      // sustained requests per user
  double rate_burst = 40.0;           // bucket size
  std::filesystem::path reports_dir;  // GET /api/v1/reports; empty: no reports
  std::uint64_t max_report_bytes = 64u << 20;
  StaticAssetFn static_assets;
  LogFn log;
  // Log budgets (see Logging above): lines per second, also the burst.
  double audit_log_lines_per_second = 1000.0;
  double noise_log_lines_per_second = 20.0;
  // POST /api/v1/accounts/{id}/keys: encrypts and stores an account's API key and secret
  // under `name` (the runner's key directory, runner/key_directory.hpp) and returns the
  // fingerprint of the API key id, or an error that names no secret. Empty: uploads refused.
  std::function<Expected<std::string, std::string>(std::string_view name, std::string_view api_key,
                                                   std::string_view secret)>
      store_key;
  // POST /api/v1/accounts/{id}/keys with only a name: the fingerprint of an entry already in
  // the key store (`botengine keys add`), or why not. Empty: only uploads attach keys.
  std::function<Expected<std::string, std::string>(std::string_view name)> find_key;
  // Key uploads are accepted only over TLS or when every peer is on this host (a loopback
  // bind address): a secret never crosses a network in clear.
  bool secure_transport = false;
  // POST /api/v1/backtests and its jobs (backtests.hpp), borrowed: it must outlive the
  // Router. nullptr: no journal to backtest on (the routes answer 409).
  BacktestQueue* backtests = nullptr;
};

enum class LogBudget : std::uint8_t { kAudit, kNoise, kCount };
inline constexpr std::array<Named<LogBudget>, 2> kLogBudgetNames{{
    {LogBudget::kAudit, "audit"},
    {LogBudget::kNoise, "noise"},
}};
static_assert(names_every_code(kLogBudgetNames, static_cast<std::size_t>(LogBudget::kCount)));

// Counters shown in /metrics (appended to ControlPlane::metrics_text()). Relaxed atomics:
// they are statistics, not synchronisation.
struct ApiStats {
  // Answers by status code; kCodes lists which are counted individually.
  static constexpr int kCodes[] = {200, 201, 204, 400, 401, 403, 404, 405, 409,
                                   413, 422, 426, 429, 431, 500, 503, 504, 505};
  static constexpr std::size_t kCodeCount = sizeof(kCodes) / sizeof(kCodes[0]);
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> by_code[kCodeCount + 1] = {};  // last slot: any other code
  std::atomic<std::uint64_t> malformed{0};                  // refused by the HTTP/WebSocket rules
  static constexpr std::size_t kViolations =
      static_cast<std::size_t>(net::server::Violation::kCount);
  std::atomic<std::uint64_t> malformed_by_violation[kViolations] = {};
  std::atomic<std::uint64_t> too_large{0};  // body or header over the limit
  std::atomic<std::uint64_t> unauthorized{0};
  std::atomic<std::uint64_t> rate_limited{0};
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_rejected{0};  // over max_connections, or the reserve's
  std::atomic<std::uint64_t> reserve_admitted{0};      // requests served on reserve connections
  std::atomic<std::uint64_t> reserve_refused{0};       // ... and refused there (503)
  std::atomic<std::int64_t> connections_open{0};
  std::atomic<std::uint64_t> idle_timeouts{0};
  std::atomic<std::uint64_t> ws_accepted{0};
  std::atomic<std::int64_t> ws_open{0};
  std::atomic<std::uint64_t> ws_messages{0};
  std::atomic<std::uint64_t> ws_dropped_slow{0};  // send queue full
  std::atomic<std::uint64_t> ws_resyncs{0};       // told to resync: since older than the buffer
  static constexpr std::size_t kLogBudgets = static_cast<std::size_t>(LogBudget::kCount);
  std::atomic<std::uint64_t> log_suppressed[kLogBudgets] = {};  // by LogBudget

  void count_malformed(net::server::Violation violation) noexcept;
  std::uint64_t malformed_count(net::server::Violation violation) const noexcept;
  std::uint64_t suppressed(LogBudget budget) const noexcept;

  void count_status(int status) noexcept;
  std::uint64_t status_count(int status) const noexcept;
  // Prometheus text for these counters (botengine_api_* families).
  void append_metrics(std::string& out) const;
};

struct HttpRequest {
  std::string_view method;  // "GET", "POST", ...
  std::string_view target;  // path and query: "/api/v1/bots?x=1"
  std::string_view authorization;
  std::string_view body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  int retry_after_seconds = 0;  // > 0: a Retry-After header (429)
};

HttpResponse error_response(int status, std::string_view code, std::string_view message);

class Router {
 public:
  Router(engine::ControlPlane& engine, const TokenStore& tokens, RouterOptions options,
         ApiStats& stats);

  HttpResponse handle(const HttpRequest& request, SteadyTime now);

  // For the WebSocket upgrade: the user of `Authorization: Bearer` or else of `?token=` in
  // the target, or the error to answer with (401, 429). Counts like a request.
  struct StreamAuth {
    std::optional<User> user;
    std::optional<HttpResponse> refusal;
    std::optional<SequenceNumber> since;  // ?since=N: resume after the message with seq N
    // ?bots=1,2 &symbols=BTCUSDT,ETHUSDT &types=fill,order: only those events (each list
    // given must hold; an event without a bot or a symbol fails that list). Empty: all.
    std::vector<BotId> bots;
    std::vector<std::string> symbols;
    std::vector<std::string> types;
  };
  StreamAuth authorize_stream(const HttpRequest& request, SteadyTime now);

  // The route table's rows, in dispatch order, for tests that hold docs/openapi.json to it.
  struct RouteRow {
    std::string_view method;   // "GET", ...; "*": any method (a catch-all refusal)
    std::string_view pattern;  // "/api/v1/bots/{bot}/orders"; "{*}": the rest of the path
    bool needs_token = true;
  };
  static std::vector<RouteRow> routes();

  // Logs a line through that budget's rate limiter (see Logging above).
  void log(LogBudget budget, std::string_view line, SteadyTime now);
  // The user whose bearer token `authorization` holds, or nullopt.
  std::optional<User> user_of(std::string_view authorization) const;
  // The user a token belongs to: the journal's users when `model` has any, else the tokens
  // file's (an engine that has not imported them yet).
  std::optional<User> authenticate(std::string_view token, const engine::ReadModel* model) const;
  // A user's name for the views: "engine" for 0, "unknown" when nobody has that id.
  std::string owner_name(const engine::ReadModel* model, UserId id) const;

  ApiStats& stats() noexcept { return stats_; }
  engine::ControlPlane& engine() noexcept { return engine_; }
  const TokenStore& tokens() const noexcept { return tokens_; }

 private:
  // routes.hpp: one request's context, a row of the route table, the handlers (routes.cpp).
  struct Call;
  struct Route;
  struct Handlers;
  struct AccountHandlers;   // routes_accounts.cpp: users, accounts, keys, audit
  struct BacktestHandlers;  // routes_backtests.cpp: backtest jobs
  static std::span<const Route> route_table();
  // Matches the table, then applies what the route needs (token, rate, read model) in order.
  HttpResponse route(Call& call);
  HttpResponse static_file(const Call& call) const;
  // nullopt when within the user's budget, else the 429 answer.
  std::optional<HttpResponse> rate_limit(const User& user, SteadyTime now);

  engine::ControlPlane& engine_;
  const TokenStore& tokens_;
  RouterOptions options_;
  ApiStats& stats_;

  struct Bucket {
    double tokens = 0;
    SteadyTime last{};
  };
  std::mutex rate_mutex_;
  std::unordered_map<std::uint32_t, Bucket> buckets_;  // by user id

  struct LogBucket {
    double rate = 0;  // lines per second, and the burst
    double lines = 0;
    SteadyTime last{};
    std::uint64_t suppressed_since = 0;  // told on the next line let out
  };
  std::mutex log_mutex_;
  LogBucket log_buckets_[ApiStats::kLogBudgets];
};

// Helpers shared with the server and tests.
// Percent-decodes a query parameter's value; nullopt when `name` is absent.
std::optional<std::string> query_param(std::string_view target, std::string_view name);
// The stream's event types (docs/API.md "Event stream"), for `?types=`.
bool is_stream_event_type(std::string_view type) noexcept;
// JSON for the stream's hello message and the views (exposed for tests of the escaping).
std::string bot_summary_json(const engine::BotView& bot, std::string_view owner_name);

}  // namespace be::api
