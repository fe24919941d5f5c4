// `botengine data import`: the venues' published historical files (Binance public data
// klines/aggTrades/trades, Kraken Time & Sales) into a candle file or a binary capture
// (feed/import/importer.hpp). docs/RESEARCH.md is the reference.
// Exit codes: 0 imported; 1 a file is unreadable, fails its checksum or holds a malformed row
// (nothing is written); 2 a usage error.
#include <charconv>
#include <cstdio>
#include <string>
#include <vector>

#include "core/civil_time.hpp"
#include "core/fixed_point.hpp"
#include "feed/import/importer.hpp"
#include "runner/cli.hpp"

namespace be::cli {

namespace {

constexpr const char* kUsage =
    "usage: botengine data import FILE... --out PATH [--format NAME] [--symbol SYMBOL]\n"
    "                             [--price-scale N] [--qty-scale N] [--require-checksum]\n"
    "  FILE        Binance public data (SYMBOL-1m-DATE.zip, SYMBOL-aggTrades-DATE.zip,\n"
    "              SYMBOL-trades-DATE.zip, or the CSV inside; FILE.CHECKSUM beside it is\n"
    "              verified) or Kraken Time & Sales (PAIR.csv, or a .zip holding one);\n"
    "              several files of one symbol and kind, in time order, make one output\n"
    "  --out PATH  klines: a candle CSV; trades: a binary capture for replay --capture\n"
    "  --format    binance-klines, binance-aggtrades, binance-trades, kraken-trades\n"
    "              (default: from the first file's name)\n"
    "  --symbol    the symbol (default: from the file name); Kraken's is written XBT/USD\n"
    "  --price-scale, --qty-scale  decimals a price or quantity may have (default 8)\n"
    "  --require-checksum  refuse an archive without its .CHECKSUM file\n";

constexpr cli::Usage usage{"data", kUsage};

bool parse_scale(std::string_view text, int& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= 0 &&
         out <= kMaxDecimalScale;
}

int run_import(Args args) {
  feed::import::ImportOptions options;
  std::vector<std::string> inputs;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    } else if (a == "--require-checksum") {
      options.require_checksum = true;
    } else if (a == "--out" && has_value) {
      options.output = std::string(args[++i]);
    } else if (a == "--symbol" && has_value) {
      options.symbol = std::string(args[++i]);
    } else if (a == "--format" && has_value) {
      const auto format = code_of(feed::import::kFileFormatNames, args[++i]);
      if (!format || *format == feed::import::FileFormat::kUnknown) {
        return usage("unknown format " + std::string(args[i]));
      }
      options.format = *format;
    } else if ((a == "--price-scale" || a == "--qty-scale") && has_value) {
      int& scale = a == "--price-scale" ? options.scales.price : options.scales.quantity;
      if (!parse_scale(args[++i], scale)) return usage(std::string(a) + " takes 0 to 18");
    } else if (!a.empty() && a[0] != '-') {
      inputs.emplace_back(a);
    } else {
      return usage("unknown argument " + std::string(a));
    }
  }
  if (inputs.empty()) return usage("which files? give at least one");
  if (options.output.empty()) return usage("--out PATH is required");

  auto imported = feed::import::import_files(inputs, options);
  if (!imported) {
    std::fprintf(stderr, "botengine data import: %s\n", imported.error().c_str());
    return kExitFailure;
  }
  for (const auto& f : imported->files) {
    std::printf("%s: %llu rows, checksum %s\n", f.path.c_str(),
                static_cast<unsigned long long>(f.rows), f.checksum.c_str());
  }
  const auto format = name_of(feed::import::kFileFormatNames, imported->format);
  std::printf("imported %llu %.*s rows of %s%s%s into %s (%s), %s .. %s\n",
              static_cast<unsigned long long>(imported->rows), static_cast<int>(format.size()),
              format.data(), imported->symbol.c_str(), imported->interval.empty() ? "" : " ",
              imported->interval.c_str(), options.output.c_str(), imported->output_kind.c_str(),
              rfc3339_ns(imported->first).c_str(), rfc3339_ns(imported->last).c_str());
  return kExitOk;
}

}  // namespace

int run_data(Args args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (args.empty() || args[0] != "import") return usage("the subcommand is: data import");
  return run_import(args.subspan(1));
}

}  // namespace be::cli
