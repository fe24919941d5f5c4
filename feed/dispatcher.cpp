#include "feed/dispatcher.hpp"

namespace be::feed {

std::string_view url_query_param(std::string_view url, std::string_view name) noexcept {
  const std::size_t q = url.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = url.substr(q + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

CaptureDispatcher::CaptureDispatcher(UnknownSymbolPolicy policy, ParserLimits limits)
    : limits_(limits),
      symbols_{SymbolTable(policy), SymbolTable(policy), SymbolTable(policy), SymbolTable(policy),
               SymbolTable(policy)} {}

std::optional<ParseResult> CaptureDispatcher::dispatch(Venue venue, const CaptureRecord& record,
                                                       EventSink sink) noexcept {
  if (record.kind == CaptureLineKind::kConnect) {
    ++connects_;
    return std::nullopt;
  }
  if (record.kind == CaptureLineKind::kConfig) {
    ++config_lines_;
    return std::nullopt;
  }
  if (record.kind == CaptureLineKind::kSent) {
    ++sent_;
    return std::nullopt;
  }
  const auto v = static_cast<std::size_t>(venue);
  // Parsers are built on first use (outside any hot loop); construction allocates.
  switch (venue) {
    case Venue::kBinance:
    case Venue::kBinanceUs:
      if (record.kind == CaptureLineKind::kHttp) {
        if (!binance_rest_[v]) {
          binance_rest_[v] =
              std::make_unique<BinanceParser>(venue_id(venue), symbols_[v], kRestLimits);
        }
        if (record.url.find("/depth") != std::string_view::npos) {
          return binance_rest_[v]->parse_depth_snapshot(
              record.payload, url_query_param(record.url, "symbol"), record.receive_time, sink);
        }
        if (record.url.find("/exchangeInfo") != std::string_view::npos) {
          return binance_rest_[v]->parse_exchange_info(record.payload, exchange_info_);
        }
        ++skipped_http_;
        return std::nullopt;
      }
      if (!binance_[v]) {
        binance_[v] = std::make_unique<BinanceParser>(venue_id(venue), symbols_[v], limits_);
      }
      return binance_[v]->parse(record.payload, record.receive_time, sink);
    case Venue::kCoinbase:
      if (record.kind == CaptureLineKind::kHttp) {
        ++skipped_http_;  // /products: reference data without a parser yet
        return std::nullopt;
      }
      if (!coinbase_)
        coinbase_ = std::make_unique<CoinbaseParser>(venue_id(venue), symbols_[v], limits_);
      return coinbase_->parse(record.payload, record.receive_time, sink);
    case Venue::kKraken:
      if (record.kind == CaptureLineKind::kHttp) {
        ++skipped_http_;  // /AssetPairs: reference data without a parser yet
        return std::nullopt;
      }
      if (!kraken_) kraken_ = std::make_unique<KrakenParser>(venue_id(venue), symbols_[v], limits_);
      return kraken_->parse(record.payload, record.receive_time, sink);
    case Venue::kUnknown:
      break;
  }
  ++unknown_venue_;
  return std::nullopt;
}

FeedStats CaptureDispatcher::stats() const noexcept {
  FeedStats total;
  for (const auto& p : binance_) {
    if (p) total.merge(p->stats());
  }
  for (const auto& p : binance_rest_) {
    if (p) total.merge(p->stats());
  }
  if (coinbase_) total.merge(coinbase_->stats());
  if (kraken_) total.merge(kraken_->stats());
  return total;
}

void CaptureDispatcher::reset_stats() noexcept {
  for (auto& p : binance_) {
    if (p) p->reset_stats();
  }
  for (auto& p : binance_rest_) {
    if (p) p->reset_stats();
  }
  if (coinbase_) coinbase_->reset_stats();
  if (kraken_) kraken_->reset_stats();
  connects_ = sent_ = config_lines_ = skipped_http_ = unknown_venue_ = 0;
}

}  // namespace be::feed
