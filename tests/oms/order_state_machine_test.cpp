#include "oms/order_state_machine.hpp"

#include <gtest/gtest.h>

#include <array>

#include "oms/order.hpp"

namespace be::oms {
namespace {

constexpr std::array kStates = {
    OrderState::kPendingNew, OrderState::kNew,           OrderState::kPartiallyFilled,
    OrderState::kFilled,     OrderState::kPendingCancel, OrderState::kCanceled,
    OrderState::kRejected,   OrderState::kExpired,       OrderState::kUnknown};

constexpr auto all_events() {
  std::array<OrderEvent, kOrderEventCount> events{};
  for (std::size_t i = 0; i < kOrderEventCount; ++i)
    events[i] = static_cast<OrderEvent>(i);
  return events;
}

// OrderUpdate.event is journaled: core/codes.hpp owns its numbering (oms/ only names the
// enumerators); this pins it, so an edit there that renumbers fails the build here.
static_assert(static_cast<int>(OrderEvent::kAccepted) == 0 &&
                  static_cast<int>(OrderEvent::kPartialFill) == 1 &&
                  static_cast<int>(OrderEvent::kFill) == 2 &&
                  static_cast<int>(OrderEvent::kRejected) == 3 &&
                  static_cast<int>(OrderEvent::kCancelRequested) == 4 &&
                  static_cast<int>(OrderEvent::kCanceled) == 5 &&
                  static_cast<int>(OrderEvent::kCancelRejected) == 6 &&
                  static_cast<int>(OrderEvent::kExpired) == 7 &&
                  static_cast<int>(OrderEvent::kConnectionLost) == 8 &&
                  static_cast<int>(OrderEvent::kReconciledNew) == 9 &&
                  static_cast<int>(OrderEvent::kReconciledPartial) == 10 &&
                  static_cast<int>(OrderEvent::kReconciledFilled) == 11 &&
                  static_cast<int>(OrderEvent::kReconciledCanceled) == 12 &&
                  static_cast<int>(OrderEvent::kReconciledExpired) == 13 &&
                  static_cast<int>(OrderEvent::kReconciledNotFound) == 14 && kOrderEventCount == 15,
              "OrderUpdate::event numbering is journaled: never renumber");

// Table-wide laws, checked at compile time: they fail the build, not just a test.
constexpr bool terminal_states_never_reopen() {
  for (OrderState s : kStates) {
    if (!is_terminal(s)) continue;
    for (OrderEvent e : all_events()) {
      if (transition(s, e).next != s) return false;
    }
  }
  return true;
}
static_assert(terminal_states_never_reopen());

constexpr bool refused_events_keep_the_state() {
  for (OrderState s : kStates) {
    for (OrderEvent e : all_events()) {
      const Transition t = transition(s, e);
      if (t.outcome != Outcome::kApplied && t.next != s) return false;
    }
  }
  return true;
}
static_assert(refused_events_keep_the_state());

constexpr bool open_orders_become_unknown_when_the_connection_is_lost() {
  for (OrderState s : kStates) {
    const Transition t = transition(s, OrderEvent::kConnectionLost);
    const bool settled = is_terminal(s) || s == OrderState::kUnknown;
    if (settled != (t.outcome == Outcome::kDuplicate)) return false;
    if (!settled && t.next != OrderState::kUnknown) return false;
  }
  return true;
}
static_assert(open_orders_become_unknown_when_the_connection_is_lost());

// Reconciliation resolves an unknown order to a real state for every report.
constexpr bool reconciliation_resolves_unknown() {
  for (OrderEvent e : {OrderEvent::kReconciledNew, OrderEvent::kReconciledPartial,
                       OrderEvent::kReconciledFilled, OrderEvent::kReconciledCanceled,
                       OrderEvent::kReconciledExpired, OrderEvent::kReconciledNotFound}) {
    const Transition t = transition(OrderState::kUnknown, e);
    if (t.outcome != Outcome::kApplied || t.next == OrderState::kUnknown) return false;
  }
  return true;
}
static_assert(reconciliation_resolves_unknown());

Order limit_buy(std::int64_t quantity) {
  Order o;
  o.client_id = {BotId{3}, 42};
  o.instrument = InstrumentId{1};
  o.side = Side::kBuy;
  o.price = 100;
  o.quantity = quantity;
  return o;
}

TEST(OrderStateMachine, shouldWalkTheHappyPathToFilled) {
  Order o = limit_buy(10);
  EXPECT_EQ(apply(o, OrderEvent::kAccepted).to, OrderState::kNew);
  EXPECT_EQ(apply_fill(o, 4).to, OrderState::kPartiallyFilled);
  EXPECT_EQ(o.filled_quantity, 4);
  EXPECT_EQ(apply_fill(o, 6).to, OrderState::kFilled);
  EXPECT_EQ(o.remaining(), 0);
  EXPECT_EQ(o.illegal_events, 0u);
}

TEST(OrderStateMachine, shouldCountAndNotApplyAnIllegalTransition) {
  Order o = limit_buy(10);
  apply(o, OrderEvent::kAccepted);
  const ApplyResult r = apply(o, OrderEvent::kRejected);  // reject after ack
  EXPECT_EQ(r.outcome, Outcome::kIllegal);
  EXPECT_EQ(o.state, OrderState::kNew);
  EXPECT_EQ(o.illegal_events, 1u);
}

TEST(OrderStateMachine, shouldRefuseOverfillAndNonPositiveFills) {
  Order o = limit_buy(10);
  apply(o, OrderEvent::kAccepted);
  EXPECT_EQ(apply_fill(o, 11).outcome, Outcome::kIllegal);
  EXPECT_EQ(apply_fill(o, 0).outcome, Outcome::kIllegal);
  EXPECT_EQ(apply_fill(o, -1).outcome, Outcome::kIllegal);
  EXPECT_EQ(apply(o, OrderEvent::kFill).outcome, Outcome::kIllegal) << "fills need a quantity";
  EXPECT_EQ(o.filled_quantity, 0);
  EXPECT_EQ(o.state, OrderState::kNew);
  EXPECT_EQ(o.illegal_events, 4u);
}

TEST(OrderStateMachine, shouldReturnToTheRightOpenStateWhenACancelIsRefused) {
  Order untouched = limit_buy(10);
  apply(untouched, OrderEvent::kAccepted);
  apply(untouched, OrderEvent::kCancelRequested);
  EXPECT_EQ(apply(untouched, OrderEvent::kCancelRejected).to, OrderState::kNew);

  Order partly = limit_buy(10);
  apply(partly, OrderEvent::kAccepted);
  apply(partly, OrderEvent::kCancelRequested);
  EXPECT_EQ(apply_fill(partly, 3).to, OrderState::kPendingCancel) << "fills go on until it lands";
  EXPECT_EQ(apply(partly, OrderEvent::kCancelRejected).to, OrderState::kPartiallyFilled);
}

TEST(OrderStateMachine, shouldTreatACancelRacingTheFinalFillAsHarmless) {
  Order o = limit_buy(10);
  apply(o, OrderEvent::kAccepted);
  apply(o, OrderEvent::kCancelRequested);
  EXPECT_EQ(apply_fill(o, 10).to, OrderState::kFilled);
  const ApplyResult r = apply(o, OrderEvent::kCancelRejected);
  EXPECT_EQ(r.outcome, Outcome::kDuplicate);
  EXPECT_EQ(o.state, OrderState::kFilled);
  EXPECT_EQ(o.duplicate_events, 1u);
  EXPECT_EQ(o.illegal_events, 0u);
}

TEST(OrderStateMachine, shouldApplyAFillReportedAfterTheCancel) {
  Order o = limit_buy(10);
  apply(o, OrderEvent::kAccepted);
  apply(o, OrderEvent::kCancelRequested);
  apply(o, OrderEvent::kCanceled);
  EXPECT_EQ(apply_fill(o, 2).outcome, Outcome::kApplied);
  EXPECT_EQ(o.state, OrderState::kCanceled);
  EXPECT_EQ(o.filled_quantity, 2);
}

TEST(OrderStateMachine, shouldMakeInFlightOrdersUnknownAndResolveThemByReconciliation) {
  Order in_flight = limit_buy(10);
  EXPECT_EQ(apply(in_flight, OrderEvent::kConnectionLost).to, OrderState::kUnknown);
  EXPECT_EQ(apply(in_flight, OrderEvent::kCancelRequested).outcome, Outcome::kIllegal)
      << "nothing is cancelled before reconciliation says what exists";
  EXPECT_EQ(apply(in_flight, OrderEvent::kReconciledNotFound).to, OrderState::kRejected);

  Order acked = limit_buy(10);
  apply(acked, OrderEvent::kAccepted);
  apply(acked, OrderEvent::kConnectionLost);
  EXPECT_EQ(apply(acked, OrderEvent::kReconciledNew).to, OrderState::kNew);

  Order missed_ack = limit_buy(10);
  apply(missed_ack, OrderEvent::kConnectionLost);
  EXPECT_EQ(apply(missed_ack, OrderEvent::kAccepted).to, OrderState::kNew);
}

TEST(OrderStateMachine, shouldNameEveryStateEventAndOutcome) {
  for (OrderState s : kStates)
    EXPECT_NE(to_string(s), "invalid");
  for (OrderEvent e : all_events())
    EXPECT_NE(to_string(e), "invalid");
  EXPECT_EQ(to_string(Outcome::kIllegal), "illegal");
}

TEST(ClientOrderId, shouldBeDeterministicAndRoundTrip) {
  char buf[kClientOrderIdMaxChars];
  const ClientOrderId id{BotId{4294967294u}, 18446744073709551615ull};
  const std::size_t n = format_client_order_id(id, buf);
  const std::string_view text(buf, n);
  EXPECT_EQ(text, "be4294967294x18446744073709551615");
  EXPECT_LE(text.size(), 36u) << "Binance newClientOrderId limit";
  EXPECT_EQ(parse_client_order_id(text), id);
  const std::size_t small = format_client_order_id({BotId{7}, 1001}, buf);
  EXPECT_EQ(std::string_view(buf, small), "be7x1001");
}

TEST(ClientOrderId, shouldRefuseIdsItCannotHaveMade) {
  for (std::string_view bad :
       {"", "be", "be7x", "bex1", "be7-1", "xx7x1", "be7x1z", "be07x1", "be7x01", "be99999999999x1",
        "be7x99999999999999999999", "web_abc123"}) {
    EXPECT_FALSE(parse_client_order_id(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace be::oms
