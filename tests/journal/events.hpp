// Deterministic events of every payload type, recomputable from their sequence alone, so a
// reader (test or benchmark) can check what it finds. No test framework dependency.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>

#include "core/event.hpp"

namespace be::journal::test {

inline std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// Immortal pseudo-random bytes that blob events point into (a blob's bytes must outlive
// the writer's commit; these outlive everything).
inline const std::byte* blob_pool() {
  static const auto* pool = [] {
    auto* p = new std::array<std::byte, BlobRef::kMaxSize + 4096>();
    for (std::size_t i = 0; i < p->size(); ++i) {
      (*p)[i] = static_cast<std::byte>(mix(i) & 0xFF);
    }
    return p;
  }();
  return pool->data();
}

inline constexpr int kTypeCount = 9;

// The event with sequence `seq`; its type cycles through every payload type. Every 9th is a
// blob of (seq % 700) bytes, so sizes 0.. appear; `big_blob` makes blobs the maximum size.
inline Event make_event(SequenceNumber seq, bool big_blob = false) {
  const std::uint64_t r = mix(seq);
  const auto i64 = [&](int k) {
    return static_cast<std::int64_t>(mix(r + static_cast<std::uint64_t>(k)) >> 1);
  };
  const Nanos t = static_cast<Nanos>(1'700'000'000'000'000'000LL + seq * 1000);
  Event e;
  switch (seq % kTypeCount) {
    case 0: {
      InstrumentDefined p{.instrument = InstrumentId{static_cast<std::uint32_t>(seq)},
                          .venue = VenueId{3},
                          .tick_size = i64(1),
                          .step_size = i64(2),
                          .min_notional = i64(3)};
      std::snprintf(p.symbol.data(), p.symbol.size(), "SYM%llu",
                    static_cast<unsigned long long>(seq));
      e = Event::make(p, t, t + 5, 3);
      break;
    }
    case 1:
      e = Event::make(Trade{.instrument = InstrumentId{7},
                            .aggressor = Side::kSell,
                            .price = i64(1),
                            .quantity = i64(2),
                            .trade_id = r},
                      t, t + 5, 1);
      break;
    case 2:
      e = Event::make(Quote{.instrument = InstrumentId{7},
                            .bid_price = i64(1),
                            .bid_quantity = i64(2),
                            .ask_price = i64(3),
                            .ask_quantity = i64(4),
                            .update_id = r},
                      t, t + 5, 1);
      break;
    case 3:
      e = Event::make(Bar{.instrument = InstrumentId{7},
                          .interval_seconds = 60,
                          .open_time = t,
                          .open = i64(1),
                          .high = i64(2),
                          .low = i64(3),
                          .close = i64(4),
                          .volume = i64(5),
                          .trade_count = static_cast<std::uint32_t>(r),
                          .closed = 1},
                      t, t + 5, 1);
      break;
    case 4:
      e = Event::make(BookDelta{.instrument = InstrumentId{7},
                                .side = Side::kBuy,
                                .flags = BookDelta::kEndOfUpdate,
                                .price = i64(1),
                                .quantity = i64(2),
                                .first_update_id = r,
                                .last_update_id = r + 1},
                      t, t + 5, 1);
      break;
    case 5:
      e = Event::make(Connectivity{.venue = VenueId{1},
                                   .state = ConnectivityState::kGap,
                                   .expected_sequence = r,
                                   .received_sequence = r + 9},
                      t, t + 5, 1);
      break;
    case 6:
      e = Event::make(
          Timer{
              .owner = BotId{static_cast<std::uint32_t>(r)}, .timer_id = 12, .deadline = t + 1000},
          t, t);
      break;
    case 7:
      e = Event::make(OperatorCommand{.kind = OperatorCommandKind::kCreateBot,
                                      .bot = BotId{4},
                                      .user_id = 99,
                                      .blob_id = seq - 1},
                      t, t + 5);
      e.header.flags = kFlagDerived;
      break;
    default:
      e = Event::make(
          BlobRef{.blob_id = seq,
                  .size = big_blob ? BlobRef::kMaxSize : static_cast<std::uint32_t>(seq % 700),
                  .kind = 2,
                  .data = blob_pool() + (big_blob ? 0 : r % 4096)},
          t, t + 5);
      break;
  }
  e.header.sequence = seq;
  return e;
}

}  // namespace be::journal::test
