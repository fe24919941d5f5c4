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
      InstrumentDefined p;
      p.instrument = InstrumentId{static_cast<std::uint32_t>(seq)};
      p.venue = VenueId{3};
      std::snprintf(p.symbol.data(), p.symbol.size(), "SYM%llu",
                    static_cast<unsigned long long>(seq));
      p.tick_size = i64(1);
      p.step_size = i64(2);
      p.min_notional = i64(3);
      e = Event::make(p, t, t + 5, 3);
      break;
    }
    case 1: {
      Trade p;
      p.instrument = InstrumentId{7};
      p.aggressor = Side::kSell;
      p.price = i64(1);
      p.quantity = i64(2);
      p.trade_id = r;
      e = Event::make(p, t, t + 5, 1);
      break;
    }
    case 2: {
      Quote p;
      p.instrument = InstrumentId{7};
      p.bid_price = i64(1);
      p.bid_quantity = i64(2);
      p.ask_price = i64(3);
      p.ask_quantity = i64(4);
      p.update_id = r;
      e = Event::make(p, t, t + 5, 1);
      break;
    }
    case 3: {
      Bar p;
      p.instrument = InstrumentId{7};
      p.interval_seconds = 60;
      p.open_time = t;
      p.open = i64(1);
      p.high = i64(2);
      p.low = i64(3);
      p.close = i64(4);
      p.volume = i64(5);
      p.trade_count = static_cast<std::uint32_t>(r);
      p.closed = 1;
      e = Event::make(p, t, t + 5, 1);
      break;
    }
    case 4: {
      BookDelta p;
      p.instrument = InstrumentId{7};
      p.side = Side::kBuy;
      p.flags = BookDelta::kEndOfUpdate;
      p.price = i64(1);
      p.quantity = i64(2);
      p.first_update_id = r;
      p.last_update_id = r + 1;
      e = Event::make(p, t, t + 5, 1);
      break;
    }
    case 5: {
      Connectivity p;
      p.venue = VenueId{1};
      p.state = ConnectivityState::kGap;
      p.expected_sequence = r;
      p.received_sequence = r + 9;
      e = Event::make(p, t, t + 5, 1);
      break;
    }
    case 6: {
      Timer p;
      p.owner = BotId{static_cast<std::uint32_t>(r)};
      p.timer_id = 12;
      p.deadline = t + 1000;
      e = Event::make(p, t, t);
      break;
    }
    case 7: {
      OperatorCommand p;
      p.kind = OperatorCommandKind::kCreateBot;
      p.bot = BotId{4};
      p.user_id = 99;
      p.blob_id = seq - 1;
      e = Event::make(p, t, t + 5);
      e.header.flags = kFlagDerived;
      break;
    }
    default: {
      BlobRef p;
      p.blob_id = seq;
      p.kind = 2;
      p.size = big_blob ? BlobRef::kMaxSize : static_cast<std::uint32_t>(seq % 700);
      p.data = blob_pool() + (big_blob ? 0 : r % 4096);
      e = Event::make(p, t, t + 5);
      break;
    }
  }
  e.header.sequence = seq;
  return e;
}

}  // namespace be::journal::test
