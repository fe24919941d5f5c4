#pragma once
// A venue's answers queued as input events, for a caller that applies them to a fold right
// after the input that caused them (the engine's feedback ring does the same, a batch later).
// Shared by the journal replayer's test and the recovery bench, which both build journals
// the way the engine writes them.

#include <deque>

#include "core/event.hpp"
#include "oms/venue.hpp"

namespace be::test {

class QueuedAnswers final : public oms::VenueResponses {
 public:
  // `with_connectivity`: also queue the venue's Connectivity reports as inputs.
  explicit QueuedAnswers(bool with_connectivity) : with_connectivity_(with_connectivity) {}

  void respond(const OrderUpdate& u, Nanos t, Nanos r) noexcept override {
    queue.push_back(Event::make(u, t, r != 0 ? r : t));
  }
  void respond(const BalanceUpdate& b, Nanos t, Nanos r) noexcept override {
    queue.push_back(Event::make(b, t, r != 0 ? r : t));
  }
  void connectivity(VenueId v, ConnectivityState s, Nanos t) noexcept override {
    if (with_connectivity_)
      queue.push_back(Event::make(Connectivity{.venue = v, .state = s}, t, t));
  }

  std::deque<Event> queue;  // oldest first

 private:
  bool with_connectivity_;
};

}  // namespace be::test
