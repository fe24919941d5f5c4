// The engine's snapshot format, as stored in the journal's `snapshots` database under the
// position of its StateHash record. Public because tools and benchmarks read snapshots too
// (recovery_bench restores them the way recovery does); bodies in engine/snapshots.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace be::engine {

// An engine snapshot: the fold's state, then the read model's history (fills and equity
// curves the fold does not keep), so both survive a restart.
//   +--------+-------------+------------------+------------+---------------+
//   | "BESN" | u32 version | u64 fold length  | fold bytes | history bytes |
//   +--------+-------------+------------------+------------+---------------+
// Bytes without the magic are a fold snapshot alone (tools that write only the fold).
inline constexpr std::array<char, 4> kSnapshotMagic = {'B', 'E', 'S', 'N'};
inline constexpr std::uint32_t kSnapshotVersion = 1;
std::vector<std::byte> engine_snapshot(const std::vector<std::byte>& fold_bytes,
                                       const std::vector<std::byte>& history);
struct SnapshotParts {
  std::span<const std::byte> fold, history;
  bool ok = true;
};
SnapshotParts split_snapshot(std::span<const std::byte> bytes);

}  // namespace be::engine
