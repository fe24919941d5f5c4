// simdjson On-Demand plumbing shared by the user-stream parser (messages.cpp) and the REST
// answer parsers (rest_messages.cpp): the padded document, field readers and the order
// object both read. Internal to be_binance_codec (includes simdjson).
#pragma once

#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "core/fixed_point.hpp"
#include "oms/venues/binance/messages.hpp"

// simdjson, once for this library: GCC's -Wnull-dereference misfires inside the library.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <simdjson.h>
#pragma GCC diagnostic pop

namespace be::binance {

// Products of two fixed-point values need 128 bits before the rescale.
__extension__ typedef __int128 Int128;

namespace od = simdjson::ondemand;

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
struct OrderFields {
  std::string_view symbol, client, status, price, orig_qty, exec_qty;
  std::uint64_t order_id = 0;
  std::int64_t update_time = 0, transact_time = 0, time = 0;
};

// Venue milliseconds to Nanos; a time that does not fit (a corrupt or hostile message) is
// refused rather than overflowed.
inline bool millis_to_nanos(std::int64_t ms, Nanos& out) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max() / 1'000'000;
  if (ms < 0 || ms > kMax) return false;
  out = ms * 1'000'000;
  return true;
}

// The next field of an object being iterated and its key; false when the JSON is broken.
inline bool next_field(simdjson::simdjson_result<od::field> result, od::field& field,
                       std::string_view& key) {
  return std::move(result).get(field) == simdjson::SUCCESS &&
         field.unescaped_key().get(key) == simdjson::SUCCESS;
}

inline bool read_string(od::value v, std::string_view& out) {
  return v.get_string().get(out) == simdjson::SUCCESS;
}

template <class Int>
inline bool read_int(od::value v, Int& out) {
  std::int64_t x = 0;
  if (v.get_int64().get(x) != simdjson::SUCCESS) return false;
  out = static_cast<Int>(x);
  return true;
}

inline bool read_order_fields(od::object obj, OrderFields& f, std::string& error) {
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

inline bool to_snapshot(const OrderFields& f, const SymbolMap& symbols, OrderSnapshot& out,
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

}  // namespace be::binance
