#include "feed/symbol_table.hpp"

namespace be::feed {

InstrumentId SymbolTable::add(std::string_view symbol, InstrumentScales scales) {
  const InstrumentId id = names_.intern(symbol);
  const auto index = static_cast<std::size_t>(index_of(id));
  if (index >= scales_.size()) scales_.resize(index + 1);
  scales_[index] = scales;
  ++version_;
  return id;
}

std::optional<SymbolEntry> SymbolTable::find(std::string_view symbol) const noexcept {
  if (auto id = names_.find(symbol)) {
    return SymbolEntry{*id, scales_[static_cast<std::size_t>(index_of(*id))]};
  }
  return std::nullopt;
}

std::optional<SymbolEntry> SymbolTable::resolve(std::string_view symbol) {
  if (auto entry = find(symbol)) return entry;
  if (policy_ == UnknownSymbolPolicy::kReject || symbol.empty()) return std::nullopt;
  return SymbolEntry{add(symbol), default_scales_};
}

}  // namespace be::feed
