// The user-data stream's events (executionReport, outboundAccountPosition), read with
// simdjson On-Demand. REST answers: rest_messages.cpp; the mapping to OrderUpdate:
// order_mapping.cpp.
#include "oms/venues/binance/messages.hpp"

#include "oms/venues/binance/messages_json.hpp"

namespace be::binance {

MessageParser::MessageParser(const SymbolMap& symbols)
    : impl_(std::make_unique<Impl>()), symbols_(&symbols) {}
MessageParser::~MessageParser() = default;

namespace {

struct UserFields {
  std::string_view e, s, c, C, x, X, l, z, L, n, N;
  std::int64_t E = 0, T = 0, t = 0;
  std::uint64_t i = 0;
  bool m = false;
  struct Balance {
    std::string_view a, f, l;
  };
  std::vector<Balance> B;
};

bool read_balances(od::array arr, std::vector<UserFields::Balance>& out, std::string& error) {
  for (auto item : arr) {
    od::object obj;
    if (item.get_object().get(obj)) return false;
    UserFields::Balance b;
    const FieldSlot slots[] = {{"a", &b.a}, {"f", &b.f}, {"l", &b.l}};
    if (!for_each_field(obj, error, "", [&](std::string_view key, od::value v) {
          return read_slot(slots, key, v);
        })) {
      return false;
    }
    out.push_back(b);
  }
  return true;
}

// Reads an event object; a nested "event" object (the WebSocket API's wrapping) is read in
// its place. False, whatever `error` says, when any field is malformed.
bool read_user_fields(od::object obj, UserFields& f, int depth, std::string& error) {
  const FieldSlot slots[] = {
      {"e", &f.e}, {"s", &f.s}, {"c", &f.c}, {"C", &f.C}, {"x", &f.x}, {"X", &f.X},
      {"l", &f.l}, {"z", &f.z}, {"L", &f.L}, {"n", &f.n}, {"N", &f.N}, {"E", &f.E},
      {"T", &f.T}, {"t", &f.t}, {"i", &f.i}, {"m", &f.m},
  };
  return for_each_field(obj, error, "", [&](std::string_view key, od::value v) {
    if (key == "B") {
      od::array arr;
      return v.get_array().get(arr) == simdjson::SUCCESS && read_balances(arr, f.B, error);
    }
    if (key == "event") {
      od::object inner;
      return depth != 0 || (v.get_object().get(inner) == simdjson::SUCCESS &&
                            read_user_fields(inner, f, 1, error));
    }
    bool is_null = false;
    if (key == "N" && v.is_null().get(is_null) == simdjson::SUCCESS && is_null) return true;
    return read_slot(slots, key, v);
  });
}

}  // namespace

MessageParser::UserKind MessageParser::parse_user(std::string_view text, AccountId account) {
  error_.clear();
  od::object obj;
  if (!impl_->object(text, obj, error_, "not a JSON object")) return UserKind::kMalformed;
  UserFields f;
  if (!read_user_fields(obj, f, 0, error_)) {
    error_ = "malformed user-data event";
    return UserKind::kMalformed;
  }
  Nanos transaction_time = 0;
  if (!millis_to_nanos(f.E, event_time_) || !millis_to_nanos(f.T, transaction_time)) {
    error_ = "event time out of range";
    return UserKind::kMalformed;
  }
  if (f.e == "outboundAccountPosition") {
    balances_.clear();
    for (const auto& b : f.B) {
      if (!add_balance(*symbols_, account, b.a, b.f, b.l, balances_, error_)) {
        return UserKind::kMalformed;
      }
    }
    return UserKind::kAccountPosition;
  }
  if (f.e != "executionReport") return UserKind::kIgnored;

  const InstrumentDefined* def = symbols_->by_symbol(f.s);
  if (def == nullptr) return UserKind::kIgnored;  // another symbol on the same account
  ExecutionReport r;
  r.instrument = def->instrument;
  r.exec = parse_exec_type(f.x);
  r.status = parse_order_status(f.X);
  // A cancel's report carries the cancel request's id in c and the order's own id in C.
  const std::string_view id = !f.C.empty() ? f.C : f.c;
  const auto client = oms::parse_client_order_id(id);
  r.ours = client.has_value();
  if (client) r.client = *client;
  r.order_id = f.i;
  const auto last_qty = parse_decimal(f.l.empty() ? "0" : f.l, def->qty_scale);
  const auto cum_qty = parse_decimal(f.z.empty() ? "0" : f.z, def->qty_scale);
  const auto last_price = parse_decimal(f.L.empty() ? "0" : f.L, def->price_scale);
  if (!last_qty || !cum_qty || !last_price) {
    error_ = "executionReport decimal does not fit the instrument's scale";
    return UserKind::kMalformed;
  }
  r.last_quantity = last_qty.value();
  r.cumulative_quantity = cum_qty.value();
  r.last_price = last_price.value();
  r.fee = 0;
  r.fee_known = true;
  if (!f.n.empty() && !f.N.empty()) {
    if (f.N == def->quote_view()) {
      const auto fee = parse_decimal(f.n, def->price_scale);
      if (!fee) {
        error_ = "commission does not fit the price scale";
        return UserKind::kMalformed;
      }
      r.fee = fee.value();
    } else if (f.N == def->base_view()) {
      // A fee in the base asset, valued at this fill's price: n * L / 10^qty_scale.
      const auto fee_base = parse_decimal(f.n, def->qty_scale);
      if (!fee_base) {
        error_ = "commission does not fit the qty scale";
        return UserKind::kMalformed;
      }
      const Int128 v = static_cast<Int128>(fee_base.value()) * r.last_price /
                       static_cast<Int128>(pow10(def->qty_scale));
      r.fee = static_cast<std::int64_t>(v);
    } else {
      r.fee_known = false;
    }
  }
  r.trade_id = f.t > 0 ? static_cast<std::uint64_t>(f.t) : 0;
  r.maker = f.m;
  r.event_time = event_time_;
  r.transaction_time = transaction_time;
  execution_ = r;
  return UserKind::kExecutionReport;
}

}  // namespace be::binance
