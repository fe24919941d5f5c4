// Shared test scaffolding for tests/oms: instrument definitions at awkward scales and a sink
// that records every venue response (pre-reserved so the zero-allocation test can use it).
#pragma once

#include <cstdint>
#include <vector>

#include "core/event.hpp"
#include "oms/venue.hpp"
#include "tests/support/payload_fields.hpp"

namespace be::oms::test {

// Prices with 2 decimals, quantities with 3: products need rounding, which the tests want.
inline InstrumentDefined instrument(std::uint32_t id, std::uint8_t price_scale = 2,
                                    std::uint8_t qty_scale = 3) {
  return {.instrument = InstrumentId{id},
          .price_scale = price_scale,
          .qty_scale = qty_scale,
          .symbol = be::test::symbol_field("BTCUSDT")};
}

inline constexpr AssetId kBase{0};
inline constexpr AssetId kQuote{1};

struct Response {
  bool is_order = true;
  OrderUpdate order{};
  BalanceUpdate balance{};
  Nanos event_time = 0;
};

class RecordingSink final : public VenueResponses {
 public:
  RecordingSink() { responses.reserve(1 << 16); }
  void respond(const OrderUpdate& u, Nanos event_time, Nanos) noexcept override {
    responses.push_back(Response{true, u, {}, event_time});
  }
  void respond(const BalanceUpdate& b, Nanos event_time, Nanos) noexcept override {
    responses.push_back(Response{false, {}, b, event_time});
  }
  void connectivity(VenueId, ConnectivityState, Nanos) noexcept override {}
  std::vector<Response> responses;
};

inline Event trade(std::uint32_t instrument, std::int64_t price, std::int64_t quantity, Nanos t) {
  Trade tr;
  tr.instrument = InstrumentId{instrument};
  tr.price = price;
  tr.quantity = quantity;
  return Event::make(tr, t, t);
}

inline Event quote(std::uint32_t instrument, std::int64_t bid, std::int64_t ask, Nanos t) {
  Quote q;
  q.instrument = InstrumentId{instrument};
  q.bid_price = bid;
  q.ask_price = ask;
  q.bid_quantity = 1000;
  q.ask_quantity = 1000;
  return Event::make(q, t, t);
}

}  // namespace be::oms::test
