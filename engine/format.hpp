// Presentation helpers of the engine's control plane: the deployment's instruments (names,
// scales, assets) as an immutable table, and the JSON text of stream items. Off the hot path.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"

namespace be::engine {

struct InstrumentSpec;

// The configured instruments in id order (InstrumentId i is the i-th), and their assets
// interned in the order the fold interns them (base then quote, instrument by instrument).
class InstrumentTable {
 public:
  explicit InstrumentTable(const std::vector<InstrumentSpec>& specs);
  std::size_t size() const noexcept { return defs_.size(); }
  const InstrumentDefined& definition(std::size_t i) const noexcept { return defs_[i]; }
  const InstrumentDefined* find(InstrumentId id) const noexcept;
  std::string symbol(InstrumentId id) const;
  int price_scale(InstrumentId id) const noexcept;
  int qty_scale(InstrumentId id) const noexcept;
  // Asset names by AssetId and the scale their amounts are kept at.
  const std::vector<std::string>& assets() const noexcept { return assets_; }
  int asset_scale(std::size_t asset) const noexcept { return asset_scales_[asset]; }
  std::optional<std::size_t> asset_index(std::string_view name) const noexcept;

 private:
  std::vector<InstrumentDefined> defs_;
  std::vector<std::string> assets_;
  std::vector<int> asset_scales_;
};

std::string price_text(const InstrumentTable& t, InstrumentId id, std::int64_t value);
std::string qty_text(const InstrumentTable& t, InstrumentId id, std::int64_t value);
std::string_view side_text(Side side) noexcept;

// The stream item JSON for a journaled record ("" when it is not streamed), and its owner.
std::string stream_json(const Event& e, const InstrumentTable& t);
BotId stream_owner(const Event& e) noexcept;

}  // namespace be::engine
