// Counters a component keeps about itself (inputs folded, rejects, drops), declared once as a
// table of names and help texts. The table is the set's whole definition: the component counts
// by name (`++stats_["intents_dropped"]`, checked at compile time, an array index at run time),
// and /metrics, snapshots and hashes walk the same table, so a new counter is one line and is
// exported, saved and hashed without more code.
//
// The values are a plain array in table order: a set is trivially copyable with no padding, so
// it is a state_io::PlainField and its snapshot bytes are the counters in table order. Adding,
// removing or reordering a counter of a snapshotted set therefore changes that snapshot's
// layout: bump the owner's snapshot version.
//
// Thread-safety: Counters has none; a set belongs to the thread of its component, and readers
// on other threads read a published copy. SharedCounters is the same table on atomics, for a
// component whose counters any thread may read (the journal's). Allocation: none. Errors: a name
// not in the table does not compile.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace be {

// A counter only grows (exported as <name>_total); a gauge is a level that goes up and down
// (live segments, bytes on disk), exported under its name.
enum class CounterKind : std::uint8_t { kCounter = 0, kGauge = 1 };

struct CounterSpec {
  std::string_view name;  // snake_case, unique in its table: the metric's name part
  std::string_view help;  // one sentence for operators (/metrics' HELP)
  CounterKind kind = CounterKind::kCounter;
};

template <std::size_t N>
struct CounterTable {
  std::array<CounterSpec, N> specs;

  static constexpr std::size_t size() noexcept { return N; }
  // consteval: used only to turn a name into an index while compiling.
  consteval std::size_t index_of(std::string_view name) const {
    for (std::size_t i = 0; i < N; ++i) {
      if (specs[i].name == name) return i;
    }
    throw "no counter of that name in this table";  // not a constant expression: no build
  }
};

// `inline constexpr auto kFooCounters = counter_table({{"name", "help"}, ...});`
template <std::size_t N>
consteval CounterTable<N> counter_table(const CounterSpec (&specs)[N]) {
  CounterTable<N> table{};
  for (std::size_t i = 0; i < N; ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (specs[j].name == specs[i].name) throw "a counter's name is used twice";
    }
    table.specs[i] = specs[i];
  }
  return table;
}

template <const auto& Table>
class Counters {
 public:
  // A counter named by a string literal, checked against the table while compiling.
  struct Id {
    consteval Id(const char* name) : index(Table.index_of(name)) {}  // NOLINT: implicit on purpose
    std::size_t index;
  };

  static constexpr const auto& table() noexcept { return Table; }
  static constexpr std::size_t size() noexcept { return Table.size(); }

  std::uint64_t& operator[](Id id) noexcept { return values_[id.index]; }
  std::uint64_t operator[](Id id) const noexcept { return values_[id.index]; }

  std::span<const std::uint64_t, Table.size()> values() const noexcept { return values_; }
  std::span<std::uint64_t, Table.size()> values() noexcept { return values_; }

  // Visits every value in table order (state_io's field visitors: hash, snapshot, restore).
  template <class V>
  void fields(V& v) {
    for (std::uint64_t& value : values_)
      v(value);
  }

  friend bool operator==(const Counters&, const Counters&) = default;

 private:
  std::array<std::uint64_t, Table.size()> values_{};
};

// The same table's values shared between threads: one writer thread adds and sets, any thread
// takes a consistent-per-value copy with load() (each value relaxed on its own: a reader may
// see one value updated before another, which metrics tolerate).
template <const auto& Table>
class SharedCounters {
 public:
  using Id = typename Counters<Table>::Id;

  void add(Id id, std::uint64_t n = 1) noexcept {
    values_[id.index].fetch_add(n, std::memory_order_relaxed);
  }
  void set(Id id, std::uint64_t value) noexcept {
    values_[id.index].store(value, std::memory_order_relaxed);
  }
  Counters<Table> load() const noexcept {
    Counters<Table> out;
    for (std::size_t i = 0; i < Table.size(); ++i)
      out.values()[i] = values_[i].load(std::memory_order_relaxed);
    return out;
  }

 private:
  std::array<std::atomic<std::uint64_t>, Table.size()> values_{};
};

// Calls f(spec, value) for every counter of `set`, in table order (for /metrics and views).
template <class Set, class F>
void for_each_counter(const Set& set, F&& f) {
  for (std::size_t i = 0; i < Set::size(); ++i)
    f(Set::table().specs[i], set.values()[i]);
}

}  // namespace be
