// The Binance mock's orders: entry, cancel, query, crosses and execution reports (exchange.hpp).
#include "sim/binance/exchange.hpp"

#include <algorithm>
#include <climits>

namespace be::binance::mock {

void Exchange::push_execution(const MockOrder& o, std::string_view exec, const MockFill* fill,
                              std::string_view cancel_client_id) {
  const std::int64_t t = now_ms();
  const std::int64_t last_qty = fill ? fill->qty : 0;
  const std::int64_t last_price = fill ? fill->price : 0;
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
      dec(last_price) + "\",\"n\":\"" + dec(fill ? fill->commission : 0) +
      "\",\"N\":" + (fill ? "\"" + fill->commission_asset + "\"" : std::string("null")) +
      ",\"T\":" + std::to_string(t) +
      ",\"t\":" + (fill ? std::to_string(fill->trade_id) : std::string("-1")) +
      ",\"v\":0,\"I\":1,\"w\":" +
      (o.status == "NEW" || o.status == "PARTIALLY_FILLED" ? "true" : "false") +
      ",\"m\":" + (fill && fill->maker ? "true" : "false") +
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

std::string Exchange::order_json(const MockOrder& o, bool full, std::size_t fills_from) const {
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
       "\"EXPIRE_MAKER\"";
  if (fills_from != std::string::npos) {
    m += ",\"transactTime\":" + std::to_string(o.time_ms) +
         ",\"workingTime\":" + std::to_string(o.time_ms) + ",\"fills\":[";
    for (std::size_t i = fills_from; i < o.fills.size(); ++i) {
      const MockFill& f = o.fills[i];
      if (i > fills_from) m += ",";
      m += "{\"price\":\"" + dec(f.price) + "\",\"qty\":\"" + dec(f.qty) + "\",\"commission\":\"" +
           dec(f.commission) + "\",\"commissionAsset\":\"" + f.commission_asset +
           "\",\"tradeId\":" + std::to_string(f.trade_id) + "}";
    }
    m += "]";
  }
  return m + "}";
}

Answer Exchange::new_order(const Params& p) {
  const auto symbol_text = p.get("symbol");
  if (!symbol_text) return {400, missing_parameter("symbol")};
  const auto sym_it = symbols.find(std::string(*symbol_text));
  if (sym_it == symbols.end()) return {400, error_body(-1121, "Invalid symbol.")};
  const MockSymbol& sym = sym_it->second;
  MockOrder o;
  o.symbol = sym.symbol;
  const auto side = p.get("side");
  const auto type = p.get("type");
  const auto qty_text = p.get("quantity");
  if (!side || (*side != "BUY" && *side != "SELL")) {
    return {400, missing_parameter("side")};
  }
  if (!type || (*type != "LIMIT" && *type != "MARKET" && *type != "LIMIT_MAKER")) {
    return {400, error_body(-1116, "Invalid orderType.")};
  }
  if (!qty_text) {
    return {400, missing_parameter("quantity")};
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
      return {400, missing_parameter("price")};
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
        return {400, missing_parameter("timeInForce")};
      }
      o.tif = std::string(*tif);
    }
  }
  o.client_id = std::string(p.get("newClientOrderId").value_or(""));
  if (o.client_id.empty()) o.client_id = "mock" + std::to_string(next_order_id);
  ++received_by_client[o.client_id];
  if (faults.reject_orders > 0) {
    --faults.reject_orders;
    return {400, error_body(faults.reject_code, faults.reject_msg)};
  }
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
  // Takers meet the touch when the venue has one (botengine sim), else the configured price.
  const std::int64_t touch_buy = sym.ask > 0 ? sym.ask : sym.market_price;
  const std::int64_t touch_sell = sym.bid > 0 ? sym.bid : sym.market_price;
  const std::int64_t touch = o.buy ? touch_buy : touch_sell;
  if (o.type == "MARKET" && touch <= 0) {
    return {400, error_body(-2010, "The market has no price yet.")};
  }
  // Only a real quote makes a resting order marketable: the configured market_price alone
  // (the gateway tests) leaves GTC limits resting until cross().
  const bool has_quote = o.buy ? sym.ask > 0 : sym.bid > 0;
  const bool marketable =
      o.type != "MARKET" && has_quote && (o.buy ? o.price >= sym.ask : o.price <= sym.bid);
  if (o.type == "LIMIT_MAKER" && marketable) {
    return {400, error_body(-2010, "Order would immediately match and take.")};
  }
  const std::int64_t ref_price = o.type == "MARKET" ? touch : o.price;
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
  push_execution(placed, "NEW");
  push_account({sym.base, sym.quote});
  // Liquidity at the touch is unlimited: a taker fills whole at one price.
  if (placed.type == "MARKET") {
    fill(placed, placed.qty, touch, false);
  } else if (marketable && placed.tif != "IOC" && placed.tif != "FOK") {
    fill(placed, placed.qty, touch, false);
  } else if (placed.tif == "IOC" || placed.tif == "FOK") {
    const bool crosses = placed.buy ? placed.price >= touch : placed.price <= touch;
    if (crosses && touch > 0) {
      fill(placed, placed.qty, touch, false);
    } else {
      release(placed);
      placed.status = "EXPIRED";
      placed.update_ms = now_ms();
      push_execution(placed, "EXPIRED");
      push_account({sym.base, sym.quote});
    }
  }
  std::int64_t hold_ms = 0;
  if (faults.fill_on_entry > 0) {
    --faults.fill_on_entry;
    hold_ms = faults.fill_hold_ms;
    if (placed.status == "NEW") fill(placed, placed.qty, placed.price, true);
  }
  // Binance: MARKET and LIMIT answer FULL unless asked otherwise, other types ACK.
  const auto resp_type =
      p.get("newOrderRespType").value_or(placed.type == "LIMIT_MAKER" ? "ACK" : "FULL");
  Answer a{200,
           order_json(placed, resp_type != "ACK", resp_type == "FULL" ? 0 : std::string::npos)};
  a.order_counts = true;
  a.hold_ms = hold_ms;
  return a;
}

