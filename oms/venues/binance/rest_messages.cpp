// REST answers: errors, orders, open orders, the account's balances, the server time and the
// listenKey, read with simdjson On-Demand.
#include "oms/venues/binance/messages.hpp"

#include "oms/venues/binance/messages_json.hpp"

namespace be::binance {

bool MessageParser::parse_error(std::string_view text, ApiError& out) {
  error_.clear();
  od::object obj;
  if (!impl_->object(text, obj, error_, "error body is not an object")) return false;
  bool have_code = false;
  std::string_view msg;
  const bool read =
      for_each_field(obj, error_, "malformed error body", [&](std::string_view key, od::value v) {
        if (key == "code") {
          have_code = read_int(v, out.code);
          if (!have_code) error_ = "error code is not an integer";
          return have_code;
        }
        if (key != "msg") return true;
        if (!read_string(v, msg)) {
          error_ = "error msg is not a string";
          return false;
        }
        out.msg.assign(msg);
        return true;
      });
  if (!read) return false;
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
  const auto read_balance = [&](od::object b) {
    std::string_view asset, free, locked;
    const FieldSlot slots[] = {{"asset", &asset}, {"free", &free}, {"locked", &locked}};
    return for_each_field(b, error_, "malformed balance",
                          [&](std::string_view key, od::value v) {
                            if (read_slot(slots, key, v)) return true;
                            error_ = "balance field has the wrong type";
                            return false;
                          }) &&
           add_balance(*symbols_, account, asset, free, locked, out, error_);
  };
  const bool read = for_each_field(obj, error_, "malformed account answer",
                                   [&](std::string_view key, od::value v) {
                                     if (key != "balances") return true;
                                     od::array arr;
                                     if (v.get_array().get(arr)) {
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
                                       if (!read_balance(b)) return false;
                                     }
                                     return true;
                                   });
  if (!read) return false;
  if (!have_balances) error_ = "account answer without balances";
  return have_balances;
}

bool MessageParser::parse_server_time(std::string_view text, std::int64_t& millis) {
  error_.clear();
  od::object obj;
  if (!impl_->object(text, obj, error_, "time answer is not an object")) return false;
  bool found = false;
  for_each_field(obj, error_, "", [&](std::string_view key, od::value v) {
    found = key == "serverTime" && read_int(v, millis);
    return !found;
  });
  if (found) return true;
  error_ = "time answer without serverTime";
  return false;
}

bool MessageParser::parse_listen_key(std::string_view text, std::string& out) {
  error_.clear();
  od::object obj;
  if (!impl_->object(text, obj, error_, "listenKey answer is not an object")) return false;
  std::string_view value;
  for_each_field(obj, error_, "", [&](std::string_view key, od::value v) {
    return !(key == "listenKey" && read_string(v, value) && !value.empty());
  });
  if (!value.empty()) {
    out.assign(value);
    return true;
  }
  error_ = "answer without a listenKey";
  return false;
}

}  // namespace be::binance
