// Coinbase Exchange (ex "Coinbase Pro") WebSocket feed: ticker, match and last_match,
// snapshot and l2update (level2 channel), and the control messages heartbeat, subscriptions
// and error (counted, no event). docs/FEEDS.md maps every field.
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

class CoinbaseParser : public ParserHandle<detail::CoinbaseImpl> {
 public:
  using ParserHandle::ParserHandle;
};

}  // namespace be::feed
