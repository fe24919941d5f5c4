#include "feed/detail/parser_core.hpp"

#include <cstring>
#include <new>

#include "feed/detail/json_support.hpp"

namespace be::feed::detail {

ParserCore::ParserCore(VenueId venue, SymbolTable& symbols, ParserLimits limits)
    : venue_(venue),
      symbols_(symbols),
      limits_(limits),
      parser_(limits.max_snapshot_bytes),
      buffer_(new char[limits.max_snapshot_bytes + simdjson::SIMDJSON_PADDING]) {
  // Allocate the parser's internal buffers now rather than on the first frame; failing here
  // is out of memory at start-up, reported like any other allocation failure.
  if (parser_.allocate(limits.max_snapshot_bytes) != simdjson::SUCCESS) throw std::bad_alloc();
  levels_.reserve(limits.max_levels);
}

static_assert(kFramePadding == simdjson::SIMDJSON_PADDING);

RejectReason ParserCore::load(std::string_view frame, simdjson::ondemand::document& doc,
                              std::size_t readable) noexcept {
  loaded_size_ = frame.size();
  if (frame.empty()) return RejectReason::kEmpty;
  if (frame.size() > limits_.max_snapshot_bytes) return RejectReason::kOversized;
  // In place when the padding is readable (simdjson: "It does not matter what those bytes are
  // initialized to") and the frame ends with a closing bracket. The second condition is ours:
  // a truncated frame ending in an atom or number ("m":tr) could be completed by whatever
  // follows it in the caller's buffer ("ue}" of an older frame) when a parser stops reading
  // before the end; after a final '}' or ']' nothing in the padding can be part of a token.
  const std::string_view trimmed = trim_right(frame);
  if (readable >= frame.size() + simdjson::SIMDJSON_PADDING && !trimmed.empty() &&
      (trimmed.back() == '}' || trimmed.back() == ']')) {
    return from_simdjson(parser_.iterate(frame.data(), frame.size(), readable).get(doc));
  }
  std::memcpy(buffer_.get(), frame.data(), frame.size());
  // simdjson reads up to SIMDJSON_PADDING bytes past the end; zero them so a truncated frame
  // cannot pick up the previous frame's tail.
  std::memset(buffer_.get() + frame.size(), 0, simdjson::SIMDJSON_PADDING);
  return from_simdjson(
      parser_.iterate(buffer_.get(), frame.size(), frame.size() + simdjson::SIMDJSON_PADDING)
          .get(doc));
}

RejectReason ParserCore::resolve_symbol(std::string_view symbol, SymbolEntry& out) noexcept {
  SymbolCache& c = last_symbol_;
  if (c.size != 0 && c.size == symbol.size() && c.version == symbols_.version() &&
      std::memcmp(c.name, symbol.data(), symbol.size()) == 0) {
    out = c.entry;
    return RejectReason::kNone;
  }
  // resolve() allocates only when auto-interning a new symbol; an allocation failure there
  // is a process-level failure, not a frame's fault, so it is allowed to terminate.
  const auto entry = symbols_.resolve(symbol);
  if (!entry) return RejectReason::kUnknownSymbol;
  out = *entry;
  if (!symbol.empty() && symbol.size() <= sizeof c.name) {
    std::memcpy(c.name, symbol.data(), symbol.size());
    c.size = symbol.size();
    c.version = symbols_.version();
    c.entry = out;
  }
  return RejectReason::kNone;
}

RejectReason ParserCore::parse_pair_levels(simdjson::ondemand::object& obj, std::string_view key,
                                           Side side, InstrumentScales scales, Nanos t) noexcept {
  simdjson::ondemand::array levels;
  BE_FEED_TRY(from_simdjson(find(obj, key).get_array().get(levels)));
  for (auto element : levels) {
    simdjson::ondemand::array level;
    BE_FEED_TRY(from_simdjson(element.get_array().get(level)));
    std::int64_t price = 0, qty = 0;
    int i = 0;
    for (auto item : level) {
      simdjson::ondemand::value v;
      BE_FEED_TRY(from_simdjson(item.get(v)));
      if (i == 0) BE_FEED_TRY(price_from(v, scales.price_scale, price));
      if (i == 1) BE_FEED_TRY(qty_from(v, scales.qty_scale, qty));
      ++i;
    }
    if (i < 2) return RejectReason::kMissingField;
    BE_FEED_TRY(push_level(side, price, qty, t));
  }
  return RejectReason::kNone;
}

std::uint32_t ParserCore::emit_levels(InstrumentId instrument, bool snapshot,
                                      std::uint64_t first_id, std::uint64_t last_id,
                                      Nanos receive_time, EventSink sink) const {
  BookDelta d;
  d.instrument = instrument;
  d.first_update_id = first_id;
  d.last_update_id = last_id;
  const std::uint8_t base = snapshot ? BookDelta::kSnapshot : BookDelta::kNone;
  if (levels_.empty()) {
    d.side = Side::kNone;
    d.flags = base | BookDelta::kEndOfUpdate;
    emit(d, receive_time, receive_time, sink);
    return 1;
  }
  for (std::size_t i = 0; i < levels_.size(); ++i) {
    const PendingLevel& l = levels_[i];
    d.side = l.side;
    d.price = l.price;
    d.quantity = l.quantity;
    d.flags = base;
    if (i + 1 == levels_.size()) d.flags |= BookDelta::kEndOfUpdate;
    emit(d, l.event_time, receive_time, sink);
  }
  return static_cast<std::uint32_t>(levels_.size());
}

}  // namespace be::feed::detail
