#include "bench/harness/wire_gen.hpp"

#include <charconv>
#include <cmath>
#include <numbers>

#include "sim/market.hpp"

namespace be::bench {
namespace {

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_quoted8(std::string& out, std::int64_t v) {
  out += '"';
  sim::append_fixed8(out, v);
  out += '"';
}

std::string lower(std::string_view s) {
  return sim::to_lower(s);
}

}  // namespace

WireGenerator::WireGenerator(WireGenConfig config)
    : config_(std::move(config)), rng_(config_.seed) {
  if (config_.symbols.empty()) config_.symbols = {"BTCUSDT"};
  if (config_.period == 0) config_.period = 1;
  if (config_.tick <= 0) config_.tick = 1;
  for (const std::string& s : config_.symbols) {
    streams_trade_.push_back(lower(s) + "@trade");
    streams_ticker_.push_back(lower(s) + "@bookTicker");
  }
  // Precomputed once: next() must not call sin() at 1M msgs/s, and integer ticks keep every
  // printed price on the tick grid.
  swing_.resize(config_.period);
  const double amp =
      static_cast<double>(config_.mid) * static_cast<double>(config_.swing_bp) / 10'000.0;
  for (std::uint64_t i = 0; i < config_.period; ++i) {
    const double phase =
        2.0 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(config_.period);
    swing_[i] = static_cast<std::int64_t>(
        std::llround(amp * std::sin(phase) / static_cast<double>(config_.tick)));
  }
}

std::int64_t WireGenerator::price_at(std::uint64_t i) const noexcept {
  const std::int64_t mid_ticks = config_.mid / config_.tick;
  return (mid_ticks + swing_[i % config_.period]) * config_.tick;
}

FrameKind WireGenerator::next(Nanos event_time, std::string& out) {
  const std::uint64_t i = index_++;
  const std::size_t sym = static_cast<std::size_t>(i % config_.symbols.size());
  const std::uint64_t bits = rng_();
  // Noise of -2..+2 ticks from raw bits (std distributions are implementation-defined).
  const std::int64_t noise = static_cast<std::int64_t>(bits % 5) - 2;
  const std::int64_t price = price_at(i) + noise * config_.tick;
  // 0.001 .. 0.128 of the base asset.
  const std::int64_t qty = static_cast<std::int64_t>(((bits >> 8) % 128) + 1) * 100'000;
  const std::int64_t ms = event_time / 1'000'000;
  const bool quote = (i % (config_.trades_per_quote + 1)) == config_.trades_per_quote;

  out.clear();
  out += R"({"stream":")";
  if (!quote) {
    out += streams_trade_[sym];
    out += R"(","data":{"e":"trade","E":)";
    append_int(out, ms);
    out += R"(,"s":")";
    out += config_.symbols[sym];
    out += R"(","t":)";
    append_int(out, static_cast<std::int64_t>(++trade_id_));
    out += R"(,"p":)";
    append_quoted8(out, price);
    out += R"(,"q":)";
    append_quoted8(out, qty);
    out += R"(,"T":)";
    append_int(out, ms);
    out += (bits >> 20) & 1 ? R"(,"m":true,"M":true}})" : R"(,"m":false,"M":true}})";
    return FrameKind::kTrade;
  }
  out += streams_ticker_[sym];
  out += R"(","data":{"u":)";
  append_int(out, static_cast<std::int64_t>(++update_id_));
  out += R"(,"s":")";
  out += config_.symbols[sym];
  out += R"(","b":)";
  append_quoted8(out, price - config_.tick);
  out += R"(,"B":)";
  append_quoted8(out, qty * 3);
  out += R"(,"a":)";
  append_quoted8(out, price);
  out += R"(,"A":)";
  append_quoted8(out, qty * 2);
  out += "}}";
  return FrameKind::kBookTicker;
}

}  // namespace be::bench
