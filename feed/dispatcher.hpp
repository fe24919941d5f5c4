// Routes captured frames to the right venue parser: the feed handler's parse stage for
// replaying a capture (and for `botengine capture stats`). One SymbolTable and one parser per
// venue, created on first use; Binance REST bodies (depth snapshots, exchangeInfo) go to a
// second Binance parser sized for large bodies.
//
// Thread-safety: none. Errors: never throws from dispatch(); frames are counted by kind or
// reject reason in stats(). Records of kind kConnect/kSent/kConfig are not market data:
// counted in connects()/sent()/config_lines(), not parsed.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>

#include "feed/binance.hpp"
#include "feed/capture.hpp"
#include "feed/coinbase.hpp"
#include "feed/kraken.hpp"
#include "feed/types.hpp"

namespace be::feed {

class CaptureDispatcher {
 public:
  explicit CaptureDispatcher(UnknownSymbolPolicy policy = UnknownSymbolPolicy::kAutoIntern,
                             ParserLimits limits = {});

  // Parses one record captured from `venue`. Returns nullopt for records that are not parsed
  // (connect/sent lines, REST endpoints without a parser: counted in skipped_http()).
  std::optional<ParseResult> dispatch(Venue venue, const CaptureRecord& record,
                                      EventSink sink) noexcept;

  // Every parser's counters, merged.
  FeedStats stats() const noexcept;
  void reset_stats() noexcept;
  std::uint64_t connects() const noexcept { return connects_; }
  std::uint64_t sent() const noexcept { return sent_; }
  std::uint64_t config_lines() const noexcept { return config_lines_; }
  std::uint64_t skipped_http() const noexcept { return skipped_http_; }
  std::uint64_t unknown_venue() const noexcept { return unknown_venue_; }
  // The last exchangeInfo parsed (Binance), if any.
  const BinanceExchangeInfo& exchange_info() const noexcept { return exchange_info_; }
  SymbolTable& symbols(Venue venue) noexcept { return symbols_[static_cast<std::size_t>(venue)]; }

 private:
  static constexpr std::size_t kVenues = 5;
  ParserLimits limits_;
  std::array<SymbolTable, kVenues> symbols_;
  std::array<std::unique_ptr<BinanceParser>, kVenues> binance_;       // kBinance, kBinanceUs
  std::array<std::unique_ptr<BinanceParser>, kVenues> binance_rest_;  // REST bodies
  std::unique_ptr<CoinbaseParser> coinbase_;
  std::unique_ptr<KrakenParser> kraken_;
  BinanceExchangeInfo exchange_info_;
  std::uint64_t connects_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t config_lines_ = 0;
  std::uint64_t skipped_http_ = 0;
  std::uint64_t unknown_venue_ = 0;
};

// The `symbol=` query parameter of a REST URL ("...depth?symbol=NKNUSDT&limit=1000").
std::string_view url_query_param(std::string_view url, std::string_view name) noexcept;

}  // namespace be::feed
