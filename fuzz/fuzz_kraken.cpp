// libFuzzer target: arbitrary bytes as one Kraken WebSocket frame. Seeds: capture lines.
#include <cstddef>
#include <cstdint>

#include "feed/kraken.hpp"
#include "fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return be::fuzz::fuzz_frame<be::feed::KrakenParser>(data, size);
}
