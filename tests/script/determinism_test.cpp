// Determinism: the same inputs give the same orders and the same state hash, in one process
// and in two (Lua seeds its string hashes from addresses and time, so table order differs
// between processes); a snapshot restored mid-run continues identically; and the per-input
// path allocates nothing outside the script's own capped heap.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

#include "tests/script/script_harness.hpp"
#include "tests/support/alloc_counter.hpp"

namespace be::script::test {
namespace {

// Touches every source of run-to-run difference a script has: string-keyed tables walked with
// pairs, the seeded generator, nested state, floats from an indicator.
constexpr const char* kBusyScript = R"(
local rsi = bot.indicator("rsi:9")
local TAGS = {entry = 1, exit = 2}
function on_bar(open, high, low, close, volume, time)
  state.seen = state.seen or {}
  state.seen["k" .. (close // 100000000 % 97)] = time
  local first = {}
  for key in pairs(state.seen) do
    first[#first + 1] = key
    if #first == 3 then break end
  end
  state.order = table.concat(first, ",")
  local value = bot.value(rsi)
  if value == nil then return end
  state.last = value
  if value < 40 and bot.position() == 0 then
    bot.buy(1000 * math.random(1, 9), TAGS.entry)
  elseif value > 60 and bot.position() > 0 then
    bot.sell(bot.position(), TAGS.exit, true)
  end
end
function on_fill(side, price, quantity)
  state.fills = (state.fills or 0) + 1
  state.book = state.book or {}
  state.book[#state.book + 1] = {side = side, price = price, quantity = quantity}
end
)";

// The orders and the final state hash of a run over `bars`, as one number.
std::uint64_t run_digest(const std::vector<Bar>& bars) {
  auto bot = make(kBusyScript);
  if (bot == nullptr) return 0;
  SimContext ctx(btcusdt());
  for (std::size_t i = 0; i < bars.size(); ++i)
    ctx.deliver(*bot, bars[i], i);
  state_io::Hasher h;
  for (const auto& s : ctx.submitted) {
    h.put(s.bar_index);
    h.put(s.intent.side);
    h.put(s.intent.quantity);
    h.put(s.intent.tag);
  }
  h.put(ctx.submitted.size());
  h.put(bot->state_hash());
  h.put(bot->failure().empty());
  return h.value();
}

TEST(ScriptDeterminism, shouldGiveTheSameOrdersAndStateHashTwiceInOneProcess) {
  const auto bars = wave_bars(3000);
  const std::uint64_t first = run_digest(bars);
  EXPECT_EQ(first, run_digest(bars));
  auto bot = make(kBusyScript);
  SimContext ctx(btcusdt());
  for (std::size_t i = 0; i < bars.size(); ++i)
    ctx.deliver(*bot, bars[i], i);
  EXPECT_TRUE(bot->failure().empty()) << bot->failure();
  EXPECT_GT(ctx.submitted.size(), 10u) << "the script must trade for the test to mean anything";
}

// The other process: this binary again (a fresh exec, so fresh address layout and hash seeds),
// running only the disabled test below, which prints its digest.
TEST(ScriptDeterminism, shouldGiveTheSameOrdersAndStateHashInAnotherProcess) {
  const std::string command =
      "/proc/" + std::to_string(getpid()) +
      "/exe --gtest_also_run_disabled_tests "
      "--gtest_filter=ScriptDeterminism.DISABLED_printDigestForAnotherProcess 2>&1";
  FILE* child = popen(command.c_str(), "r");
  ASSERT_NE(child, nullptr);
  std::string output;
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, child) != nullptr)
    output += buffer;
  ASSERT_EQ(pclose(child), 0) << output;
  const auto at = output.find("digest=");
  ASSERT_NE(at, std::string::npos) << output;
  const std::uint64_t theirs = std::stoull(output.substr(at + 7));
  EXPECT_EQ(run_digest(wave_bars(3000)), theirs);
}

TEST(ScriptDeterminism, DISABLED_printDigestForAnotherProcess) {
  std::printf("digest=%llu\n", static_cast<unsigned long long>(run_digest(wave_bars(3000))));
}

TEST(ScriptDeterminism, shouldContinueIdenticallyAfterASnapshotRestore) {
  const auto bars = wave_bars(3000);
  auto original = make(kBusyScript);
  SimContext a(btcusdt());
  const std::size_t half = bars.size() / 2;
  for (std::size_t i = 0; i < half; ++i)
    a.deliver(*original, bars[i], i);
  std::vector<std::byte> snapshot;
  original->save(snapshot);
  auto restored = make(kBusyScript);
  ASSERT_NE(original->state_hash(), restored->state_hash());
  ASSERT_TRUE(restored->load(snapshot));
  EXPECT_EQ(original->state_hash(), restored->state_hash());
  SimContext b = a;
  const std::size_t before = a.submitted.size();
  for (std::size_t i = half; i < bars.size(); ++i) {
    a.deliver(*original, bars[i], i);
    b.deliver(*restored, bars[i], i);
  }
  ASSERT_EQ(a.submitted.size(), b.submitted.size());
  EXPECT_GT(a.submitted.size(), before) << "the second half must trade";
  for (std::size_t k = before; k < a.submitted.size(); ++k) {
    EXPECT_EQ(a.submitted[k].bar_index, b.submitted[k].bar_index);
    EXPECT_EQ(a.submitted[k].intent.quantity, b.submitted[k].intent.quantity);
    EXPECT_EQ(a.submitted[k].intent.side, b.submitted[k].intent.side);
  }
  EXPECT_EQ(original->state_hash(), restored->state_hash());
  EXPECT_TRUE(restored->failure().empty()) << restored->failure();
  auto rsi = bots::BotRegistry::builtin().create(
      R"({"name":"r","symbol":"BTCUSDT","strategy":{"type":"rsi","parameters":{"quantity":1}}})",
      BotId{1}, resolver());
  EXPECT_FALSE(rsi->bot->load(snapshot)) << "another bot type's state must be refused";
}

// A context that records nothing on the heap, so the count is the bot's alone.
class CountingContext final : public bots::BotContext {
 public:
  Nanos now() const noexcept override { return now_; }
  void submit(const OrderIntent& intent) noexcept override {
    ++submitted;
    position_ += intent.side == Side::kBuy ? intent.quantity : -intent.quantity;
  }
  void cancel(InstrumentId, std::uint32_t) noexcept override {}
  void set_timer(std::uint32_t, Nanos) noexcept override {}
  const bots::InstrumentInfo* instrument(InstrumentId) const noexcept override { return &info_; }
  std::int64_t position(InstrumentId) const noexcept override { return position_; }
  bool tradable(InstrumentId) const noexcept override { return true; }
  std::int64_t available_quote(InstrumentId) const noexcept override { return 1'000'000; }
  Nanos now_ = 0;
  std::size_t submitted = 0;

 private:
  bots::InstrumentInfo info_ = btcusdt();
  std::int64_t position_ = 0;
};

TEST(ScriptAllocation, shouldAllocateOnlyInsideTheScriptsCappedHeapPerInput) {
  if (!be::test::allocation_counting_available()) {
    GTEST_SKIP() << "allocation counting is off under sanitizers";
  }
  auto bot = make(kBusyScript);
  const auto& host = static_cast<const ScriptBot&>(*bot).host();
  const auto bars = wave_bars(4000);
  CountingContext ctx;
  Trade trade;
  trade.aggressor = Side::kBuy;
  for (std::size_t i = 0; i < 1000; ++i) {  // warm-up: the script's tables reach their size
    ctx.now_ = bars[i].open_time;
    bot->on_bar(bars[i], ctx);
  }
  const auto process_before = be::test::thread_allocation_count();
  const auto script_before = host.heap_allocations();
  for (std::size_t i = 1000; i < bars.size(); ++i) {
    ctx.now_ = bars[i].open_time;
    trade.price = bars[i].close;
    bot->on_trade(trade, ctx);
    bot->on_bar(bars[i], ctx);
  }
  const auto process = be::test::thread_allocation_count() - process_before;
  const auto script = host.heap_allocations() - script_before;
  EXPECT_TRUE(bot->failure().empty()) << bot->failure();
  EXPECT_GT(ctx.submitted, 0u);
  EXPECT_EQ(process, script) << "allocations outside the script's heap in 3000 bars";
  EXPECT_LE(host.heap_bytes(), host.limits().memory_bytes);
}

}  // namespace
}  // namespace be::script::test
