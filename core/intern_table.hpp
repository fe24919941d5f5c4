// Name <-> small integer id. Ids are dense, from 0, in the order names are interned; the
// fold interns only while applying journaled definition events, so a replay reproduces the
// same ids. Lookups by string_view do not allocate (heterogeneous lookup).
//
// Thread-safety: none; owned by one stage. Interning allocates (off the hot path);
// find() and name() do not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/ids.hpp"

namespace be {

struct TransparentStringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

template <class Id>
class InternTable {
 public:
  using Underlying = std::underlying_type_t<Id>;

  // Returns the existing id for `name`, or assigns the next one.
  Id intern(std::string_view name) {
    if (auto it = ids_.find(name); it != ids_.end()) return it->second;
    const Id id{static_cast<Underlying>(names_.size())};
    names_.emplace_back(name);
    ids_.emplace(names_.back(), id);
    return id;
  }

  std::optional<Id> find(std::string_view name) const noexcept {
    if (auto it = ids_.find(name); it != ids_.end()) return it->second;
    return std::nullopt;
  }

  // Precondition: id was returned by intern().
  std::string_view name(Id id) const noexcept { return names_[index_of(id)]; }
  bool contains(Id id) const noexcept { return index_of(id) < names_.size(); }
  std::size_t size() const noexcept { return names_.size(); }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, Id, TransparentStringHash, std::equal_to<>> ids_;
};

}  // namespace be