Answer Exchange::cancel_order(const Params& p) {
  const auto symbol = p.get("symbol");
  if (!symbol) return {400, missing_parameter("symbol")};
  if (symbols.find(std::string(*symbol)) == symbols.end()) {
    return {400, error_body(-1121, "Invalid symbol.")};
  }
  MockOrder* o = find_order(*symbol, p);
  if (o == nullptr || (o->status != "NEW" && o->status != "PARTIALLY_FILLED")) {
    return {400, error_body(-2011, "Unknown order sent.")};
  }
  cancel(*o, "cancel" + std::to_string(o->order_id));
  std::string body = order_json(*o, true);
  body.insert(1, "\"origClientOrderId\":\"" + o->client_id + "\",");
  return {200, body};
}

void Exchange::cancel(MockOrder& o, std::string_view cancel_client_id) {
  release(o);
  o.status = "CANCELED";
  o.update_ms = now_ms();
  push_execution(o, "CANCELED", nullptr, cancel_client_id);
  const MockSymbol& sym = symbols[o.symbol];
  push_account({sym.base, sym.quote});
}

int Exchange::venue_cancel(std::string_view symbol, std::string_view client_id) {
  int cancelled = 0;
  for (auto& o : orders) {
    if (o.status != "NEW" && o.status != "PARTIALLY_FILLED") continue;
    if (!client_id.empty() && o.client_id != client_id) continue;
    if (!symbol.empty() && o.symbol != symbol) continue;
    // Binance's own cancels (STP, delisting, maintenance) carry no client cancel id.
    cancel(o, {});
    ++cancelled;
  }
  return cancelled;
}

