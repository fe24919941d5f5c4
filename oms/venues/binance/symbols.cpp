#include "oms/venues/binance/symbols.hpp"

namespace be::binance {

SymbolMap::SymbolMap(std::span<const InstrumentDefined> instruments,
                     std::span<const AssetDef> assets)
    : instruments_(instruments.begin(), instruments.end()), assets_(assets.begin(), assets.end()) {
  if (!assets_.empty()) return;
  const auto add = [this](std::string_view name, std::uint8_t scale) {
    if (name.empty() || asset(name) != nullptr) return;
    assets_.push_back(
        AssetDef{AssetId{static_cast<std::uint16_t>(assets_.size())}, std::string(name), scale});
  };
  for (const auto& def : instruments_) {
    add(def.base_view(), def.qty_scale);
    add(def.quote_view(), def.price_scale);
  }
}

const InstrumentDefined* SymbolMap::by_id(InstrumentId id) const noexcept {
  for (const auto& def : instruments_)
    if (def.instrument == id) return &def;
  return nullptr;
}

const InstrumentDefined* SymbolMap::by_symbol(std::string_view symbol) const noexcept {
  for (const auto& def : instruments_)
    if (def.symbol_view() == symbol) return &def;
  return nullptr;
}

const AssetDef* SymbolMap::asset(std::string_view name) const noexcept {
  for (const auto& a : assets_)
    if (a.name == name) return &a;
  return nullptr;
}

const AssetDef* SymbolMap::asset(AssetId id) const noexcept {
  for (const auto& a : assets_)
    if (a.id == id) return &a;
  return nullptr;
}

}  // namespace be::binance
