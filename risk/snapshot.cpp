// RiskEngine's persistence: state_hash(), snapshot() and restore(), on core/state_io.hpp (the
// one FNV-1a 64, sizer, writer and reader). One visit of the tables drives the hash, the size
// and the snapshot, so they cannot disagree.
//
// Snapshot layout (native byte order, no frame: the bytes are what RiskEngine version 1
// always wrote, and the risk stage embeds them):
//   [version u8][bots u32][accounts u32][instruments u32][assets u32][day i64]
//   [global_kill u8][bad_inputs u64] then the tables in the order state_hash() reads them,
//   each as its raw records (no padding: risk/state.hpp asserts it), positions last as
//   PositionRecord {quantity, fees, cost, realized}.
// Equal states give byte-identical snapshots. state_hash() reads the same fields minus the
// version byte, with each position as {quantity, cost, realized, fees} through its accessors.
#include <cstring>
#include <type_traits>

#include "core/fixed_point.hpp"
#include "core/state_io.hpp"
#include "risk/risk_engine.hpp"

namespace be::risk {

namespace {

// A position's snapshot record: its exact figures (Position::from_parts rebuilds it).
struct PositionRecord {
  std::int64_t quantity;
  std::int64_t fees;
  Wide cost;
  Wide realized;
};
static_assert(std::has_unique_object_representations_v<PositionRecord>);

PositionRecord record_of(const Position& p) noexcept {
  return PositionRecord{p.quantity(), p.fees(), p.cost_basis_exact(), p.realized_exact()};
}

template <class Visitor, class Record>
void visit_table(Visitor& visit, const std::vector<Record>& table) {
  static_assert(std::has_unique_object_representations_v<Record>);
  visit.bytes(table.data(), table.size() * sizeof(Record));
}

template <class Record>
void read_table(state_io::Reader& in, std::vector<Record>& table) noexcept {
  const std::size_t n = table.size() * sizeof(Record);
  if (n != 0) std::memcpy(static_cast<void*>(table.data()), in.rest().data(), n);
  in.skip(n);
}

// The qty scale whose unit (10^scale) an instrument record holds, or -1.
int qty_scale_of(std::int64_t qty_unit) noexcept {
  for (int q = 0; q <= kMaxDecimalScale; ++q) {
    if (qty_unit == static_cast<std::int64_t>(pow10(q))) return q;
  }
  return -1;
}

}  // namespace

template <class Visitor>
void RiskEngine::visit_tables(Visitor& visit) const {
  visit(capacity_.bots);
  visit(capacity_.accounts);
  visit(capacity_.instruments);
  visit(capacity_.assets);
  visit(day_);
  visit(global_kill_);
  visit(bad_inputs_);
  visit_table(visit, instruments_);
  visit_table(visit, bots_);
  visit_table(visit, accounts_);
  visit_table(visit, bot_instruments_);
  visit_table(visit, account_instruments_);
  visit_table(visit, balances_);
  visit_table(visit, error_buckets_);
}

std::uint64_t RiskEngine::state_hash() const noexcept {
  state_io::Hasher h;
  visit_tables(h);
  for (const Position& p : positions_) {  // through accessors: its padding is not state
    h(p.quantity());
    h(p.cost_basis_exact());
    h(p.realized_exact());
    h(p.fees());
  }
  return h.value();
}

std::size_t RiskEngine::snapshot_size() const noexcept {
  state_io::Sizer size;
  size(kSnapshotVersion);
  visit_tables(size);
  return size.n + positions_.size() * sizeof(PositionRecord);
}

std::vector<std::byte> RiskEngine::snapshot() const {
  std::vector<std::byte> out(snapshot_size());
  state_io::SpanWriter w{out.data()};
  w(kSnapshotVersion);
  visit_tables(w);
  for (const Position& p : positions_)
    w(record_of(p));
  return out;
}

Expected<bool, RestoreError> RiskEngine::restore(std::span<const std::byte> bytes) noexcept {
  const std::uint64_t flag_changes = bot_flag_changes_;
  auto restored = restore_state(bytes);
  bot_flag_changes_ = flag_changes + 1;
  return restored;
}

Expected<bool, RestoreError> RiskEngine::restore_state(std::span<const std::byte> bytes) noexcept {
  state_io::Reader r{bytes};
  const auto version = r.get<std::uint8_t>();
  if (!r.ok()) return Unexpected{RestoreError::kTruncated};
  if (version != kSnapshotVersion) return Unexpected{RestoreError::kBadVersion};
  Capacity c;
  r(c.bots);
  r(c.accounts);
  r(c.instruments);
  r(c.assets);
  if (!r.ok()) return Unexpected{RestoreError::kTruncated};
  if (c.bots != capacity_.bots || c.accounts != capacity_.accounts ||
      c.instruments != capacity_.instruments || c.assets != capacity_.assets) {
    // Taken with other table sizes (engine.capacity changed): read at its own sizes, then
    // copied here. Sizes the bytes cannot hold are refused before allocating.
    const std::uint64_t size = bytes.size();
    if (std::uint64_t{c.bots} * c.instruments * 8 > size ||
        std::uint64_t{c.accounts} * c.instruments * 8 > size ||
        std::uint64_t{c.accounts} * c.assets * 8 > size || c.bots > size || c.accounts > size) {
      return Unexpected{RestoreError::kTruncated};
    }
    RiskEngine old(c);
    if (auto restored = old.restore(bytes); !restored) return restored;
    RiskEngine fresh(capacity_);
    if (!fresh.adopt(old)) return Unexpected{RestoreError::kCapacityMismatch};
    *this = std::move(fresh);
    return true;
  }
  if (bytes.size() != snapshot_size()) return Unexpected{RestoreError::kTruncated};

  // Validate the records that index other tables before changing anything.
  state_io::Reader records = r;
  records.skip(sizeof(day_) + sizeof(global_kill_) + sizeof(bad_inputs_));
  for (std::size_t k = 0; k < instruments_.size(); ++k) {
    const auto in = records.get<Instrument>();
    if (in.defined > 1) return Unexpected{RestoreError::kCorrupt};
    if (!in.defined) continue;
    if (qty_scale_of(in.qty_unit) < 0 || in.base >= capacity_.assets ||
        in.quote >= capacity_.assets) {
      return Unexpected{RestoreError::kCorrupt};
    }
  }
  for (std::size_t k = 0; k < bots_.size(); ++k) {
    const auto b = records.get<Bot>();
    if (b.account >= capacity_.accounts && (b.s.configured || b.account != 0)) {
      return Unexpected{RestoreError::kCorrupt};
    }
  }

  r(day_);
  r(global_kill_);
  r(bad_inputs_);
  read_table(r, instruments_);
  read_table(r, bots_);
  read_table(r, accounts_);
  read_table(r, bot_instruments_);
  read_table(r, account_instruments_);
  read_table(r, balances_);
  read_table(r, error_buckets_);
  for (std::size_t k = 0; k < positions_.size(); ++k) {
    const auto rec = r.get<PositionRecord>();
    // Instruments are restored already; an undefined one holds Position(0) (unit 1).
    const Instrument& in = instruments_[k % capacity_.instruments];
    const int qty_scale = in.defined ? qty_scale_of(in.qty_unit) : 0;  // validated above
    positions_[k] = Position::from_parts(qty_scale, rec.quantity, rec.cost, rec.realized, rec.fees);
  }
  index_holders();
  return true;
}

void RiskEngine::index_holders() noexcept {
  std::fill(holders_.begin(), holders_.end(), 0);
  for (std::uint32_t b = 0; b < capacity_.bots; ++b) {
    for (std::uint32_t i = 0; i < capacity_.instruments; ++i) {
      if (positions_[bi(b, i)].quantity() != 0) note_holder(b, i, true);
    }
  }
}

namespace {
// An entry as a fresh table holds it (value-initialised: every byte zero).
template <class T>
bool zero(const T& v) noexcept {
  static_assert(std::has_unique_object_representations_v<T>);
  const T empty{};
  return std::memcmp(&v, &empty, sizeof(T)) == 0;
}
}  // namespace

bool RiskEngine::adopt(const RiskEngine& old) {
  using state_io::copy_grid;
  for (const Instrument& in : old.instruments_) {
    if (in.defined && (in.base >= capacity_.assets || in.quote >= capacity_.assets)) return false;
  }
  for (const Bot& b : old.bots_) {
    if (b.s.configured && b.account >= capacity_.accounts) return false;
  }
  day_ = old.day_;
  global_kill_ = old.global_kill_;
  bad_inputs_ = old.bad_inputs_;
  const auto empty_position = [](const Position& p) {
    return p.quantity() == 0 && p.cost_basis_exact() == 0 && p.realized_exact() == 0 &&
           p.fees() == 0;
  };
  const auto empty_bucket = [](const ErrorBucket& b) { return b.minute == INT64_MIN; };
  const bool fits =
      copy_grid(std::span<const Instrument>(old.instruments_), 1,
                std::span<Instrument>(instruments_), 1, zero<Instrument>) &&
      copy_grid(std::span<const Bot>(old.bots_), 1, std::span<Bot>(bots_), 1, zero<Bot>) &&
      copy_grid(std::span<const Account>(old.accounts_), 1, std::span<Account>(accounts_), 1,
                zero<Account>) &&
      copy_grid(std::span<const BotInstrument>(old.bot_instruments_), old.capacity_.instruments,
                std::span<BotInstrument>(bot_instruments_), capacity_.instruments,
                zero<BotInstrument>) &&
      copy_grid(std::span<const Position>(old.positions_), old.capacity_.instruments,
                std::span<Position>(positions_), capacity_.instruments, empty_position) &&
      copy_grid(std::span<const AccountInstrument>(old.account_instruments_),
                old.capacity_.instruments, std::span<AccountInstrument>(account_instruments_),
                capacity_.instruments, zero<AccountInstrument>) &&
      copy_grid(std::span<const std::int64_t>(old.balances_), old.capacity_.assets,
                std::span<std::int64_t>(balances_), capacity_.assets,
                [](std::int64_t v) { return v == 0; }) &&
      copy_grid(std::span<const ErrorBucket>(old.error_buckets_), kWindowBuckets,
                std::span<ErrorBucket>(error_buckets_), kWindowBuckets, empty_bucket);
  index_holders();
  return fits;
}

}  // namespace be::risk
