// One venue's symbols -> InstrumentId, with the fixed-point scales to parse that instrument's
// prices and quantities at.
//
// Unknown symbols: by default a message naming a symbol the table does not hold is rejected
// (RejectReason::kUnknownSymbol, counted) — a live engine subscribes only to instruments it
// has defined, so an unknown symbol means a misrouted or spoofed frame. Tools that read
// arbitrary captures (`botengine capture stats`, the fuzzers, conformance tests) construct the
// table with UnknownSymbolPolicy::kAutoIntern: the first sight of a symbol interns it at the
// default scales (8/8). Interning allocates, once per new symbol; lookups never allocate.
//
// Ids are dense from `first_id` in the order symbols are added, so a table rebuilt from the
// same definitions in the same order gives the same ids (docs/ARCHITECTURE.md §3).
//
// Thread-safety: none; owned by the parser's thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/intern_table.hpp"

namespace be::feed {

enum class UnknownSymbolPolicy : std::uint8_t { kReject, kAutoIntern };

struct InstrumentScales {
  std::uint8_t price_scale = 8;
  std::uint8_t qty_scale = 8;
};

struct SymbolEntry {
  InstrumentId id{};
  InstrumentScales scales{};
};

class SymbolTable {
 public:
  explicit SymbolTable(UnknownSymbolPolicy policy = UnknownSymbolPolicy::kReject,
                       InstrumentScales default_scales = {}) noexcept
      : policy_(policy), default_scales_(default_scales) {}

  // Adds `symbol` (or updates its scales when present); returns its id.
  // Precondition: scales in [0, 18].
  InstrumentId add(std::string_view symbol, InstrumentScales scales);
  InstrumentId add(std::string_view symbol) { return add(symbol, default_scales_); }
  // Adds `symbol` under the caller's id: a deployment numbers its instruments across venues,
  // so the second venue's first symbol is not instrument 0. Use one form per table.
  InstrumentId add(std::string_view symbol, InstrumentScales scales, InstrumentId id);

  // The entry for `symbol`; under kAutoIntern an unknown symbol is added first. nullopt only
  // under kReject (or for an empty symbol, which is never interned).
  std::optional<SymbolEntry> resolve(std::string_view symbol);
  // Pure lookup: never interns, never allocates.
  std::optional<SymbolEntry> find(std::string_view symbol) const noexcept;

  std::string_view name(InstrumentId id) const noexcept;
  std::size_t size() const noexcept { return names_.size(); }
  UnknownSymbolPolicy policy() const noexcept { return policy_; }
  // Changes whenever add() runs: a parser may cache a lookup while it is unchanged.
  std::uint64_t version() const noexcept { return version_; }

 private:
  UnknownSymbolPolicy policy_;
  InstrumentScales default_scales_;
  InternTable<InstrumentId> names_;
  std::vector<InstrumentScales> scales_;  // indexed by the interned (local) id
  std::vector<InstrumentId> ids_;         // the id parsers emit, by local id
  std::uint64_t version_ = 0;
};

}  // namespace be::feed
