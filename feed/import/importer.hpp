// `botengine data import`: the venues' published historical files into the project's own
// formats, through the one writer of each (docs/RESEARCH.md):
//
//   Binance klines (.zip or .csv)            -> a candle file (feed/candle_file.hpp CSV)
//   Binance aggTrades / trades (.zip, .csv)  -> a binary capture (feed/record) of Binance
//   Kraken Time & Sales (.csv, or a .zip        combined-stream / Kraken v1 trade frames, so
//   holding one CSV)                            `replay --capture` feeds them to the real
//                                               parsers like a live recording
//
// Each archive is checked against the `.CHECKSUM` file beside it when there is one (SHA-256;
// a mismatch refuses the import, an absent file is reported as "not verified"), its CSV
// member inflated and CRC-checked (zip_reader.hpp), and every row parsed and checked
// (rows.hpp): the first malformed row refuses the whole import with the file, the member and
// the line, and no output is left behind (it is written to OUTPUT.part and renamed at the
// end). Several files import into one output, in the order given; their times must not go
// backwards (candles: strictly increasing open times).
//
// The kind of a Binance file, its symbol and its interval come from its name as Binance
// publishes it ("BTCUSDT-1m-2021-02-19.zip", "BTCUSDT-aggTrades-2021-02.zip",
// "BTCUSDT-trades-2021-02-19.zip"); a Kraken file's pair from its name ("XBTUSD.csv") or
// `symbol`, which must be written as Kraken's WebSocket writes it ("XBT/USD").
//
// Frames are stamped with the trade's time as their receive time; nothing reads the clock.
// Thread-safety: one call per thread. Allocates (a load-time tool); reads each file whole.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/ids.hpp"
#include "feed/import/rows.hpp"

namespace be::feed::import {

struct ImportOptions {
  FileFormat format = FileFormat::kUnknown;  // kUnknown: from the first file's name
  std::string symbol;                        // "": from the file name
  std::string output;
  RowScales scales;
  bool require_checksum = false;  // refuse an archive without its .CHECKSUM file
};

struct ImportedFile {
  std::string path;
  std::string checksum;  // "verified (NAME.CHECKSUM)" or "not verified (no NAME.CHECKSUM)"
  std::uint64_t rows = 0;
};

struct ImportSummary {
  FileFormat format = FileFormat::kUnknown;
  std::string symbol, interval;  // interval: klines only ("1m")
  std::string output_kind;       // "candles" or "capture"
  std::uint64_t rows = 0;
  Nanos first = 0, last = 0;  // the first and last row's time
  std::vector<ImportedFile> files;
};

// What a file's name says: format kUnknown when it is not a Binance data file name.
struct FileName {
  FileFormat format = FileFormat::kUnknown;
  std::string symbol, interval;
};
FileName parse_file_name(std::string_view path);

Expected<ImportSummary, std::string> import_files(const std::vector<std::string>& inputs,
                                                  const ImportOptions& options);

}  // namespace be::feed::import
