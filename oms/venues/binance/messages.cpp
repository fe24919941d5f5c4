#include "oms/venues/binance/messages.hpp"

#include <cstring>
#include <limits>

#include "core/fixed_point.hpp"
#include "oms/order_state_machine.hpp"

// simdjson, once for this file: GCC's -Wnull-dereference misfires inside the library.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <simdjson.h>
#pragma GCC diagnostic pop

namespace be::binance {

// Products of two fixed-point values need 128 bits before the rescale.
__extension__ typedef __int128 Int128;

namespace od = simdjson::ondemand;

ExecType parse_exec_type(std::string_view t) noexcept {
  if (t == "NEW") return ExecType::kNew;
  if (t == "TRADE") return ExecType::kTrade;
  if (t == "CANCELED") return ExecType::kCanceled;
  if (t == "REJECTED") return ExecType::kRejected;
  if (t == "EXPIRED") return ExecType::kExpired;
  if (t == "REPLACED") return ExecType::kReplaced;
  if (t == "TRADE_PREVENTION") return ExecType::kTradePrevention;
  return ExecType::kOther;
}

OrderStatus parse_order_status(std::string_view t) noexcept {
  if (t == "NEW") return OrderStatus::kNew;
  if (t == "PARTIALLY_FILLED") return OrderStatus::kPartiallyFilled;
  if (t == "FILLED") return OrderStatus::kFilled;
  if (t == "CANCELED") return OrderStatus::kCanceled;
  if (t == "PENDING_CANCEL") return OrderStatus::kPendingCancel;
  if (t == "REJECTED") return OrderStatus::kRejected;
  if (t == "EXPIRED") return OrderStatus::kExpired;
  if (t == "EXPIRED_IN_MATCH") return OrderStatus::kExpiredInMatch;
  return OrderStatus::kOther;
}

std::optional<OrderUpdate> to_order_update(const ExecutionReport& r, AccountId account) noexcept {
  if (!r.ours) return std::nullopt;
  OrderUpdate u;
  u.bot = r.client.bot;
  u.client_sequence = r.client.sequence;
  u.instrument = r.instrument;
  u.account = account;
  u.venue_order_id = r.order_id;
  u.cumulative_quantity = r.cumulative_quantity;
  switch (r.exec) {
    case ExecType::kNew:
      u.event = static_cast<std::uint8_t>(oms::OrderEvent::kAccepted);
      return u;
    case ExecType::kTrade:
      u.event = static_cast<std::uint8_t>(r.status == OrderStatus::kFilled
                                              ? oms::OrderEvent::kFill
                                              : oms::OrderEvent::kPartialFill);
      u.last_price = r.last_price;
      u.last_quantity = r.last_quantity;
      u.fee = r.fee;
      u.trade_id = r.trade_id;
      u.liquidity = r.maker ? OrderUpdate::kMaker : OrderUpdate::kTaker;
      return u;
    case ExecType::kCanceled:
      u.event = static_cast<std::uint8_t>(oms::OrderEvent::kCanceled);
      return u;
    case ExecType::kRejected:
      u.event = static_cast<std::uint8_t>(oms::OrderEvent::kRejected);
      return u;
    case ExecType::kExpired:
    case ExecType::kTradePrevention:
      u.event = static_cast<std::uint8_t>(oms::OrderEvent::kExpired);
      return u;
    case ExecType::kReplaced:
    case ExecType::kOther:
      break;
  }
  return std::nullopt;
}

OrderUpdate reconciled_update(const OrderSnapshot& o, AccountId account) noexcept {
  OrderUpdate u;
  u.bot = o.client.bot;
  u.client_sequence = o.client.sequence;
  u.instrument = o.instrument;
  u.account = account;
  u.venue_order_id = o.order_id;
  u.cumulative_quantity = o.executed_quantity;
  u.last_price = o.price;
  oms::OrderEvent e = oms::OrderEvent::kReconciledNotFound;
  switch (o.status) {
    case OrderStatus::kNew:
    case OrderStatus::kPendingCancel:
      e = o.executed_quantity > 0 ? oms::OrderEvent::kReconciledPartial
                                  : oms::OrderEvent::kReconciledNew;
      break;
    case OrderStatus::kPartiallyFilled:
      e = oms::OrderEvent::kReconciledPartial;
      break;
    case OrderStatus::kFilled:
      e = oms::OrderEvent::kReconciledFilled;
      break;
    case OrderStatus::kCanceled:
      e = oms::OrderEvent::kReconciledCanceled;
      break;
    case OrderStatus::kExpired:
    case OrderStatus::kExpiredInMatch:
      e = oms::OrderEvent::kReconciledExpired;
      break;
    case OrderStatus::kRejected:  // never lived at the venue
    case OrderStatus::kOther:
      e = oms::OrderEvent::kReconciledNotFound;
      break;
  }
  u.event = static_cast<std::uint8_t>(e);
  return u;
}

struct MessageParser::Impl {
  od::parser parser;
  std::vector<char> buffer;
  od::document doc;

