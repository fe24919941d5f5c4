// libFuzzer target: arbitrary bytes as one Coinbase WebSocket frame. Seeds: capture lines.
#include <cstddef>
#include <cstdint>

#include "feed/coinbase.hpp"
#include "fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return be::fuzz::fuzz_frame<be::feed::CoinbaseParser>(data, size);
}
