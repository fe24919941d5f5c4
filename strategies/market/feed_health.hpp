// Safe mode: whether an instrument's market data can be trusted enough to trade on, folded
// from the Connectivity inputs the feed handler journals (connected, disconnected, stale,
// recovered, gap). Because those are inputs, a replay reproduces every outage and every bot
// decision taken during it.
//
// An instrument is tradable only when its venue's connection is up and not stale, and
// neither the venue nor the instrument has a sequence gap still unrecovered. Before its
// venue's first kConnected an instrument is not tradable. A reconnect (kConnected) clears
// disconnected and stale, not gaps: the book must resync and the feed handler says so with
// kRecovered for the instrument (or the venue).
//
// Thread-safety: none; owned by the strategy stage. Allocation: only in the constructor.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/counters.hpp"
#include "core/event.hpp"
#include "core/names.hpp"

namespace be {

enum class SafeModeReason : std::uint8_t {
  kNone = 0,
  kUnknownInstrument,  // never defined: nothing is known about it
  kNotConnected,       // the venue never connected, or disconnected
  kStale,              // no message within the stale timeout
  kGap,                // a sequence gap not yet recovered by a resync
};

inline constexpr std::array<Named<SafeModeReason>, 5> kSafeModeReasonNames = {{
    {SafeModeReason::kNone, "none"},
    {SafeModeReason::kUnknownInstrument, "unknown_instrument"},
    {SafeModeReason::kNotConnected, "not_connected"},
    {SafeModeReason::kStale, "stale"},
    {SafeModeReason::kGap, "gap"},
}};
static_assert(names_every_code(kSafeModeReasonNames,
                               static_cast<std::size_t>(SafeModeReason::kGap) + 1));

constexpr std::string_view to_string(SafeModeReason r) noexcept {
  return name_of(kSafeModeReasonNames, r, "invalid");
}

// The feed health tracker's counters.
inline constexpr auto kFeedHealthCounters = counter_table({
    {"events", "Market and connectivity events the feed health tracker read."},
    {"disconnects", "Venue disconnects."},
    {"stale", "Times a venue or an instrument went stale."},
    {"gaps", "Sequence gaps in a venue's or an instrument's feed."},
    {"recoveries", "Times a stale or gapped venue or instrument recovered."},
    {"ignored", "Events for an unknown venue or instrument id."},
});
using FeedHealthStats = Counters<kFeedHealthCounters>;

class FeedHealth {
 public:
  FeedHealth(std::size_t max_instruments, std::size_t max_venues)
      : instruments_(max_instruments), venues_(max_venues) {}

  // From InstrumentDefined: ties the instrument to its venue. False if an id is out of range.
  bool define(InstrumentId instrument, VenueId venue) noexcept {
    const auto i = index_of(instrument);
    if (i >= instruments_.size() || index_of(venue) >= venues_.size()) return false;
    instruments_[i] = {true, venue, false, false, 0};
    return true;
  }

  void apply(const Connectivity& c, Nanos event_time) noexcept {
    ++stats_["events"];
    const auto v = index_of(c.venue);
    if (v >= venues_.size()) {
      ++stats_["ignored"];
      return;
    }
    if (c.instrument == kNoInstrument) {
      apply_to(venues_[v], c.state, event_time);
      if (c.state == ConnectivityState::kConnected) {
        // A fresh connection clears every instrument's staleness (not its gap). Rare, so a
        // scan is fine.
        for (Instrument& inst : instruments_) {
          if (inst.defined && inst.venue == c.venue) inst.stale = false;
        }
      }
      return;
    }
    const auto i = index_of(c.instrument);
    if (i >= instruments_.size() || !instruments_[i].defined || instruments_[i].venue != c.venue) {
      ++stats_["ignored"];
      return;
    }
    Instrument& inst = instruments_[i];
    switch (c.state) {
      case ConnectivityState::kGap:
        if (!inst.gap) ++stats_["gaps"];
        inst.gap = true;
        inst.since = event_time;
        break;
      case ConnectivityState::kStale:
        if (!inst.stale) ++stats_["stale"];
        inst.stale = true;
        inst.since = event_time;
        break;
      case ConnectivityState::kRecovered:
        if (inst.gap || inst.stale) ++stats_["recoveries"];
        inst.gap = false;
        inst.stale = false;
        break;
      case ConnectivityState::kConnected:
      case ConnectivityState::kDisconnected:
        // Subscription-level up/down is carried by the venue-wide events; per-instrument
        // ones are accepted and mean the same as a stale stream.
        if (c.state == ConnectivityState::kDisconnected) {
          if (!inst.stale) ++stats_["stale"];
          inst.stale = true;
          inst.since = event_time;
        } else {
          inst.stale = false;
        }
        break;
    }
  }

