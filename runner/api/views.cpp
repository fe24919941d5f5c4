#include "runner/api/views.hpp"

namespace be::api {

using engine::BotView;

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
      .time_field("updated_time", o.updated_time)
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
      .time_field("time", f.time)
      .field("sequence", f.sequence)
      .end_object();
}

void write_bot_fields(JsonWriter& w, const BotView& b, std::string_view owner_name) {
  w.field("id", index_of(b.id))
      .field("owner", owner_name)
      .field("name", b.name)
      .field("type", b.type)
      .field("venue", b.venue)
      .field("symbol", b.symbol)
      .field("state", to_string(b.state))
      .field("state_reason", b.state_reason)
      .field("kill_switch", b.kill_switch)
      .field("circuit_open", b.circuit_open)
      .time_field("heartbeat", b.heartbeat)
      .field("inputs_handled", b.inputs_handled)
      .field("pnl", b.pnl)
      .field("open_orders", b.open_orders)
      .field("trades", b.trades);
  w.key("position");
  write_position(w, b.position);
}

void write_balances(JsonWriter& w, const std::vector<engine::BalanceView>& balances) {
  w.begin_array();
  for (const auto& b : balances)
    w.begin_object()
        .field("asset", b.asset)
        .field("free", b.free)
        .field("locked", b.locked)
        .end_object();
  w.end_array();
}

namespace {

// A live account's gateway and order channel (a paper account: "paper" and nothing to show):
// what the runner knows of its connection and, when refused, why (naming the account, never a
// key); the fold's order channel and orders in flight it lost track of; orders the venue holds
// that we did not send; cancels the venue refused.
void write_live_fields(JsonWriter& w, const engine::AccountView& a) {
  w.field("connection", a.connection)
      .field("refusal", a.refusal)
      .field("channel_up", a.channel_up)
      .field("unknown_orders", a.unknown_orders)
      .field("foreign_orders_seen", a.foreign_orders_seen);
  w.key("foreign_orders").begin_array();
  for (const auto& f : a.foreign_orders) {
    w.begin_object()
        .field("venue_order_id", f.venue_order_id)
        .field("symbol", f.symbol)
        .field("side", f.side)
        .field("price", f.price)
        .field("quantity", f.quantity)
        .field("filled_quantity", f.filled_quantity)
        .time_field("time", f.time)
        .field("action", f.action)
        .field("reason", f.reason)
        .end_object();
  }
  w.end_array();
  w.field("cancels_refused", a.cancels_refused);
  w.key("refused_cancels").begin_array();
  for (const auto& c : a.refused_cancels) {
    w.begin_object()
        .field("client_order_id", c.client_order_id)
        .field("symbol", c.symbol)
        .field("reason", c.reason)
        .time_field("time", c.time)
        .end_object();
  }
  w.end_array();
}

}  // namespace

void write_account(JsonWriter& w, const engine::AccountView& a, std::string_view owner_name) {
  w.begin_object()
      .field("id", index_of(a.id))
      .field("owner", owner_name)
      .field("owner_id", index_of(a.owner))
      .field("name", a.name)
      .field("venue", a.venue)
      .field("mode", a.mode)
      .field("endpoint", a.endpoint)
      .field("rest_url", a.rest_url)
      .field("ws_api_url", a.ws_api_url)
      .field("stream_url", a.stream_url)
      .field("key_name", a.key_name)
      .field("key_fingerprint", a.key_fingerprint)
      .field("kill_switch", a.kill_switch)
      .field("removed", a.removed)
      .field("bots", a.bots);
  w.key("balances");
  write_balances(w, a.balances);
  write_live_fields(w, a);
  w.end_object();
}

void write_user(JsonWriter& w, const engine::UserView& u) {
  w.begin_object()
      .field("id", index_of(u.id))
      .field("name", u.name)
      .field("role", u.admin ? "admin" : "user")
      .field("disabled", u.disabled)
      .field("changed", u.changed)
      .end_object();
}

HttpResponse command_response(const engine::CommandResult& result, int ok_status,
                              std::string_view not_found) {
  using engine::CommandStatus;
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
                            result.message.empty() ? not_found : std::string_view(result.message));
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

void write_engine(JsonWriter& w, const engine::EngineView& e, bool balances) {
  w.begin_object()
      .field("last_sequence", e.last_sequence)
      .field("journal_committed", e.journal_committed)
      .field("journal_durable", e.journal_durable)
      .field("durability", e.durability)
      .field("topology", e.topology)
      .field("events_per_second", e.events_per_second)
      .time_field("engine_time", e.engine_time)
      .time_field("published_wall_time", e.published_wall_time)
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
        .time_field("last_message_time", f.last_message_time)
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
  w.key("balances");
  write_balances(w, balances ? e.balances : std::vector<engine::BalanceView>{});
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

std::string bot_summary_json(const BotView& bot, std::string_view owner_name) {
  JsonWriter w;
  w.begin_object();
  write_bot_fields(w, bot, owner_name);
  w.end_object();
  return std::move(w).str();
}

HttpResponse error_response(int status, std::string_view code, std::string_view message) {
  JsonWriter w;
  w.begin_object().key("error").begin_object().field("code", code).field("message", message);
  w.end_object().end_object();
  return json_response(status, std::move(w).str());
}

}  // namespace be::api
