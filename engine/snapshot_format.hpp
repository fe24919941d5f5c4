// The engine's snapshot format, as stored in the journal's `snapshots` database under the
// position of its StateHash record. Public because tools and benchmarks read snapshots too
// (recovery_bench restores them the way recovery does); bodies in engine/snapshots.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace be::engine {

// An engine snapshot: the fold's state, then the read model's history (fills and equity
// curves the fold does not keep), so both survive a restart, then (version 2) the deployment
// config text the fold was built from, so a replay that starts at this snapshot (the journal's
// first segments retired: docs/JOURNAL.md, "Replaying a retired journal") builds the same fold
// without the config blob the first segment held.
//   version 1: | "BESN" | u32 1 | u64 fold length | fold bytes | history bytes |
//   version 2: | "BESN" | u32 2 | u64 fold length | u64 history length | fold bytes |
//              | history bytes | deployment text |
// Bytes without the magic are a fold snapshot alone (tools that write only the fold); a
// version 1 snapshot still restores (it names no deployment).
inline constexpr std::array<char, 4> kSnapshotMagic = {'B', 'E', 'S', 'N'};
inline constexpr std::uint32_t kSnapshotVersion = 2;
std::vector<std::byte> engine_snapshot(std::span<const std::byte> fold_bytes,
                                       std::span<const std::byte> history,
                                       std::string_view deployment = {});
struct SnapshotParts {
  std::span<const std::byte> fold, history;
  std::string_view deployment;  // empty: none recorded (version 1, or a config-less engine)
  bool ok = true;
};
SnapshotParts split_snapshot(std::span<const std::byte> bytes);

}  // namespace be::engine