Answer Exchange::query_order(const Params& p) {
  const auto symbol = p.get("symbol");
  if (!symbol) return {400, missing_parameter("symbol")};
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

Answer Exchange::my_trades(const Params& p) {
  const auto symbol = p.get("symbol");
  if (!symbol) return {400, missing_parameter("symbol")};
  const auto order_id = p.get("orderId");
  std::size_t limit = 500;
  if (const auto text = p.get("limit")) {
    const auto parsed = parse_decimal(*text, 0);
    if (!parsed || parsed.value() < 1 || parsed.value() > 1000) {
      return {400, error_body(-1100, "Illegal characters found in parameter 'limit'.")};
    }
    limit = static_cast<std::size_t>(parsed.value());
  }
  // Every fill of the symbol (of the order), oldest first, the newest `limit` of them.
  std::vector<std::pair<const MockOrder*, const MockFill*>> found;
  for (const auto& o : orders) {
    if (o.symbol != *symbol || (order_id && std::to_string(o.order_id) != *order_id)) continue;
    for (const auto& f : o.fills)
      found.emplace_back(&o, &f);
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.second->trade_id < b.second->trade_id; });
  const std::size_t first = found.size() > limit ? found.size() - limit : 0;
  std::string body = "[";
  for (std::size_t i = first; i < found.size(); ++i) {
    const auto& [o, f] = found[i];
    if (i > first) body += ",";
    body += "{\"symbol\":\"" + o->symbol + "\",\"id\":" + std::to_string(f->trade_id) +
            ",\"orderId\":" + std::to_string(o->order_id) + ",\"orderListId\":-1,\"price\":\"" +
            dec(f->price) + "\",\"qty\":\"" + dec(f->qty) + "\",\"quoteQty\":\"" +
            dec(notional(f->price, f->qty)) + "\",\"commission\":\"" + dec(f->commission) +
            "\",\"commissionAsset\":\"" + f->commission_asset +
            "\",\"time\":" + std::to_string(f->time_ms) +
            ",\"isBuyer\":" + (o->buy ? "true" : "false") +
            ",\"isMaker\":" + (f->maker ? "true" : "false") + ",\"isBestMatch\":true}";
  }
  return {200, body + "]"};
}

int Exchange::cross(std::string_view symbol, std::int64_t price, std::int64_t quantity,
                    CrossSides sides) {
  int fills = 0;
  std::int64_t budget = quantity > 0 ? quantity : INT64_MAX;
  for (auto& o : orders) {
    if (o.symbol != symbol || o.type == "MARKET") continue;
    if (o.status != "NEW" && o.status != "PARTIALLY_FILLED") continue;
    if ((sides == CrossSides::kBuys && !o.buy) || (sides == CrossSides::kSells && o.buy)) continue;
    const bool through = o.buy ? price <= o.price : price >= o.price;
    if (!through || budget <= 0) continue;
    const std::int64_t qty = std::min(o.qty - o.executed, budget);
    budget -= qty;
    fill(o, qty, o.price, true);
    ++fills;
  }
  return fills;
}

void Exchange::on_trade(std::string_view symbol, std::int64_t price, std::int64_t qty) {
  const auto it = symbols.find(std::string(symbol));
  if (it == symbols.end()) return;
  it->second.market_price = price;
  cross(symbol, price, qty);
}

// A quote that crosses a resting order means the venue would have matched it: a buy at or
// above the ask (a seller hit it) or a sell at or below the bid, at the order's own price.
void Exchange::on_quote(std::string_view symbol, std::int64_t bid, std::int64_t ask) {
  const auto it = symbols.find(std::string(symbol));
  if (it == symbols.end()) return;
  it->second.bid = bid;
  it->second.ask = ask;
  cross(symbol, ask, 0, CrossSides::kBuys);
  cross(symbol, bid, 0, CrossSides::kSells);
}

}  // namespace be::binance::mock
