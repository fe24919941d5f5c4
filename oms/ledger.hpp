// Balances per account and asset, and the per-order bookkeeping that moves them: one set of
// rules shared by the order manager and the paper venue, so the balances the venue reports
// and the ones the order manager folded from fills agree to the unit.
//
// Rules (amounts: quote assets at the instrument's price scale, base assets at its qty scale;
// unit = 10^qty_scale):
//  - Opening locks: a buy limit locks ceil(price x qty / unit) quote; any sell locks qty base;
//    a market buy locks nothing (its price is unknown until it fills).
//  - A fill of q at p: its notional is counted exactly (scale p+q, 128-bit) per order, and
//    balances move by round_half_away(cumulative notional / unit) minus what moved before, so
//    partial fills never drift from the whole-order figure. A buy releases its lock up to
//    ceil(limit x filled / unit), spends the notional and the fee from quote, adds q base; a
//    sell releases q base from its lock and adds notional - fee quote. Fees are quote units.
//  - Closing (terminal) returns whatever the order still has locked to free.
// Thread-safety: none. Allocation: only the constructor.
#pragma once

#include <cstdint>
#include <vector>

#include "core/ids.hpp"
#include "core/order_intent.hpp"
#include "core/position.hpp"
#include "core/state_io.hpp"

namespace be::oms {

struct Balance {
  std::int64_t free = 0;
  std::int64_t locked = 0;
  template <class V>
  void fields(V& v) {
    v(free);
    v(locked);
  }
};

struct OrderMoney {
  std::int64_t locked = 0;    // still locked for this order
  std::int64_t released = 0;  // lock released by fills so far
  Wide notional = 0;          // exact sum of fill price x qty, scale p+q
  std::int64_t settled = 0;   // notional rounded to price scale, as moved so far
  template <class V>
  void fields(V& v) {
    v(locked);
    v(released);
    v(notional);
    v(settled);
  }
};

// Accounts a deployment's tables hold (the order manager's, the paper venue's and risk's):
// every user has at least one (docs/ACCOUNTS.md). A fixed table: ~2 KB per account across
// the three, in every snapshot; issue 18 makes it configurable.
inline constexpr std::uint32_t kAccountCapacity = 256;

// Amounts beyond 2^60 units at price scale (or a fee beyond it) are not money this engine
// handles: refusing them keeps every balance sum far from int64 overflow, whatever a venue
// or a corrupt input says.
inline constexpr std::int64_t kMaxAmount = std::int64_t{1} << 60;
constexpr bool amounts_fit(std::int64_t price, std::int64_t quantity, std::int64_t fee,
                           std::int64_t unit) noexcept {
  if (price < 0 || quantity < 0 || unit <= 0 || fee > kMaxAmount || fee < -kMaxAmount) {
    return false;
  }
  return static_cast<Wide>(price) * quantity / unit <= kMaxAmount && quantity <= kMaxAmount &&
         price <= kMaxAmount;
}

// What an order needs locked to open (see the rules above).
std::int64_t lock_needed(Side side, OrderType type, std::int64_t price, std::int64_t quantity,
                         std::int64_t unit) noexcept;

// The exact per-order notional step: adds price x quantity and returns how much the rounded
// cumulative figure moved.
std::int64_t settle_notional(OrderMoney& m, std::int64_t price, std::int64_t quantity,
                             std::int64_t unit) noexcept;

class Ledger {
 public:
  Ledger(std::uint32_t accounts, std::uint32_t assets);

  bool valid(AccountId a, AssetId s) const noexcept {
    return index_of(a) < accounts_ && index_of(s) < assets_;
  }
  // Precondition: valid(a, s).
  Balance& at(AccountId a, AssetId s) noexcept {
    return balances_[static_cast<std::size_t>(index_of(a)) * assets_ + index_of(s)];
  }
  const Balance& at(AccountId a, AssetId s) const noexcept {
    return balances_[static_cast<std::size_t>(index_of(a)) * assets_ + index_of(s)];
  }

  struct Leg {
    AccountId account;
    AssetId base;
    AssetId quote;
    Side side;
    OrderType type;
    std::int64_t limit_price;
    std::int64_t unit;
  };
  // Locks lock_needed(..) and records it in `m` (free may go negative: the venue decides).
  void open(const Leg& leg, std::int64_t quantity, OrderMoney& m) noexcept;
  // One fill; `filled_after` is the order's cumulative filled quantity including it.
  void fill(const Leg& leg, std::int64_t price, std::int64_t quantity, std::int64_t fee,
            std::int64_t filled_after, OrderMoney& m) noexcept;
  void close(const Leg& leg, OrderMoney& m) noexcept;

  // Takes `old`'s balances, each at its account and asset (a snapshot restored into other
  // table sizes): false when a non-zero one has no place here.
  bool adopt(const Ledger& old) {
    return state_io::copy_grid(std::span<const Balance>(old.balances_), old.assets_,
                               std::span<Balance>(balances_), assets_,
                               [](const Balance& b) { return b.free == 0 && b.locked == 0; });
  }

  template <class V>
  void fields(V& v) {
    for (Balance& b : balances_)
      b.fields(v);
  }

 private:
  std::uint32_t accounts_;
  std::uint32_t assets_;
  std::vector<Balance> balances_;
};

}  // namespace be::oms
