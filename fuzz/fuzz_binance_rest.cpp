// libFuzzer target: Binance REST bodies. The first byte picks the endpoint (even: depth
// snapshot, odd: exchangeInfo); the rest is the body. Seeds: the captured REST bodies.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "feed/binance.hpp"
#include "fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static be::feed::SymbolTable symbols(be::feed::UnknownSymbolPolicy::kReject);
  static const be::InstrumentId nkn = symbols.add("NKNUSDT");
  static be::feed::BinanceParser parser(be::VenueId{1}, symbols, be::feed::kRestLimits);
  (void)nkn;
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    be::fuzz::CheckingSink sink;
    const auto result = parser.parse_depth_snapshot(body, "NKNUSDT", 1, sink);
    be::fuzz::check_result(result, sink);
  } else {
    be::feed::BinanceExchangeInfo info;
    const auto result = parser.parse_exchange_info(body, info);
    if (!result.ok() && result.events != 0) __builtin_trap();
    for (const auto& s : info.symbols) {
      if (s.tick_size < 0 || s.step_size < 0 || s.min_notional < 0) __builtin_trap();
    }
  }
  return 0;
}
