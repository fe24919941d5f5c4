// core/record_index.hpp against a std::map doing the same work: seeded random inserts,
// lookups and swap-and-pop removals in a small table, so probe chains wrap around and
// backward-shift deletion runs over them; every key must be found at its record's position.
#include "core/record_index.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

namespace be {
namespace {

struct Record {
  std::uint64_t key;
  std::uint64_t payload;
};
struct KeyOf {
  std::uint64_t operator()(const Record& r) const noexcept { return r.key; }
};
// A weak hash on purpose: many keys share a home bucket, so chains are long and wrap.
struct CrowdingHash {
  std::uint64_t operator()(std::uint64_t k) const noexcept { return k % 7; }
};
using Index = RecordIndex<Record, std::uint64_t, KeyOf, CrowdingHash>;

TEST(RecordIndex, shouldFindEveryRecordThroughInsertsAndSwapAndPopRemovals) {
  constexpr std::size_t kCapacity = 40;
  std::vector<Record> records;
  records.reserve(kCapacity);
  Index index(kCapacity);
  std::map<std::uint64_t, std::uint64_t> reference;  // key -> payload
  std::mt19937_64 rng(20261207);
  for (int step = 0; step < 20'000; ++step) {
    const std::uint64_t key = rng() % 120;
    const std::uint32_t at = index.find(records, key);
    ASSERT_EQ(at != Index::kNone, reference.count(key) == 1) << "step " << step;
    if (at != Index::kNone) {
      ASSERT_EQ(records[at].key, key);
      ASSERT_EQ(records[at].payload, reference[key]);
      if (rng() % 2 == 0) {  // remove it: the last record fills the hole
        const auto last = static_cast<std::uint32_t>(records.size() - 1);
        index.erase(records, at);
        if (at != last) index.moved(records, last, at);
        records[at] = records.back();
        records.pop_back();
        reference.erase(key);
      }
    } else if (records.size() < kCapacity) {
      records.push_back({key, rng()});
      index.insert(records, static_cast<std::uint32_t>(records.size() - 1));
      reference[key] = records.back().payload;
    }
  }
  // A rebuild (what a restore does) finds the same records.
  Index rebuilt(kCapacity);
  rebuilt.rebuild(records);
  for (std::uint32_t p = 0; p < records.size(); ++p) {
    EXPECT_EQ(index.find(records, records[p].key), p);
    EXPECT_EQ(rebuilt.find(records, records[p].key), p);
  }
  EXPECT_EQ(records.size(), reference.size());
}

}  // namespace
}  // namespace be
