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
