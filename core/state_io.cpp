#include "core/state_io.hpp"

namespace be::state_io {

void append_bytes(std::vector<std::byte>& out, const void* p, std::size_t n) {
  if (n == 0) return;
  const auto* first = static_cast<const std::byte*>(p);
  out.insert(out.end(), first, first + n);
}

}  // namespace be::state_io
