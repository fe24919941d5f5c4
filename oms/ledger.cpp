#include "oms/ledger.hpp"

#include <algorithm>

namespace be::oms {
namespace {
std::int64_t ceil_div(Wide n, Wide d) noexcept {
  return static_cast<std::int64_t>(n <= 0 ? n / d : (n + d - 1) / d);
}
}  // namespace

std::int64_t lock_needed(Side side, OrderType type, std::int64_t price, std::int64_t quantity,
                         std::int64_t unit) noexcept {
  if (side == Side::kSell) return quantity;
  if (type != OrderType::kLimit) return 0;
  return ceil_div(static_cast<Wide>(price) * quantity, unit);
}

std::int64_t settle_notional(OrderMoney& m, std::int64_t price, std::int64_t quantity,
                             std::int64_t unit) noexcept {
  m.notional += static_cast<Wide>(price) * quantity;
  const auto total = static_cast<std::int64_t>(divide_rounded(m.notional, unit));
  const std::int64_t step = total - m.settled;
  m.settled = total;
  return step;
}

Ledger::Ledger(std::uint32_t accounts, std::uint32_t assets)
    : accounts_(accounts),
      assets_(assets),
      balances_(static_cast<std::size_t>(accounts) * assets) {}

void Ledger::open(const Leg& leg, std::int64_t quantity, OrderMoney& m) noexcept {
  const std::int64_t lock = lock_needed(leg.side, leg.type, leg.limit_price, quantity, leg.unit);
  Balance& b = at(leg.account, leg.side == Side::kBuy ? leg.quote : leg.base);
  b.free -= lock;
  b.locked += lock;
  m.locked = lock;
}

void Ledger::fill(const Leg& leg, std::int64_t price, std::int64_t quantity, std::int64_t fee,
                  std::int64_t filled_after, OrderMoney& m) noexcept {
  Balance& base = at(leg.account, leg.base);
  Balance& quote = at(leg.account, leg.quote);
  const std::int64_t notional = settle_notional(m, price, quantity, leg.unit);
  if (leg.side == Side::kBuy) {
    std::int64_t release = 0;
    if (leg.type == OrderType::kLimit) {
      const std::int64_t target =
          lock_needed(Side::kBuy, OrderType::kLimit, leg.limit_price, filled_after, leg.unit);
      release = std::clamp<std::int64_t>(target - m.released, 0, m.locked);
    }
    m.released += release;
    m.locked -= release;
    quote.locked -= release;
    quote.free += release - notional - fee;
    base.free += quantity;
  } else {
    const std::int64_t release = std::min(quantity, m.locked);
    m.released += release;
    m.locked -= release;
    base.locked -= release;
    base.free -= quantity - release;
    quote.free += notional - fee;
  }
}

void Ledger::close(const Leg& leg, OrderMoney& m) noexcept {
  Balance& b = at(leg.account, leg.side == Side::kBuy ? leg.quote : leg.base);
  b.locked -= m.locked;
  b.free += m.locked;
  m.locked = 0;
}

}  // namespace be::oms
