#include "runner/api/router.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <system_error>

#include "core/json_config.hpp"
#include "runner/api/json_writer.hpp"
#include "runner/api/templates.hpp"

namespace be::api {

namespace fs = std::filesystem;
using engine::BotView;
using engine::CommandResult;
using engine::CommandStatus;
using engine::ReadModel;

// ---- Stats -----------------------------------------------------------------------------------

void ApiStats::count_status(int status) noexcept {
  std::size_t slot = kCodeCount;
  for (std::size_t i = 0; i < kCodeCount; ++i) {
    if (kCodes[i] == status) slot = i;
  }
  by_code[slot].fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t ApiStats::status_count(int status) const noexcept {
  for (std::size_t i = 0; i < kCodeCount; ++i) {
    if (kCodes[i] == status) return by_code[i].load(std::memory_order_relaxed);
  }
  return by_code[kCodeCount].load(std::memory_order_relaxed);
}

void ApiStats::append_metrics(std::string& out) const {
  const auto load = [](const auto& a) { return std::to_string(a.load(std::memory_order_relaxed)); };
  const auto counter = [&](std::string_view name, std::string_view help, const auto& value) {
    out += "# HELP be_api_";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE be_api_";
    out += name;
    out += name.ends_with("_open") ? " gauge\n" : " counter\n";
    out += "be_api_";
    out += name;
    out += ' ';
    out += load(value);
    out += '\n';
  };
  counter("requests_total", "HTTP requests handled (WebSocket upgrades included).", requests);
  out += "# HELP be_api_responses_total HTTP answers by status code.\n";
  out += "# TYPE be_api_responses_total counter\n";
  for (std::size_t i = 0; i <= kCodeCount; ++i) {
    const std::uint64_t n = by_code[i].load(std::memory_order_relaxed);
    if (n == 0) continue;
    out += "be_api_responses_total{code=\"";
    out += i < kCodeCount ? std::to_string(kCodes[i]) : std::string("other");
    out += "\"} " + std::to_string(n) + "\n";
  }
  counter("malformed_requests_total", "Requests refused as malformed HTTP (400).", malformed);
  counter("too_large_requests_total", "Requests over the body or header limit (413/431).",
          too_large);
  counter("unauthorized_total", "Requests without a valid token (401).", unauthorized);
  counter("rate_limited_total", "Requests over the per-user rate (429).", rate_limited);
  counter("connections_accepted_total", "TCP connections accepted.", connections_accepted);
  counter("connections_rejected_total", "Connections refused over max_connections.",
          connections_rejected);
  counter("connections_open", "TCP connections open now.", connections_open);
  counter("idle_timeouts_total", "Connections closed after the idle timeout.", idle_timeouts);
  counter("ws_accepted_total", "WebSocket stream clients accepted.", ws_accepted);
  counter("ws_open", "WebSocket stream clients connected now.", ws_open);
  counter("ws_messages_total", "Stream messages sent.", ws_messages);
  counter("ws_dropped_slow_total", "Stream clients dropped: send queue full.", ws_dropped_slow);
  counter("ws_dropped_lost_total", "Stream clients dropped: fell out of the stream buffer.",
          ws_dropped_lost);
  counter("log_suppressed_total", "Log lines suppressed by the log rate limit.", log_suppressed);
}

// ---- JSON of the views -----------------------------------------------------------------------

namespace {

// A stored config is re-serialised from its parse, so the answer is valid JSON whatever the
// stored text holds (null when it does not parse).
void write_config(JsonWriter& w, std::string_view json) {
  auto parsed = config::parse(json);
  if (parsed) {
    w.raw(config::to_json(*parsed));
  } else {
    w.null();
  }
}

void write_position(JsonWriter& w, const engine::PositionView& p) {
  w.begin_object()
      .field("symbol", p.symbol)
      .field("quantity", p.quantity)
      .field("average_entry_price", p.average_entry_price)
      .field("realized_pnl", p.realized_pnl)
      .field("unrealized_pnl", p.unrealized_pnl)
      .field("fees", p.fees)
      .field("mark_price", p.mark_price)
      .end_object();
}

void write_order(JsonWriter& w, const engine::OrderView& o) {
  w.begin_object()
      .field("client_order_id", o.client_order_id)
      .field("symbol", o.symbol)
      .field("side", o.side)
      .field("type", o.type)
      .field("state", o.state)
      .field("price", o.price)
      .field("quantity", o.quantity)
      .field("filled_quantity", o.filled_quantity)
      .field("tag", o.tag)
      .field("updated_time", o.updated_time)
      .end_object();
}

void write_fill(JsonWriter& w, const engine::FillView& f) {
  w.begin_object()
      .field("client_order_id", f.client_order_id)
      .field("symbol", f.symbol)
      .field("side", f.side)
      .field("price", f.price)
      .field("quantity", f.quantity)
      .field("fee", f.fee)
      .field("liquidity", f.liquidity)
      .field("time", f.time)
      .field("sequence", f.sequence)
      .end_object();
}

std::string_view owner_name(const TokenStore& tokens, UserId owner) {
  if (owner == kEngineUser) return "engine";
  const User* u = tokens.find(owner);
  return u != nullptr ? std::string_view(u->name) : std::string_view("unknown");
}

void write_bot_fields(JsonWriter& w, const BotView& b, const TokenStore& tokens) {
  w.field("id", index_of(b.id))
      .field("owner", owner_name(tokens, b.owner))
      .field("name", b.name)
      .field("type", b.type)
      .field("venue", b.venue)
      .field("symbol", b.symbol)
      .field("state", to_string(b.state))
      .field("state_reason", b.state_reason)
      .field("kill_switch", b.kill_switch)
      .field("circuit_open", b.circuit_open)
      .field("heartbeat", b.heartbeat)
      .field("inputs_handled", b.inputs_handled)
      .field("pnl", b.pnl)
      .field("open_orders", b.open_orders)
      .field("trades", b.trades);
  w.key("position");
  write_position(w, b.position);
}

void write_engine(JsonWriter& w, const engine::EngineView& e) {
  w.begin_object()
      .field("last_sequence", e.last_sequence)
      .field("journal_committed", e.journal_committed)
      .field("journal_durable", e.journal_durable)
      .field("durability", e.durability)
      .field("topology", e.topology)
      .field("events_per_second", e.events_per_second)
      .field("engine_time", e.engine_time)
      .field("published_wall_time", e.published_wall_time)
      .field("global_kill_switch", e.global_kill_switch);
  w.key("killed_accounts").begin_array();
  for (const auto a : e.killed_accounts)
    w.integer(a);
  w.end_array();
  w.key("feeds").begin_array();
  for (const auto& f : e.feeds) {
    w.begin_object()
        .field("venue", f.venue)
        .field("state", f.state)
        .field("messages", f.messages)
        .field("rejects", f.rejects)
        .field("last_message_time", f.last_message_time)
        .end_object();
  }
  w.end_array();
  w.key("latency").begin_array();
  for (const auto& l : e.latency) {
    w.begin_object()
        .field("stage", l.stage)
        .field("count", l.count)
        .field("p50", l.p50)
        .field("p99", l.p99)
        .field("max", l.max)
        .end_object();
  }
  w.end_array();
  w.key("balances").begin_array();
  for (const auto& b : e.balances) {
    w.begin_object().field("asset", b.asset).field("free", b.free).field("locked", b.locked);
    w.end_object();
  }
  w.end_array();
  w.field("inputs", e.inputs)
      .field("orders_sent", e.orders_sent)
      .field("fills", e.fills)
      .field("risk_rejects", e.risk_rejects);
  w.key("rejects_by_reason").begin_object();
  for (const auto& [reason, n] : e.rejects_by_reason)
    w.field(reason, n);
  w.end_object();
  w.field("ring_depth_max", e.ring_depth_max).field("healthy", e.healthy);
  w.key("problems").begin_array();
  for (const auto& p : e.problems)
    w.string(p);
  w.end_array();
  w.end_object();
}

HttpResponse json_response(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse errors_response(const std::vector<config::FieldError>& errors) {
  JsonWriter w;
  w.begin_object().key("errors").begin_array();
  for (const auto& e : errors)
    w.begin_object().field("field", e.field).field("message", e.message).end_object();
  w.end_array().end_object();
  return json_response(422, std::move(w).str());
}

std::optional<BotId> parse_bot_id(std::string_view text) noexcept {
  std::uint32_t v = 0;
  if (text.empty() || text.size() > 10) return std::nullopt;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc{} || r.ptr != text.data() + text.size() || BotId{v} == kNoBot)
    return std::nullopt;
  return BotId{v};
}

std::string_view bearer_token(std::string_view authorization) noexcept {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size()) return {};
  // The scheme is case-insensitive (RFC 7235); the token is not.
  for (std::size_t i = 0; i < kBearer.size(); ++i) {
    const char a = authorization[i];
    const char b = kBearer[i];
    if ((a | 0x20) != (b | 0x20)) return {};
  }
  std::string_view token = authorization.substr(kBearer.size());
  while (!token.empty() && token.front() == ' ')
    token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t'))
    token.remove_suffix(1);
  return token;
}

bool safe_report_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 200 || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

std::string content_type_for(std::string_view name) {
  const auto ends = [&](std::string_view ext) { return name.ends_with(ext); };
  if (ends(".html") || ends(".htm")) return "text/html; charset=utf-8";
  if (ends(".json")) return "application/json";
  if (ends(".csv")) return "text/csv; charset=utf-8";
  if (ends(".txt") || ends(".log")) return "text/plain; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  return "application/octet-stream";
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string bot_summary_json(const BotView& bot, const TokenStore& tokens) {
  JsonWriter w;
  w.begin_object();
  write_bot_fields(w, bot, tokens);
  w.end_object();
  return std::move(w).str();
}

HttpResponse error_response(int status, std::string_view code, std::string_view message) {
  JsonWriter w;
  w.begin_object().key("error").begin_object().field("code", code).field("message", message);
  w.end_object().end_object();
  return json_response(status, std::move(w).str());
}

std::optional<std::string> query_param(std::string_view target, std::string_view name) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    const std::string_view raw =
        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '%' && i + 2 < raw.size() && hex_value(raw[i + 1]) >= 0 &&
          hex_value(raw[i + 2]) >= 0) {
        out += static_cast<char>(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2]));
        i += 2;
      } else {
        out += raw[i] == '+' ? ' ' : raw[i];
      }
    }
    return out;
  }
  return std::nullopt;
}

