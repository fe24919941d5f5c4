// ViewVersions: per-bot version numbers that a stage moves whenever something the read model
// shows of a bot changes, so the read model's publication rebuilds only the bots whose number
// moved since it last looked (engine/read_model.cpp; issue 18: a publication costs in
// proportion to what changed, not to the number of bots).
//
// Not fold state: never hashed, snapshotted or compared by replay. A version only has to
// differ from the one the publisher remembers; it never goes back, not even across a restore
// (bump_all() moves every bot's), so a remembered number can never be met again by accident.
//
// Thread-safety: none; it belongs to the stage that owns it. Sized at construction (bots past
// its size are ignored: they have no place in the stage's tables either); bump() is a store.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace be {

class ViewVersions {
 public:
  explicit ViewVersions(std::size_t bots) : versions_(bots, 1) {}

  void bump(std::uint32_t bot_index) noexcept {
    if (bot_index < versions_.size()) ++versions_[bot_index];
  }
  void bump_all() noexcept {
    for (std::uint32_t& v : versions_)
      ++v;
  }
  // Indexed by bot id index. Versions start at 1, so a publisher may start from zeros (to
  // meet 0 again, one bot would have to change 2^32 times between two looks).
  std::span<const std::uint32_t> all() const noexcept { return versions_; }

 private:
  std::vector<std::uint32_t> versions_;
};

}  // namespace be
