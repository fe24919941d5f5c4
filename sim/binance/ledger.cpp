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

namespace {

// value * bps / 10'000, rounded up to the last unit of scale 8: the venue never undercharges.
std::int64_t fraction_up(std::int64_t value, std::int64_t numerator, std::int64_t denominator) {
  const Int128 product = static_cast<Int128>(value) * numerator;
  return static_cast<std::int64_t>((product + denominator - 1) / denominator);
}

}  // namespace

MockFill Exchange::commission(const MockSymbol& sym, bool buy, std::int64_t received,
                              std::int64_t value, bool maker) {
  MockFill f;
  const int bps = maker ? config.maker_commission_bps : config.taker_commission_bps;
  f.commission_asset = buy ? sym.base : sym.quote;
  f.commission = fraction_up(received, bps, 10'000);
  if (!config.pay_fees_in_bnb || bps == 0) return f;
  // BNB's price in this symbol's quote: 1 when the quote is BNB, else BNB<quote>'s last.
  std::int64_t bnb_price = 0;
  if (sym.quote == "BNB") {
    bnb_price = kOne;
  } else if (const auto it = symbols.find("BNB" + sym.quote); it != symbols.end()) {
    bnb_price = it->second.market_price;
  }
  if (bnb_price <= 0) return f;
  const std::int64_t quote_fee = fraction_up(
      value, static_cast<std::int64_t>(bps) * (100 - config.bnb_discount_percent), 1'000'000);
  const std::int64_t in_bnb = fraction_up(quote_fee, kOne, bnb_price);
  auto& bnb = balances["BNB"];
  bnb.asset = "BNB";
  if (bnb.free < in_bnb) return f;  // Binance then charges the received asset
  f.commission_asset = "BNB";
  f.commission = in_bnb;
  return f;
}

// Fills `qty` of `o` at `price`: balances move from locked to the other asset, the
// commission leaves the asset it is charged in.
void Exchange::fill(MockOrder& o, std::int64_t qty, std::int64_t price, bool maker) {
  const MockSymbol& sym = symbols[o.symbol];
  auto& base = balances[sym.base];
  auto& quote = balances[sym.quote];
  base.asset = sym.base;
  quote.asset = sym.quote;
  const std::int64_t value = notional(price, qty);
  MockFill f = commission(sym, o.buy, o.buy ? qty : value, value, maker);
  f.price = price;
  f.qty = qty;
  f.maker = maker;
  f.trade_id = next_trade_id++;
  f.time_ms = now_ms();
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
  balances[f.commission_asset].free -= f.commission;
  o.executed += qty;
  o.cum_quote += value;
  o.status = o.executed == o.qty ? "FILLED" : "PARTIALLY_FILLED";
  o.update_ms = now_ms();
  o.fills.push_back(f);
  push_execution(o, "TRADE", &o.fills.back());
  if (f.commission_asset == "BNB" && sym.base != "BNB" && sym.quote != "BNB") {
    push_account({sym.base, sym.quote, "BNB"});
  } else {
    push_account({sym.base, sym.quote});
  }
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
      "{\"makerCommission\":" + std::to_string(config.maker_commission_bps) +
      ",\"takerCommission\":" + std::to_string(config.taker_commission_bps) +
      ",\"buyerCommission\":0,\"sellerCommission\":0,\"commissionRates\":{\"maker\":\"" +
      dec(config.maker_commission_bps * kOne / 10'000) + "\",\"taker\":\"" +
      dec(config.taker_commission_bps * kOne / 10'000) +
      "\",\"buyer\":\"0.00000000\",\"seller\":\"0.00000000\"},\"canTrade\":true,"
      "\"canWithdraw\":true,\"canDeposit\":true,\"brokered\":false,"
      "\"requireSelfTradePrevention\":false,\"preventSor\":false,\"updateTime\":" +
      std::to_string(now_ms()) + ",\"accountType\":\"SPOT\",\"balances\":[";
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
