// The Binance mock's orders: entry, cancel, query, crosses and execution reports (exchange.hpp).
#include "sim/binance/exchange.hpp"

#include <algorithm>
#include <climits>

namespace be::binance::mock {

void Exchange::push_execution(const MockOrder& o, std::string_view exec, std::int64_t last_qty,
                              std::int64_t last_price, std::uint64_t trade_id,
                              std::string_view cancel_client_id) {
  const MockSymbol& sym = symbols[o.symbol];
  const std::int64_t t = now_ms();
  std::string m =
      "{\"e\":\"executionReport\",\"E\":" + std::to_string(t) + ",\"s\":\"" + o.symbol +
      "\",\"c\":\"" +
      std::string(cancel_client_id.empty() ? std::string_view(o.client_id) : cancel_client_id) +
      "\",\"S\":\"" + (o.buy ? "BUY" : "SELL") + "\",\"o\":\"" + o.type + "\",\"f\":\"" +
      (o.tif.empty() ? "GTC" : o.tif) + "\",\"q\":\"" + dec(o.qty) + "\",\"p\":\"" + dec(o.price) +
      "\",\"P\":\"0.00000000\",\"F\":\"0.00000000\"," + "\"g\":-1,\"C\":\"" +
      (cancel_client_id.empty() ? "" : o.client_id) + "\",\"x\":\"" + std::string(exec) +
      "\",\"X\":\"" + o.status + "\",\"r\":\"NONE\",\"i\":" + std::to_string(o.order_id) +
      ",\"l\":\"" + dec(last_qty) + "\",\"z\":\"" + dec(o.executed) + "\",\"L\":\"" +
      dec(last_price) +
      "\",\"n\":\"0\",\"N\":" + (trade_id != 0 ? "\"" + sym.quote + "\"" : std::string("null")) +
      ",\"T\":" + std::to_string(t) +
      ",\"t\":" + (trade_id != 0 ? std::to_string(trade_id) : std::string("-1")) +
      ",\"v\":0,\"I\":1,\"w\":" +
      (o.status == "NEW" || o.status == "PARTIALLY_FILLED" ? "true" : "false") +
      ",\"m\":" + (o.type == "MARKET" ? "false" : "true") +
      ",\"M\":false,\"O\":" + std::to_string(o.time_ms) + ",\"Z\":\"" + dec(o.cum_quote) +
      "\",\"Y\":\"" + dec(notional(last_price, last_qty)) +
      "\",\"Q\":\"0.00000000\",\"W\":" + std::to_string(o.time_ms) + ",\"V\":\"EXPIRE_MAKER\"}";
  publish(m);
}

MockOrder* Exchange::find_order(std::string_view symbol, const Params& p) {
  const auto client = p.get("origClientOrderId");
  const auto id = p.get("orderId");
  // The newest order with that client id is the one Binance reports.
  for (auto it = orders.rbegin(); it != orders.rend(); ++it) {
    if (it->symbol != symbol) continue;
    if (client && it->client_id == *client) return &*it;
    if (id && std::to_string(it->order_id) == *id) return &*it;
  }
  return nullptr;
}

std::string Exchange::order_json(const MockOrder& o, bool full) const {
  std::string m = "{\"symbol\":\"" + o.symbol + "\",\"orderId\":" + std::to_string(o.order_id) +
                  ",\"orderListId\":-1,\"clientOrderId\":\"" + o.client_id + "\"";
  if (!full) return m + ",\"transactTime\":" + std::to_string(o.time_ms) + "}";
  m += ",\"price\":\"" + dec(o.price) + "\",\"origQty\":\"" + dec(o.qty) + "\",\"executedQty\":\"" +
       dec(o.executed) + "\",\"cummulativeQuoteQty\":\"" + dec(o.cum_quote) + "\",\"status\":\"" +
       o.status + "\",\"timeInForce\":\"" + (o.tif.empty() ? "GTC" : o.tif) + "\",\"type\":\"" +
       o.type + "\",\"side\":\"" + (o.buy ? "BUY" : "SELL") +
       "\",\"stopPrice\":\"0.00000000\",\"time\":" + std::to_string(o.time_ms) +
       ",\"updateTime\":" + std::to_string(o.update_ms) +
       ",\"isWorking\":true,\"origQuoteOrderQty\":\"0.00000000\",\"selfTradePreventionMode\":"
       "\"EXPIRE_MAKER\"}";
  return m;
}

Answer Exchange::new_order(const Params& p) {
  const auto symbol_text = p.get("symbol");
  if (!symbol_text)
    return {400,
            error_body(-1102,
                       "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")};
  const auto sym_it = symbols.find(std::string(*symbol_text));
  if (sym_it == symbols.end()) return {400, error_body(-1121, "Invalid symbol.")};
  const MockSymbol& sym = sym_it->second;
  MockOrder o;
  o.symbol = sym.symbol;
  const auto side = p.get("side");
  const auto type = p.get("type");
  const auto qty_text = p.get("quantity");
  if (!side || (*side != "BUY" && *side != "SELL")) {
    return {400,
            error_body(-1102,
                       "Mandatory parameter 'side' was not sent, was empty/null, or malformed.")};
  }
  if (!type || (*type != "LIMIT" && *type != "MARKET" && *type != "LIMIT_MAKER")) {
    return {400, error_body(-1116, "Invalid orderType.")};
  }
  if (!qty_text) {
    return {400, error_body(
                     -1102,
                     "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.")};
  }
  o.buy = *side == "BUY";
  o.type = std::string(*type);
  const auto qty = parse_decimal(*qty_text, kScale);
  if (!qty || qty.value() <= 0) {
    return {400, error_body(-1100,
                            "Illegal characters found in parameter 'quantity'; legal range is "
                            "'^([0-9]{1,20})(\\\\.[0-9]{1,20})?$'.")};
  }
  o.qty = qty.value();
  if (o.type != "MARKET") {
    const auto price_text = p.get("price");
    if (!price_text) {
      return {400, error_body(
                       -1102,
                       "Mandatory parameter 'price' was not sent, was empty/null, or malformed.")};
    }
    const auto price = parse_decimal(*price_text, kScale);
    if (!price || price.value() <= 0) {
      return {400, error_body(-1100,
                              "Illegal characters found in parameter 'price'; legal range is "
                              "'^([0-9]{1,20})(\\\\.[0-9]{1,20})?$'.")};
    }
    o.price = price.value();
    if (o.type == "LIMIT") {
      const auto tif = p.get("timeInForce");
      if (!tif) {
        return {
            400,
            error_body(
                -1102,
                "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.")};
      }
      o.tif = std::string(*tif);
    }
  }
  o.client_id = std::string(p.get("newClientOrderId").value_or(""));
  if (o.client_id.empty()) o.client_id = "mock" + std::to_string(next_order_id);
  ++received_by_client[o.client_id];
  for (const auto& existing : orders) {
    if (existing.client_id == o.client_id &&
        (existing.status == "NEW" || existing.status == "PARTIALLY_FILLED")) {
      return {400, error_body(-2010, "Duplicate order sent.")};
    }
  }
  // exchangeInfo filters, in Binance's order.
  if (o.type != "MARKET" && sym.tick_size > 0 && o.price % sym.tick_size != 0) {
    return {400, error_body(-1013, "Filter failure: PRICE_FILTER")};
  }
  if ((sym.step_size > 0 && o.qty % sym.step_size != 0) || o.qty < sym.min_qty) {
    return {400, error_body(-1013, "Filter failure: LOT_SIZE")};
  }
  const std::int64_t ref_price = o.type == "MARKET" ? sym.market_price : o.price;
  if (notional(ref_price, o.qty) < sym.min_notional) {
    return {400, error_body(-1013, "Filter failure: NOTIONAL")};
  }
  if (auto refused = reserve(o, sym, ref_price)) return *refused;
  o.order_id = next_order_id++;
  o.time_ms = o.update_ms = now_ms();
  if (o.type == "MARKET") o.price = 0;
  ++created_by_client[o.client_id];
  orders.push_back(o);
  MockOrder& placed = orders.back();
  push_execution(placed, "NEW", 0, 0, 0);
  push_account({sym.base, sym.quote});
  if (placed.type == "MARKET") {
    fill(placed, placed.qty, sym.market_price);
  } else if (placed.tif == "IOC" || placed.tif == "FOK") {
    const bool crosses =
        placed.buy ? placed.price >= sym.market_price : placed.price <= sym.market_price;
    if (crosses && sym.market_price > 0) {
      fill(placed, placed.qty, sym.market_price);
    } else {
      release(placed);
      placed.status = "EXPIRED";
      placed.update_ms = now_ms();
      push_execution(placed, "EXPIRED", 0, 0, 0);
      push_account({sym.base, sym.quote});
    }
  }
  const auto resp_type = p.get("newOrderRespType").value_or("RESULT");
  Answer a{200, order_json(placed, resp_type != "ACK")};
  a.order_counts = true;
  return a;
}

Answer Exchange::cancel_order(const Params& p) {
  const auto symbol = p.get("symbol");
  if (!symbol)
    return {400,
            error_body(-1102,
                       "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")};
  if (symbols.find(std::string(*symbol)) == symbols.end()) {
    return {400, error_body(-1121, "Invalid symbol.")};
  }
  MockOrder* o = find_order(*symbol, p);
  if (o == nullptr || (o->status != "NEW" && o->status != "PARTIALLY_FILLED")) {
    return {400, error_body(-2011, "Unknown order sent.")};
  }
  release(*o);
  o->status = "CANCELED";
  o->update_ms = now_ms();
  const std::string cancel_id = "cancel" + std::to_string(o->order_id);
  push_execution(*o, "CANCELED", 0, 0, 0, cancel_id);
  const MockSymbol& sym = symbols[o->symbol];
  push_account({sym.base, sym.quote});
  std::string body = order_json(*o, true);
  body.insert(1, "\"origClientOrderId\":\"" + o->client_id + "\",");
  return {200, body};
}

Answer Exchange::query_order(const Params& p) {
  const auto symbol = p.get("symbol");
  if (!symbol)
    return {400,
            error_body(-1102,
                       "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")};
  MockOrder* o = find_order(*symbol, p);
  if (o == nullptr) return {400, error_body(-2013, "Order does not exist.")};
  return {200, order_json(*o, true)};
}

Answer Exchange::open_orders(const Params& p) {
  const auto symbol = p.get("symbol");
  std::string body = "[";
  bool first = true;
  for (const auto& o : orders) {
    if (symbol && o.symbol != *symbol) continue;
    if (o.status != "NEW" && o.status != "PARTIALLY_FILLED") continue;
    if (!first) body += ",";
    first = false;
    body += order_json(o, true);
  }
  return {200, body + "]"};
}

int Exchange::cross(std::string_view symbol, std::int64_t price, std::int64_t quantity) {
  int fills = 0;
  std::int64_t budget = quantity > 0 ? quantity : INT64_MAX;
  for (auto& o : orders) {
    if (o.symbol != symbol || o.type == "MARKET") continue;
    if (o.status != "NEW" && o.status != "PARTIALLY_FILLED") continue;
    const bool through = o.buy ? price <= o.price : price >= o.price;
    if (!through || budget <= 0) continue;
    const std::int64_t qty = std::min(o.qty - o.executed, budget);
    budget -= qty;
    fill(o, qty, o.price);
    ++fills;
  }
  return fills;
}

}  // namespace be::binance::mock
