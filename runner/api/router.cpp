// The control API's dispatch: a request in, the route table (routes.cpp) matched, its needs
// applied in order (token, rate limit, read model), the handler's answer out; plus the API's
// counters, the rate limiters and the WebSocket's authorisation.
#include "runner/api/router.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/codes.hpp"
#include "core/hex.hpp"
#include "core/log.hpp"
#include "runner/api/routes.hpp"
#include "runner/api/views.hpp"

namespace be::api {

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

void ApiStats::count_malformed(net::server::Violation violation) noexcept {
  malformed.fetch_add(1, std::memory_order_relaxed);
  malformed_by_violation[std::min(static_cast<std::size_t>(violation), kViolations - 1)].fetch_add(
      1, std::memory_order_relaxed);
}

std::uint64_t ApiStats::malformed_count(net::server::Violation violation) const noexcept {
  return malformed_by_violation[static_cast<std::size_t>(violation)].load(
      std::memory_order_relaxed);
}

std::uint64_t ApiStats::suppressed(LogBudget budget) const noexcept {
  return log_suppressed[static_cast<std::size_t>(budget)].load(std::memory_order_relaxed);
}

void ApiStats::append_metrics(std::string& out) const {
  const auto load = [](const auto& a) { return std::to_string(a.load(std::memory_order_relaxed)); };
  const auto family = [&](std::string_view name, std::string_view help) {
    out += "# HELP botengine_api_";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE botengine_api_";
    out += name;
    out += name.ends_with("_open") ? " gauge\n" : " counter\n";
  };
  const auto counter = [&](std::string_view name, std::string_view help, const auto& value) {
    family(name, help);
    out += "botengine_api_";
    out += name;
    out += ' ';
    out += load(value);
    out += '\n';
  };
  // One line per name of `names`, labelled `label`, from counters indexed by code.
  const auto labelled = [&](std::string_view name, std::string_view help, std::string_view label,
                            const auto& names, const auto& values) {
    family(name, help);
    for (const auto& entry : names) {
      out += "botengine_api_";
      out += name;
      out += '{';
      out += label;
      out += "=\"";
      out += entry.name;
      out += "\"} ";
      out += load(values[static_cast<std::size_t>(entry.code)]);
      out += '\n';
    }
  };
  counter("requests_total", "HTTP requests handled (WebSocket upgrades included).", requests);
  out += "# HELP botengine_api_responses_total HTTP answers by status code.\n";
  out += "# TYPE botengine_api_responses_total counter\n";
  for (std::size_t i = 0; i <= kCodeCount; ++i) {
    const std::uint64_t n = by_code[i].load(std::memory_order_relaxed);
    if (n == 0) continue;
    out += "botengine_api_responses_total{code=\"";
    out += i < kCodeCount ? std::to_string(kCodes[i]) : std::string("other");
    out += "\"} " + std::to_string(n) + "\n";
  }
  counter("malformed_requests_total", "Requests refused as malformed HTTP (400/426/505).",
          malformed);
  labelled("malformed_by_rule_total",
           "Malformed requests by the RFC 9112/6455 rule they broke (API.md, Limits).", "rule",
           net::server::kViolationNames, malformed_by_violation);
  counter("too_large_requests_total", "Requests over the body or header limit (413/431).",
          too_large);
  counter("unauthorized_total", "Requests without a valid token (401).", unauthorized);
  counter("rate_limited_total", "Requests over the per-user rate (429).", rate_limited);
  counter("connections_accepted_total", "TCP connections accepted.", connections_accepted);
  counter("connections_rejected_total",
          "Connections refused (503): over max_connections, or not admitted to the reserve.",
          connections_rejected);
  counter("reserve_admitted_total", "Requests served on the reserved connections.",
          reserve_admitted);
  counter("reserve_refused_total", "Requests refused on the reserved connections (503).",
          reserve_refused);
  counter("connections_open", "TCP connections open now.", connections_open);
  counter("idle_timeouts_total", "Connections closed after the idle timeout.", idle_timeouts);
  counter("ws_accepted_total", "WebSocket stream clients accepted.", ws_accepted);
  counter("ws_open", "WebSocket stream clients connected now.", ws_open);
  counter("ws_messages_total", "Stream messages sent.", ws_messages);
  counter("ws_dropped_slow_total", "Stream clients dropped: send queue full.", ws_dropped_slow);
  counter("ws_resyncs_total",
          "Stream resyncs: a client's since was older than what the engine still holds.",
          ws_resyncs);
  labelled("log_suppressed_total", "Log lines suppressed, by log budget.", "budget",
           kLogBudgetNames, log_suppressed);
}

// ---- Helpers ---------------------------------------------------------------------------------

namespace {

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

bool is_api_path(std::string_view path) noexcept {
  return path.starts_with("/api/") || path == "/api" || path == "/metrics";
}

// Segment by segment: literals equal, {bot} / {account} / {user} an id (`bad_id` names the
// kind when the segment is not one: the answer is "no such bot"), a final {*} whatever is left.
bool fits(std::string_view pattern, std::string_view path, std::uint32_t& id,
          std::string_view& rest, std::string_view& bad_id) {
  for (;;) {
    if (pattern == "{*}") {
      rest = path;
      return true;
    }
    const std::size_t pattern_end = pattern.find('/');
    const std::size_t path_end = path.find('/');
    const std::string_view segment = path.substr(0, path_end);
    const std::string_view literal = pattern.substr(0, pattern_end);
    if (literal.size() > 2 && literal.front() == '{' && literal.back() == '}') {
      if (const auto parsed = parse_bot_id(segment)) {
        id = index_of(*parsed);
      } else {
        bad_id = literal.substr(1, literal.size() - 2);
      }
    } else if (literal != segment) {
      return false;
    }
    if (pattern_end == std::string_view::npos || path_end == std::string_view::npos) {
      return pattern_end == path_end;
    }
    pattern.remove_prefix(pattern_end + 1);
    path.remove_prefix(path_end + 1);
  }
}

}  // namespace

std::optional<BotId> parse_bot_id(std::string_view text) noexcept {
  std::uint32_t v = 0;
  if (text.empty() || text.size() > 10) return std::nullopt;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc{} || r.ptr != text.data() + text.size() || BotId{v} == kNoBot)
    return std::nullopt;
  return BotId{v};
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

Router::Router(engine::ControlPlane& engine, const TokenStore& tokens, RouterOptions options,
               ApiStats& stats)
    : engine_(engine), tokens_(tokens), options_(std::move(options)), stats_(stats) {
  log_buckets_[static_cast<std::size_t>(LogBudget::kAudit)].rate =
      options_.audit_log_lines_per_second;
  log_buckets_[static_cast<std::size_t>(LogBudget::kNoise)].rate =
      options_.noise_log_lines_per_second;
  for (LogBucket& bucket : log_buckets_)
    bucket.lines = bucket.rate;
  if (!options_.log) {
    options_.log = [](std::string_view line) { log::write(log::Level::kInfo, log::kApi, line); };
  }
}

void Router::log(LogBudget budget, std::string_view line, SteadyTime now) {
  const auto index = static_cast<std::size_t>(budget);
  std::string text;
  {
    std::lock_guard lock(log_mutex_);
    LogBucket& bucket = log_buckets_[index];
    const double elapsed = std::chrono::duration<double>(now - bucket.last).count();
    bucket.last = now;
    bucket.lines = std::min(bucket.rate, bucket.lines + std::max(0.0, elapsed) * bucket.rate);
    if (bucket.lines < 1.0) {
      ++bucket.suppressed_since;
      stats_.log_suppressed[index].fetch_add(1, std::memory_order_relaxed);
      return;
    }
    bucket.lines -= 1.0;
    text = "api: ";
    text += line;
    if (bucket.suppressed_since > 0) {
      text += " (" + std::to_string(bucket.suppressed_since) + " " +
              std::string(name_of(kLogBudgetNames, budget)) + " lines suppressed before)";
      bucket.suppressed_since = 0;
    }
  }
  options_.log(text);
}

std::optional<User> Router::user_of(std::string_view authorization) const {
  const auto model = engine_.read_model();
  return authenticate(bearer_token(authorization), model.get());
}

std::optional<User> Router::authenticate(std::string_view token,
                                         const engine::ReadModel* model) const {
  if (model != nullptr && !model->users.empty()) return authenticate_users(model->users, token);
  const User* u = tokens_.authenticate(token);
  return u != nullptr ? std::optional<User>(*u) : std::nullopt;
}

std::string Router::owner_name(const engine::ReadModel* model, UserId id) const {
  if (id == kEngineUser) return "engine";
  if (model != nullptr && !model->users.empty()) {
    const engine::UserView* u = model->find_user(id);
    return u != nullptr ? u->name : "unknown";
  }
  const User* u = tokens_.find(id);
  return u != nullptr ? u->name : "unknown";
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
  Call call{request, target.substr(0, target.find('?')), now, std::nullopt, nullptr, kNoId, kNoBot,
            {}};
  HttpResponse response = route(call);
  stats_.count_status(response.status);
  if (response.status == 401) stats_.unauthorized.fetch_add(1, std::memory_order_relaxed);
  if (!call.get() || response.status >= 500) {
    // Commands: who did what, and the answer (the engine journals the command itself).
    std::string line = "user=";
    line += call.user ? call.user->name : std::string("-");
    line += ' ';
    line += request.method;
    line += ' ';
    line += call.path.substr(0, 200);
    line += " -> " + std::to_string(response.status);
    // An authenticated command is audited on its own budget, which noise cannot spend.
    const bool audited = call.user.has_value() && !call.get() && response.status != 429;
    log(audited ? LogBudget::kAudit : LogBudget::kNoise, line, now);
  }
  return response;
}

HttpResponse Router::route(Call& call) {
  // The first row that fits decides the needs; rows with its pattern are the allowed methods.
  const Route* first = nullptr;
  const Route* chosen = nullptr;
  std::string_view bad_id;
  std::vector<std::string_view> allowed;
  for (const Route& row : route_table()) {
    std::uint32_t id = kNoId;
    std::string_view rest;
    std::string_view row_bad_id;
    if (!fits(row.pattern, call.path, id, rest, row_bad_id)) continue;
    if (first == nullptr) {
      first = &row;
      bad_id = row_bad_id;
    }
    if (row.pattern != first->pattern) continue;
    allowed.push_back(row.method);
    if (chosen == nullptr && (row.method == "*" || row.method == call.request.method)) {
      chosen = &row;
      call.id = id;
      call.bot = BotId{id};
      call.rest = rest;
    }
  }
  const auto not_allowed = [&] {
    std::string use = "use ";
    for (std::size_t i = 0; i < allowed.size(); ++i) {
      if (i > 0) use += i + 1 == allowed.size() ? " or " : ", ";
      use += allowed[i];
    }
    return error_response(405, "method_not_allowed", use);
  };
  const Route* decides = chosen != nullptr ? chosen : first;
  if (decides != nullptr && decides->needs == Needs::kNothing) {
    return chosen != nullptr ? chosen->handler(*this, call) : not_allowed();
  }
  if (!is_api_path(call.path)) return static_file(call);

  // The model is read once per request: authentication and the handler see the same one.
  call.model = engine_.read_model();
  call.user = authenticate(bearer_token(call.request.authorization), call.model.get());
  if (!call.user) {
    return error_response(
        401, "unauthorized",
        call.request.authorization.empty() ? "missing bearer token" : "invalid token");
  }
  if (auto limited = rate_limit(*call.user, call.now)) return std::move(*limited);

  // Under /api/v1/ even an unknown route waits for the engine (503 while it starts).
  const Needs needs = decides != nullptr                  ? decides->needs
                      : call.path.starts_with("/api/v1/") ? Needs::kModel
                                                          : Needs::kUser;
  if (needs >= Needs::kModel && call.model == nullptr) {
    return error_response(503, "unavailable", "the engine is starting");
  }
  if (decides == nullptr) return error_response(404, "not_found", "no such route");
  if (needs == Needs::kAdmin && !call.user->admin) {
    return error_response(403, "forbidden", "only an admin may use this route");
  }
  if (!bad_id.empty()) return error_response(404, "not_found", "no such " + std::string(bad_id));
  if (chosen == nullptr) return not_allowed();
  return chosen->handler(*this, call);
}

HttpResponse Router::static_file(const Call& call) const {
  if (!call.get()) return error_response(405, "method_not_allowed", "static files: use GET");
  if (options_.static_assets) {
    if (auto asset = options_.static_assets(call.path)) {
      HttpResponse r;
      r.content_type = std::string(asset->content_type);
      r.body = std::string(asset->bytes);
      return r;
    }
  }
  return error_response(404, "not_found", "no such file");
}

namespace {

// `text` split at commas (empty parts dropped).
std::vector<std::string> comma_list(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    if (comma != 0) out.emplace_back(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return out;
}

// The stream's ?bots= ?symbols= ?types= into `out`; why not, when a value is bad.
std::optional<std::string> read_stream_subset(std::string_view target, Router::StreamAuth& out) {
  constexpr std::size_t kMaxEach = 1000;
  if (auto bots = query_param(target, "bots")) {
    for (const std::string& text : comma_list(*bots)) {
      const auto bot = parse_bot_id(text);
      if (!bot) return "bots must be bot ids separated by commas (not " + text.substr(0, 40) + ")";
      out.bots.push_back(*bot);
    }
    if (out.bots.empty()) return std::string("bots, when given, must name a bot");
  }
  if (auto symbols = query_param(target, "symbols")) {
    out.symbols = comma_list(*symbols);
    if (out.symbols.empty()) return std::string("symbols, when given, must name a symbol");
  }
  if (auto types = query_param(target, "types")) {
    out.types = comma_list(*types);
    if (out.types.empty()) return std::string("types, when given, must name an event type");
    for (const std::string& type : out.types)
      if (!is_stream_event_type(type))
        return "unknown event type " + type.substr(0, 40) +
               " (price, signal, order, order_update, fill, bot_status, risk_reject, stop_loss, "
               "take_profit, trailing_stop, kill_switch, bot_error, feed, feed_status, trade)";
  }
  if (out.bots.size() > kMaxEach || out.symbols.size() > kMaxEach || out.types.size() > kMaxEach)
    return std::string("at most 1000 bots, symbols and types each");
  std::sort(out.bots.begin(), out.bots.end());
  return std::nullopt;
}

}  // namespace

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
  const auto model = engine_.read_model();
  out.user = authenticate(token, model.get());
  if (!out.user) {
    stats_.unauthorized.fetch_add(1, std::memory_order_relaxed);
    return refuse(
        error_response(401, "unauthorized", token.empty() ? "missing token" : "invalid token"));
  }
  if (auto limited = rate_limit(*out.user, now)) {
    out.user.reset();
    return refuse(std::move(*limited));
  }
  if (auto since = query_param(request.target, "since")) {
    std::uint64_t v = 0;
    const auto r = std::from_chars(since->data(), since->data() + since->size(), v);
    if (r.ec != std::errc{} || r.ptr != since->data() + since->size()) {
      out.user.reset();
      return refuse(
          error_response(400, "bad_request", "since must be the seq of a stream message"));
    }
    out.since = v;
  }
  if (auto why = read_stream_subset(request.target, out)) {
    out.user.reset();
    return refuse(error_response(400, "bad_request", *why));
  }
  return out;
}

bool is_stream_event_type(std::string_view type) noexcept {
  constexpr std::string_view kOwn[] = {"price", "signal", "order", "order_update", "fill", "feed"};
  if (std::find(std::begin(kOwn), std::end(kOwn), type) != std::end(kOwn)) return true;
  return std::any_of(kNotificationKinds.begin(), kNotificationKinds.end(),
                     [&](NotificationKind k) { return to_string(k) == type; });
}

}  // namespace be::api
