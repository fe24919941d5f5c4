// The backtest report: what a replay with other bot configs achieved, per bot and in total:
// trades, PnL (realized, unrealized, fees), maximum drawdown, win rate, exposure, and the
// equity curve. Written as JSON and as a self-contained HTML page with an SVG chart.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/event.hpp"
#include "engine/fold.hpp"
#include "engine/format.hpp"

namespace be::engine {

class ReportBuilder {
 public:
  explicit ReportBuilder(const InstrumentTable& instruments) : instruments_(&instruments) {}
  // Every input's records, as Fold::apply returned them.
  void on_records(std::span<const Event> records, const Fold& fold);
  std::string json(const Fold& fold) const;
  std::string html(const Fold& fold) const;

 private:
  struct BotStats {
    std::uint64_t trades = 0;
    std::uint64_t closing_trades = 0;
    std::uint64_t winning_trades = 0;
    std::int64_t last_realized = 0;
    std::int64_t peak_equity = 0;
    std::int64_t max_drawdown = 0;
    Nanos exposed = 0;  // event time with a non-zero position
    Nanos last_time = 0;
    bool in_position = false;
    InstrumentId instrument{};
  };
  struct Point {
    Nanos time;
    std::int64_t equity;
  };
  const InstrumentTable* instruments_;
  std::map<std::uint32_t, BotStats> bots_;
  std::vector<Point> curve_;
  Nanos first_time_ = 0;
  Nanos last_time_ = 0;
  std::int64_t peak_ = 0;
  std::int64_t max_drawdown_ = 0;
};

}  // namespace be::engine
