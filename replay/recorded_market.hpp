// A recorded market held in memory: a deployment and the market inputs a backtest replays
// (Backtest::is_market), in order, read once from a journal, a capture or a candle file. The
// sweep (replay/sweep.hpp) replays it many times, each time with other bots, and splits it in
// time for in-sample and out-of-sample runs.
//
// Candle files (feed/candle_file.hpp) become, per bar, at its close time (open + interval): a
// clock tick, a Quote with bid = ask = the close (so market orders fill at the close of the
// bar that triggered them) and the closed Bar itself; the deployment is one instrument at
// scales 8/8 with kDerivedQuoteBalance of its quote asset. Resting limit orders fill only on
// trades, which a candle file has none of: candle backtests fill market orders (and limits
// that are marketable on arrival) only.
//
// Thread-safety: a value; loading allocates (tool code, not the hot path).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "core/expected.hpp"
#include "engine/engine.hpp"
#include "replay/capture_replay.hpp"

namespace be::replay {

struct RecordedMarket {
  engine::EngineConfig config;
  std::vector<Event> inputs;  // InstrumentDefined first (from the deployment), then the market
  std::string what;           // "the capture", "the journal", "the candle file" (for messages)
  std::size_t opening = 0;    // inputs[0, opening): the definitions and opening records

  // One part of the recording in time: the opening records (restamped to the part's first
  // input) followed by inputs[begin, end).
  struct Part {
    std::size_t begin = 0, end = 0;
  };
  // The inputs of `part`, ready to replay on their own.
  std::vector<Event> slice(Part part) const;
  // The index of the first market input at or after the fraction `f` (0..1) of the recorded
  // time span (by event time).
  std::size_t at_fraction(double f) const;
  Nanos first_time() const noexcept;
  Nanos last_time() const noexcept;
};

// `symbol`: the instrument's symbol ("" = the file name up to its first '_' or '.', upper
// case: BTCUSDT_2021-02-19_1week_1m.json -> BTCUSDT); base and quote split from it as
// derive_config does. Errors: the file's (named with line or index), or a bad symbol.
Expected<RecordedMarket, std::string> load_candle_market(const std::string& path,
                                                         std::string symbol,
                                                         const std::string& venue = "binance");
// The same from a candle file's text (`source` names it in errors).
Expected<RecordedMarket, std::string> candle_market(std::string_view text,
                                                    const std::string& source,
                                                    const std::string& symbol,
                                                    const std::string& venue = "binance");
// A capture (text or binary) through the real parsers (replay/capture_replay.hpp):
// `config_file` "" derives the deployment from the capture's symbols; `venue` "" takes the
// capture's own.
Expected<RecordedMarket, std::string> load_capture_market(const std::string& path,
                                                          const std::string& config_file,
                                                          const std::string& venue);
// The same from a capture already open, with its deployment.
Expected<RecordedMarket, std::string> capture_market(CaptureFile& file, feed::Venue venue,
                                                     engine::EngineConfig config);
// A journal's market inputs (and its recorded deployment), through engine::JournalReplayer.
Expected<RecordedMarket, std::string> load_journal_market(const std::string& dir);

}  // namespace be::replay