  // Copies into a buffer with simdjson's padding so any input, even one ending at a page
  // boundary, is safe to parse.
  simdjson::error_code load(std::string_view text) {
    buffer.resize(text.size() + simdjson::SIMDJSON_PADDING);
    if (!text.empty()) std::memcpy(buffer.data(), text.data(), text.size());
    std::memset(buffer.data() + text.size(), 0, simdjson::SIMDJSON_PADDING);
    return parser.iterate(buffer.data(), text.size(), buffer.size()).get(doc);
  }

  // The document's root as an object (array); false with `error` set otherwise.
  bool object(std::string_view text, od::object& out, std::string& error, std::string_view what) {
    return root(text, error, what, [&] { return doc.get_object().get(out); });
  }
  bool array(std::string_view text, od::array& out, std::string& error, std::string_view what) {
    return root(text, error, what, [&] { return doc.get_array().get(out); });
  }

 private:
  template <class Get>
  bool root(std::string_view text, std::string& error, std::string_view what, Get get) {
    if (load(text)) {
      error = "not JSON";
      return false;
    }
    if (get() != simdjson::SUCCESS) {
      error = what;
      return false;
    }
    return true;
  }
};

MessageParser::MessageParser(const SymbolMap& symbols)
    : impl_(std::make_unique<Impl>()), symbols_(&symbols) {}
MessageParser::~MessageParser() = default;

namespace {

struct OrderFields {
  std::string_view symbol, client, status, price, orig_qty, exec_qty;
  std::uint64_t order_id = 0;
  std::int64_t update_time = 0, transact_time = 0, time = 0;
};

// Venue milliseconds to Nanos; a time that does not fit (a corrupt or hostile message) is
// refused rather than overflowed.
bool millis_to_nanos(std::int64_t ms, Nanos& out) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max() / 1'000'000;
  if (ms < 0 || ms > kMax) return false;
  out = ms * 1'000'000;
  return true;
}

// The next field of an object being iterated and its key; false when the JSON is broken.
bool next_field(simdjson::simdjson_result<od::field> result, od::field& field,
                std::string_view& key) {
  return std::move(result).get(field) == simdjson::SUCCESS &&
         field.unescaped_key().get(key) == simdjson::SUCCESS;
}

bool read_string(od::value v, std::string_view& out) {
  return v.get_string().get(out) == simdjson::SUCCESS;
}

template <class Int>
bool read_int(od::value v, Int& out) {
  std::int64_t x = 0;
  if (v.get_int64().get(x) != simdjson::SUCCESS) return false;
  out = static_cast<Int>(x);
  return true;
}

bool read_order_fields(od::object obj, OrderFields& f, std::string& error) {
  for (auto field_result : obj) {
    od::field field;
    std::string_view key;
    if (!next_field(std::move(field_result), field, key)) {
      error = "malformed order object";
      return false;
    }
    od::value v = field.value();
    bool ok = true;
    if (key == "symbol")
      ok = read_string(v, f.symbol);
    else if (key == "clientOrderId")
      ok = read_string(v, f.client);
    else if (key == "status")
      ok = read_string(v, f.status);
    else if (key == "price")
      ok = read_string(v, f.price);
    else if (key == "origQty")
      ok = read_string(v, f.orig_qty);
    else if (key == "executedQty")
      ok = read_string(v, f.exec_qty);
    else if (key == "orderId")
      ok = read_int(v, f.order_id);
    else if (key == "updateTime")
      ok = read_int(v, f.update_time);
    else if (key == "transactTime")
      ok = read_int(v, f.transact_time);
    else if (key == "time")
      ok = read_int(v, f.time);
    if (!ok) {
      error = "order field '" + std::string(key) + "' has the wrong type";
      return false;
    }
  }
  return true;
}

bool to_snapshot(const OrderFields& f, const SymbolMap& symbols, OrderSnapshot& out,
                 std::string& error) {
  const InstrumentDefined* def = symbols.by_symbol(f.symbol);
  if (def == nullptr) {
    error = "order for a symbol not in the map: '" + std::string(f.symbol) + "'";
    return false;
  }
  out = OrderSnapshot{};
  out.instrument = def->instrument;
  const auto client = oms::parse_client_order_id(f.client);
  out.ours = client.has_value();
  if (client) out.client = *client;
  out.order_id = f.order_id;
  out.status = parse_order_status(f.status);
  const auto price = parse_decimal(f.price.empty() ? "0" : f.price, def->price_scale);
  const auto orig = parse_decimal(f.orig_qty.empty() ? "0" : f.orig_qty, def->qty_scale);
  const auto exec = parse_decimal(f.exec_qty.empty() ? "0" : f.exec_qty, def->qty_scale);
  if (!price || !orig || !exec) {
    error = "order decimal does not fit the instrument's scale";
    return false;
  }
  out.price = price.value();
  out.orig_quantity = orig.value();
  out.executed_quantity = exec.value();
  const std::int64_t ms = f.update_time != 0     ? f.update_time
                          : f.transact_time != 0 ? f.transact_time
                                                 : f.time;
  if (!millis_to_nanos(ms, out.update_time)) {
    error = "order time out of range";
    return false;
  }
  return true;
}

// Fields of executionReport / outboundAccountPosition we use.
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

bool read_balances(od::array arr, std::vector<UserFields::Balance>& out) {
  for (auto item : arr) {
    od::object obj;
    if (item.get_object().get(obj)) return false;
    UserFields::Balance b;
    for (auto field_result : obj) {
      od::field field;
      std::string_view key;
      if (!next_field(std::move(field_result), field, key)) return false;
      od::value v = field.value();
      bool ok = true;
      if (key == "a")
        ok = read_string(v, b.a);
      else if (key == "f")
        ok = read_string(v, b.f);
      else if (key == "l")
        ok = read_string(v, b.l);
      if (!ok) return false;
    }
    out.push_back(b);
  }
  return true;
}

// Reads an event object; a nested "event" object (the WebSocket API's wrapping) is read in
// its place.
bool read_user_fields(od::object obj, UserFields& f, int depth) {
  for (auto field_result : obj) {
    od::field field;
    std::string_view key;
    if (!next_field(std::move(field_result), field, key)) return false;
    od::value v = field.value();
    bool ok = true;
    if (key.size() == 1) {
      switch (key[0]) {
        case 'e':
          ok = read_string(v, f.e);
          break;
        case 's':
          ok = read_string(v, f.s);
          break;
        case 'c':
          ok = read_string(v, f.c);
          break;
        case 'C':
          ok = read_string(v, f.C);
          break;
        case 'x':
          ok = read_string(v, f.x);
          break;
        case 'X':
          ok = read_string(v, f.X);
          break;
        case 'l':
          ok = read_string(v, f.l);
          break;
        case 'z':
          ok = read_string(v, f.z);
          break;
        case 'L':
          ok = read_string(v, f.L);
          break;
        case 'n':
          ok = read_string(v, f.n);
          break;
        case 'N': {
          bool is_null = false;
          if (v.is_null().get(is_null) == simdjson::SUCCESS && is_null) break;
          ok = read_string(v, f.N);
          break;
        }
        case 'E':
          ok = read_int(v, f.E);
          break;
        case 'T':
          ok = read_int(v, f.T);
          break;
        case 't':
          ok = read_int(v, f.t);
          break;
        case 'i':
          ok = read_int(v, f.i);
          break;
        case 'm':
          ok = v.get_bool().get(f.m) == simdjson::SUCCESS;
          break;
        case 'B': {
          od::array arr;
          ok = v.get_array().get(arr) == simdjson::SUCCESS && read_balances(arr, f.B);
          break;
        }
        default:
          break;
      }
    } else if (key == "event" && depth == 0) {
      od::object inner;
      ok = v.get_object().get(inner) == simdjson::SUCCESS && read_user_fields(inner, f, 1);
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace

MessageParser::UserKind MessageParser::parse_user(std::string_view text, AccountId account) {
  error_.clear();
  od::object obj;
  if (!impl_->object(text, obj, error_, "not a JSON object")) return UserKind::kMalformed;
  UserFields f;
  if (!read_user_fields(obj, f, 0)) {
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
      const AssetDef* asset = symbols_->asset(b.a);
      if (asset == nullptr) continue;
      const auto free = parse_decimal(b.f, asset->scale);
      const auto locked = parse_decimal(b.l, asset->scale);
      if (!free || !locked) {
        error_ = "balance of " + std::string(b.a) + " does not fit its scale";
        return UserKind::kMalformed;
      }
      BalanceUpdate u;
      u.account = account;
      u.asset = asset->id;
      u.free = free.value();
      u.locked = locked.value();
      balances_.push_back(u);
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

bool MessageParser::parse_error(std::string_view text, ApiError& out) {
  error_.clear();
  od::object obj;
  if (!impl_->object(text, obj, error_, "error body is not an object")) return false;
  bool have_code = false;
  for (auto field_result : obj) {
    od::field field;
    std::string_view key;
    if (!next_field(std::move(field_result), field, key)) {
      error_ = "malformed error body";
      return false;
    }
    od::value v = field.value();
    if (key == "code") {
      if (!read_int(v, out.code)) {
        error_ = "error code is not an integer";
        return false;
      }
      have_code = true;
    } else if (key == "msg") {
      std::string_view msg;
      if (!read_string(v, msg)) {
        error_ = "error msg is not a string";
        return false;
      }
      out.msg.assign(msg);
    }
  }
  if (!have_code) error_ = "error body without a code";
  return have_code;
}

bool MessageParser::parse_order(std::string_view text, OrderSnapshot& out) {
  error_.clear();
  od::object obj;
  if (!impl_->object(text, obj, error_, "order answer is not an object")) return false;
  OrderFields f;
  return read_order_fields(obj, f, error_) && to_snapshot(f, *symbols_, out, error_);
}

bool MessageParser::parse_open_orders(std::string_view text, std::vector<OrderSnapshot>& out) {
  error_.clear();
  out.clear();
  od::array arr;
  if (!impl_->array(text, arr, error_, "open orders answer is not an array")) return false;
  for (auto item : arr) {
    od::object obj;
    if (item.get_object().get(obj)) {
      error_ = "open order is not an object";
      return false;
    }
    OrderFields f;
    if (!read_order_fields(obj, f, error_)) return false;
    OrderSnapshot snap;
    if (!to_snapshot(f, *symbols_, snap, error_)) {
      // Orders on symbols this gateway does not trade are someone else's business.
      if (symbols_->by_symbol(f.symbol) == nullptr) {
        error_.clear();
        continue;
      }
      return false;
    }
    out.push_back(snap);
  }
  return true;
}

bool MessageParser::parse_account(std::string_view text, AccountId account,
                                  std::vector<BalanceUpdate>& out) {
  error_.clear();
  out.clear();
  od::object obj;
  if (!impl_->object(text, obj, error_, "account answer is not an object")) return false;
  bool have_balances = false;
  for (auto field_result : obj) {
    od::field field;
    std::string_view key;
    if (!next_field(std::move(field_result), field, key)) {
      error_ = "malformed account answer";
      return false;
    }
    if (key != "balances") continue;
    od::array arr;
    if (field.value().get_array().get(arr)) {
      error_ = "balances is not an array";
      return false;
    }
    have_balances = true;
    for (auto item : arr) {
      od::object b;
      if (item.get_object().get(b)) {
        error_ = "balance is not an object";
        return false;
      }
      std::string_view asset_name, free_text, locked_text;
      for (auto bf : b) {
        od::field f;
        std::string_view k;
        if (!next_field(std::move(bf), f, k)) {
          error_ = "malformed balance";
          return false;
        }
        bool ok = true;
        if (k == "asset")
          ok = read_string(f.value(), asset_name);
        else if (k == "free")
          ok = read_string(f.value(), free_text);
        else if (k == "locked")
          ok = read_string(f.value(), locked_text);
        if (!ok) {
          error_ = "balance field has the wrong type";
          return false;
        }
      }
      const AssetDef* asset = symbols_->asset(asset_name);
      if (asset == nullptr) continue;
      const auto free = parse_decimal(free_text, asset->scale);
      const auto locked = parse_decimal(locked_text, asset->scale);
      if (!free || !locked) {
        error_ = "balance of " + std::string(asset_name) + " does not fit its scale";
        return false;
      }
      BalanceUpdate u;
      u.account = account;
      u.asset = asset->id;
      u.free = free.value();
      u.locked = locked.value();
      out.push_back(u);
    }
  }
  if (!have_balances) error_ = "account answer without balances";
  return have_balances;
}

bool MessageParser::parse_server_time(std::string_view text, std::int64_t& millis) {
  error_.clear();
  od::object obj;
  if (!impl_->object(text, obj, error_, "time answer is not an object")) return false;
  for (auto field_result : obj) {
    od::field field;
    std::string_view key;
    if (!next_field(std::move(field_result), field, key)) break;
    if (key == "serverTime" && read_int(field.value(), millis)) return true;
  }
  error_ = "time answer without serverTime";
  return false;
}

bool MessageParser::parse_listen_key(std::string_view text, std::string& out) {
  error_.clear();
  od::object obj;
  if (!impl_->object(text, obj, error_, "listenKey answer is not an object")) return false;
  for (auto field_result : obj) {
    od::field field;
    std::string_view key;
    if (!next_field(std::move(field_result), field, key)) break;
    std::string_view value;
    if (key == "listenKey" && read_string(field.value(), value) && !value.empty()) {
      out.assign(value);
      return true;
    }
  }
  error_ = "answer without a listenKey";
  return false;
}

}  // namespace be::binance
