// The backtest report: what a replay with other bot configs achieved, per bot (every bot
// created, with or without trades) and in total: trades, PnL (realized, unrealized, fees),
// maximum drawdown and its duration, win rate, exposure, profit factor, expectancy, Sharpe,
// Sortino and Calmar ratios (replay/report_metrics.hpp defines them and their annualisation),
// monthly PnL, every fill, and a buy-and-hold benchmark of the first bot's instrument.
// Written as JSON and as a self-contained HTML page (report_html.cpp): the bots side by side,
// SVG charts with axes and UTC time labels, no asset from anywhere else.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/event.hpp"
#include "engine/fold.hpp"
#include "engine/format.hpp"
#include "replay/report_metrics.hpp"

namespace be::engine {

// The fills listed one by one (JSON and HTML); beyond it they are counted, not listed.
inline constexpr std::size_t kReportFillRows = 10'000;

class ReportBuilder {
 public:
  explicit ReportBuilder(const InstrumentTable& instruments) : instruments_(&instruments) {}
  // A bot the backtest creates, so it is reported even if it never trades. `instrument`:
  // kNoInstrument when its symbol is not the deployment's.
  void add_bot(BotId bot, std::string name, std::string symbol, InstrumentId instrument);
  // The capital returns are measured against (the paper balance of the quote asset).
  void set_capital(double capital) noexcept { capital_ = capital; }
  // Every input's records, as Fold::apply returned them.
  void on_records(std::span<const Event> records, const Fold& fold);
  std::string json(const Fold& fold) const;
  std::string html(const Fold& fold) const;

  // What report_html.cpp draws: a series of (time, value) points.
  struct Point {
    Nanos time;
    double value;
  };
  struct Series {
    std::string name;
    std::vector<Point> points;
  };

 private:
  struct Fill {
    Nanos time;
    std::uint32_t bot;
    Side side;
    std::int64_t price, quantity, fee, realized;  // realized: this fill's change
  };
  struct BotStats {
    std::string name, symbol;
    InstrumentId instrument = kNoInstrument;
    std::uint64_t trades = 0;
    std::int64_t last_realized = 0;
    TradeStats closing;
    DrawdownTracker drawdown;
    Nanos exposed = 0;  // event time with a non-zero position
    Nanos last_time = 0;
    bool in_position = false;
    std::int64_t equity = 0;
    std::vector<double> period_equity;    // at each kReportPeriod's end
    std::vector<std::int64_t> month_end;  // equity at each of months_' last input
    std::vector<Point> curve;
  };
  std::string bot_json(std::uint32_t id, const BotStats& b, const Fold& fold) const;
  std::vector<Series> chart_series() const;
  struct Month {
    std::string month;              // "2021-02"
    std::vector<std::int64_t> pnl;  // per bot, in bots_ order: the month's equity change
  };
  std::vector<Month> monthly() const;
  int scale() const noexcept;

  const InstrumentTable* instruments_;
  std::map<std::uint32_t, BotStats> bots_;
  std::vector<Point> curve_;      // all bots' equity
  std::vector<Point> benchmark_;  // buy and hold of capital_ in the first bot's instrument
  std::vector<Fill> fills_;
  std::uint64_t fills_omitted_ = 0;
  DrawdownTracker total_drawdown_;
  double capital_ = 0;
  double first_price_ = 0, last_price_ = 0;
  Nanos first_time_ = 0;
  Nanos last_time_ = 0;
  Nanos next_period_ = 0;
  std::vector<std::string> months_;  // every month an input fell in, in order
  std::int64_t month_day_ = -1;      // the day months_.back() was last confirmed for
};

}  // namespace be::engine
