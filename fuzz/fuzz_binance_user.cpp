// libFuzzer target: everything the Binance gateway reads from the venue. The first byte
// picks the reader (user-data stream event, REST error, order, open orders, account, server
// time, listenKey, a WebSocket API answer or pushed event); the rest is the body. A reader may
// refuse any input; it must never crash, hang or hand out a record that breaks its promises. Seeds:
// fuzz/seeds/binance_user/ (documented payloads of each kind).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "oms/order_state_machine.hpp"
#include "oms/venues/binance/messages.hpp"

namespace {

be::InstrumentDefined btcusdt() {
  be::InstrumentDefined d;
  d.instrument = be::InstrumentId{7};
  d.price_scale = 2;
  d.qty_scale = 5;
  const std::string_view sym = "BTCUSDT";
  for (std::size_t i = 0; i < sym.size(); ++i)
    d.symbol[i] = sym[i];
  d.base_asset[0] = 'B', d.base_asset[1] = 'T', d.base_asset[2] = 'C';
  d.quote_asset[0] = 'U', d.quote_asset[1] = 'S', d.quote_asset[2] = 'D', d.quote_asset[3] = 'T';
  return d;
}

void check_balances(const std::vector<be::BalanceUpdate>& balances,
                    const be::binance::SymbolMap& symbols) {
  for (const auto& b : balances) {
    if (symbols.asset(b.asset) == nullptr) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const be::InstrumentDefined defs[] = {btcusdt()};
  static const be::binance::SymbolMap symbols(defs);
  static be::binance::MessageParser parser(symbols);
  constexpr be::AccountId account{1};
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 8) {
    case 0: {
      const auto kind = parser.parse_user(body, account);
      if (kind == be::binance::MessageParser::UserKind::kExecutionReport) {
        const auto& r = parser.execution();
        if (r.instrument != be::InstrumentId{7}) std::abort();
        if (const auto u = be::binance::to_order_update(r, account)) {
          if (u->event >= be::oms::kOrderEventCount || !r.ours) std::abort();
        }
      } else if (kind == be::binance::MessageParser::UserKind::kAccountPosition) {
        check_balances(parser.balances(), symbols);
      } else if (kind == be::binance::MessageParser::UserKind::kMalformed &&
                 parser.error().empty()) {
        std::abort();  // a refusal always says why
      }
      break;
    }
    case 1: {
      be::binance::ApiError e;
      (void)parser.parse_error(body, e);
      break;
    }
    case 2: {
      be::binance::OrderSnapshot o;
      if (parser.parse_order(body, o)) {
        const auto u = be::binance::reconciled_update(o, account);
        if (u.event >= be::oms::kOrderEventCount) std::abort();
      }
      break;
    }
    case 3: {
      std::vector<be::binance::OrderSnapshot> open;
      if (parser.parse_open_orders(body, open)) {
        for (const auto& o : open)
          if (o.instrument != be::InstrumentId{7}) std::abort();
      }
      break;
    }
    case 4: {
      std::vector<be::BalanceUpdate> balances;
      if (parser.parse_account(body, account, balances)) check_balances(balances, symbols);
      break;
    }
    case 5: {
      std::int64_t ms = 0;
      (void)parser.parse_server_time(body, ms);
      break;
    }
    case 7: {
      be::binance::WsApiAnswer a;
      const auto kind = parser.parse_ws_api(body, a);
      if (kind == be::binance::MessageParser::WsKind::kMalformed && parser.error().empty()) {
        std::abort();  // a refusal always says why
      }
      if (a.rate_limit_count > a.rate_limits.size()) std::abort();
      if (a.has_order && a.order.instrument != be::InstrumentId{7}) std::abort();
      if (kind == be::binance::MessageParser::WsKind::kEvent)
        (void)parser.parse_user(body, account);
      break;
    }
    default: {
      std::string key;
      if (parser.parse_listen_key(body, key) && key.empty()) std::abort();
      break;
    }
  }
  return 0;
}
