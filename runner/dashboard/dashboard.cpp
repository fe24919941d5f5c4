#include "runner/dashboard/dashboard.hpp"

#include <algorithm>

#include "runner/dashboard/assets_table.hpp"

namespace be::dashboard {

std::span<const Asset> assets() noexcept {
  return detail::embedded_assets();
}

const Asset* find_asset(std::string_view path) noexcept {
  if (path.empty() || path == "/") path = "/index.html";
  const std::span<const Asset> all = assets();
  // Sorted by path at generation time; a binary search keeps lookups cheap as assets grow.
  const auto it = std::lower_bound(all.begin(), all.end(), path,
                                   [](const Asset& a, std::string_view p) { return a.path < p; });
  if (it == all.end() || it->path != path) return nullptr;
  return &*it;
}

}  // namespace be::dashboard
