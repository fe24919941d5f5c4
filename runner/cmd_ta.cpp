// `botengine ta`: runs indicators over a candle file and prints them as CSV.
//
//   botengine ta --input FILE --indicator SPEC [--indicator SPEC ...]
//                [--price-scale N] [--qty-scale N]
//
// Output: a header `time,close,<one column per indicator output>`, then one row per bar:
// time is the bar's open time in ms since the epoch, close the exact decimal from the file,
// indicator values in printf %.12g (12 significant digits: relative rounding error <= 5e-13,
// far inside the 1e-9 the indicators are held to), and an empty cell while an indicator is
// warming up, exactly where TA-Lib's output is empty. SPEC grammar:
// strategies/indicators/indicator.hpp and docs/INDICATORS.md.
// Exit codes: 0 ok; 1 the file cannot be read or is malformed; 2 a bad argument.
#include <charconv>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "core/fixed_point.hpp"
#include "feed/candle_file.hpp"
#include "runner/cli.hpp"
#include "strategies/indicators/indicator.hpp"

namespace be::cli {
namespace {

constexpr std::string_view kUsage =
    "usage: botengine ta --input FILE --indicator SPEC [--indicator SPEC ...]\n"
    "                    [--price-scale N] [--qty-scale N]\n"
    "  FILE  candles as CSV (time,open,high,low,close,volume) or JSON (shared/data/candles-1m)\n"
    "  SPEC  sma:N ema:N rsi:N atr:N roc:N mom:N vsma:N vwap:N (0 = cumulative)\n"
    "        macd[:FAST:SLOW:SIGNAL] bbands:N[:DEVUP[:DEVDOWN]] stoch[:FASTK:SLOWK:SLOWD]\n"
    "  scales: decimal places of the fixed-point prices and volumes (default 8)\n";

// Joins pieces; GCC 12's -Wrestrict misfires on `"literal" + std::string` chains.
std::string concat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts)
    out.append(p);
  return out;
}

int usage_error(std::string_view why) {
  return cli::usage_error("ta", why, kUsage);
}

bool parse_scale(std::string_view text, int& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= 0 &&
         out <= kMaxDecimalScale;
}

// Exact decimal without trailing zeros: 51613.38000000 -> 51613.38, 5.00000000 -> 5.
std::string_view trimmed_decimal(std::int64_t value, int scale, char (&buf)[kMaxDecimalChars]) {
  std::size_t n = format_decimal(value, scale, buf);
  if (scale > 0) {
    while (buf[n - 1] == '0')
      --n;
    if (buf[n - 1] == '.') --n;
  }
  return {buf, n};
}

}  // namespace

int run_ta(Args args) {
  std::string input;
  std::vector<ta::IndicatorSpec> specs;
  replay::CandleOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
      return kExitOk;
    }
    const bool takes_value =
        arg == "--input" || arg == "--indicator" || arg == "--price-scale" || arg == "--qty-scale";
    if (!takes_value) return usage_error(concat({"unknown argument '", arg, "'"}));
    if (i + 1 == args.size()) return usage_error(concat({"'", arg, "' needs a value"}));
    const std::string_view value = args[++i];
    if (arg == "--input") {
      input = std::string(value);
    } else if (arg == "--indicator") {
      auto spec = ta::parse_indicator_spec(value);
      if (!spec) return usage_error(spec.error().message);
      specs.push_back(std::move(*spec));
    } else {
      int& scale = arg == "--price-scale" ? options.price_scale : options.qty_scale;
      if (!parse_scale(value, scale)) {
        return usage_error(
            concat({"'", arg, " ", value, "': the scale must be an integer in 0..18"}));
      }
    }
  }
  if (input.empty()) return usage_error("missing --input FILE");
  if (specs.empty()) return usage_error("missing --indicator SPEC (at least one)");

  auto candles = replay::load_candles(input, options);
  if (!candles) {
    std::fprintf(stderr, "botengine ta: %s\n", candles.error().message.c_str());
    return kExitFailure;
  }

  std::vector<ta::AnyIndicator> indicators;
  indicators.reserve(specs.size());
  std::string header = "time,close";
  for (const auto& spec : specs) {
    indicators.emplace_back(spec);
    for (const auto& name : ta::output_names(spec)) {
      header.push_back(',');
      header.append(name);
    }
  }
  std::printf("%s\n", header.c_str());

  std::string row;
  char decimal[kMaxDecimalChars];
  char number[64];
  for (const Bar& bar : candles->bars) {
    row.clear();
    row.append(std::to_string(bar.open_time / 1'000'000));
    row.push_back(',');
    row.append(trimmed_decimal(bar.close, options.price_scale, decimal));
    for (auto& ind : indicators) {
      const bool ready = ind.update(bar, options.price_scale, options.qty_scale);
      for (std::size_t o = 0; o < ind.output_count(); ++o) {
        row.push_back(',');
        if (!ready) continue;
        const int n = std::snprintf(number, sizeof number, "%.12g", ind.output(o));
        row.append(number, static_cast<std::size_t>(n));
      }
    }
    row.push_back('\n');
    std::fwrite(row.data(), 1, row.size(), stdout);
  }
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::fprintf(stderr, "botengine ta: cannot write the output\n");
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace be::cli
