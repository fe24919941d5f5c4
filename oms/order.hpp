// An order's own record and the only way its state changes: through the transition table.
//
// Client order ids are deterministic, built from the bot and the sequence number of the
// input that caused the order, so a replay produces the same ids and a resend after a crash
// is recognised by the venue as the same order (idempotent), never a second one.
//
// Thread-safety: none; owned by the order manager stage. Allocation: none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core/ids.hpp"
#include "core/order_intent.hpp"
#include "oms/order_state_machine.hpp"

namespace be::oms {

struct ClientOrderId {
  BotId bot = kNoBot;
  SequenceNumber sequence = 0;
  friend constexpr bool operator==(const ClientOrderId&, const ClientOrderId&) = default;
};

// "be<bot>x<sequence>", decimal: at most 2 + 10 + 1 + 20 = 33 characters, inside Binance's
// newClientOrderId alphabet and 36-character limit.
inline constexpr std::size_t kClientOrderIdMaxChars = 33;
std::size_t format_client_order_id(ClientOrderId id, std::span<char> out) noexcept;
// nullopt for anything format_client_order_id cannot have produced (another client's order).
std::optional<ClientOrderId> parse_client_order_id(std::string_view text) noexcept;

struct Order {
  ClientOrderId client_id;
  InstrumentId instrument{};
  Side side = Side::kNone;
  OrderType type = OrderType::kLimit;
  std::int64_t price = 0;     // limit price at the instrument's price scale; 0 for market
  std::int64_t quantity = 0;  // at qty scale
  OrderState state = OrderState::kPendingNew;
  std::int64_t filled_quantity = 0;
  std::uint32_t duplicate_events = 0;
  std::uint32_t illegal_events = 0;

  std::int64_t remaining() const noexcept { return quantity - filled_quantity; }
};

struct ApplyResult {
  Outcome outcome;
  OrderState from;
  OrderState to;
};

// Applies a non-fill event. Fill events go through apply_fill, which knows the quantity.
ApplyResult apply(Order& order, OrderEvent event) noexcept;

// Applies a fill of `quantity`: a partial fill or the completing fill depending on what
// remains. A non-positive quantity or one larger than what remains is illegal and changes
// nothing (the venue and we disagree: reconciliation, not guessing, settles it).
ApplyResult apply_fill(Order& order, std::int64_t quantity) noexcept;

}  // namespace be::oms