// ---- Router ----------------------------------------------------------------------------------

struct Router::Call {
  const HttpRequest& request;
  std::string_view path;
  SteadyTime now;
  const User* user = nullptr;
  std::shared_ptr<const ReadModel> model;

  bool get() const noexcept { return request.method == "GET"; }
  bool post() const noexcept { return request.method == "POST"; }
  bool sees(const BotView& bot) const noexcept { return user->admin || bot.owner == user->id; }
};

Router::Router(engine::ControlPlane& engine, const TokenStore& tokens, RouterOptions options,
               ApiStats& stats)
    : engine_(engine), tokens_(tokens), options_(std::move(options)), stats_(stats) {
  log_budget_ = options_.log_lines_per_second;
  if (!options_.log) {
    options_.log = [](std::string_view line) {
      std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
    };
  }
}

void Router::log(std::string_view line, SteadyTime now) {
  std::string text;
  {
    std::lock_guard lock(log_mutex_);
    const double elapsed = std::chrono::duration<double>(now - log_last_).count();
    log_last_ = now;
    log_budget_ = std::min(options_.log_lines_per_second,
                           log_budget_ + std::max(0.0, elapsed) * options_.log_lines_per_second);
    if (log_budget_ < 1.0) {
      ++log_suppressed_since_;
      stats_.log_suppressed.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    log_budget_ -= 1.0;
    text = "api: ";
    text += line;
    if (log_suppressed_since_ > 0) {
      text += " (" + std::to_string(log_suppressed_since_) + " lines suppressed before)";
      log_suppressed_since_ = 0;
    }
  }
  options_.log(text);
}

std::optional<HttpResponse> Router::rate_limit(const User& user, SteadyTime now) {
  std::lock_guard lock(rate_mutex_);
  auto [it, fresh] = buckets_.try_emplace(index_of(user.id));
  Bucket& b = it->second;
  if (fresh) {
    b.tokens = options_.rate_burst;
  } else {
    const double elapsed = std::max(0.0, std::chrono::duration<double>(now - b.last).count());
    b.tokens = std::min(options_.rate_burst, b.tokens + elapsed * options_.rate_per_second);
  }
  b.last = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  stats_.rate_limited.fetch_add(1, std::memory_order_relaxed);
  HttpResponse r = error_response(429, "rate_limited", "too many requests for this token");
  const double wait =
      options_.rate_per_second > 0 ? (1.0 - b.tokens) / options_.rate_per_second : 3600.0;
  r.retry_after_seconds = static_cast<int>(std::clamp(std::ceil(wait), 1.0, 3600.0));
  return r;
}

HttpResponse Router::handle(const HttpRequest& request, SteadyTime now) {
  stats_.requests.fetch_add(1, std::memory_order_relaxed);
  const std::string_view target = request.target;
  Call call{request, target.substr(0, target.find('?')), now, nullptr, nullptr};
  HttpResponse response = route(call);
  stats_.count_status(response.status);
  if (response.status == 401) stats_.unauthorized.fetch_add(1, std::memory_order_relaxed);
  if (!call.get() || response.status >= 500) {
    // Commands: who did what, and the answer (the engine journals the command itself).
    std::string line = "user=";
    line += call.user != nullptr ? call.user->name : std::string("-");
    line += ' ';
    line += request.method;
    line += ' ';
    line += call.path.substr(0, 200);
    line += " -> " + std::to_string(response.status);
    log(line, now);
  }
  return response;
}

HttpResponse Router::route(Call& call) {
  const std::string_view path = call.path;
  if (path == "/api/v1/health") {
    if (!call.get()) return error_response(405, "method_not_allowed", "use GET");
    auto model = engine_.read_model();
    JsonWriter w;
    if (model == nullptr) {
      w.begin_object().field("status", "starting").field("healthy", false).end_object();
      return json_response(503, std::move(w).str());
    }
    const auto& e = model->engine;
    w.begin_object()
        .field("status", e.healthy ? "ok" : "degraded")
        .field("healthy", e.healthy)
        .field("last_sequence", e.last_sequence)
        .field("journal_committed", e.journal_committed)
        .field("journal_durable", e.journal_durable)
        .field("journal_lag", e.last_sequence - std::min(e.last_sequence, e.journal_durable));
    w.key("feeds").begin_array();
    for (const auto& f : e.feeds)
      w.begin_object().field("venue", f.venue).field("state", f.state).end_object();
    w.end_array().key("problems").begin_array();
    for (const auto& p : e.problems)
      w.string(p);
    w.end_array().end_object();
    return json_response(e.healthy ? 200 : 503, std::move(w).str());
  }
  const bool api_path = path.starts_with("/api/") || path == "/api" || path == "/metrics";
  if (!api_path) {
    if (!call.get()) return error_response(405, "method_not_allowed", "static files: use GET");
    if (options_.static_assets) {
      if (auto asset = options_.static_assets(path)) {
        HttpResponse r;
        r.content_type = std::string(asset->content_type);
        r.body = std::string(asset->bytes);
        return r;
      }
    }
    return error_response(404, "not_found", "no such file");
  }

  call.user = tokens_.authenticate(bearer_token(call.request.authorization));
  if (call.user == nullptr) {
    return error_response(
        401, "unauthorized",
        call.request.authorization.empty() ? "missing bearer token" : "invalid token");
  }
  if (auto limited = rate_limit(*call.user, call.now)) return std::move(*limited);

  if (path == "/metrics") {
    if (!call.get()) return error_response(405, "method_not_allowed", "use GET");
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = engine_.metrics_text();
    if (!r.body.empty() && r.body.back() != '\n') r.body += '\n';
    stats_.append_metrics(r.body);
    return r;
  }
  constexpr std::string_view kPrefix = "/api/v1/";
  if (!path.starts_with(kPrefix)) return error_response(404, "not_found", "no such route");
  const std::string_view rest = path.substr(kPrefix.size());

  if (rest == "me") {
    if (!call.get()) return error_response(405, "method_not_allowed", "use GET");
    JsonWriter w;
    w.begin_object()
        .field("user", call.user->name)
        .field("id", index_of(call.user->id))
        .field("admin", call.user->admin)
        .end_object();
    return json_response(200, std::move(w).str());
  }
  if (rest == "templates") {
    if (!call.get()) return error_response(405, "method_not_allowed", "use GET");
    JsonWriter w;
    w.begin_object().key("templates").begin_array();
    for (const BotTemplate& t : bot_templates()) {
      w.begin_object()
          .field("name", t.name)
          .field("title", t.title)
          .field("description", t.description);
      w.key("config");
      write_config(w, t.config_json);
      w.end_object();
    }
    w.end_array().end_object();
    return json_response(200, std::move(w).str());
  }
  if (rest == "bots/validate") {
    if (!call.post()) return error_response(405, "method_not_allowed", "use POST");
    const auto errors = engine_.validate_bot_config(call.request.body);
    JsonWriter w;
    w.begin_object().field("valid", errors.empty()).key("errors").begin_array();
    for (const auto& e : errors)
      w.begin_object().field("field", e.field).field("message", e.message).end_object();
    w.end_array().end_object();
    return json_response(200, std::move(w).str());
  }
  if (rest == "kill-switch" && call.post()) return kill_switch_post(call);
  if (rest == "reports") return reports_route(call, {});
  if (rest.starts_with("reports/")) return reports_route(call, rest.substr(8));

  call.model = engine_.read_model();
  if (call.model == nullptr) return error_response(503, "unavailable", "the engine is starting");
  const ReadModel& model = *call.model;

  if (rest == "engine") {
    if (!call.get()) return error_response(405, "method_not_allowed", "use GET");
    JsonWriter w;
    write_engine(w, model.engine);
    return json_response(200, std::move(w).str());
  }
  if (rest == "balances") {
    if (!call.get()) return error_response(405, "method_not_allowed", "use GET");
    JsonWriter w;
    w.begin_object().key("balances").begin_array();
    for (const auto& b : model.engine.balances) {
      w.begin_object().field("asset", b.asset).field("free", b.free).field("locked", b.locked);
      w.end_object();
    }
    w.end_array().end_object();
    return json_response(200, std::move(w).str());
  }
  if (rest == "conditions") {
    if (!call.get()) return error_response(405, "method_not_allowed", "use GET");
    JsonWriter w;
    w.begin_object().key("conditions").begin_array();
    for (const auto& c : model.conditions) {
      std::vector<BotId> visible;
      for (const BotId b : c.subscribers) {
        const BotView* bot = model.find(b);
        if (call.user->admin || (bot != nullptr && call.sees(*bot))) visible.push_back(b);
      }
      // A condition nobody of yours subscribes to is someone else's business.
      if (!call.user->admin && visible.empty()) continue;
      w.begin_object().field("id", c.id).field("canonical", c.canonical);
      w.key("subscribers").begin_array();
      for (const BotId b : visible)
        w.integer(index_of(b));
      w.end_array().field("evaluations", c.evaluations).field("triggers", c.triggers);
      w.end_object();
    }
    w.end_array().end_object();
    return json_response(200, std::move(w).str());
  }
  if (rest == "kill-switch") {
    if (!call.get()) return error_response(405, "method_not_allowed", "use GET or POST");
    JsonWriter w;
    w.begin_object().field("global", model.engine.global_kill_switch);
    w.key("accounts").begin_array();
    for (const auto a : model.engine.killed_accounts)
      w.integer(a);
    w.end_array().key("bots").begin_array();
    for (const BotView& b : model.bots) {
      if (!call.sees(b)) continue;
      w.begin_object()
          .field("id", index_of(b.id))
          .field("name", b.name)
          .field("kill_switch", b.kill_switch)
          .field("circuit_open", b.circuit_open)
          .end_object();
    }
    w.end_array().end_object();
    return json_response(200, std::move(w).str());
  }
  if (rest == "bots" || rest.starts_with("bots/")) {
    return bots_route(call, rest.size() > 4 ? rest.substr(5) : std::string_view{});
  }
  return error_response(404, "not_found", "no such route");
}

HttpResponse Router::bots_route(Call& call, std::string_view rest) {
  if (rest.empty()) {
    if (call.get()) {
      JsonWriter w;
      w.begin_object().key("bots").begin_array();
      for (const BotView& b : call.model->bots) {
        if (!call.sees(b)) continue;
        w.begin_object();
        write_bot_fields(w, b, tokens_);
        w.end_object();
      }
      w.end_array().end_object();
      return json_response(200, std::move(w).str());
    }
    if (call.post()) {
      if (call.request.body.empty()) {
        return errors_response({{"", "the request body must be a bot config (JSON object)"}});
      }
      return command_answer(call, engine_.create_bot(call.user->id, call.request.body), 201);
    }
    return error_response(405, "method_not_allowed", "use GET or POST");
  }
  const std::size_t slash = rest.find('/');
  const auto id = parse_bot_id(rest.substr(0, slash));
  if (!id) return error_response(404, "not_found", "no such bot");
  return bot_route(call, *id,
                   slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1));
}

