// The control API's routes: the table and one handler per row. Handlers run after the
// dispatcher (router.cpp) applied the row's needs: call.user is set from kUser on, call.model
// from kModel on, and call.bot / call.rest hold the pattern's {bot} / {*}.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>

#include "core/file_read.hpp"
#include "runner/api/bot_query.hpp"
#include "runner/api/openapi.hpp"
#include "runner/api/routes.hpp"
#include "runner/api/templates.hpp"
#include "runner/api/views.hpp"

namespace be::api {

namespace fs = std::filesystem;
using engine::BotView;
using engine::CommandResult;
using engine::CommandStatus;
using engine::ReadModel;

namespace {

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

// A file's modification time as nanoseconds since the Unix epoch.
Nanos file_time_nanos(fs::file_time_type t) {
  const auto sys = std::chrono::file_clock::to_sys(t);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(sys.time_since_epoch()).count();
}

HttpResponse missing_config() {
  return errors_response({{"", "the request body must be a bot config (JSON object)"}});
}

}  // namespace

struct Router::Handlers {
  // ---- public and per-user routes (no read model needed) ----
  static HttpResponse health(Router& r, Call&) {
    auto model = r.engine_.read_model();
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

  static HttpResponse metrics(Router& r, Call&) {
    HttpResponse out;
    out.content_type = "text/plain; version=0.0.4; charset=utf-8";
    out.body = r.engine_.metrics_text();
    if (!out.body.empty() && out.body.back() != '\n') out.body += '\n';
    r.stats_.append_metrics(out.body);
    return out;
  }

  static HttpResponse openapi(Router&, Call&) {
    return json_response(200, std::string(openapi_document()));
  }

  static HttpResponse me(Router&, Call& call) {
    JsonWriter w;
    w.begin_object()
        .field("user", call.user->name)
        .field("id", index_of(call.user->id))
        .field("admin", call.user->admin)
        .end_object();
    return json_response(200, std::move(w).str());
  }

  static HttpResponse templates(Router&, Call&) {
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

  static HttpResponse validate(Router& r, Call& call) {
    const auto errors = r.engine_.validate_bot_config(call.request.body);
    JsonWriter w;
    w.begin_object().field("valid", errors.empty()).key("errors").begin_array();
    for (const auto& e : errors)
      w.begin_object().field("field", e.field).field("message", e.message).end_object();
    w.end_array().end_object();
    return json_response(200, std::move(w).str());
  }

  static HttpResponse kill_switch_set(Router& r, Call& call) {
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
    const auto id =
        reader.integer("id", needs_id ? config::Presence::kRequired : config::Presence::kOptional,
                       0, 0xFFFF'FFFEll);
    reader.finish();
    if (!errors.empty()) return errors_response(errors);
    if (*scope == "global" && !call.user->admin) {
      return error_response(403, "forbidden", "only an admin may set or reset the global switch");
    }
    // Someone else's account is absent, as for a read (the engine checks again).
    if (*scope == "account" && call.model != nullptr) {
      const auto* a = call.model->find_account(AccountId{static_cast<std::uint32_t>(*id)});
      if (a != nullptr && !call.sees(*a)) {
        return error_response(404, "not_found", "no account " + std::to_string(*id));
      }
    }
    const CommandScope s = *scope == "bot"       ? CommandScope::kBotOrGlobal
                           : *scope == "account" ? CommandScope::kAccount
                                                 : CommandScope::kGlobal;
    const auto target = static_cast<std::uint32_t>(needs_id ? *id : 0);
    const CommandResult result =
        r.engine_.kill_switch(call.user->id, call.user->admin, s, target, *action == "set");
    if (result.status != CommandStatus::kAccepted) {
      return command_response(result, 200, *scope == "bot" ? "no such bot" : "no such account");
    }
    JsonWriter w;
    w.begin_object().field("scope", *scope);
    if (needs_id) w.field("id", target);
    w.field("action", *action).field("sequence", result.sequence).end_object();
    return json_response(200, std::move(w).str());
  }

  static HttpResponse reports(Router& r, Call& call) { return report(r, call, {}); }
  static HttpResponse report_file(Router& r, Call& call) { return report(r, call, call.rest); }

  // ---- routes over the read model ----
  static HttpResponse engine_view(Router&, Call& call) {
    JsonWriter w;
    write_engine(w, call.model->engine, sees_account(call, 0));
    return json_response(200, std::move(w).str());
  }

  // The caller's accounts' balances (an admin's: all). `balances` is account 0's (the paper
  // account of earlier versions, owned by the first admin), for the clients of that shape.
  static HttpResponse balances(Router&, Call& call) {
    const ReadModel& model = *call.model;
    JsonWriter w;
    w.begin_object().key("balances");
    write_balances(
        w, sees_account(call, 0) ? model.engine.balances : std::vector<engine::BalanceView>{});
    w.key("accounts").begin_array();
    for (const engine::AccountView& a : model.accounts) {
      if (!call.sees(a)) continue;
      w.begin_object().field("id", index_of(a.id)).field("name", a.name).key("balances");
      write_balances(w, a.balances);
      w.end_object();
    }
    w.end_array().end_object();
    return json_response(200, std::move(w).str());
  }

  static HttpResponse conditions(Router&, Call& call) {
    const ReadModel& model = *call.model;
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

  static HttpResponse kill_switch_get(Router&, Call& call) {
    const ReadModel& model = *call.model;
    JsonWriter w;
    w.begin_object().field("global", model.engine.global_kill_switch);
    w.key("accounts").begin_array();
    for (const auto a : model.engine.killed_accounts)
      if (sees_account(call, a)) w.integer(a);
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

  // One page of the caller's bots (bot_query.hpp: limit, cursor, filters, sort=pnl).
  static HttpResponse bots(Router& r, Call& call) {
    const auto query = parse_bot_query(call.request.target, *call.model, call.user->admin);
    if (!query) {
      return error_response(query.error().status,
                            query.error().status == 403 ? "forbidden" : "bad_request",
                            query.error().message);
    }
    const BotPage page = select_bots(*call.model, *query, call.user->id, call.user->admin);
    JsonWriter w;
    w.begin_object().key("bots").begin_array();
    for (const BotView* b : page.bots) {
      w.begin_object();
      write_bot_fields(w, *b, r.owner_name(call.model.get(), b->owner));
      w.end_object();
    }
    w.end_array();
    if (!page.next_cursor.empty()) w.field("next_cursor", page.next_cursor);
    w.end_object();
    return json_response(200, std::move(w).str());
  }

  static HttpResponse bot_create(Router& r, Call& call) {
    if (call.request.body.empty()) return missing_config();
    return command_response(r.engine_.create_bot(call.user->id, call.request.body), 201,
                            "no such bot");
  }

  // Many creates in one request (rate-counted once) and one journaled create_bots command:
  // the answer holds, per item in order, the status and the body a single create would have
  // answered (docs/API.md "Creating many bots").
  static HttpResponse bots_bulk(Router& r, Call& call) {
    auto parsed = config::parse(call.request.body);
    if (!parsed) return errors_response({{"", "invalid JSON: " + parsed.error()}});
    const config::Value* list =
        parsed->kind == config::Value::Kind::kObject ? parsed->find("bots") : nullptr;
    if (list == nullptr || list->kind != config::Value::Kind::kArray || list->items.empty()) {
      return errors_response({{"bots", "the body must be {\"bots\": [bot config, ...]}"}});
    }
    if (list->items.size() > engine::kMaxBulkBots) {
      return errors_response(
          {{"bots", "at most " + std::to_string(engine::kMaxBulkBots) + " bots per request (" +
                        std::to_string(list->items.size()) + " given)"}});
    }
    std::vector<std::string> configs;  // the objects, to the engine
    for (const config::Value& item : list->items)
      if (item.kind == config::Value::Kind::kObject) configs.push_back(config::to_json(item));
    const engine::BulkCreateResult bulk = configs.empty()
                                              ? engine::BulkCreateResult{}
                                              : r.engine_.create_bots(call.user->id, configs);
    JsonWriter w;
    std::size_t created = 0, next = 0;
    w.begin_object().key("results").begin_array();
    for (const config::Value& item : list->items) {
      const HttpResponse one = item.kind == config::Value::Kind::kObject
                                   ? command_response(bulk.items.at(next++), 201, "no such bot")
                                   : missing_config();
      created += one.status == 201;
      w.begin_object().field("status", one.status).key("answer").raw(one.body).end_object();
    }
    w.end_array().field("created", created).end_object();
    return json_response(200, std::move(w).str());
  }

  static HttpResponse bot(Router& r, Call& call) {
    const BotView* bot = visible_bot(call);
    if (bot == nullptr) return no_bot(call);
    JsonWriter w;
    w.begin_object();
    write_bot_fields(w, *bot, r.owner_name(call.model.get(), bot->owner));
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
  static HttpResponse bot_update(Router& r, Call& call) {
    if (call.request.body.empty()) return missing_config();
    return command_response(
        r.engine_.update_bot(call.user->id, call.user->admin, call.bot, call.request.body), 200,
        "no such bot");
  }

  template <OperatorCommandKind Kind>
  static HttpResponse bot_command(Router& r, Call& call) {
    return command_response(r.engine_.bot_command(call.user->id, call.user->admin, call.bot, Kind),
                            200, "no such bot");
  }

  static HttpResponse bot_orders(Router&, Call& call) {
    return bot_list<&BotView::orders, &write_order>(call, "orders");
  }
  static HttpResponse bot_fills(Router&, Call& call) {
    return bot_list<&BotView::fills, &write_fill>(call, "fills");
  }
  static HttpResponse bot_position(Router&, Call& call) {
    return bot_detail(call, [](JsonWriter& w, const BotView& bot) {
      w.key("position");
      write_position(w, bot.position);
      w.field("pnl", bot.pnl);
    });
  }
  static HttpResponse bot_equity(Router&, Call& call) {
    return bot_detail(call, [](JsonWriter& w, const BotView& bot) {
      w.key("equity").begin_array();
      for (const auto& p : bot.equity)
        w.begin_object().time_field("time", p.time).field("equity", p.equity).end_object();
      w.end_array();
    });
  }

  static HttpResponse no_such_route(Router&, Call&) {
    return error_response(404, "not_found", "no such route");
  }

 private:
  // Account 0 without accounts in the model is the deployment's paper account, the first
  // admin's: admins see it, users do not.
  static bool sees_account(const Call& call, std::uint32_t id) {
    if (call.user->admin) return true;
    const engine::AccountView* a = call.model->find_account(AccountId{id});
    return a != nullptr && a->owner == call.user->id;
  }
  static const BotView* visible_bot(const Call& call) {
    const BotView* bot = call.model->find(call.bot);
    return bot != nullptr && call.sees(*bot) ? bot : nullptr;
  }
  static HttpResponse no_bot(const Call& call) {
    return error_response(404, "not_found", "no bot " + std::to_string(index_of(call.bot)));
  }

  // One of a bot's lists (orders, fills) as {"id": bot, key: [item...]}.
  template <auto Member, auto WriteItem>
  static HttpResponse bot_list(const Call& call, std::string_view key) {
    return bot_detail(call, [key](JsonWriter& w, const BotView& bot) {
      w.key(key).begin_array();
      for (const auto& item : bot.*Member)
        WriteItem(w, item);
      w.end_array();
    });
  }

  template <class Write>
  static HttpResponse bot_detail(const Call& call, Write&& write) {
    const BotView* bot = visible_bot(call);
    if (bot == nullptr) return no_bot(call);
    JsonWriter w;
    w.begin_object().field("id", index_of(call.bot));
    write(w, *bot);
    w.end_object();
    return json_response(200, std::move(w).str());
  }

  static HttpResponse report(Router& r, Call&, std::string_view name) {
    const RouterOptions& options = r.options_;
    if (options.reports_dir.empty()) {
      if (name.empty()) return json_response(200, R"({"reports":[]})");
      return error_response(404, "not_found", "no such report");
    }
    std::error_code ec;
    if (name.empty()) {
      struct ReportFile {
        std::string name;
        std::uintmax_t size = 0;
        Nanos modified = 0;
        bool operator<(const ReportFile& o) const { return name < o.name; }
      };
      std::vector<ReportFile> files;
      for (fs::directory_iterator it(options.reports_dir, ec), end; !ec && it != end;
           it.increment(ec)) {
        const std::string file = it->path().filename().string();
        // symlink_status: a link could point anywhere, so links are not reports.
        if (!safe_report_name(file) || !fs::is_regular_file(it->symlink_status())) continue;
        std::error_code size_ec, time_ec;
        const auto size = fs::file_size(it->path(), size_ec);
        const auto written = fs::last_write_time(it->path(), time_ec);
        if (size_ec) continue;
        files.push_back({file, size, time_ec ? 0 : file_time_nanos(written)});
      }
      std::sort(files.begin(), files.end());
      JsonWriter w;
      w.begin_object().key("reports").begin_array();
      for (const ReportFile& f : files) {
        w.begin_object().field("name", f.name).field("size", f.size);
        w.time_field("modified", f.modified).end_object();
      }
      w.end_array().end_object();
      return json_response(200, std::move(w).str());
    }
    // Only plain names inside the directory: no separators, no "..", no hidden files, no links.
    if (!safe_report_name(name)) return error_response(404, "not_found", "no such report");
    const fs::path file = options.reports_dir / std::string(name);
    if (!fs::is_regular_file(fs::symlink_status(file, ec))) {
      return error_response(404, "not_found", "no such report");
    }
    const auto size = fs::file_size(file, ec);
    if (ec) return error_response(404, "not_found", "no such report");
    if (size > options.max_report_bytes) {
      return error_response(413, "too_large", "the report is larger than the server serves");
    }
    auto bytes = read_file(file.string(), options.max_report_bytes);
    if (!bytes) return error_response(404, "not_found", "no such report");
    HttpResponse out;
    out.content_type = content_type_for(name);
    out.body = std::move(*bytes);
    return out;
  }
};

std::span<const Router::Route> Router::route_table() {
  using H = Handlers;
  using A = AccountHandlers;
  using B = BacktestHandlers;
  using Kind = OperatorCommandKind;
  // Order matters where patterns overlap: the first row that fits decides (bots/validate
  // before bots/{bot}; bots/{bot}/... before the catch-all that answers "no such route").
  static constexpr Route kRoutes[] = {
      {"GET", "/api/v1/health", Needs::kNothing, &H::health},
      {"GET", "/api/v1/openapi.json", Needs::kNothing, &H::openapi},
      {"GET", "/metrics", Needs::kUser, &H::metrics},
      {"GET", "/api/v1/me", Needs::kUser, &H::me},
      {"GET", "/api/v1/templates", Needs::kUser, &H::templates},
      {"POST", "/api/v1/bots/validate", Needs::kUser, &H::validate},
      {"POST", "/api/v1/bots/bulk", Needs::kModel, &H::bots_bulk},
      {"GET", "/api/v1/kill-switch", Needs::kModel, &H::kill_switch_get},
      {"POST", "/api/v1/kill-switch", Needs::kUser, &H::kill_switch_set},
      {"GET", "/api/v1/backtests", Needs::kUser, &B::list},
      {"POST", "/api/v1/backtests", Needs::kUser, &B::submit},
      {"GET", "/api/v1/backtests/{backtest}", Needs::kUser, &B::job},
      {"GET", "/api/v1/backtests/{backtest}/report", Needs::kUser, &B::report},
      {"GET", "/api/v1/reports", Needs::kUser, &H::reports},
      {"GET", "/api/v1/reports/{*}", Needs::kUser, &H::report_file},
      {"GET", "/api/v1/engine", Needs::kModel, &H::engine_view},
      {"GET", "/api/v1/balances", Needs::kModel, &H::balances},
      {"GET", "/api/v1/conditions", Needs::kModel, &H::conditions},
      {"GET", "/api/v1/accounts", Needs::kModel, &A::accounts},
      {"POST", "/api/v1/accounts", Needs::kAdmin, &A::account_create},
      {"GET", "/api/v1/accounts/{account}", Needs::kModel, &A::account},
      {"DELETE", "/api/v1/accounts/{account}", Needs::kAdmin, &A::account_remove},
      {"PUT", "/api/v1/accounts/{account}/kill-switch", Needs::kModel, &A::account_kill_switch},
      {"DELETE", "/api/v1/accounts/{account}/kill-switch", Needs::kModel, &A::account_kill_switch},
      {"POST", "/api/v1/accounts/{account}/keys", Needs::kAdmin, &A::account_keys},
      {"GET", "/api/v1/users", Needs::kAdmin, &A::users},
      {"POST", "/api/v1/users", Needs::kAdmin, &A::user_create},
      {"PATCH", "/api/v1/users/{user}", Needs::kAdmin, &A::user_update},
      {"POST", "/api/v1/users/{user}/token", Needs::kAdmin, &A::user_token},
      {"GET", "/api/v1/audit", Needs::kAdmin, &A::audit},
      {"GET", "/api/v1/bots", Needs::kModel, &H::bots},
      {"POST", "/api/v1/bots", Needs::kModel, &H::bot_create},
      {"GET", "/api/v1/bots/", Needs::kModel, &H::bots},
      {"POST", "/api/v1/bots/", Needs::kModel, &H::bot_create},
      {"GET", "/api/v1/bots/{bot}", Needs::kModel, &H::bot},
      {"PUT", "/api/v1/bots/{bot}", Needs::kModel, &H::bot_update},
      {"DELETE", "/api/v1/bots/{bot}", Needs::kModel, &H::bot_command<Kind::kDeleteBot>},
      {"GET", "/api/v1/bots/{bot}/", Needs::kModel, &H::bot},
      {"PUT", "/api/v1/bots/{bot}/", Needs::kModel, &H::bot_update},
      {"DELETE", "/api/v1/bots/{bot}/", Needs::kModel, &H::bot_command<Kind::kDeleteBot>},
      {"POST", "/api/v1/bots/{bot}/start", Needs::kModel, &H::bot_command<Kind::kStartBot>},
      {"POST", "/api/v1/bots/{bot}/stop", Needs::kModel, &H::bot_command<Kind::kStopBot>},
      {"POST", "/api/v1/bots/{bot}/pause", Needs::kModel, &H::bot_command<Kind::kPauseBot>},
      {"POST", "/api/v1/bots/{bot}/resume", Needs::kModel, &H::bot_command<Kind::kResumeBot>},
      {"POST", "/api/v1/bots/{bot}/restart", Needs::kModel, &H::bot_command<Kind::kRestartBot>},
      {"GET", "/api/v1/bots/{bot}/orders", Needs::kModel, &H::bot_orders},
      {"GET", "/api/v1/bots/{bot}/fills", Needs::kModel, &H::bot_fills},
      {"GET", "/api/v1/bots/{bot}/position", Needs::kModel, &H::bot_position},
      {"GET", "/api/v1/bots/{bot}/equity", Needs::kModel, &H::bot_equity},
      {"*", "/api/v1/bots/{bot}/{*}", Needs::kModel, &H::no_such_route},
  };
  return kRoutes;
}

std::vector<Router::RouteRow> Router::routes() {
  std::vector<RouteRow> out;
  for (const Route& row : route_table())
    out.push_back({row.method, row.pattern, row.needs != Needs::kNothing});
  return out;
}

}  // namespace be::api
