// Kraken WebSocket market data.
//  v1 (array-framed): [channelID, payload..., channelName, pair] for ticker, trade and
//     book-N (snapshot "as"/"bs", updates "a"/"b" possibly split over two objects, levels
//     with an optional "r" republish flag), plus {"event":..} control objects.
//  v2: {"channel":"ticker"|"trade","type":"snapshot"|"update","data":[...]} with JSON-number
//     prices (converted exactly, never through double), plus status/heartbeat/method replies.
// docs/FEEDS.md maps every field.
//
// Thread-safety: none; one parser per thread. Lifetime: the SymbolTable outlives the parser.
// Errors: never throws; refusals are RejectReasons counted in stats(). Allocation: none per
// frame after construction (except a kAutoIntern SymbolTable meeting a new symbol).
#pragma once

#include <string_view>

#include <memory>

#include "core/event.hpp"
#include "feed/parser_handle.hpp"
#include "feed/parser_limits.hpp"
#include "feed/symbol_table.hpp"
#include "feed/types.hpp"

namespace be::feed {

class KrakenParser : public ParserHandle<detail::KrakenImpl> {
 public:
  using ParserHandle::ParserHandle;

  // Book levels that carried the "r" (republish) flag, over the parser's life. They are
  // applied like any update; the count is for diagnostics.
  std::uint64_t republished_levels() const noexcept;
};

}  // namespace be::feed
