// Size limits every venue parser is constructed with; buffers are sized from them once.
#pragma once

#include <cstddef>

namespace be::feed {

struct ParserLimits {
  // Ordinary frames (trades, quotes, deltas). Larger frames are refused unless they are a
  // book snapshot, which may reach max_snapshot_bytes (Kraken's book-1000 snapshot is 79 KB).
  std::size_t max_message_bytes = 64 * 1024;
  std::size_t max_snapshot_bytes = 1024 * 1024;
  // Book levels one frame may carry (both sides); more is kTooManyLevels.
  std::size_t max_levels = 8192;
};

// Limits for REST bodies: Binance's full exchangeInfo is ~1.9 MB.
inline constexpr ParserLimits kRestLimits{.max_message_bytes = 8 * 1024 * 1024,
                                          .max_snapshot_bytes = 8 * 1024 * 1024,
                                          .max_levels = 16384};

}  // namespace be::feed
