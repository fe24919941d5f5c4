#include "feed/binance.hpp"

#include <array>

#include "feed/detail/json_support.hpp"
#include "feed/detail/parser_core.hpp"
#include "feed/detail/parser_handle_impl.hpp"

namespace be::feed {

using detail::field;
using detail::from_simdjson;
namespace od = simdjson::ondemand;

namespace {
// The three hot messages that parse_flat reads in one pass; kNone = the general path.
enum class Flat : std::uint8_t { kNone, kTrade, kAggTrade, kBookTicker };
}  // namespace

struct detail::BinanceImpl : detail::ParserCore {
  using ParserCore::ParserCore;
  ParseResult parse(std::string_view frame, Nanos receive_time, EventSink sink,
                    std::size_t readable = 0) noexcept;
  ParseResult parse_depth_snapshot(std::string_view body, std::string_view symbol,
                                   Nanos receive_time, EventSink sink) noexcept;
  ParseResult parse_exchange_info(std::string_view body, BinanceExchangeInfo& out) noexcept;
  RejectReason parse_event(od::object& data, std::string_view stream, Nanos receive_time,
                           EventSink sink, ParseResult& r) noexcept;
  RejectReason parse_flat(od::object& data, Flat kind, bool combined, Nanos receive_time,
                          EventSink sink, ParseResult& r, bool& fallback) noexcept;
  RejectReason parse_data(od::object& data, std::string_view stream, Flat kind, bool combined,
                          Nanos receive_time, EventSink sink, ParseResult& r) noexcept;
  RejectReason parse_snapshot_body(od::object& obj, std::string_view symbol, Nanos receive_time,
                                   EventSink sink, ParseResult& r) noexcept;
  RejectReason parse_exchange_info_body(od::object& obj, BinanceExchangeInfo& out);
};

namespace {

constexpr bool ends_with(std::string_view s, std::string_view suffix) noexcept {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// `{"stream":` after optional whitespace: the combined-stream envelope.
bool is_combined(std::string_view frame) noexcept {
  frame = detail::trim(frame);
  if (frame.empty() || frame.front() != '{') return false;
  frame.remove_prefix(1);
  while (!frame.empty() && detail::is_json_space(frame.front()))
    frame.remove_prefix(1);
  return frame.starts_with("\"stream\"");
}

// The hot messages, told from text alone: a combined frame's stream name, or the first key of
// a raw one as Binance writes it. Anything else takes the general path.
Flat flat_from_stream(std::string_view stream) noexcept {
  if (ends_with(stream, "@aggTrade")) return Flat::kAggTrade;
  if (ends_with(stream, "@trade")) return Flat::kTrade;
  if (ends_with(stream, "@bookTicker")) return Flat::kBookTicker;
  return Flat::kNone;
}

Flat flat_from_raw(std::string_view frame) noexcept {
  if (frame.starts_with(R"({"e":"aggTrade",)")) return Flat::kAggTrade;
  if (frame.starts_with(R"({"e":"trade",)")) return Flat::kTrade;
  if (frame.starts_with(R"({"u":)")) return Flat::kBookTicker;
  return Flat::kNone;
}

// A JSON string's content straight from the input when it holds no escape (symbols never
// do), else simdjson's unescaped copy.
RejectReason string_of(od::value& v, std::string_view& out) noexcept {
  const std::string_view tok = detail::trim_right(v.raw_json_token());
  if (tok.size() >= 2 && tok.front() == '"' && tok.back() == '"' &&
      tok.find('\\') == std::string_view::npos) {
    out = tok.substr(1, tok.size() - 2);
    return RejectReason::kNone;
  }
  return from_simdjson(v.get_string().get(out));
}

RejectReason price_token(std::string_view tok, int scale, std::int64_t& out) noexcept {
  BE_FEED_TRY(detail::token_to_fixed(tok, scale, out));
  return out > 0 ? RejectReason::kNone : RejectReason::kNonPositivePrice;
}

RejectReason qty_token(std::string_view tok, int scale, std::int64_t& out) noexcept {
  BE_FEED_TRY(detail::token_to_fixed(tok, scale, out));
  return out >= 0 ? RejectReason::kNone : RejectReason::kNegativeQuantity;
}

}  // namespace

// trade, aggTrade and bookTicker in one pass over their fields (Binance's keys are single
// characters), instead of one search per field; fields may come in any order, the first of a
// repeated key counts, unknown keys are skipped. Decimals are kept as raw tokens until the
// symbol's scales are known. An "e" that contradicts `kind` sets `fallback`: the caller resets
// the object and takes the general path, which decides by "e" as it always has.
RejectReason detail::BinanceImpl::parse_flat(od::object& data, Flat kind, bool combined,
                                             Nanos receive_time, EventSink sink, ParseResult& r,
                                             bool& fallback) noexcept {
  enum : unsigned {
    kE = 1u << 0,
    kS = 1u << 1,
    kId = 1u << 2,
    kP = 1u << 3,
    kQ = 1u << 4,
    kT = 1u << 5,
    kM = 1u << 6,
    kBid = 1u << 7,
    kBidQ = 1u << 8,
    kAsk = 1u << 9,
    kAskQ = 1u << 10,
  };
  const bool quote = kind == Flat::kBookTicker;
  const char id_key = kind == Flat::kAggTrade ? 'a' : kind == Flat::kTrade ? 't' : 'u';
  unsigned seen = 0;
  std::string_view symbol, tok_p, tok_q, tok_b, tok_bq, tok_a, tok_aq;
  std::uint64_t id = 0;
  std::int64_t trade_ms = 0;
  bool buyer_is_maker = false;
  auto first = [&seen](unsigned bit) {
    const bool fresh = (seen & bit) == 0;
    seen |= bit;
    return fresh;
  };
  for (auto element : data) {
    od::field field;
    BE_FEED_TRY(from_simdjson(std::move(element).get(field)));
    const char* key = field.key().raw();
    if (key[0] == '"' || key[1] != '"') continue;  // every key read here is one character
    od::value& v = field.value();
    const char k = key[0];
    if (k == id_key) {
      if (first(kId)) BE_FEED_TRY(from_simdjson(v.get_uint64().get(id)));
    } else if (k == 's') {
      if (first(kS)) BE_FEED_TRY(string_of(v, symbol));
    } else if (k == 'e') {
      if (!first(kE) || (quote && combined)) continue;  // @bookTicker ignores "e", as before
      std::string_view type;
      BE_FEED_TRY(from_simdjson(v.get_string().get(type)));
      if (quote || type != (kind == Flat::kAggTrade ? "aggTrade" : "trade")) {
        fallback = true;
        return RejectReason::kNone;
      }
    } else if (quote) {
      switch (k) {
        case 'b':
          if (first(kBid)) tok_b = v.raw_json_token();
          break;
        case 'B':
          if (first(kBidQ)) tok_bq = v.raw_json_token();
          break;
        case 'a':
          if (first(kAsk)) tok_a = v.raw_json_token();
          break;
        case 'A':
          if (first(kAskQ)) tok_aq = v.raw_json_token();
          break;
        default:
          break;
      }
    } else {
      switch (k) {
        case 'p':
          if (first(kP)) tok_p = v.raw_json_token();
          break;
        case 'q':
          if (first(kQ)) tok_q = v.raw_json_token();
          break;
        case 'T':
          if (first(kT)) BE_FEED_TRY(from_simdjson(v.get_int64().get(trade_ms)));
          break;
        case 'm':
          if (first(kM)) BE_FEED_TRY(from_simdjson(v.get_bool().get(buyer_is_maker)));
          break;
        default:
          break;
      }
    }
  }
  if (quote) {
    r.kind = MessageKind::kBinanceBookTicker;
    if ((seen & (kId | kS | kBid | kBidQ | kAsk | kAskQ)) !=
        (kId | kS | kBid | kBidQ | kAsk | kAskQ))
      return RejectReason::kMissingField;
    SymbolEntry sym;
    BE_FEED_TRY(resolve_symbol(symbol, sym));
    Quote q;
    q.instrument = sym.id;
    q.update_id = id;
    BE_FEED_TRY(price_token(tok_b, sym.scales.price_scale, q.bid_price));
    BE_FEED_TRY(qty_token(tok_bq, sym.scales.qty_scale, q.bid_quantity));
    BE_FEED_TRY(price_token(tok_a, sym.scales.price_scale, q.ask_price));
    BE_FEED_TRY(qty_token(tok_aq, sym.scales.qty_scale, q.ask_quantity));
    // The spot bookTicker carries no exchange timestamp: event time is the receive time.
    emit(q, receive_time, receive_time, sink);
    r.events = 1;
    return RejectReason::kNone;
  }
  const bool aggregate = kind == Flat::kAggTrade;
  r.kind = aggregate ? MessageKind::kBinanceAggTrade : MessageKind::kBinanceTrade;
  if ((seen & (kS | kId | kP | kQ | kT | kM)) != (kS | kId | kP | kQ | kT | kM))
    return RejectReason::kMissingField;
  SymbolEntry sym;
  BE_FEED_TRY(resolve_symbol(symbol, sym));
  Trade t;
  t.instrument = sym.id;
  t.trade_id = id;
  BE_FEED_TRY(price_token(tok_p, sym.scales.price_scale, t.price));
  BE_FEED_TRY(qty_token(tok_q, sym.scales.qty_scale, t.quantity));
  Nanos trade_time = 0;
  BE_FEED_TRY(detail::millis_to_nanos(trade_ms, trade_time));
  // "m": the buyer is the maker, so the taker (aggressor) sold.
  t.aggressor = buyer_is_maker ? Side::kSell : Side::kBuy;
  emit(t, trade_time, receive_time, sink);
  r.events = 1;
  return RejectReason::kNone;
}

RejectReason detail::BinanceImpl::parse_data(od::object& data, std::string_view stream, Flat kind,
                                             bool combined, Nanos receive_time, EventSink sink,
                                             ParseResult& r) noexcept {
  if (kind != Flat::kNone && !oversized_for_message()) {
    bool fallback = false;
    const RejectReason reason = parse_flat(data, kind, combined, receive_time, sink, r, fallback);
    if (!fallback) return reason;
    bool ignored = false;
    BE_FEED_TRY(from_simdjson(data.reset().get(ignored)));
  }
  return parse_event(data, stream, receive_time, sink, r);
}

ParseResult detail::BinanceImpl::parse(std::string_view frame, Nanos receive_time, EventSink sink,
                                       std::size_t readable) noexcept {
  ParseResult r;
  od::document doc;
  r.reject = load(frame, doc, readable);
  if (!r.ok()) return finish(r, frame.size());
  od::object root;
  if (auto e = doc.get_object().get(root); e != simdjson::SUCCESS) {
    r.reject = detail::root_reject(frame, e);
    return finish(r, frame.size());
  }
  if (is_combined(frame)) {
    std::string_view stream;
    od::object data;
    r.reject = detail::field_string(root, "stream", stream);
    if (r.ok()) r.reject = from_simdjson(detail::find(root, "data").get_object().get(data));
    if (r.ok()) {
      r.reject = parse_data(data, stream, flat_from_stream(stream), true, receive_time, sink, r);
    }
  } else {
    r.reject = parse_data(root, {}, flat_from_raw(frame), false, receive_time, sink, r);
  }
  return finish(r, frame.size());
}

RejectReason detail::BinanceImpl::parse_snapshot_body(od::object& obj, std::string_view symbol,
                                                      Nanos receive_time, EventSink sink,
                                                      ParseResult& r) noexcept {
  r.kind = MessageKind::kBinanceDepthSnapshot;
  std::uint64_t last_update_id = 0;
  BE_FEED_TRY(detail::field_u64(obj, "lastUpdateId", last_update_id));
  SymbolEntry sym;
  BE_FEED_TRY(resolve_symbol(symbol, sym));
  clear_levels();
  BE_FEED_TRY(parse_pair_levels(obj, "bids", Side::kBuy, sym.scales, receive_time));
  BE_FEED_TRY(parse_pair_levels(obj, "asks", Side::kSell, sym.scales, receive_time));
  r.events =
      emit_levels(sym.id, /*snapshot=*/true, last_update_id, last_update_id, receive_time, sink);
  return RejectReason::kNone;
}

RejectReason detail::BinanceImpl::parse_event(od::object& data, std::string_view stream,
                                              Nanos receive_time, EventSink sink,
                                              ParseResult& r) noexcept {
  std::string_view type;
  if (ends_with(stream, "@bookTicker")) {
    type = "bookTicker";
  } else {
    od::value v;
    const auto e = detail::find(data, "e").get(v);
    if (e == simdjson::SUCCESS) {
      BE_FEED_TRY(from_simdjson(v.get_string().get(type)));
    } else if (e != simdjson::NO_SUCH_FIELD) {
      return from_simdjson(e);
    } else if (detail::find(data, "u").error() == simdjson::SUCCESS) {
      type = "bookTicker";  // the only event without "e"
    } else if (detail::find(data, "lastUpdateId").error() == simdjson::SUCCESS) {
      type = "depthSnapshot";
    } else if (detail::find(data, "id").error() == simdjson::SUCCESS) {
      r.kind = MessageKind::kBinanceResponse;
      return RejectReason::kNone;
    } else {
      return RejectReason::kUnknownMessageType;
    }
  }
  if (oversized_for_message() && type != "depthSnapshot") return RejectReason::kOversized;

  if (type == "bookTicker") {
    r.kind = MessageKind::kBinanceBookTicker;
    Quote q;
    std::string_view symbol;
    SymbolEntry sym;
    BE_FEED_TRY(detail::field_u64(data, "u", q.update_id));
    BE_FEED_TRY(detail::field_string(data, "s", symbol));
    BE_FEED_TRY(resolve_symbol(symbol, sym));
    q.instrument = sym.id;
    BE_FEED_TRY(detail::field_price(data, "b", sym.scales.price_scale, q.bid_price));
    BE_FEED_TRY(detail::field_qty(data, "B", sym.scales.qty_scale, q.bid_quantity));
    BE_FEED_TRY(detail::field_price(data, "a", sym.scales.price_scale, q.ask_price));
    BE_FEED_TRY(detail::field_qty(data, "A", sym.scales.qty_scale, q.ask_quantity));
    // The spot bookTicker carries no exchange timestamp: event time is the receive time.
    emit(q, receive_time, receive_time, sink);
    r.events = 1;
    return RejectReason::kNone;
  }
  if (type == "trade" || type == "aggTrade") {
    const bool aggregate = type == "aggTrade";
    r.kind = aggregate ? MessageKind::kBinanceAggTrade : MessageKind::kBinanceTrade;
    Trade t;
    std::string_view symbol;
    SymbolEntry sym;
    Nanos trade_time = 0;
    bool buyer_is_maker = false;
    BE_FEED_TRY(detail::field_string(data, "s", symbol));
    BE_FEED_TRY(resolve_symbol(symbol, sym));
    t.instrument = sym.id;
    BE_FEED_TRY(detail::field_u64(data, aggregate ? "a" : "t", t.trade_id));
    BE_FEED_TRY(detail::field_price(data, "p", sym.scales.price_scale, t.price));
    BE_FEED_TRY(detail::field_qty(data, "q", sym.scales.qty_scale, t.quantity));
    BE_FEED_TRY(detail::field_millis(data, "T", trade_time));
    BE_FEED_TRY(detail::field_bool(data, "m", buyer_is_maker));
    // "m": the buyer is the maker, so the taker (aggressor) sold.
    t.aggressor = buyer_is_maker ? Side::kSell : Side::kBuy;
    emit(t, trade_time, receive_time, sink);
    r.events = 1;
    return RejectReason::kNone;
  }
  if (type == "depthUpdate") {
    r.kind = MessageKind::kBinanceDepthUpdate;
    Nanos event_time = 0;
    std::string_view symbol;
    SymbolEntry sym;
    std::uint64_t first_id = 0, last_id = 0;
    BE_FEED_TRY(detail::field_millis(data, "E", event_time));
    BE_FEED_TRY(detail::field_string(data, "s", symbol));
    BE_FEED_TRY(resolve_symbol(symbol, sym));
    BE_FEED_TRY(detail::field_u64(data, "U", first_id));
    BE_FEED_TRY(detail::field_u64(data, "u", last_id));
    if (first_id > last_id) return RejectReason::kBadNumber;
    clear_levels();
    BE_FEED_TRY(parse_pair_levels(data, "b", Side::kBuy, sym.scales, event_time));
    BE_FEED_TRY(parse_pair_levels(data, "a", Side::kSell, sym.scales, event_time));
    r.events = emit_levels(sym.id, /*snapshot=*/false, first_id, last_id, receive_time, sink);
    return RejectReason::kNone;
  }
  if (type == "kline") {
    r.kind = MessageKind::kBinanceKline;
    Bar b;
    Nanos event_time = 0, close_time = 0;
    std::string_view symbol;
    SymbolEntry sym;
    od::object k;
    std::uint64_t trades = 0;
    bool closed = false;
    BE_FEED_TRY(detail::field_millis(data, "E", event_time));
    BE_FEED_TRY(detail::field_string(data, "s", symbol));
    BE_FEED_TRY(resolve_symbol(symbol, sym));
    b.instrument = sym.id;
    BE_FEED_TRY(from_simdjson(detail::find(data, "k").get_object().get(k)));
    BE_FEED_TRY(detail::field_millis(k, "t", b.open_time));
    BE_FEED_TRY(detail::field_millis(k, "T", close_time));
    // T is the last millisecond of the interval: T - t + 1 ms is the interval, which also
    // covers calendar months ("1M") that no fixed table could.
    if (close_time < b.open_time) return RejectReason::kBadTimestamp;
    b.interval_seconds =
        static_cast<std::uint32_t>((close_time - b.open_time + 1'000'000) / 1'000'000'000);
    BE_FEED_TRY(detail::field_price(k, "o", sym.scales.price_scale, b.open));
    BE_FEED_TRY(detail::field_price(k, "c", sym.scales.price_scale, b.close));
    BE_FEED_TRY(detail::field_price(k, "h", sym.scales.price_scale, b.high));
    BE_FEED_TRY(detail::field_price(k, "l", sym.scales.price_scale, b.low));
    BE_FEED_TRY(detail::field_qty(k, "v", sym.scales.qty_scale, b.volume));
    BE_FEED_TRY(detail::field_u64(k, "n", trades));
    BE_FEED_TRY(detail::field_bool(k, "x", closed));
    if (trades > UINT32_MAX) return RejectReason::kBadNumber;
    b.trade_count = static_cast<std::uint32_t>(trades);
    b.closed = closed ? 1 : 0;
    emit(b, event_time, receive_time, sink);
    r.events = 1;
    return RejectReason::kNone;
  }
  if (type == "depthSnapshot") {
    // A partial-depth stream ("bnbbtc@depth20"): the symbol is only in the stream name.
    std::array<char, InstrumentDefined::kSymbolCapacity> upper{};
    const std::string_view name = stream.substr(0, stream.find('@'));
    if (name.empty() || name.size() > upper.size()) return RejectReason::kUnknownSymbol;
    for (std::size_t i = 0; i < name.size(); ++i) {
      const char c = name[i];
      upper[i] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    }
    return parse_snapshot_body(data, {upper.data(), name.size()}, receive_time, sink, r);
  }
  return RejectReason::kUnknownMessageType;
}

ParseResult detail::BinanceImpl::parse_depth_snapshot(std::string_view body,
                                                      std::string_view symbol, Nanos receive_time,
                                                      EventSink sink) noexcept {
  ParseResult r;
  r.kind = MessageKind::kBinanceDepthSnapshot;
  od::document doc;
  r.reject = load(body, doc);
  od::object root;
  if (r.ok()) r.reject = from_simdjson(doc.get_object().get(root));
  if (r.ok()) r.reject = parse_snapshot_body(root, symbol, receive_time, sink, r);
  return finish(r, body.size());
}

ParseResult detail::BinanceImpl::parse_exchange_info(std::string_view body,
                                                     BinanceExchangeInfo& out) noexcept {
  ParseResult r;
  r.kind = MessageKind::kBinanceExchangeInfo;
  out = {};
  od::document doc;
  r.reject = load(body, doc);
  od::object root;
  if (r.ok()) r.reject = from_simdjson(doc.get_object().get(root));
  if (r.ok()) r.reject = parse_exchange_info_body(root, out);
  return finish(r, body.size());
}

namespace {

RejectReason filter_value(od::object& filter, std::string_view key, std::int64_t& out) {
  od::value v;
  BE_FEED_TRY(field(filter, key, v));
  BE_FEED_TRY(detail::value_to_fixed(v, BinanceExchangeInfo::kReferenceScale, out));
  return out >= 0 ? RejectReason::kNone : RejectReason::kBadNumber;
}

RejectReason parse_symbol_info(od::object& s, BinanceSymbolInfo& info) {
  std::string_view text;
  BE_FEED_TRY(detail::field_string(s, "symbol", text));
  info.symbol = text;
  BE_FEED_TRY(detail::field_string(s, "status", text));
  info.status = text;
  BE_FEED_TRY(detail::field_string(s, "baseAsset", text));
  info.base_asset = text;
  BE_FEED_TRY(detail::field_string(s, "quoteAsset", text));
  info.quote_asset = text;
  od::array filters;
  BE_FEED_TRY(from_simdjson(detail::find(s, "filters").get_array().get(filters)));
  for (auto element : filters) {
    od::object f;
    BE_FEED_TRY(from_simdjson(element.get_object().get(f)));
    std::string_view type;
    BE_FEED_TRY(detail::field_string(f, "filterType", type));
    if (type == "PRICE_FILTER") {
      BE_FEED_TRY(filter_value(f, "minPrice", info.min_price));
      BE_FEED_TRY(filter_value(f, "tickSize", info.tick_size));
    } else if (type == "LOT_SIZE") {
      BE_FEED_TRY(filter_value(f, "minQty", info.min_qty));
      BE_FEED_TRY(filter_value(f, "maxQty", info.max_qty));
      BE_FEED_TRY(filter_value(f, "stepSize", info.step_size));
    } else if (type == "MIN_NOTIONAL" || type == "NOTIONAL") {
      BE_FEED_TRY(filter_value(f, "minNotional", info.min_notional));
    }
  }
  return RejectReason::kNone;
}

}  // namespace

RejectReason detail::BinanceImpl::parse_exchange_info_body(od::object& root,
                                                           BinanceExchangeInfo& out) {
  BE_FEED_TRY(detail::field_millis(root, "serverTime", out.server_time));
  od::array limits;
  BE_FEED_TRY(from_simdjson(detail::find(root, "rateLimits").get_array().get(limits)));
  for (auto element : limits) {
    od::object l;
    BE_FEED_TRY(from_simdjson(element.get_object().get(l)));
    BinanceRateLimit limit;
    std::string_view text;
    std::uint64_t n = 0;
    BE_FEED_TRY(detail::field_string(l, "rateLimitType", text));
    limit.type = text;
    BE_FEED_TRY(detail::field_string(l, "interval", text));
    limit.interval = text;
    BE_FEED_TRY(detail::field_u64(l, "intervalNum", n));
    if (n > UINT32_MAX) return RejectReason::kBadNumber;
    limit.interval_num = static_cast<std::uint32_t>(n);
    BE_FEED_TRY(detail::field_u64(l, "limit", n));
    if (n > UINT32_MAX) return RejectReason::kBadNumber;
    limit.limit = static_cast<std::uint32_t>(n);
    out.rate_limits.push_back(std::move(limit));
  }
  od::array symbols;
  BE_FEED_TRY(from_simdjson(detail::find(root, "symbols").get_array().get(symbols)));
  for (auto element : symbols) {
    od::object s;
    BE_FEED_TRY(from_simdjson(element.get_object().get(s)));
    BinanceSymbolInfo info;
    const RejectReason reason = parse_symbol_info(s, info);
    if (reason == RejectReason::kBadNumber) {
      // One symbol's filter needing more than 8 decimals must not cost the other symbols.
      ++out.rejected_symbols;
      continue;
    }
    BE_FEED_TRY(reason);
    out.symbols.push_back(std::move(info));
  }
  return RejectReason::kNone;
}

template class ParserHandle<detail::BinanceImpl>;
ParseResult BinanceParser::parse_padded(std::string_view frame, std::size_t readable,
                                        Nanos receive_time, EventSink sink) noexcept {
  return impl_->parse(frame, receive_time, sink, readable);
}
ParseResult BinanceParser::parse_depth_snapshot(std::string_view body, std::string_view symbol,
                                                Nanos receive_time, EventSink sink) noexcept {
  return impl_->parse_depth_snapshot(body, symbol, receive_time, sink);
}
ParseResult BinanceParser::parse_exchange_info(std::string_view body,
                                               BinanceExchangeInfo& out) noexcept {
  return impl_->parse_exchange_info(body, out);
}

}  // namespace be::feed
