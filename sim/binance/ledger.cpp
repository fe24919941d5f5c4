// The Binance mock's balances: reservations, fills, releases and account views (exchange.hpp).
#include "sim/binance/exchange.hpp"

namespace be::binance::mock {

std::optional<Answer> Exchange::reserve(const MockOrder& o, const MockSymbol& sym,
                                        std::int64_t ref_price) {
  auto& base = balances[sym.base];
  auto& quote = balances[sym.quote];
  base.asset = sym.base;
  quote.asset = sym.quote;
  if (o.buy) {
    const std::int64_t need = notional(ref_price, o.qty);
    if (quote.free < need) {
      return Answer{400,
                    error_body(-2010, "Account has insufficient balance for requested action.")};
    }
    quote.free -= need;
    quote.locked += need;
  } else {
    if (base.free < o.qty) {
      return Answer{400,
                    error_body(-2010, "Account has insufficient balance for requested action.")};
    }
    base.free -= o.qty;
    base.locked += o.qty;
  }
  return std::nullopt;
}

// Fills `qty` of `o` at `price`: balances move from locked to the other asset.
void Exchange::fill(MockOrder& o, std::int64_t qty, std::int64_t price) {
  const MockSymbol& sym = symbols[o.symbol];
  auto& base = balances[sym.base];
  auto& quote = balances[sym.quote];
  base.asset = sym.base;
  quote.asset = sym.quote;
  const std::int64_t value = notional(price, qty);
  if (o.buy) {
    // Locked at the limit price (market: at the fill price); release the whole lock share.
    const std::int64_t lock_price = o.type == "MARKET" ? price : o.price;
    const std::int64_t locked_share = notional(lock_price, qty);
    quote.locked -= locked_share;
    quote.free += locked_share - value;
    base.free += qty;
  } else {
    base.locked -= qty;
    quote.free += value;
  }
  o.executed += qty;
  o.cum_quote += value;
  o.status = o.executed == o.qty ? "FILLED" : "PARTIALLY_FILLED";
  o.update_ms = now_ms();
  push_execution(o, "TRADE", qty, price, next_trade_id++);
  push_account({sym.base, sym.quote});
}

void Exchange::release(MockOrder& o) {
  const MockSymbol& sym = symbols[o.symbol];
  const std::int64_t remaining = o.qty - o.executed;
  if (o.buy) {
    const std::int64_t v = notional(o.price, remaining);
    balances[sym.quote].locked -= v;
    balances[sym.quote].free += v;
  } else {
    balances[sym.base].locked -= remaining;
    balances[sym.base].free += remaining;
  }
}

void Exchange::push_account(const std::vector<std::string>& assets) {
  const std::int64_t t = now_ms();
  std::string m = "{\"e\":\"outboundAccountPosition\",\"E\":" + std::to_string(t) +
                  ",\"u\":" + std::to_string(t) + ",\"B\":[";
  bool first = true;
  for (const auto& a : assets) {
    const auto& b = balances[a];
    if (!first) m += ",";
    first = false;
    m += "{\"a\":\"" + a + "\",\"f\":\"" + dec(b.free) + "\",\"l\":\"" + dec(b.locked) + "\"}";
  }
  m += "]}";
  publish(m);
}

Answer Exchange::account() {
  std::string body =
      "{\"makerCommission\":0,\"takerCommission\":0,\"canTrade\":true,\"canWithdraw\":true,"
      "\"canDeposit\":true,\"accountType\":\"SPOT\",\"balances\":[";
  bool first = true;
  for (const auto& [asset, b] : balances) {
    if (!first) body += ",";
    first = false;
    body += "{\"asset\":\"" + asset + "\",\"free\":\"" + dec(b.free) + "\",\"locked\":\"" +
            dec(b.locked) + "\"}";
  }
  return {200, body + "],\"permissions\":[\"SPOT\"]}"};
}

}  // namespace be::binance::mock
