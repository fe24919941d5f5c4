#include "feed/symbol_table.hpp"

namespace be::feed {

InstrumentId SymbolTable::add(std::string_view symbol, InstrumentScales scales) {
  const InstrumentId local = names_.intern(symbol);
  return add(symbol, scales, local);
}

InstrumentId SymbolTable::add(std::string_view symbol, InstrumentScales scales, InstrumentId id) {
  const InstrumentId local = names_.intern(symbol);
  const auto index = static_cast<std::size_t>(index_of(local));
  if (index >= scales_.size()) {
    scales_.resize(index + 1);
    ids_.resize(index + 1);
  }
  scales_[index] = scales;
  ids_[index] = id;
  ++version_;
  return id;
}

std::optional<SymbolEntry> SymbolTable::find(std::string_view symbol) const noexcept {
  if (auto local = names_.find(symbol)) {
    const auto index = static_cast<std::size_t>(index_of(*local));
    return SymbolEntry{ids_[index], scales_[index]};
  }
  return std::nullopt;
}

std::string_view SymbolTable::name(InstrumentId id) const noexcept {
  for (std::size_t i = 0; i < ids_.size(); ++i) {
    if (ids_[i] == id) return names_.name(InstrumentId{static_cast<std::uint32_t>(i)});
  }
  return {};
}

std::optional<SymbolEntry> SymbolTable::resolve(std::string_view symbol) {
  if (auto entry = find(symbol)) return entry;
  if (policy_ == UnknownSymbolPolicy::kReject || symbol.empty()) return std::nullopt;
  return SymbolEntry{add(symbol), default_scales_};
}

}  // namespace be::feed
