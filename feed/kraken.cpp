#include "feed/kraken.hpp"

#include "feed/detail/json_support.hpp"
#include "feed/detail/parser_core.hpp"
#include "feed/detail/parser_handle_impl.hpp"

namespace be::feed {

using detail::field;
using detail::from_simdjson;
namespace od = simdjson::ondemand;

struct detail::KrakenImpl : detail::ParserCore {
  using ParserCore::ParserCore;
  ParseResult parse(std::string_view frame, Nanos receive_time, EventSink sink) noexcept;
  RejectReason parse_v1_array(std::string_view frame, od::document& doc, Nanos receive_time,
                              EventSink sink, ParseResult& r) noexcept;
  RejectReason parse_object(od::object& obj, Nanos receive_time, EventSink sink,
                            ParseResult& r) noexcept;
  RejectReason parse_v2_data(od::object& obj, bool trade, Nanos receive_time, EventSink sink,
                             ParseResult& r) noexcept;
  RejectReason parse_book_object(od::object& obj, InstrumentScales scales, bool& snapshot,
                                 bool& saw_levels) noexcept;
  RejectReason parse_book_levels(od::value levels, Side side, InstrumentScales scales) noexcept;

  std::uint64_t republished_ = 0;
};

namespace {

// The v1 array ends with `"channelName","pair"]`. Both are read from the raw text first,
// because the instrument's scales are needed before the payload in front of them is parsed;
// the forward parse then checks that the JSON really ends with these two strings.
bool scan_tail(std::string_view frame, std::string_view& channel, std::string_view& pair) {
  std::string_view s = detail::trim_right(frame);
  auto take_string = [&s](std::string_view& out) {
    s = detail::trim_right(s);
    if (s.empty() || s.back() != '"') return false;
    s.remove_suffix(1);
    const std::size_t open = s.rfind('"');
    if (open == std::string_view::npos) return false;
    out = s.substr(open + 1);
    if (out.find('\\') != std::string_view::npos) return false;  // names never need escapes
    s = s.substr(0, open);
    return true;
  };
  if (s.empty() || s.back() != ']') return false;
  s.remove_suffix(1);
  if (!take_string(pair)) return false;
  s = detail::trim_right(s);
  if (s.empty() || s.back() != ',') return false;
  s.remove_suffix(1);
  return take_string(channel);
}

RejectReason side_from(std::string_view s, Side& out) noexcept {
  if (s == "b" || s == "buy") {
    out = Side::kBuy;
  } else if (s == "s" || s == "sell") {
    out = Side::kSell;
  } else {
    return RejectReason::kWrongType;
  }
  return RejectReason::kNone;
}

// Element `index` of the array in field `key`: Kraken ticker fields are [price, whole, lot].
RejectReason array_item_token(od::object& obj, std::string_view key, std::size_t index,
                              std::string_view& token) noexcept {
  od::array arr;
  BE_FEED_TRY(from_simdjson(detail::find(obj, key).get_array().get(arr)));
  std::size_t i = 0;
  for (auto item : arr) {
    od::value v;
    BE_FEED_TRY(from_simdjson(item.get(v)));
    if (i == index) {
      token = v.raw_json_token();
      return RejectReason::kNone;
    }
    ++i;
  }
  return RejectReason::kMissingField;
}

}  // namespace

ParseResult detail::KrakenImpl::parse(std::string_view frame, Nanos receive_time,
                                      EventSink sink) noexcept {
  ParseResult r;
  od::document doc;
  r.reject = load(frame, doc);
  if (!r.ok()) return finish(r, frame.size());
  od::json_type type;
  r.reject = from_simdjson(doc.type().get(type));
  if (!r.ok()) return finish(r, frame.size());
  if (type == od::json_type::array) {
    r.reject = parse_v1_array(frame, doc, receive_time, sink, r);
  } else if (type == od::json_type::object) {
    od::object root;
    r.reject = from_simdjson(doc.get_object().get(root));
    if (r.ok()) r.reject = parse_object(root, receive_time, sink, r);
  } else {
    r.reject = detail::root_reject(frame, simdjson::INCORRECT_TYPE);
  }
  return finish(r, frame.size());
}

RejectReason detail::KrakenImpl::parse_book_levels(od::value levels_value, Side side,
                                                   InstrumentScales scales) noexcept {
  od::array levels;
  BE_FEED_TRY(from_simdjson(levels_value.get_array().get(levels)));
  for (auto element : levels) {
    od::array level;
    BE_FEED_TRY(from_simdjson(element.get_array().get(level)));
    PendingLevel l;
    l.side = side;
    int i = 0;
    for (auto item : level) {
      od::value v;
      BE_FEED_TRY(from_simdjson(item.get(v)));
      if (i == 0) BE_FEED_TRY(detail::price_from(v, scales.price_scale, l.price));
      if (i == 1) BE_FEED_TRY(detail::qty_from(v, scales.qty_scale, l.quantity));
      if (i == 2) {
        std::string_view ts;
        BE_FEED_TRY(from_simdjson(v.get_string().get(ts)));
        BE_FEED_TRY(detail::seconds_text_to_nanos(ts, l.event_time));
      }
      if (i == 3) {
        std::string_view flag;
        BE_FEED_TRY(from_simdjson(v.get_string().get(flag)));
        if (flag != "r") return RejectReason::kWrongType;
        ++republished_;
      }
      ++i;
    }
    if (i < 3) return RejectReason::kMissingField;
    BE_FEED_TRY(push_record(l));
  }
  return RejectReason::kNone;
}

RejectReason detail::KrakenImpl::parse_book_object(od::object& obj, InstrumentScales scales,
                                                   bool& snapshot, bool& saw_levels) noexcept {
  for (auto f : obj) {
    od::field member;
    BE_FEED_TRY(from_simdjson(std::move(f).get(member)));
    std::string_view key;
    BE_FEED_TRY(from_simdjson(member.unescaped_key().get(key)));
    const bool is_snapshot_key = key == "as" || key == "bs";
    if (is_snapshot_key || key == "a" || key == "b") {
      snapshot = snapshot || is_snapshot_key;
      saw_levels = true;
      const Side side = key.front() == 'a' ? Side::kSell : Side::kBuy;
      BE_FEED_TRY(parse_book_levels(member.value(), side, scales));
    }
    // "c" (CRC32 checksum of the top 10 levels) is not verified here: see docs/FEEDS.md.
  }
  return RejectReason::kNone;
}

RejectReason detail::KrakenImpl::parse_v1_array(std::string_view frame, od::document& doc,
                                                Nanos receive_time, EventSink sink,
                                                ParseResult& r) noexcept {
  std::string_view channel, pair;
  if (!scan_tail(frame, channel, pair)) return RejectReason::kUnknownMessageType;
  const bool is_ticker = channel == "ticker";
  const bool is_trade = channel == "trade";
  const bool is_book = channel.starts_with("book");
  if (!is_ticker && !is_trade && !is_book) return RejectReason::kUnknownMessageType;
  r.kind = is_ticker  ? MessageKind::kKrakenTicker
           : is_trade ? MessageKind::kKrakenTrade
                      : MessageKind::kKrakenBookUpdate;
  SymbolEntry sym;
  BE_FEED_TRY(resolve_symbol(pair, sym));

  od::array arr;
  BE_FEED_TRY(from_simdjson(doc.get_array().get(arr)));
  clear_levels();
  Quote quote;
  bool have_quote = false, snapshot = false, saw_levels = false;
  std::size_t index = 0, strings = 0;
  for (auto element : arr) {
    od::value v;
    BE_FEED_TRY(from_simdjson(element.get(v)));
    od::json_type type;
    BE_FEED_TRY(from_simdjson(v.type().get(type)));
    if (index == 0) {
      std::uint64_t channel_id = 0;
      BE_FEED_TRY(from_simdjson(v.get_uint64().get(channel_id)));
    } else if (type == od::json_type::string) {
      std::string_view s;
      BE_FEED_TRY(from_simdjson(v.get_string().get(s)));
      if (s != (strings == 0 ? channel : pair)) return RejectReason::kMalformedJson;
      ++strings;
    } else if (strings != 0) {
      return RejectReason::kMalformedJson;  // payload after the channel name
    } else if (is_ticker && type == od::json_type::object && !have_quote) {
      od::object t;
      BE_FEED_TRY(from_simdjson(v.get_object().get(t)));
      std::string_view tok;
      BE_FEED_TRY(array_item_token(t, "a", 0, tok));
      BE_FEED_TRY(detail::token_to_fixed(tok, sym.scales.price_scale, quote.ask_price));
      BE_FEED_TRY(array_item_token(t, "a", 2, tok));
      BE_FEED_TRY(detail::token_to_fixed(tok, sym.scales.qty_scale, quote.ask_quantity));
      BE_FEED_TRY(array_item_token(t, "b", 0, tok));
      BE_FEED_TRY(detail::token_to_fixed(tok, sym.scales.price_scale, quote.bid_price));
      BE_FEED_TRY(array_item_token(t, "b", 2, tok));
      BE_FEED_TRY(detail::token_to_fixed(tok, sym.scales.qty_scale, quote.bid_quantity));
      if (quote.ask_price <= 0 || quote.bid_price <= 0) return RejectReason::kNonPositivePrice;
      if (quote.ask_quantity < 0 || quote.bid_quantity < 0) return RejectReason::kNegativeQuantity;
      have_quote = true;
    } else if (is_trade && type == od::json_type::array) {
      od::array trades;
      BE_FEED_TRY(from_simdjson(v.get_array().get(trades)));
      for (auto trade_element : trades) {
        od::array trade;
        BE_FEED_TRY(from_simdjson(trade_element.get_array().get(trade)));
        PendingLevel t;
        t.instrument = sym.id;
        int i = 0;
        for (auto item : trade) {
          od::value iv;
          BE_FEED_TRY(from_simdjson(item.get(iv)));
          if (i == 0) BE_FEED_TRY(detail::price_from(iv, sym.scales.price_scale, t.price));
          if (i == 1) BE_FEED_TRY(detail::qty_from(iv, sym.scales.qty_scale, t.quantity));
          if (i == 2 || i == 3) {
            std::string_view s;
            BE_FEED_TRY(from_simdjson(iv.get_string().get(s)));
            if (i == 2) BE_FEED_TRY(detail::seconds_text_to_nanos(s, t.event_time));
            // An empty side is "not said": Kraken's Time & Sales files, which
            // `botengine data import` turns into v1 trade frames, do not record it.
            if (i == 3 && !s.empty()) BE_FEED_TRY(side_from(s, t.side));
          }
          ++i;
        }
        if (i < 4) return RejectReason::kMissingField;
        BE_FEED_TRY(push_record(t));
      }
    } else if (is_book && type == od::json_type::object) {
      od::object book;
      BE_FEED_TRY(from_simdjson(v.get_object().get(book)));
      BE_FEED_TRY(parse_book_object(book, sym.scales, snapshot, saw_levels));
    } else {
      return RejectReason::kWrongType;
    }
    ++index;
  }
  if (strings != 2) return RejectReason::kMalformedJson;

  if (is_book && snapshot) r.kind = MessageKind::kKrakenBookSnapshot;
  if (oversized_for_message() && r.kind != MessageKind::kKrakenBookSnapshot) {
    return RejectReason::kOversized;
  }
  if (is_ticker) {
    if (!have_quote) return RejectReason::kMissingField;
    quote.instrument = sym.id;
    emit(quote, receive_time, receive_time, sink);  // v1 ticker carries no timestamp
    r.events = 1;
  } else if (is_trade) {
    if (levels_.empty()) return RejectReason::kMissingField;
    for (const PendingLevel& p : levels_) {
      Trade t;
      t.instrument = p.instrument;
      t.aggressor = p.side;
      t.price = p.price;
      t.quantity = p.quantity;
      emit(t, p.event_time, receive_time, sink);  // v1 trades carry no trade id
    }
    r.events = static_cast<std::uint32_t>(levels_.size());
  } else {
    if (!saw_levels) return RejectReason::kMissingField;
    r.events = emit_levels(sym.id, snapshot, 0, 0, receive_time, sink);
  }
  return RejectReason::kNone;
}

RejectReason detail::KrakenImpl::parse_v2_data(od::object& obj, bool trade, Nanos receive_time,
                                               EventSink sink, ParseResult& r) noexcept {
  od::array data;
  BE_FEED_TRY(from_simdjson(detail::find(obj, "data").get_array().get(data)));
  clear_levels();
  for (auto element : data) {
    od::object d;
    BE_FEED_TRY(from_simdjson(element.get_object().get(d)));
    std::string_view symbol;
    SymbolEntry sym;
    BE_FEED_TRY(detail::field_string(d, "symbol", symbol));
    BE_FEED_TRY(resolve_symbol(symbol, sym));
    if (trade) {
      PendingLevel t;
      t.instrument = sym.id;
      std::string_view s;
      BE_FEED_TRY(detail::field_string(d, "side", s));
      BE_FEED_TRY(side_from(s, t.side));  // v2 "side" is the taker's
      BE_FEED_TRY(detail::field_price(d, "price", sym.scales.price_scale, t.price));
      BE_FEED_TRY(detail::field_qty(d, "qty", sym.scales.qty_scale, t.quantity));
      BE_FEED_TRY(detail::field_u64(d, "trade_id", t.id));
      BE_FEED_TRY(detail::field_string(d, "timestamp", s));
      BE_FEED_TRY(detail::iso8601_to_nanos(s, t.event_time));
      BE_FEED_TRY(push_record(t));
    } else {
      // A quote rides in two records: bid (side kBuy) then ask (side kSell).
      PendingLevel bid, ask;
      bid.instrument = ask.instrument = sym.id;
      bid.side = Side::kBuy;
      ask.side = Side::kSell;
      BE_FEED_TRY(detail::field_price(d, "bid", sym.scales.price_scale, bid.price));
      BE_FEED_TRY(detail::field_qty(d, "bid_qty", sym.scales.qty_scale, bid.quantity));
      BE_FEED_TRY(detail::field_price(d, "ask", sym.scales.price_scale, ask.price));
      BE_FEED_TRY(detail::field_qty(d, "ask_qty", sym.scales.qty_scale, ask.quantity));
      bid.event_time = receive_time;
      od::value tv;  // "timestamp" was added to v2 tickers in 2024; older ones lack it
      if (const auto e = detail::find(d, "timestamp").get(tv); e == simdjson::SUCCESS) {
        std::string_view s;
        BE_FEED_TRY(from_simdjson(tv.get_string().get(s)));
        BE_FEED_TRY(detail::iso8601_to_nanos(s, bid.event_time));
      } else if (e != simdjson::NO_SUCH_FIELD) {
        return from_simdjson(e);
      }
      BE_FEED_TRY(push_record(bid));
      BE_FEED_TRY(push_record(ask));
    }
  }
  if (levels_.empty()) return RejectReason::kMissingField;
  if (trade) {
    for (const PendingLevel& p : levels_) {
      emit(Trade{.instrument = p.instrument,
                 .aggressor = p.side,
                 .price = p.price,
                 .quantity = p.quantity,
                 .trade_id = p.id},
           p.event_time, receive_time, sink);
    }
    r.events = static_cast<std::uint32_t>(levels_.size());
  } else {
    for (std::size_t i = 0; i + 1 < levels_.size(); i += 2) {
      Quote q;
      q.instrument = levels_[i].instrument;
      q.bid_price = levels_[i].price;
      q.bid_quantity = levels_[i].quantity;
      q.ask_price = levels_[i + 1].price;
      q.ask_quantity = levels_[i + 1].quantity;
      emit(q, levels_[i].event_time, receive_time, sink);
    }
    r.events = static_cast<std::uint32_t>(levels_.size() / 2);
  }
  return RejectReason::kNone;
}

RejectReason detail::KrakenImpl::parse_object(od::object& obj, Nanos receive_time, EventSink sink,
                                              ParseResult& r) noexcept {
  if (oversized_for_message()) return RejectReason::kOversized;
  std::string_view name;
  od::value v;
  if (const auto e = detail::find(obj, "event").get(v); e == simdjson::SUCCESS) {  // v1 control
    BE_FEED_TRY(from_simdjson(v.get_string().get(name)));
    if (name == "heartbeat" || name == "pong") {
      r.kind = MessageKind::kKrakenHeartbeat;
    } else if (name == "systemStatus") {
      r.kind = MessageKind::kKrakenSystemStatus;
    } else if (name == "subscriptionStatus") {
      r.kind = MessageKind::kKrakenSubscriptionStatus;
    } else {
      return RejectReason::kUnknownMessageType;
    }
    return RejectReason::kNone;
  } else if (e != simdjson::NO_SUCH_FIELD) {
    return from_simdjson(e);
  }
  if (const auto e = detail::find(obj, "channel").get(v); e == simdjson::SUCCESS) {  // v2
    BE_FEED_TRY(from_simdjson(v.get_string().get(name)));
    if (name == "ticker" || name == "trade") {
      r.kind = name == "trade" ? MessageKind::kKrakenV2Trade : MessageKind::kKrakenV2Ticker;
      return parse_v2_data(obj, name == "trade", receive_time, sink, r);
    }
    if (name == "heartbeat" || name == "status") {
      r.kind = MessageKind::kKrakenV2Status;
      return RejectReason::kNone;
    }
    return RejectReason::kUnknownMessageType;
  } else if (e != simdjson::NO_SUCH_FIELD) {
    return from_simdjson(e);
  }
  if (detail::find(obj, "method").error() ==
      simdjson::SUCCESS) {  // v2 subscribe/unsubscribe/pong replies
    r.kind = MessageKind::kKrakenV2Status;
    return RejectReason::kNone;
  }
  return RejectReason::kUnknownMessageType;
}

template class ParserHandle<detail::KrakenImpl>;
std::uint64_t KrakenParser::republished_levels() const noexcept {
  return impl_->republished_;
}

}  // namespace be::feed
