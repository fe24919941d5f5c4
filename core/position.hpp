// A position in one instrument with average-cost accounting, exact in fixed point.
//
// Prices are at the instrument's price scale p and quantities at its qty scale q, so a
// price x quantity product is at scale p+q. The cost basis and the realized PnL are kept at
// that scale in 128 bits, exactly; nothing is rounded until a figure is read out at the
// price scale (round half away from zero). Hence the books always balance to the unit:
//   sum over fills of (-signed quantity x price)  ==  realized - cost basis      (scale p+q)
// which the tests check after every fill of a long seeded session.
//
// Fees are kept apart from PnL (in quote units at price scale), so either can be reported.
// Thread-safety: none; owned by the order manager stage. Allocation: none.
#pragma once

#include <cstdint>

#include "core/ids.hpp"

namespace be {

// __extension__: 128-bit integers are a GCC/Clang extension; -Wpedantic would flag them.
__extension__ typedef __int128 Wide;

// n / d rounded half away from zero. Precondition: d > 0.
constexpr Wide divide_rounded(Wide n, Wide d) noexcept {
  // Nearly every figure fits 64 bits: then one hardware division, not the library's 128-bit
  // one (__divmodti4 was 4-5 % of a parameter sweep, every mark revaluing every position).
  constexpr Wide kMax = static_cast<Wide>(INT64_MAX);
  if (n >= -kMax && n <= kMax && d <= kMax) {
    const auto n64 = static_cast<std::int64_t>(n);
    const auto d64 = static_cast<std::int64_t>(d);
    const std::int64_t q = n64 / d64;
    const std::int64_t r = n64 % d64;
    // |r| < d <= INT64_MAX, so twice |r| fits unsigned 64 bits.
    const std::uint64_t twice = static_cast<std::uint64_t>(r < 0 ? -r : r) * 2;
    if (twice >= static_cast<std::uint64_t>(d64)) return n64 < 0 ? Wide{q} - 1 : Wide{q} + 1;
    return q;
  }
  const Wide q = n / d;
  const Wide r = n % d;
  const Wide twice = (r < 0 ? -r : r) * 2;
  if (twice >= d) return n < 0 ? q - 1 : q + 1;
  return q;
}

class Position {
 public:
  // Precondition: 0 <= qty_scale <= 18.
  explicit Position(int qty_scale) noexcept;
  // Rebuilds a position from the exact figures a snapshot kept (quantity, cost_basis_exact,
  // realized_exact, fees). The figures are not cross-checked here: a restore validates them.
  static Position from_parts(int qty_scale, std::int64_t quantity, Wide cost, Wide realized,
                             std::int64_t fees) noexcept {
    Position p(qty_scale);
    p.quantity_ = quantity;
    p.cost_ = cost;
    p.realized_ = realized;
    p.fees_ = fees;
    return p;
  }

  // A fill of `quantity` (> 0) at `price`; `fee` in quote units at price scale.
  void apply_fill(Side side, std::int64_t price, std::int64_t quantity, std::int64_t fee) noexcept;

  std::int64_t quantity() const noexcept { return quantity_; }  // signed: short < 0
  bool flat() const noexcept { return quantity_ == 0; }
  // At price scale; 0 when flat.
  std::int64_t average_entry_price() const noexcept;
  // Quote units at price scale, fees excluded.
  std::int64_t realized_pnl() const noexcept;
  std::int64_t unrealized_pnl(std::int64_t mark_price) const noexcept;
  std::int64_t fees() const noexcept { return fees_; }

  // Exact figures at scale p+q, for audits and the balance invariant.
  Wide cost_basis_exact() const noexcept { return cost_; }
  Wide realized_exact() const noexcept { return realized_; }

 private:
  void open(std::int64_t signed_quantity, std::int64_t price) noexcept;
  void reduce(std::int64_t closing_quantity, std::int64_t price) noexcept;

  Wide scale_;  // 10^qty_scale: converts scale p+q to scale p
  std::int64_t quantity_ = 0;
  Wide cost_ = 0;  // signed: sum of price x signed quantity of the open position
  Wide realized_ = 0;
  std::int64_t fees_ = 0;
};

}  // namespace be
