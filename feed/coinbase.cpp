#include "feed/coinbase.hpp"

#include "feed/detail/json_support.hpp"
#include "feed/detail/parser_core.hpp"
#include "feed/detail/parser_handle_impl.hpp"

namespace be::feed {

using detail::field;
using detail::from_simdjson;
namespace od = simdjson::ondemand;

struct detail::CoinbaseImpl : detail::ParserCore {
  using ParserCore::ParserCore;
  ParseResult parse(std::string_view frame, Nanos receive_time, EventSink sink) noexcept;
  RejectReason parse_object(od::object& obj, Nanos receive_time, EventSink sink,
                            ParseResult& r) noexcept;
};

namespace {

RejectReason field_time(od::object& obj, Nanos& out) noexcept {
  std::string_view text;
  BE_FEED_TRY(detail::field_string(obj, "time", text));
  return detail::iso8601_to_nanos(text, out);
}

// An optional field: absent leaves `out` untouched; present must parse.
RejectReason optional_qty(od::object& obj, std::string_view key, int scale,
                          std::int64_t& out) noexcept {
  od::value v;
  const auto e = detail::find(obj, key).get(v);
  if (e == simdjson::NO_SUCH_FIELD) return RejectReason::kNone;
  BE_FEED_TRY(from_simdjson(e));
  return detail::qty_from(v, scale, out);
}

}  // namespace

ParseResult detail::CoinbaseImpl::parse(std::string_view frame, Nanos receive_time,
                                        EventSink sink) noexcept {
  ParseResult r;
  od::document doc;
  r.reject = load(frame, doc);
  if (!r.ok()) return finish(r, frame.size());
  od::object root;
  if (auto e = doc.get_object().get(root); e != simdjson::SUCCESS) {
    r.reject = detail::root_reject(frame, e);
    return finish(r, frame.size());
  }
  r.reject = parse_object(root, receive_time, sink, r);
  return finish(r, frame.size());
}

RejectReason detail::CoinbaseImpl::parse_object(od::object& obj, Nanos receive_time, EventSink sink,
                                                ParseResult& r) noexcept {
  std::string_view type;
  BE_FEED_TRY(detail::field_string(obj, "type", type));
  if (type == "snapshot") {
    r.kind = MessageKind::kCoinbaseSnapshot;
  } else if (oversized_for_message()) {
    return RejectReason::kOversized;
  }

  if (type == "heartbeat") {
    r.kind = MessageKind::kCoinbaseHeartbeat;
    return RejectReason::kNone;
  }
  if (type == "subscriptions") {
    r.kind = MessageKind::kCoinbaseSubscriptions;
    return RejectReason::kNone;
  }
  if (type == "error") {
    r.kind = MessageKind::kCoinbaseError;
    return RejectReason::kNone;
  }

  std::string_view product;
  SymbolEntry sym;
  if (type == "match" || type == "last_match") {
    r.kind = type == "match" ? MessageKind::kCoinbaseMatch : MessageKind::kCoinbaseLastMatch;
    Trade t;
    std::string_view side;
    Nanos time = 0;
    BE_FEED_TRY(detail::field_u64(obj, "trade_id", t.trade_id));
    BE_FEED_TRY(detail::field_string(obj, "side", side));
    // "side" is the maker's side: the taker, the aggressor, took the other one.
    if (side == "buy") {
      t.aggressor = Side::kSell;
    } else if (side == "sell") {
      t.aggressor = Side::kBuy;
    } else {
      return RejectReason::kWrongType;
    }
    od::value size_value, price_value;
    BE_FEED_TRY(field(obj, "size", size_value));
    const std::string_view size_token = size_value.raw_json_token();
    BE_FEED_TRY(field(obj, "price", price_value));
    const std::string_view price_token = price_value.raw_json_token();
    BE_FEED_TRY(detail::field_string(obj, "product_id", product));
    BE_FEED_TRY(resolve_symbol(product, sym));
    // size precedes product_id on the wire: its token is converted once the scale is known.
    BE_FEED_TRY(detail::token_to_fixed(size_token, sym.scales.qty_scale, t.quantity));
    if (t.quantity < 0) return RejectReason::kNegativeQuantity;
    BE_FEED_TRY(detail::token_to_fixed(price_token, sym.scales.price_scale, t.price));
    if (t.price <= 0) return RejectReason::kNonPositivePrice;
    BE_FEED_TRY(field_time(obj, time));
    t.instrument = sym.id;
    emit(t, time, receive_time, sink);
    r.events = 1;
    return RejectReason::kNone;
  }
  if (type == "ticker") {
    r.kind = MessageKind::kCoinbaseTicker;
    Quote q;
    Nanos time = receive_time;
    BE_FEED_TRY(detail::field_u64(obj, "sequence", q.update_id));
    BE_FEED_TRY(detail::field_string(obj, "product_id", product));
    BE_FEED_TRY(resolve_symbol(product, sym));
    q.instrument = sym.id;
    BE_FEED_TRY(detail::field_price(obj, "best_bid", sym.scales.price_scale, q.bid_price));
    BE_FEED_TRY(detail::field_price(obj, "best_ask", sym.scales.price_scale, q.ask_price));
    // Sizes arrived in 2022 (best_bid_size); older feeds, like the 2021 capture, lack them.
    BE_FEED_TRY(optional_qty(obj, "best_bid_size", sym.scales.qty_scale, q.bid_quantity));
    BE_FEED_TRY(optional_qty(obj, "best_ask_size", sym.scales.qty_scale, q.ask_quantity));
    // The first ticker after subscribing may omit "time".
    od::value tv;
    if (const auto e = detail::find(obj, "time").get(tv); e == simdjson::SUCCESS) {
      std::string_view text;
      BE_FEED_TRY(from_simdjson(tv.get_string().get(text)));
      BE_FEED_TRY(detail::iso8601_to_nanos(text, time));
    } else if (e != simdjson::NO_SUCH_FIELD) {
      return from_simdjson(e);
    }
    emit(q, time, receive_time, sink);
    r.events = 1;
    return RejectReason::kNone;
  }
  if (type == "snapshot") {
    BE_FEED_TRY(detail::field_string(obj, "product_id", product));
    BE_FEED_TRY(resolve_symbol(product, sym));
    clear_levels();
    BE_FEED_TRY(parse_pair_levels(obj, "bids", Side::kBuy, sym.scales, receive_time));
    BE_FEED_TRY(parse_pair_levels(obj, "asks", Side::kSell, sym.scales, receive_time));
    r.events = emit_levels(sym.id, /*snapshot=*/true, 0, 0, receive_time, sink);
    return RejectReason::kNone;
  }
  if (type == "l2update") {
    r.kind = MessageKind::kCoinbaseL2Update;
    BE_FEED_TRY(detail::field_string(obj, "product_id", product));
    BE_FEED_TRY(resolve_symbol(product, sym));
    // "time" follows "changes" on the wire; levels are stamped once it is known.
    clear_levels();
    od::array changes;
    BE_FEED_TRY(from_simdjson(detail::find(obj, "changes").get_array().get(changes)));
    for (auto element : changes) {
      od::array change;
      BE_FEED_TRY(from_simdjson(element.get_array().get(change)));
      Side side = Side::kNone;
      std::int64_t price = 0, qty = 0;
      int i = 0;
      for (auto item : change) {
        od::value v;
        BE_FEED_TRY(from_simdjson(item.get(v)));
        if (i == 0) {
          std::string_view s;
          BE_FEED_TRY(from_simdjson(v.get_string().get(s)));
          if (s == "buy") {
            side = Side::kBuy;
          } else if (s == "sell") {
            side = Side::kSell;
          } else {
            return RejectReason::kWrongType;
          }
        }
        if (i == 1) BE_FEED_TRY(detail::price_from(v, sym.scales.price_scale, price));
        if (i == 2) BE_FEED_TRY(detail::qty_from(v, sym.scales.qty_scale, qty));
        ++i;
      }
      if (i < 3) return RejectReason::kMissingField;
      BE_FEED_TRY(push_level(side, price, qty, 0));
    }
    Nanos time = 0;
    BE_FEED_TRY(field_time(obj, time));
    for (auto& level : levels_)
      level.event_time = time;
    r.events = emit_levels(sym.id, /*snapshot=*/false, 0, 0, receive_time, sink);
    return RejectReason::kNone;
  }
  return RejectReason::kUnknownMessageType;
}

template class ParserHandle<detail::CoinbaseImpl>;

}  // namespace be::feed
