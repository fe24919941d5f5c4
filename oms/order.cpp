#include "oms/order.hpp"

#include <array>
#include <charconv>

#include "core/names.hpp"

namespace be::oms {

namespace {

// Every state and, last, the transition table's pseudo-state kResumeOpen (numbered
// kOrderStateCount, past the states an order can hold).
constexpr std::array<Named<OrderState>, kOrderStateCount + 1> kOrderStateNames{{
    {OrderState::kPendingNew, "pending_new"},
    {OrderState::kNew, "new"},
    {OrderState::kPartiallyFilled, "partially_filled"},
    {OrderState::kFilled, "filled"},
    {OrderState::kPendingCancel, "pending_cancel"},
    {OrderState::kCanceled, "canceled"},
    {OrderState::kRejected, "rejected"},
    {OrderState::kExpired, "expired"},
    {OrderState::kUnknown, "unknown"},
    {OrderState::kResumeOpen, "resume_open"},
}};
static_assert(names_every_code(kOrderStateNames, kOrderStateCount + 1),
              "a new OrderState needs its name here");

constexpr std::array<Named<Outcome>, kOutcomeCount> kOutcomeNames{{
    {Outcome::kApplied, "applied"},
    {Outcome::kDuplicate, "duplicate"},
    {Outcome::kIllegal, "illegal"},
}};
static_assert(names_every_code(kOutcomeNames, kOutcomeCount), "a new Outcome needs its name here");

}  // namespace

std::string_view to_string(OrderState s) noexcept {
  return name_of(kOrderStateNames, s, "invalid");
}

std::string_view to_string(Outcome o) noexcept {
  return name_of(kOutcomeNames, o, "invalid");
}

std::size_t format_client_order_id(ClientOrderId id, std::span<char> out) noexcept {
  char* p = out.data();
  char* end = out.data() + out.size();
  if (out.size() < kClientOrderIdMaxChars) return 0;
  *p++ = 'b';
  *p++ = 'e';
  p = std::to_chars(p, end, index_of(id.bot)).ptr;
  *p++ = 'x';
  p = std::to_chars(p, end, id.sequence).ptr;
  return static_cast<std::size_t>(p - out.data());
}

std::optional<ClientOrderId> parse_client_order_id(std::string_view text) noexcept {
  if (text.size() < 5 || text.size() > kClientOrderIdMaxChars || text.substr(0, 2) != "be") {
    return std::nullopt;
  }
  const char* p = text.data() + 2;
  const char* end = text.data() + text.size();
  std::uint32_t bot = 0;
  auto [after_bot, bot_error] = std::from_chars(p, end, bot);
  if (bot_error != std::errc{} || after_bot == p || after_bot == end || *after_bot != 'x') {
    return std::nullopt;
  }
  std::uint64_t sequence = 0;
  auto [after_seq, seq_error] = std::from_chars(after_bot + 1, end, sequence);
  if (seq_error != std::errc{} || after_seq != end || after_seq == after_bot + 1) {
    return std::nullopt;
  }
  // Only the canonical spelling round-trips: no leading zeros.
  if ((after_bot - p > 1 && *p == '0') || (after_seq - after_bot > 2 && after_bot[1] == '0')) {
    return std::nullopt;
  }
  return ClientOrderId{BotId{bot}, sequence};
}

namespace {
ApplyResult commit(Order& order, OrderState from, Transition t) noexcept {
  switch (t.outcome) {
    case Outcome::kApplied:
      order.state = resolve(t.next, order.filled_quantity);
      break;
    case Outcome::kDuplicate:
      ++order.duplicate_events;
      break;
    case Outcome::kIllegal:
      ++order.illegal_events;
      break;
  }
  return {t.outcome, from, order.state};
}
}  // namespace

ApplyResult apply(Order& order, OrderEvent event) noexcept {
  const OrderState from = order.state;
  if (event == OrderEvent::kPartialFill || event == OrderEvent::kFill) {
    ++order.illegal_events;  // a fill without a quantity: the caller must use apply_fill
    return {Outcome::kIllegal, from, from};
  }
  return commit(order, from, transition(from, event));
}

ApplyResult apply_fill(Order& order, std::int64_t quantity) noexcept {
  const OrderState from = order.state;
  if (quantity <= 0 || quantity > order.remaining()) {
    ++order.illegal_events;
    return {Outcome::kIllegal, from, from};
  }
  const OrderEvent event =
      quantity == order.remaining() ? OrderEvent::kFill : OrderEvent::kPartialFill;
  const Transition t = transition(from, event);
  if (t.outcome == Outcome::kApplied) order.filled_quantity += quantity;
  return commit(order, from, t);
}

}  // namespace be::oms
