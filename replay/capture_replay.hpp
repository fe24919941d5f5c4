// A raw feed capture as engine inputs: what `botengine replay --capture FILE` feeds the fold.
//
//   capture file --CaptureFile--> records --feed::CaptureDispatcher (the real parsers)--> events
//        (text: cryptofeed lines,              |
//         binary: feed/record .becap)          '--> ids remapped to the deployment's
//                                                   --> InputSink: the fold's inputs
//
// Inputs, in order, all stamped with times from the capture (never the wall clock):
//   1. at the first record's receive time: InstrumentDefined for every configured instrument
//      (the whole deployment, ids in config order), then the reconcile timer (the paper venue
//      reports the opening balances), like a fresh journal begins;
//   2. per record: a connect -> Connectivity kConnected for the capture's venue, a binary
//      disconnect frame -> kDisconnected, a message or REST body -> whatever the parser
//      makes of it (trades, quotes, bars, book deltas); if market data comes before any
//      connect record (a capture started mid-session), kConnected is stamped just before it;
//   3. clock ticks (Timer, owner kNoBot) every config.tick_interval of receive time, before
//      the first record at or past each tick, as the live sequencer would stamp them.
//      Receive times that go backwards do not move the clock; a jump of more than
//      kMaxTicksPerJump ticks (a hostile or broken timestamp) is bridged by one tick, counted
//      in time_jumps, so no input can make the replay spin.
//
// Only instruments of the capture's venue are parsed; their symbols resolve with the
// deployment's scales, and a message naming any other symbol is rejected (kUnknownSymbol) and
// counted, as live. Unknown, malformed and oversized frames are counted by reject reason,
// bad text lines and a torn binary tail are counted too; none stops the replay.
//
// Thread-safety: none; one thread. Lifetime: records point into the CaptureFile's buffer or
// mapping, valid until it is destroyed. Allocation: at open and on first sight of a venue's
// parser; the per-record path allocates nothing itself.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "core/expected.hpp"
#include "engine/engine.hpp"
#include "feed/capture.hpp"
#include "feed/record/capture_reader.hpp"
#include "feed/types.hpp"

namespace be::replay {

inline constexpr std::uint64_t kMaxTicksPerJump = 10'000;
// The quote balance a derived deployment (derive_config) opens the paper account with.
inline constexpr const char* kDerivedQuoteBalance = "10000";

// One record of either capture format. `disconnect`: a binary kDisconnected frame (the text
// format has none); its record.kind is kConnect and record.payload the reason.
struct CaptureItem {
  feed::CaptureRecord record;
  bool disconnect = false;
};

// A text capture (cryptofeed lines) or a binary capture (feed/record), chosen by the file's
// magic, read whole at open.
class CaptureFile {
 public:
  // Errors: the file cannot be read, or is a binary capture with a bad header.
  static Expected<std::unique_ptr<CaptureFile>, std::string> open(const std::string& path);
  // A text capture from memory (tests).
  static std::unique_ptr<CaptureFile> from_text(std::string text, feed::Venue venue);

  bool next(CaptureItem& out) noexcept;
  void rewind() noexcept;
  // From the file name (text) or the header (binary); kUnknown when neither says.
  feed::Venue venue() const noexcept { return venue_; }
  // Text lines that were not a record (since open, over every pass), and a binary file's torn or
  // corrupt tail ("" if clean).
  std::uint64_t bad_lines() const noexcept;
  std::string tail() const;

 private:
  CaptureFile() = default;
  std::unique_ptr<feed::TextCaptureReader> text_;
  std::unique_ptr<capture::CaptureReader> binary_;
  feed::Venue venue_ = feed::Venue::kUnknown;
};

// A deployment for a capture without one: the capture's symbols (parsed once, in order of
// first sight) at scales 8/8 on one venue named after the capture's, base and quote split
// from the symbol ("BTC-USD", "XBT/USD", or a known quote suffix: "BTCUSDT" -> BTC, USDT;
// else base = the symbol, quote "USD"), no venue filters, no fees, kDerivedQuoteBalance of
// every quote asset, and every other setting at parse_engine_config's defaults.
// Errors: the capture names no symbol.
Expected<engine::EngineConfig, std::string> derive_config(CaptureFile& file, feed::Venue venue);
// The deployment derive_config writes, for `symbols` on `venue` (a candle file's one symbol
// too): at most `capacity` instruments; a symbol too long to define is left out.
Expected<engine::EngineConfig, std::string> derived_deployment(
    std::string_view venue, const std::vector<std::string_view>& symbols, std::size_t capacity);

struct CaptureReplayStats {
  std::uint64_t records = 0;      // capture records read (every kind)
  std::uint64_t connects = 0;     // connect records (-> kConnected)
  std::uint64_t disconnects = 0;  // binary disconnect frames (-> kDisconnected)
  std::uint64_t market_events = 0;
  std::uint64_t ticks = 0;
  std::uint64_t time_jumps = 0;
  std::uint64_t not_parsed = 0;  // sent, config and REST bodies without a parser
  std::uint64_t bad_lines = 0;
  std::uint64_t untimed = 0;  // data records with no usable time (<= 0 or absurdly far): skipped
  feed::FeedStats feed;       // parsed messages by kind, rejects by reason
  std::string tail;           // a binary capture's torn tail, "" if clean
};

using InputSink = feed::EventSink;

// Feeds `file` (rewound first) from `venue` to `sink` as described above. Errors (before any
// input): the deployment has no instrument on `venue`.
Expected<CaptureReplayStats, std::string> feed_capture(CaptureFile& file, feed::Venue venue,
                                                       const engine::EngineConfig& config,
                                                       InputSink sink);

}  // namespace be::replay
