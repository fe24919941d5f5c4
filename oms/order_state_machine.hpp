// The order state machine as one exhaustive (state, event) table (STYLE.md 5).
//
// Every cell says where an order goes, and whether the event was applied, was a harmless
// duplicate (a late ack, a second cancel reject: venues and reconnects deliver these), or is
// illegal. An illegal transition is counted and reported by the caller and never applied:
// the order keeps its state. Unusual edges carry a comment in the table.
//
// kResumeOpen is not a state: it means "open again", i.e. kNew when nothing has filled and
// kPartiallyFilled otherwise (a cancel that the venue refused, an order reconciliation found
// still open). The caller resolves it with the order's filled quantity.
//
// Thread-safety: constexpr data and pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/codes.hpp"

namespace be::oms {

enum class OrderState : std::uint8_t {
  kPendingNew = 0,  // sent (or about to be), no answer yet
  kNew,             // acknowledged by the venue, nothing filled
  kPartiallyFilled,
  kFilled,         // terminal
  kPendingCancel,  // cancel sent, no answer yet
  kCanceled,       // terminal
  kRejected,       // terminal
  kExpired,        // terminal (IOC/FOK remainder, GTD)
  kUnknown,        // in flight at a crash or disconnect; reconciliation resolves it
  kResumeOpen,     // pseudo-state in the table only: kNew or kPartiallyFilled by fills
};
inline constexpr std::size_t kOrderStateCount = 9;

// OrderEvent (what happened to an order) is journaled in OrderUpdate.event: its numbering is
// core/codes.hpp's, shared with the strategy and risk stages that read it.
using be::kOrderEventCount;
using be::OrderEvent;
using be::to_string;

enum class Outcome : std::uint8_t {
  kApplied = 0,
  kDuplicate,  // valid and harmless, the state does not change; counted for visibility
  kIllegal,    // never applied; counted and reported
};
inline constexpr std::size_t kOutcomeCount = 3;

struct Transition {
  OrderState next;
  Outcome outcome;
};

constexpr bool is_terminal(OrderState s) noexcept {
  return s == OrderState::kFilled || s == OrderState::kCanceled || s == OrderState::kRejected ||
         s == OrderState::kExpired;
}

constexpr bool is_open(OrderState s) noexcept {
  return s == OrderState::kNew || s == OrderState::kPartiallyFilled ||
         s == OrderState::kPendingCancel;
}

std::string_view to_string(OrderState s) noexcept;
std::string_view to_string(Outcome o) noexcept;

namespace detail {
using S = OrderState;
constexpr Transition A(S next) {
  return {next, Outcome::kApplied};
}
constexpr Transition D(S same) {
  return {same, Outcome::kDuplicate};
}
constexpr Transition X(S same) {
  return {same, Outcome::kIllegal};
}

// clang-format off
// Columns, in OrderEvent order:
//  Accepted PartialFill Fill Rejected CancelRequested Canceled CancelRejected Expired
//  ConnectionLost RecNew RecPartial RecFilled RecCanceled RecExpired RecNotFound
inline constexpr std::array<std::array<Transition, kOrderEventCount>, kOrderStateCount> kTable = {{
  /* PendingNew */ {{
    A(S::kNew),
    A(S::kPartiallyFilled),  // a fill may overtake its ack (separate venue channels)
    A(S::kFilled), A(S::kRejected),
    A(S::kPendingCancel),    // cancel before the ack: venues accept it by client id
    A(S::kCanceled),
    X(S::kPendingNew),       // no cancel was requested
    A(S::kExpired), A(S::kUnknown),
    A(S::kNew), A(S::kPartiallyFilled), A(S::kFilled), A(S::kCanceled), A(S::kExpired),
    A(S::kRejected),         // never reached the venue: rejected, and never resent by itself
  }},
  /* New */ {{
    D(S::kNew),              // duplicate ack after a reconnect
    A(S::kPartiallyFilled), A(S::kFilled),
    X(S::kNew),              // a reject after an ack is a venue contract breach
    A(S::kPendingCancel),
    A(S::kCanceled),         // unsolicited: venue-side cancel (self-trade prevention, admin)
    X(S::kNew), A(S::kExpired), A(S::kUnknown),
    D(S::kNew), A(S::kPartiallyFilled), A(S::kFilled), A(S::kCanceled), A(S::kExpired),
    X(S::kNew),              // an acknowledged order cannot vanish: an operator must look
  }},
  /* PartiallyFilled */ {{
    D(S::kPartiallyFilled),  // a late ack
    A(S::kPartiallyFilled), A(S::kFilled),
    X(S::kPartiallyFilled), A(S::kPendingCancel), A(S::kCanceled),
    X(S::kPartiallyFilled), A(S::kExpired), A(S::kUnknown),
    X(S::kPartiallyFilled),  // the venue says nothing filled, but we saw fills
    A(S::kPartiallyFilled), A(S::kFilled), A(S::kCanceled), A(S::kExpired),
    X(S::kPartiallyFilled),
  }},
  /* Filled */ {{
    D(S::kFilled),
    X(S::kFilled), X(S::kFilled), X(S::kFilled),
    X(S::kFilled),           // nothing to cancel: refused locally, never sent
    X(S::kFilled),
    D(S::kFilled),           // our cancel raced the final fill and lost: normal
    X(S::kFilled),
    D(S::kFilled),           // terminal: a disconnect changes nothing
    X(S::kFilled), X(S::kFilled), D(S::kFilled), X(S::kFilled), X(S::kFilled), X(S::kFilled),
  }},
  /* PendingCancel */ {{
    A(S::kPendingCancel),    // the ack of the order itself, arriving after our cancel
    A(S::kPendingCancel),    // fills continue until the cancel lands
    A(S::kFilled), A(S::kRejected),
    D(S::kPendingCancel),    // a second cancel request is not sent again
    A(S::kCanceled),
    A(S::kResumeOpen),       // cancel refused: the order is open again
    A(S::kExpired), A(S::kUnknown),
    A(S::kResumeOpen), A(S::kPartiallyFilled), A(S::kFilled), A(S::kCanceled), A(S::kExpired),
    A(S::kCanceled),         // gone at the venue, which is what we asked for
  }},
  /* Canceled */ {{
    D(S::kCanceled),
    A(S::kCanceled),         // a fill that executed before the cancel, reported after it
    X(S::kCanceled), X(S::kCanceled), X(S::kCanceled),
    D(S::kCanceled), D(S::kCanceled), X(S::kCanceled), D(S::kCanceled),
    X(S::kCanceled), X(S::kCanceled), X(S::kCanceled), D(S::kCanceled), X(S::kCanceled),
    D(S::kCanceled),         // venues forget canceled orders
  }},
  /* Rejected */ {{
    X(S::kRejected), X(S::kRejected), X(S::kRejected), D(S::kRejected), X(S::kRejected),
    X(S::kRejected), X(S::kRejected), X(S::kRejected), D(S::kRejected),
    X(S::kRejected), X(S::kRejected), X(S::kRejected), X(S::kRejected), X(S::kRejected),
    D(S::kRejected),
  }},
  /* Expired */ {{
    D(S::kExpired),
    A(S::kExpired),          // like Canceled: a fill reported after the expiry
    X(S::kExpired), X(S::kExpired), X(S::kExpired), X(S::kExpired),
    D(S::kExpired),          // our cancel raced the expiry
    D(S::kExpired), D(S::kExpired),
    X(S::kExpired), X(S::kExpired), X(S::kExpired), X(S::kExpired), D(S::kExpired),
    D(S::kExpired),
  }},
  /* Unknown */ {{
    A(S::kResumeOpen),       // the ack we missed
    A(S::kPartiallyFilled), A(S::kFilled), A(S::kRejected),
    X(S::kUnknown),          // reconcile before cancelling: we do not know what to cancel
    A(S::kCanceled),
    D(S::kUnknown),          // a reply to a cancel sent before the outage
    A(S::kExpired), D(S::kUnknown),
    A(S::kNew), A(S::kPartiallyFilled), A(S::kFilled), A(S::kCanceled), A(S::kExpired),
    A(S::kRejected),         // never reached the venue; never resent by itself
  }},
}};
// clang-format on
}  // namespace detail

// The table's answer. Precondition: `from` is a real state (not kResumeOpen).
constexpr Transition transition(OrderState from, OrderEvent event) noexcept {
  return detail::kTable[static_cast<std::size_t>(from)][static_cast<std::size_t>(event)];
}

// Resolves kResumeOpen with the order's filled quantity.
constexpr OrderState resolve(OrderState next, std::int64_t filled_quantity) noexcept {
  if (next != OrderState::kResumeOpen) return next;
  return filled_quantity == 0 ? OrderState::kNew : OrderState::kPartiallyFilled;
}

}  // namespace be::oms
