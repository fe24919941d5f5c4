// The instruments and assets a Binance gateway trades, built once at construction from the
// engine's InstrumentDefined records (so ids and scales agree with the rest of the engine).
//
// Assets: when the caller does not name them, each base and quote asset gets an AssetId in
// order of first appearance; a base asset's scale is the instrument's qty_scale, a quote
// asset's its price_scale (core/event.hpp BalanceUpdate). The first definition of an asset
// wins when two instruments disagree on its scale.
//
// Thread-safety: immutable after construction; any thread may read it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"

namespace be::binance {

struct AssetDef {
  AssetId id = kNoAsset;
  std::string name;  // "BTC"
  std::uint8_t scale = 8;
};

class SymbolMap {
 public:
  SymbolMap() = default;
  explicit SymbolMap(std::span<const InstrumentDefined> instruments,
                     std::span<const AssetDef> assets = {});

  const InstrumentDefined* by_id(InstrumentId id) const noexcept;
  const InstrumentDefined* by_symbol(std::string_view symbol) const noexcept;
  const AssetDef* asset(std::string_view name) const noexcept;
  const AssetDef* asset(AssetId id) const noexcept;
  std::span<const InstrumentDefined> instruments() const noexcept { return instruments_; }
  std::span<const AssetDef> assets() const noexcept { return assets_; }

 private:
  std::vector<InstrumentDefined> instruments_;
  std::vector<AssetDef> assets_;
};

}  // namespace be::binance