HttpResponse Router::bot_route(Call& call, BotId id, std::string_view sub) {
  const BotView* bot = call.model->find(id);
  const bool visible = bot != nullptr && call.sees(*bot);
  const auto not_found = [&] {
    return error_response(404, "not_found", "no bot " + std::to_string(index_of(id)));
  };
  const std::string_view method = call.request.method;
  if (sub.empty()) {
    if (method == "GET") {
      if (!visible) return not_found();
      JsonWriter w;
      w.begin_object();
      write_bot_fields(w, *bot, tokens_);
      w.key("config");
      write_config(w, bot->config_json);
      w.key("conditions").begin_array();
      for (const auto& c : bot->condition_texts)
        w.string(c);
      w.end_array().end_object();
      return json_response(200, std::move(w).str());
    }
    // Commands go to the engine whatever the read model says: it owns the truth about
    // ownership and existence (a bot created a moment ago may not be published yet).
    if (method == "PUT") {
      if (call.request.body.empty()) {
        return errors_response({{"", "the request body must be a bot config (JSON object)"}});
      }
      return command_answer(
          call, engine_.update_bot(call.user->id, call.user->admin, id, call.request.body), 200);
    }
    if (method == "DELETE") {
      return command_answer(
          call,
          engine_.bot_command(call.user->id, call.user->admin, id, OperatorCommandKind::kDeleteBot),
          200);
    }
    return error_response(405, "method_not_allowed", "use GET, PUT or DELETE");
  }
  struct Action {
    std::string_view name;
    OperatorCommandKind kind;
  };
  static constexpr Action kActions[] = {
      {"start", OperatorCommandKind::kStartBot},     {"stop", OperatorCommandKind::kStopBot},
      {"pause", OperatorCommandKind::kPauseBot},     {"resume", OperatorCommandKind::kResumeBot},
      {"restart", OperatorCommandKind::kRestartBot},
  };
  for (const Action& a : kActions) {
    if (sub != a.name) continue;
    if (method != "POST") return error_response(405, "method_not_allowed", "use POST");
    return command_answer(call, engine_.bot_command(call.user->id, call.user->admin, id, a.kind),
                          200);
  }
  if (sub != "orders" && sub != "fills" && sub != "position" && sub != "equity") {
    return error_response(404, "not_found", "no such route");
  }
  if (method != "GET") return error_response(405, "method_not_allowed", "use GET");
  if (!visible) return not_found();
  JsonWriter w;
  w.begin_object().field("id", index_of(id));
  if (sub == "orders") {
    w.key("orders").begin_array();
    for (const auto& o : bot->orders)
      write_order(w, o);
    w.end_array();
  } else if (sub == "fills") {
    w.key("fills").begin_array();
    for (const auto& f : bot->fills)
      write_fill(w, f);
    w.end_array();
  } else if (sub == "position") {
    w.key("position");
    write_position(w, bot->position);
    w.field("pnl", bot->pnl);
  } else {
    w.key("equity").begin_array();
    for (const auto& p : bot->equity)
      w.begin_object().field("time", p.time).field("equity", p.equity).end_object();
    w.end_array();
  }
  w.end_object();
  return json_response(200, std::move(w).str());
}

