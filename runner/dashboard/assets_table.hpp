// Internal: the table embed.cmake generates (assets.cpp in the build directory).
#pragma once

#include <span>

#include "runner/dashboard/dashboard.hpp"

namespace be::dashboard::detail {

// Sorted by path; static storage.
std::span<const Asset> embedded_assets() noexcept;

}  // namespace be::dashboard::detail
