// The public face every venue parser shares: a handle that owns its implementation, so that
// simdjson's types (compiled with be_feed's SIMD flags) never reach a public header, and that
// forwards the calls common to every venue. BinanceParser, CoinbaseParser and KrakenParser
// derive from it and add only what their venue has beyond these.
//
// Thread-safety: none; one parser per thread. Lifetime: the SymbolTable outlives the parser.
// Errors: never throws; refusals are RejectReasons counted in stats(). Allocation: none per
// frame after construction. The member definitions are in feed/detail/parser_handle_impl.hpp,
// instantiated once per venue in that venue's .cpp, where Impl is complete.
#pragma once

#include <memory>
#include <string_view>

#include "core/event.hpp"
#include "feed/parser_limits.hpp"
#include "feed/symbol_table.hpp"
#include "feed/types.hpp"

namespace be::feed {

template <class Impl>
class ParserHandle {
 public:
  ParserHandle(VenueId venue, SymbolTable& symbols, ParserLimits limits = {});
  ~ParserHandle();
  ParserHandle(ParserHandle&&) noexcept;
  ParserHandle& operator=(ParserHandle&&) noexcept;

  const FeedStats& stats() const noexcept;
  void reset_stats() noexcept;

  // One frame from the venue: every event it carries goes to `sink`, or nothing does (a
  // frame is validated whole before anything is emitted).
  ParseResult parse(std::string_view frame, Nanos receive_time, EventSink sink) noexcept;

 protected:
  std::unique_ptr<Impl> impl_;
};

namespace detail {
struct BinanceImpl;
struct CoinbaseImpl;
struct KrakenImpl;
}  // namespace detail

}  // namespace be::feed
