#include "core/position.hpp"

#include <algorithm>

#include "core/fixed_point.hpp"

namespace be {

Position::Position(int qty_scale) noexcept : scale_(static_cast<Wide>(pow10(qty_scale))) {}

void Position::apply_fill(Side side, std::int64_t price, std::int64_t quantity,
                          std::int64_t fee) noexcept {
  fees_ += fee;
  const std::int64_t signed_quantity = side == Side::kBuy ? quantity : -quantity;
  if (quantity_ == 0 || (quantity_ > 0) == (signed_quantity > 0)) {
    open(signed_quantity, price);
    return;
  }
  const std::int64_t held = quantity_ > 0 ? quantity_ : -quantity_;
  const std::int64_t closing = std::min(quantity, held);
  reduce(closing, price);
  if (quantity > closing) open(side == Side::kBuy ? quantity - closing : closing - quantity, price);
}

void Position::open(std::int64_t signed_quantity, std::int64_t price) noexcept {
  cost_ += static_cast<Wide>(price) * signed_quantity;
  quantity_ += signed_quantity;
}

void Position::reduce(std::int64_t closing, std::int64_t price) noexcept {
  const Wide held = quantity_ > 0 ? quantity_ : -quantity_;
  // The share of the cost basis that leaves with `closing` units. Truncation here cannot
  // unbalance the books: whatever leaves the basis is exactly what enters realized.
  const Wide removed = cost_ * closing / held;
  const Wide sign = quantity_ > 0 ? 1 : -1;
  realized_ += sign * static_cast<Wide>(price) * closing - removed;
  cost_ -= removed;
  quantity_ -= static_cast<std::int64_t>(sign) * closing;
  if (quantity_ == 0) cost_ = 0;  // exact already (removed == cost_); stated for the reader
}

std::int64_t Position::average_entry_price() const noexcept {
  if (quantity_ == 0) return 0;
  const Wide q = quantity_ > 0 ? quantity_ : -quantity_;
  const Wide c = cost_ > 0 ? cost_ : -cost_;
  return static_cast<std::int64_t>(divide_rounded(c, q));
}

std::int64_t Position::realized_pnl() const noexcept {
  return static_cast<std::int64_t>(divide_rounded(realized_, scale_));
}

std::int64_t Position::unrealized_pnl(std::int64_t mark_price) const noexcept {
  const Wide exact = static_cast<Wide>(mark_price) * quantity_ - cost_;
  return static_cast<std::int64_t>(divide_rounded(exact, scale_));
}

}  // namespace be
