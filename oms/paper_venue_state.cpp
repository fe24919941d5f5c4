// The paper venue's state as a snapshot, a hash and a restore (older layouts and other table
// sizes included); its matching and fills are in paper_venue.cpp.
#include <algorithm>
#include <cstring>
#include <utility>

#include "oms/paper_venue.hpp"

namespace be::oms {

// ---- Persistence -----------------------------------------------------------------------------

namespace {
// The version byte of a snapshot frame (0 when the bytes are too short to hold one).
std::uint8_t frame_version(std::span<const std::byte> bytes) noexcept {
  state_io::Reader r{bytes};
  r.get<std::uint32_t>();
  return r.get<std::uint8_t>();
}
}  // namespace

template <class Self, class V>
void PaperVenue::Fields::operator()(Self& self, V& v) const {
  auto& me = const_cast<PaperVenue&>(self);  // read-only visitors never write through it
  me.stats_.fields(v);
  for (Market& m : me.markets_)
    m.fields(v);
  for (std::uint8_t& a : me.asset_known_)
    v(a);
  me.ledger_.fields(v);
  me.table_.fields(v);
  v(me.pending_head_);
  v(me.pending_count_);
  for (Work& w : me.pending_)
    w.fields(v);
  v(me.resting_);
  v(me.next_venue_order_id_);
  v(me.next_trade_id_);
}

std::uint64_t PaperVenue::state_hash() const noexcept {
  settle_bounds();
  // The optimistic model never reads the queue fields of layout 2, so it hashes layout 1: the
  // journals and snapshots of the release before the queue model keep their hashes.
  if (config_.fill_model == FillModel::kOptimistic) {
    return state_io::hash_fields(*this, [](auto& self, auto& v) {
      AtLayout<std::remove_reference_t<decltype(v)>> old{v, kLayoutBeforeQueueModel};
      Fields{}(self, old);
    });
  }
  return state_io::hash_fields(*this, Fields{});
}

std::vector<std::byte> PaperVenue::snapshot() const {
  settle_bounds();
  const auto caps = capacity_words();
  return state_io::snapshot_fields(*this, {kSnapshotMagic, kSnapshotVersion, caps}, Fields{});
}

bool PaperVenue::validate() const noexcept {
  const std::uint32_t n = table_.capacity();
  if (pending_head_ >= pending_.size() || pending_count_ > pending_.size()) return false;
  std::uint32_t resting = 0;
  for (const Market& m : markets_) {
    if (m.defined > 1) return false;
    if (m.defined && (index_of(m.base) >= config_.assets || index_of(m.quote) >= config_.assets))
      return false;
    std::uint32_t prev = kNil;
    std::uint32_t steps = 0;
    for (std::uint32_t s = m.head; s != kNil; s = table_[s].next) {
      if (s >= n || !table_.used(s) || !table_[s].resting || table_[s].prev != prev ||
          ++steps > n) {
        return false;
      }
      prev = s;
    }
    if (prev != m.tail) return false;
    resting += steps;
  }
  if (resting != resting_) return false;
  bool ok = true;
  table_.for_each([&](std::uint32_t s) {
    const PaperOrder& o = table_[s];
    if (index_of(o.instrument) >= markets_.size() || !markets_[index_of(o.instrument)].defined ||
        index_of(o.account) >= config_.accounts || static_cast<int>(o.status) > 4 || o.filled < 0 ||
        o.filled > o.quantity || table_.retired(s) != (o.status != Status::kLive)) {
      ok = false;
    }
  });
  return ok;
}

Expected<bool, state_io::FrameError> PaperVenue::restore(std::span<const std::byte> bytes) {
  const auto caps = capacity_words();
  // Layout 1 (the release before the queue fill model) still restores: its orders' queue
  // positions and its markets' quote sizes start unknown, as after a fresh quote.
  const std::uint8_t version =
      frame_version(bytes) == kLayoutBeforeQueueModel ? kLayoutBeforeQueueModel : kSnapshotVersion;
  const auto saved =
      state_io::frame_capacities<std::tuple_size_v<std::remove_const_t<decltype(caps)>>>(
          bytes, kSnapshotMagic, version);
  if (saved && *saved != caps) {
    // Taken with other table sizes (engine.capacity changed): read at its own sizes, then
    // copied here. Sizes the bytes cannot hold are refused before allocating.
    PaperConfig c = config_;
    c.instruments = (*saved)[0];
    c.accounts = (*saved)[1];
    c.assets = (*saved)[2];
    c.max_orders = (*saved)[3];
    c.max_pending = (*saved)[4];
    const std::uint64_t size = bytes.size();
    if (std::uint64_t{c.accounts} * c.assets * 8 > size || std::uint64_t{c.max_orders} * 8 > size ||
        std::uint64_t{c.max_pending} * 8 > size || c.instruments > size || c.assets > size) {
      return Unexpected{state_io::FrameError::kTruncated};
    }
    PaperVenue old(c, *sink_);
    if (auto r = old.restore(bytes); !r) return r;
    PaperVenue fresh(config_, *sink_);
    if (!fresh.adopt(old)) return Unexpected{state_io::FrameError::kCapacityMismatch};
    *this = std::move(fresh);
    return true;
  }
  const auto accept = [](PaperVenue& fresh) {
    return fresh.table_.rebuild_index() && fresh.validate();
  };
  if (version == kLayoutBeforeQueueModel) {
    return state_io::restore_fields(
        *this, PaperVenue(config_, *sink_), bytes, {kSnapshotMagic, version, caps},
        [](auto& self, auto& v) {
          AtLayout<std::remove_reference_t<decltype(v)>> old{v, kLayoutBeforeQueueModel};
          Fields{}(self, old);
        },
        accept);
  }
  return state_io::restore_fields(*this, PaperVenue(config_, *sink_), bytes,
                                  {kSnapshotMagic, kSnapshotVersion, caps}, Fields{}, accept);
}

}  // namespace be::oms

namespace be::oms {

bool PaperVenue::adopt(const PaperVenue& old) {
  if (old.pending_count_ > pending_.size()) return false;
  for (const Market& m : old.markets_) {
    if (m.defined && (index_of(m.base) >= config_.assets || index_of(m.quote) >= config_.assets))
      return false;
  }
  stats_ = old.stats_;
  // The pending requests keep their order, from the ring's start.
  pending_head_ = 0;
  pending_count_ = old.pending_count_;
  for (std::uint32_t k = 0; k < old.pending_count_; ++k)
    pending_[k] = old.pending_[(old.pending_head_ + k) % old.pending_.size()];
  resting_ = old.resting_;
  next_venue_order_id_ = old.next_venue_order_id_;
  next_trade_id_ = old.next_trade_id_;
  return state_io::copy_grid(std::span<const Market>(old.markets_), 1, std::span<Market>(markets_),
                             1, [](const Market& m) { return m.defined == 0; }) &&
         state_io::copy_grid(std::span<const std::uint8_t>(old.asset_known_), 1,
                             std::span<std::uint8_t>(asset_known_), 1,
                             [](std::uint8_t known) { return known == 0; }) &&
         ledger_.adopt(old.ledger_) && table_.adopt(old.table_) && validate();
}

}  // namespace be::oms