HttpResponse Router::command_answer(Call& call, const CommandResult& result, int ok_status) {
  (void)call;
  switch (result.status) {
    case CommandStatus::kAccepted: {
      JsonWriter w;
      w.begin_object();
      if (result.bot != kNoBot) w.field("id", index_of(result.bot));
      w.field("sequence", result.sequence).end_object();
      return json_response(ok_status, std::move(w).str());
    }
    case CommandStatus::kInvalid:
      if (result.errors.empty()) return errors_response({{"", result.message}});
      return errors_response(result.errors);
    case CommandStatus::kNotFound:
      return error_response(404, "not_found",
                            result.message.empty() ? "no such bot" : result.message);
    case CommandStatus::kConflict:
      return error_response(409, "conflict", result.message);
    case CommandStatus::kUnavailable:
      return error_response(503, "unavailable", result.message);
    case CommandStatus::kTimeout:
      return error_response(504, "timeout",
                            result.message.empty() ? "journaled, not yet applied" : result.message);
  }
  return error_response(500, "internal", "unknown command status");
}

HttpResponse Router::kill_switch_post(Call& call) {
  std::vector<config::FieldError> errors;
  auto parsed = config::parse(call.request.body);
  if (!parsed) return errors_response({{"", "invalid JSON: " + parsed.error()}});
  if (parsed->kind != config::Value::Kind::kObject) {
    return errors_response({{"", "the body must be a JSON object"}});
  }
  config::ObjectReader reader(*parsed, "", errors);
  const auto scope =
      reader.string("scope", config::Presence::kRequired, {"bot", "account", "global"});
  const auto action = reader.string("action", config::Presence::kRequired, {"set", "reset"});
  const bool needs_id = scope && *scope != "global";
  const auto id = reader.integer(
      "id", needs_id ? config::Presence::kRequired : config::Presence::kOptional, 0, 0xFFFF'FFFEll);
  reader.finish();
  if (!errors.empty()) return errors_response(errors);
  if (*scope == "global" && !call.user->admin) {
    return error_response(403, "forbidden", "only an admin may set or reset the global switch");
  }
  const CommandScope s = *scope == "bot"       ? CommandScope::kBotOrGlobal
                         : *scope == "account" ? CommandScope::kAccount
                                               : CommandScope::kGlobal;
  const auto target = static_cast<std::uint32_t>(needs_id ? *id : 0);
  const CommandResult result =
      engine_.kill_switch(call.user->id, call.user->admin, s, target, *action == "set");
  if (result.status != CommandStatus::kAccepted) return command_answer(call, result, 200);
  JsonWriter w;
  w.begin_object().field("scope", *scope);
  if (needs_id) w.field("id", target);
  w.field("action", *action).field("sequence", result.sequence).end_object();
  return json_response(200, std::move(w).str());
}

HttpResponse Router::reports_route(Call& call, std::string_view name) {
  if (!call.get()) return error_response(405, "method_not_allowed", "use GET");
  if (options_.reports_dir.empty()) {
    if (name.empty()) return json_response(200, R"({"reports":[]})");
    return error_response(404, "not_found", "no such report");
  }
  std::error_code ec;
  if (name.empty()) {
    std::vector<std::pair<std::string, std::uintmax_t>> files;
    for (fs::directory_iterator it(options_.reports_dir, ec), end; !ec && it != end;
         it.increment(ec)) {
      const std::string file = it->path().filename().string();
      // symlink_status: a link could point anywhere, so links are not reports.
      if (!safe_report_name(file) || !fs::is_regular_file(it->symlink_status())) continue;
      std::error_code size_ec;
      const auto size = fs::file_size(it->path(), size_ec);
      if (!size_ec) files.emplace_back(file, size);
    }
    std::sort(files.begin(), files.end());
    JsonWriter w;
    w.begin_object().key("reports").begin_array();
    for (const auto& [file, size] : files)
      w.begin_object().field("name", file).field("size", size).end_object();
    w.end_array().end_object();
    return json_response(200, std::move(w).str());
  }
  // Only plain names inside the directory: no separators, no "..", no hidden files, no links.
  if (!safe_report_name(name)) return error_response(404, "not_found", "no such report");
  const fs::path file = options_.reports_dir / std::string(name);
  if (!fs::is_regular_file(fs::symlink_status(file, ec))) {
    return error_response(404, "not_found", "no such report");
  }
  const auto size = fs::file_size(file, ec);
  if (ec) return error_response(404, "not_found", "no such report");
  if (size > options_.max_report_bytes) {
    return error_response(413, "too_large", "the report is larger than the server serves");
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in) return error_response(404, "not_found", "no such report");
  HttpResponse r;
  r.content_type = content_type_for(name);
  r.body = std::move(bytes).str();
  return r;
}

Router::StreamAuth Router::authorize_stream(const HttpRequest& request, SteadyTime now) {
  stats_.requests.fetch_add(1, std::memory_order_relaxed);
  StreamAuth out;
  std::string_view token = bearer_token(request.authorization);
  std::optional<std::string> query_token;
  if (token.empty()) {
    query_token = query_param(request.target, "token");
    if (query_token) token = *query_token;
  }
  const auto refuse = [&](HttpResponse r) {
    stats_.count_status(r.status);
    out.refusal = std::move(r);
    return out;
  };
  out.user = tokens_.authenticate(token);
  if (out.user == nullptr) {
    stats_.unauthorized.fetch_add(1, std::memory_order_relaxed);
    return refuse(
        error_response(401, "unauthorized", token.empty() ? "missing token" : "invalid token"));
  }
  if (auto limited = rate_limit(*out.user, now)) {
    out.user = nullptr;
    return refuse(std::move(*limited));
  }
  if (auto since = query_param(request.target, "since")) {
    std::uint64_t v = 0;
    const auto r = std::from_chars(since->data(), since->data() + since->size(), v);
    if (r.ec != std::errc{} || r.ptr != since->data() + since->size()) {
      out.user = nullptr;
      return refuse(error_response(400, "bad_request", "since must be a stream cursor"));
    }
    out.since = v;
  }
  return out;
}

}  // namespace be::api