  SafeModeReason reason(InstrumentId instrument) const noexcept {
    const auto i = index_of(instrument);
    if (i >= instruments_.size() || !instruments_[i].defined) {
      return SafeModeReason::kUnknownInstrument;
    }
    const Instrument& inst = instruments_[i];
    const Venue& venue = venues_[index_of(inst.venue)];
    if (!venue.connected) return SafeModeReason::kNotConnected;
    if (venue.gap || inst.gap) return SafeModeReason::kGap;
    if (venue.stale || inst.stale) return SafeModeReason::kStale;
    return SafeModeReason::kNone;
  }

  bool tradable(InstrumentId instrument) const noexcept {
    return reason(instrument) == SafeModeReason::kNone;
  }

  const FeedHealthStats& stats() const noexcept { return stats_; }

  // Snapshot support for the stage that owns it: field by field (no padding), through any
  // writer with put(const T&) / reader with get(T&) -> bool (state_io::Writer, Hasher, Reader).
  // load() takes another instrument capacity (a deployment's engine.capacity changed) when
  // every instrument beyond this table's is undefined; false (and a partly loaded table) for
  // another venue count or an instrument that does not fit.
  template <class W>
  void save(W& w) const {
    w.put(static_cast<std::uint32_t>(instruments_.size()));
    w.put(static_cast<std::uint32_t>(venues_.size()));
    for (const Instrument& i : instruments_) {
      w.put(i.defined), w.put(i.venue), w.put(i.gap), w.put(i.stale), w.put(i.since);
    }
    for (const Venue& v : venues_) {
      w.put(v.connected), w.put(v.stale), w.put(v.gap), w.put(v.since);
    }
    for (const std::uint64_t n : stats_.values())
      w.put(n);
  }
  template <class R>
  bool load(R& r) {
    std::uint32_t ni = 0, nv = 0;
    if (!r.get(ni) || !r.get(nv) || nv != venues_.size()) return false;
    bool ok = true;
    for (std::uint32_t k = 0; k < ni && ok; ++k) {
      Instrument i;
      ok = r.get(i.defined) && r.get(i.venue) && r.get(i.gap) && r.get(i.stale) && r.get(i.since);
      if (k < instruments_.size()) {
        instruments_[k] = i;
      } else if (i.defined) {
        return false;
      }
    }
    for (std::size_t k = ni; k < instruments_.size(); ++k)
      instruments_[k] = Instrument{};
    for (Venue& v : venues_) {
      ok = ok && r.get(v.connected) && r.get(v.stale) && r.get(v.gap) && r.get(v.since);
    }
    for (std::uint64_t& n : stats_.values())
      ok = ok && r.get(n);
    return ok;
  }

 private:
  struct Instrument {
    bool defined = false;
    VenueId venue{};
    bool gap = false;
    bool stale = false;
    Nanos since = 0;  // event time the current safe mode began
  };
  struct Venue {
    bool connected = false;
    bool stale = false;
    bool gap = false;
    Nanos since = 0;
  };

  void apply_to(Venue& venue, ConnectivityState state, Nanos event_time) noexcept {
    switch (state) {
      case ConnectivityState::kConnected:
        venue.connected = true;
        venue.stale = false;
        break;
      case ConnectivityState::kDisconnected:
        if (venue.connected) ++stats_["disconnects"];
        venue.connected = false;
        venue.since = event_time;
        break;
      case ConnectivityState::kStale:
        if (!venue.stale) ++stats_["stale"];
        venue.stale = true;
        venue.since = event_time;
        break;
      case ConnectivityState::kRecovered:
        if (venue.stale || venue.gap) ++stats_["recoveries"];
        venue.stale = false;
        venue.gap = false;
        break;
      case ConnectivityState::kGap:
        if (!venue.gap) ++stats_["gaps"];
        venue.gap = true;
        venue.since = event_time;
        break;
    }
  }

  std::vector<Instrument> instruments_;
  std::vector<Venue> venues_;
  FeedHealthStats stats_;
};

}  // namespace be
