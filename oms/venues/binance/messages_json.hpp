// simdjson On-Demand plumbing shared by the user-stream parser (messages.cpp) and the REST
// answer parsers (rest_messages.cpp): the padded document, field readers and the order
// object both read. Internal to be_binance_codec (includes simdjson).
#pragma once

#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
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
  std::string_view symbol, client, status, price, orig_qty, exec_qty, side;
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

// Calls on_field(key, value) -> bool for each field of `obj`, in order. False when the JSON
// is broken (`error` is then `malformed`) or when on_field returns false (it says why, if it
// wants to, in `error`).
template <class OnField>
bool for_each_field(od::object obj, std::string& error, std::string_view malformed,
                    OnField on_field) {
  for (auto field_result : obj) {
    od::field field;
    std::string_view key;
    if (!next_field(std::move(field_result), field, key)) {
      error = malformed;
      return false;
    }
    if (!on_field(key, field.value())) return false;
  }
  return true;
}

// A field an object may have and where its value goes: text (kept as a view into the
// document), an integer or a bool. Fields the table does not name are skipped.
struct FieldSlot {
  std::string_view key;
  std::variant<std::string_view*, std::int64_t*, std::uint64_t*, bool*> to;
};

// Reads `v` into the slot named `key`; false when that slot's type does not match.
inline bool read_slot(std::span<const FieldSlot> slots, std::string_view key, od::value v) {
  for (const FieldSlot& slot : slots) {
    if (slot.key != key) continue;
    return std::visit(
        [&](auto* to) {
          using T = std::remove_pointer_t<decltype(to)>;
          if constexpr (std::is_same_v<T, std::string_view>) {
            return read_string(v, *to);
          } else if constexpr (std::is_same_v<T, bool>) {
            return v.get_bool().get(*to) == simdjson::SUCCESS;
          } else {
            return read_int(v, *to);
          }
        },
        slot.to);
  }
  return true;
}

// A balance as both the account answer and the account-position event carry it: an asset
// this gateway does not know is skipped, amounts must fit the asset's scale.
inline bool add_balance(const SymbolMap& symbols, AccountId account, std::string_view asset_name,
                        std::string_view free_text, std::string_view locked_text,
                        std::vector<BalanceUpdate>& out, std::string& error) {
  const AssetDef* asset = symbols.asset(asset_name);
  if (asset == nullptr) return true;
  const auto free = parse_decimal(free_text, asset->scale);
  const auto locked = parse_decimal(locked_text, asset->scale);
  if (!free || !locked) {
    error = "balance of " + std::string(asset_name) + " does not fit its scale";
    return false;
  }
  BalanceUpdate u;
  u.account = account;
  u.asset = asset->id;
  u.free = free.value();
  u.locked = locked.value();
  out.push_back(u);
  return true;
}

inline bool read_order_fields(od::object obj, OrderFields& f, std::string& error) {
  const FieldSlot slots[] = {
      {"symbol", &f.symbol},
      {"clientOrderId", &f.client},
      {"status", &f.status},
      {"price", &f.price},
      {"origQty", &f.orig_qty},
      {"executedQty", &f.exec_qty},
      {"orderId", &f.order_id},
      {"updateTime", &f.update_time},
      {"transactTime", &f.transact_time},
      {"time", &f.time},
      {"side", &f.side},
  };
  return for_each_field(obj, error, "malformed order object",
                        [&](std::string_view key, od::value v) {
                          if (read_slot(slots, key, v)) return true;
                          error = "order field '" + std::string(key) + "' has the wrong type";
                          return false;
                        });
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
  out.side = f.side == "SELL" ? Side::kSell : Side::kBuy;
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
