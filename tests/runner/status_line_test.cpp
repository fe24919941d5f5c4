// `botengine run`'s status line (runner/status_line.hpp): the figures it shows are the read
// model's, in units a person reads.
#include "runner/status_line.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/latency_histogram.hpp"

namespace be::cli {
namespace {

TEST(StatusLine, shouldWriteLatenciesWithAUnitAndThreeSignificantDigits) {
  const struct {
    std::uint64_t ns;
    const char* text;
  } cases[] = {
      {0, "0 ns"},         {999, "999 ns"},   {1'000, "1 us"},        {41'900, "41.9 us"},
      {999'499, "999 us"}, {999'500, "1 ms"}, {1'250'000, "1.25 ms"}, {2'000'000'000, "2.00 s"}};
  for (const auto& c : cases)
    EXPECT_EQ(latency_text(c.ns), c.text) << c.ns;
}

// It printed `fold p99 65535 ns` (a power-of-two bucket's bound) for a p99 near 41 us.
TEST(StatusLine, shouldShowTheFoldsTrueP99NotABucketBound) {
  auto fold = std::make_unique<engine::LatencyHistogram>();
  for (int i = 0; i < 1000; ++i)
    fold->record(40'000 + i);  // p99 40,989 ns
  engine::ReadModel m;
  engine::StageLatency s;
  s.stage = "strategy";
  s.p99 = 65'535;  // another stage's figure must not be shown
  m.engine.latency.push_back(s);
  s.stage = "fold";
  s.p99 = fold->quantile(0.99);
  m.engine.latency.push_back(s);
  m.engine.orders_sent = 12;
  m.engine.fills = 7;
  engine::BotView bot;
  bot.state = BotState::kRunning;
  bot.pnl = "-1.50";
  m.bots.push_back(bot);
  const std::string line = status_line(m);
  EXPECT_NE(line.find("| fold p99 41 us |"), std::string::npos) << line;
  EXPECT_EQ(line.find("65535"), std::string::npos) << line;
  EXPECT_NE(line.find("bots 1/1 running | orders 12 fills 7 | PnL -1.50"), std::string::npos)
      << line;
  EXPECT_NE(line.find("| healthy"), std::string::npos) << line;
}

}  // namespace
}  // namespace be::cli
