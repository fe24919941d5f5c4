// Shared helpers for the journal tests: temporary directories, deterministic events of every
// payload type (so a reader can recompute what it should find), and bounded waits.
#pragma once

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/event.hpp"
#include "journal/reader.hpp"

namespace be::journal::test {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/be_journal_XXXXXX";
    char* made = ::mkdtemp(tmpl.data());
    if (made == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const char* name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

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

// Compares a decoded event with the one that was appended; blobs by their bytes.
inline ::testing::AssertionResult same_event(const Event& want, const Event& got) {
  const EventHeader& a = want.header;
  const EventHeader& b = got.header;
  if (a.type != b.type || a.version != b.version || a.flags != b.flags || a.source != b.source ||
      a.sequence != b.sequence || a.event_time != b.event_time ||
      a.receive_time != b.receive_time) {
    return ::testing::AssertionFailure() << "header differs at sequence " << a.sequence;
  }
  if (a.type == EventType::kBlob) {
    const BlobRef x = want.as<BlobRef>();
    const BlobRef y = got.as<BlobRef>();
    if (x.blob_id != y.blob_id || x.kind != y.kind || x.size != y.size ||
        (x.size > 0 && std::memcmp(x.data, y.data, x.size) != 0)) {
      return ::testing::AssertionFailure() << "blob differs at sequence " << a.sequence;
    }
    return ::testing::AssertionSuccess();
  }
  if (std::memcmp(want.payload.data(), got.payload.data(), kPayloadCapacity) != 0) {
    return ::testing::AssertionFailure() << "payload differs at sequence " << a.sequence;
  }
  return ::testing::AssertionSuccess();
}

// Spins (yielding) until pred() or the deadline; returns pred()'s last value. A bounded
// wait on an observable condition, not a sleep standing in for synchronisation.
template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds limit = std::chrono::milliseconds(20000)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return pred();
    sched_yield();
  }
  return true;
}

// Reads the whole journal and checks each record against make_event(). Returns the last
// sequence (0 when empty); records a test failure on any difference.
inline SequenceNumber check_journal(const std::string& dir, SequenceNumber first_expected = 1,
                                    bool big_blob = false) {
  auto reader = Reader::open(dir);
  EXPECT_TRUE(reader.has_value()) << (reader ? "" : reader.error().message);
  if (!reader) return 0;
  RecordView v;
  SequenceNumber expect = first_expected;
  ReadStatus st;
  while ((st = (*reader)->next(v)) == ReadStatus::kRecord) {
    EXPECT_EQ(v.sequence, expect);
    Event got;
    const Error e = decode(v, got);
    EXPECT_TRUE(e.ok()) << e.message;
    EXPECT_TRUE(same_event(make_event(v.sequence, big_blob), got));
    if (v.sequence != expect) return 0;
    ++expect;
  }
  EXPECT_EQ(st, ReadStatus::kEnd) << (*reader)->error().message;
  return expect - 1;
}

}  // namespace be::journal::test
