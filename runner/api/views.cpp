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

namespace {

std::string_view owner_name(const TokenStore& tokens, UserId owner) {
  if (owner == kEngineUser) return "engine";
  const User* u = tokens.find(owner);
  return u != nullptr ? std::string_view(u->name) : std::string_view("unknown");
}

}  // namespace

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
      .time_field("heartbeat", b.heartbeat)
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

}  // namespace be::api
