// Internal to feed/ (compiled only into be_feed, with its SIMD flags; never include it from
// outside: simdjson's On-Demand types differ with the compiler's target flags).
// The machinery every venue parser shares: one reused simdjson On-Demand parser, one padded
// input buffer and one scratch array of book levels, all sized at construction, so parsing a
// frame after construction allocates nothing (tests/feed/alloc_test.cpp proves it).
//
// Atomicity: a parser validates a whole frame before it emits anything; a frame rejected on
// its 20th level emits no event for the first 19.
//
// Thread-safety: none; one parser per thread. Lifetime: the SymbolTable must outlive it.
// Errors: never throws; every refusal is a RejectReason, counted in stats().
#pragma once

#include "feed/detail/simdjson_include.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "feed/parser_limits.hpp"
#include "feed/symbol_table.hpp"
#include "feed/types.hpp"

namespace be::feed::detail {

class ParserCore {
 public:
  ParserCore(VenueId venue, SymbolTable& symbols, ParserLimits limits);
  ParserCore(const ParserCore&) = delete;
  ParserCore& operator=(const ParserCore&) = delete;

  const FeedStats& stats() const noexcept { return stats_; }
  void reset_stats() noexcept { stats_ = {}; }
  const ParserLimits& limits() const noexcept { return limits_; }
  VenueId venue() const noexcept { return venue_; }
  SymbolTable& symbols() noexcept { return symbols_; }

 public:  // to the venue Impl classes, which are the only users
  // A validated level (or trade, or quote half) waiting for the whole frame to validate.
  struct PendingLevel {
    Side side = Side::kNone;
    InstrumentId instrument{};
    std::int64_t price = 0;
    std::int64_t quantity = 0;
    Nanos event_time = 0;
    std::uint64_t id = 0;
  };

  // Copies `frame` into the padded buffer and starts iterating it. kOversized past
  // max_snapshot_bytes; `oversized_for_message()` tells whether it exceeds the ordinary limit.
  // With readable >= frame.size() + SIMDJSON_PADDING the frame is iterated where it lies.
  RejectReason load(std::string_view frame, simdjson::ondemand::document& doc,
                    std::size_t readable = 0) noexcept;
  bool oversized_for_message() const noexcept { return loaded_size_ > limits_.max_message_bytes; }

  // Remembers the last symbol resolved: a feed's frames mostly name one symbol after another
  // of the same few, and the cache saves the hash lookup. Valid while the table's version()
  // is unchanged.
  RejectReason resolve_symbol(std::string_view symbol, SymbolEntry& out) noexcept;

  // Level scratch: cleared per frame, capacity fixed at construction.
  void clear_levels() noexcept { levels_.clear(); }
  RejectReason push_level(Side side, std::int64_t price, std::int64_t qty, Nanos t) noexcept {
    if (levels_.size() == levels_.capacity()) return RejectReason::kTooManyLevels;
    levels_.push_back({side, InstrumentId{}, price, qty, t, 0});
    return RejectReason::kNone;
  }
  RejectReason push_record(const PendingLevel& record) noexcept {
    if (levels_.size() == levels_.capacity()) return RejectReason::kTooManyLevels;
    levels_.push_back(record);
    return RejectReason::kNone;
  }
  // Reads `key` as [[price, qty, ...], ...] (Binance depth, Coinbase snapshot) into the
  // scratch, stamping each level with `t`.
  RejectReason parse_pair_levels(simdjson::ondemand::object& obj, std::string_view key, Side side,
                                 InstrumentScales scales, Nanos t) noexcept;

  // Emits the scratch levels as BookDeltas: kSnapshot on each when `snapshot`, kEndOfUpdate
  // on the last. An empty update still emits one side=kNone marker so that a consumer sees
  // the update (and, for Binance, its U/u) and a snapshot with no levels still clears the book.
  std::uint32_t emit_levels(InstrumentId instrument, bool snapshot, std::uint64_t first_id,
                            std::uint64_t last_id, Nanos receive_time, EventSink sink) const;

  template <EventPayload P>
  void emit(const P& body, Nanos event_time, Nanos receive_time, EventSink sink) const {
    sink(Event::make(body, event_time, receive_time, index_of(venue_)));
  }

  ParseResult finish(ParseResult r, std::size_t size) noexcept {
    if (!r.ok()) r.events = 0;
    stats_.record(r, size);
    return r;
  }

  VenueId venue_;
  SymbolTable& symbols_;
  ParserLimits limits_;
  simdjson::ondemand::parser parser_;
  std::unique_ptr<char[]> buffer_;
  std::size_t loaded_size_ = 0;
  std::vector<PendingLevel> levels_;
  FeedStats stats_;
  struct SymbolCache {
    char name[InstrumentDefined::kSymbolCapacity] = {};
    std::size_t size = 0;  // 0 = empty
    std::uint64_t version = 0;
    SymbolEntry entry{};
  } last_symbol_;
};

}  // namespace be::feed::detail
