// A whole file read into memory, once: deployment configs, bot files, sweep specs, reports
// (the API serves them; the backtest jobs read their children's). Cold path only.
// Errors (the message names the file): it cannot be opened or read, or it is larger than
// `max_bytes` (checked before reading, so a huge file is never loaded).
// Thread-safety: reentrant.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "core/expected.hpp"

namespace be {

Expected<std::string, std::string> read_file(
    const std::string& path, std::uint64_t max_bytes = std::numeric_limits<std::uint64_t>::max());

}  // namespace be
