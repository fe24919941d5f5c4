// `botengine run`'s one-line live status (cmd_run.cpp), kept apart so that a test can hold its
// figures to the read model's (tests/runner/status_line_test.cpp).
//
// The fold's p99 comes from the read model's latency histogram (engine/latency_histogram.hpp),
// which reports a percentile at most 3.1 % above the true value; it is shown with a unit and
// three significant digits (`fold p99 41.9 us`), not as a bucket bound: the line once printed
// `fold p99 65535 ns` for any p99 between 32.8 and 65.5 us.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/control.hpp"

namespace be::cli {

// A latency for people: "850 ns", "41.9 us", "1.25 ms", "2.00 s" (three significant digits
// from 1 us on).
inline std::string latency_text(std::uint64_t ns) {
  char buf[32];
  const auto v = static_cast<double>(ns);
  if (ns < 1'000) {
    std::snprintf(buf, sizeof buf, "%llu ns", static_cast<unsigned long long>(ns));
  } else if (ns < 999'500) {
    std::snprintf(buf, sizeof buf, "%.3g us", v / 1e3);
  } else if (ns < 999'500'000) {
    std::snprintf(buf, sizeof buf, "%.3g ms", v / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f s", v / 1e9);
  }
  return buf;
}

inline std::string status_line(const engine::ReadModel& m) {
  const engine::EngineView& e = m.engine;
  std::uint64_t p99 = 0;
  for (const auto& s : e.latency)
    if (s.stage == "fold") p99 = s.p99;
  int running = 0;
  double pnl = 0;
  for (const auto& b : m.bots) {
    if (b.state == BotState::kRunning) ++running;
    pnl += std::strtod(b.pnl.c_str(), nullptr);
  }
  char line[256];
  std::snprintf(
      line, sizeof line,
      "events/s %8.0f | bots %d/%zu running | orders %llu fills %llu | PnL %+.2f | "
      "fold p99 %s | %s",
      e.events_per_second, running, m.bots.size(), static_cast<unsigned long long>(e.orders_sent),
      static_cast<unsigned long long>(e.fills), pnl, latency_text(p99).c_str(),
      e.healthy ? "healthy" : (e.problems.empty() ? "degraded" : e.problems.front().c_str()));
  return line;
}

}  // namespace be::cli
