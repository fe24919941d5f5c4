#include "replay/sweep.hpp"

#include <algorithm>
#include <cmath>

#include "core/json_config.hpp"
#include "replay/backtest.hpp"
#include "replay/report_metrics.hpp"

namespace be::replay {

namespace {

// One configuration's figures as its pass runs: report_metrics.hpp's primitives, fed as the
// backtest report feeds them (every input, every period end) but only when its equity changes
// (SweepJob::pass's catch_up), so a flat configuration costs nothing per input or period.
struct Collector {
  InstrumentId instrument = kNoInstrument;
  bool created = false;
  std::uint64_t trades = 0;
  std::int64_t last_realized = 0;  // the fills' cumulative realized PnL in its instrument
  std::int64_t fees = 0;
  std::int64_t equity = 0;
  bool in_position = false;
  Nanos position_since = 0, exposed = 0;
  engine::TradeStats closing;
  engine::DrawdownTracker drawdown;
  engine::ReturnSeries returns;   // period-end equities
  std::size_t periods_fed = 0;    // period ends fed to returns and drawdown so far
  std::uint32_t holder_slot = 0;  // its place in the pass's holders while in a position
  std::vector<SweepFill> fills;
};

std::int64_t equity_of(const engine::Fold& fold, BotId bot) {
  const auto& om = fold.orders();
  return om.realized_pnl(bot) + om.unrealized_pnl(bot) - om.fees(bot);
}

// The same figure from what the bot's fills said (a bot trades its one instrument), without
// summing every instrument's realized PnL again: the sweep asks for it at every price change.
std::int64_t equity_of(const Collector& c, const engine::Fold& fold, BotId bot) {
  return c.last_realized + fold.orders().unrealized_pnl(bot, c.instrument) - c.fees;
}

// The instrument whose mark an input moves (the order manager marks on trades and quotes,
// oms/order_stage.cpp), or kNoInstrument.
InstrumentId marked_instrument(const Event& e) {
  switch (e.header.type) {
    case EventType::kTrade:
      return e.as<Trade>().instrument;
    case EventType::kQuote:
      return e.as<Quote>().instrument;
    default:
      return kNoInstrument;
  }
}

// The instrument a bot config trades in `market`'s deployment (kNoInstrument: none).
InstrumentId bot_instrument(const engine::EngineConfig& config, const std::string& json) {
  auto doc = config::parse(json);
  if (!doc) return kNoInstrument;
  auto text = [&doc](std::string_view key, std::string fallback) {
    const config::Value* v = doc->find(key);
    return v && v->kind == config::Value::Kind::kString ? v->text : fallback;
  };
  const std::string symbol = text("symbol", ""), venue = text("venue", "binance");
  const engine::InstrumentTable table(config.instruments);
  for (std::size_t i = 0; i < config.instruments.size(); ++i) {
    if (config.instruments[i].symbol == symbol && config.instruments[i].venue == venue)
      return table.definition(i).instrument;
  }
  return kNoInstrument;
}

// The opening balance of `instrument`'s quote asset, as a double at its scale (the capital
// returns are measured against, as the backtest report does).
double capital_of(const engine::EngineConfig& config, InstrumentId instrument) {
  const engine::InstrumentTable table(config.instruments);
  const InstrumentDefined* def = table.find(instrument);
  if (def == nullptr) return 0;
  const auto quote = table.asset_index(def->quote_view());
  for (const oms::PaperStartingBalance& b : engine::paper_balances(config, table)) {
    if (quote && index_of(b.asset) == *quote) {
      // At the price scale, the scale PnL is kept at.
      return static_cast<double>(b.amount) *
             std::pow(10.0, def->price_scale - table.asset_scale(*quote));
    }
  }
  return 0;
}

SweepMetrics finish(const Collector& c, double capital, Nanos span) {
  SweepMetrics m;
  m.trades = c.trades;
  m.closing_trades = c.closing.closing;
  m.pnl = c.equity;
  m.realized_pnl = c.last_realized;
  m.max_drawdown = c.drawdown.max_drawdown;
  m.max_drawdown_duration_s = static_cast<double>(c.drawdown.longest) / 1e9;
  m.win_rate = c.closing.closing
                   ? static_cast<double>(c.closing.winning) / static_cast<double>(c.closing.closing)
                   : 0.0;
  m.exposure =
      span > 0 ? std::min(1.0, static_cast<double>(c.exposed) / static_cast<double>(span)) : 0.0;
  m.expectancy = c.closing.expectancy();
  m.profit_factor = c.closing.profit_factor();
  if (capital > 0) m.return_ratio = static_cast<double>(c.equity) / capital;
  const engine::RatioSet r =
      c.returns.ratios(capital, static_cast<double>(c.drawdown.max_drawdown));
  m.sharpe = r.sharpe;
  m.sortino = r.sortino;
  m.calmar = r.calmar;
  return m;
}

}  // namespace

std::size_t pass_capacity(const engine::EngineConfig& config) {
  const engine::FoldConfig& f = config.fold;
  return std::min({f.strategy.bots, f.risk.capacity.bots, f.oms.bots, f.paper.accounts,
                   f.risk.capacity.accounts});
}

std::uint32_t deployment_orders_per_bot(const engine::EngineConfig& config) {
  return static_cast<std::uint32_t>(std::max<std::size_t>(
      1, config.fold.oms.orders / std::max<std::size_t>(1, pass_capacity(config))));
}

engine::EngineConfig pass_config(const engine::EngineConfig& config, std::size_t bots,
                                 std::uint32_t orders_per_bot) {
  engine::EngineConfig c = config;
  if (bots <= pass_capacity(config)) return c;  // the deployment's fold already holds them
  const engine::FoldConfig& f = config.fold;
  const auto n = static_cast<std::uint32_t>(bots);
  engine::EngineCapacity capacity;
  capacity.bots = n;
  // The market's instruments only: the risk and order tables are bots x instruments.
  capacity.instruments =
      static_cast<std::uint32_t>(std::max<std::size_t>(1, config.instruments.size()));
  capacity.accounts = n;  // one per configuration (account_per_bot)
  // Never less than the deployment's own table.
  capacity.open_orders = static_cast<std::uint32_t>(std::clamp<std::uint64_t>(
      std::uint64_t{orders_per_bot} * n, f.oms.orders, engine::kMaxEngineCapacity.open_orders));
  engine::size_tables(c.fold, capacity, f.oms.assets);
  return c;
}

std::vector<std::string> sweep_refusals(const std::vector<std::string>& bots) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < bots.size(); ++i) {
    auto doc = config::parse(bots[i]);
    const config::Value* strategy = doc ? doc->find("strategy") : nullptr;
    const config::Value* params = strategy ? strategy->find("parameters") : nullptr;
    for (const char* key : {"capital_fraction", "position_size"}) {
      if (params && params->find(key)) {
        out.push_back("config " + std::to_string(i) + ": sizing by " + key +
                      " reads the available-quote budget every bot of a fold shares; size it by "
                      "quantity or quote_amount");
      }
    }
    if (bots[i].find("available_quote") != std::string::npos) {
      out.push_back("config " + std::to_string(i) +
                    ": its script reads available_quote, the budget every bot of a fold shares");
    }
  }
  return out;
}

std::optional<double> metric_value(const SweepMetrics& m, std::string_view metric, int scale) {
  const double unit = std::pow(10.0, scale);
  if (metric == "pnl") return static_cast<double>(m.pnl) / unit;
  if (metric == "return") return m.return_ratio;
  if (metric == "sharpe") return m.sharpe;
  if (metric == "sortino") return m.sortino;
  if (metric == "calmar") return m.calmar;
  if (metric == "trades") return static_cast<double>(m.trades);
  if (metric == "win_rate") return m.win_rate;
  if (metric == "profit_factor") return m.profit_factor;
  if (metric == "expectancy") return m.expectancy / unit;
  if (metric == "max_drawdown") return static_cast<double>(m.max_drawdown) / unit;
  return std::nullopt;
}

Expected<SweepPlan, std::string> plan_sweep(const RecordedMarket& market, const SweepSplit& split) {
  SweepPlan plan;
  const std::size_t begin = market.opening, end = market.inputs.size();
  if (begin >= end) return Unexpected(std::string("the recording holds no market input"));
  auto part = [&](std::string label, std::size_t from, std::size_t to) -> bool {
    if (from >= to) return false;
    plan.periods.push_back({std::move(label), {from, to}});
    return true;
  };
  switch (split.kind) {
    case SweepSplit::Kind::kNone:
      part("all", begin, end);
      break;
    case SweepSplit::Kind::kHoldout: {
      const std::size_t cut = market.at_fraction(split.in_sample);
      if (!part("in", begin, cut) || !part("out", cut, end)) {
        return Unexpected("an in-sample share of " + std::to_string(split.in_sample) +
                          " leaves one side without market inputs");
      }
      plan.folds.push_back({0, 1});
      break;
    }
    case SweepSplit::Kind::kWalkForward: {
      const std::size_t parts = split.folds + 1;
      std::size_t from = begin;
      for (std::size_t k = 1; k <= parts; ++k) {
        const std::size_t to =
            k == parts ? end
                       : market.at_fraction(static_cast<double>(k) / static_cast<double>(parts));
        if (!part("part " + std::to_string(k), from, to)) {
          return Unexpected(std::to_string(split.folds) +
                            " walk-forward folds leave a part without market inputs");
        }
        from = to;
      }
      for (std::size_t k = 0; k + 1 < parts; ++k)
        plan.folds.push_back({k, k + 1});
      break;
    }
  }
  return plan;
}

namespace {

// One sweep's fixed inputs and its result, filled pass by pass.
struct SweepJob {
  const RecordedMarket& market;
  const std::vector<std::string>& bots;
  const SweepOptions& options;
  SweepResult& result;
  std::vector<std::vector<Event>> slices;  // the market inputs of each period
  std::vector<InstrumentId> instruments;   // each configuration's
  std::uint64_t done = 0, total = 0;       // inputs, for the progress bar
  std::vector<Collector> collectors;

  // Configurations [first, first + n) over period p on a fold sized by `config`. False when
  // the order manager's table overflowed (an order refused that a run alone would have
  // placed): the figures written are then not the configurations' own, to be run again.
  bool pass(const engine::EngineConfig& config, std::size_t first, std::size_t n, std::size_t p);
};

bool SweepJob::pass(const engine::EngineConfig& config, std::size_t first, std::size_t n,
                    std::size_t p) {
  const std::size_t periods = result.plan.periods.size();
  const std::vector<std::string> chunk_bots(bots.begin() + static_cast<std::ptrdiff_t>(first),
                                            bots.begin() + static_cast<std::ptrdiff_t>(first + n));
  collectors.assign(n, Collector{});
  const std::vector<Event>& inputs = slices[p];
  for (std::size_t i = 0; i < n; ++i)
    collectors[i].instrument = instruments[first + i];
  Nanos next_period = 0, first_time = 0, last_time = 0;
  // The report (replay/report.cpp) samples every bot's equity at every input; equity only
  // changes at a fill or, in a position, a mark, so a configuration is sampled only then:
  // first its unchanged equity at the input before (what the report's samples in between
  // come to: of equal samples only the last moves a drawdown), then the new one. Period ends
  // are fed the same way, all at the equity they ended with (a flat stretch costs nothing).
  std::size_t periods_ended = 0;  // so far, each gap bridged as the report does
  Nanos previous_input = 0;
  const auto catch_up = [&](Collector& c) {
    if (const std::size_t pending = periods_ended - c.periods_fed; pending != 0) {
      c.returns.add(static_cast<double>(c.equity), pending);
      c.periods_fed = periods_ended;
    }
    if (previous_input != 0) c.drawdown.add(previous_input, c.equity);
  };
  std::vector<std::uint32_t> holders;  // collectors in a position: revalued at every mark
  std::vector<std::uint32_t> filled;   // collectors with a fill in this input
  BacktestOptions bo;
  bo.account_per_bot = true;
  bo.on_records = [&](std::span<const Event> records, const engine::Fold& fold) {
    const Nanos t = records.front().header.event_time;
    if (first_time == 0) first_time = t, next_period = t + engine::kReportPeriod;
    if (t > last_time) last_time = t;
    // Periods that ended before this input end with the equity before it.
    if (t >= next_period) {
      const auto ended = static_cast<std::uint64_t>((t - next_period) / engine::kReportPeriod) + 1;
      periods_ended += engine::periods_recorded(ended);
      next_period += static_cast<Nanos>(ended) * engine::kReportPeriod;
    }
    filled.clear();
    for (const Event& e : records) {
      if (e.header.type == EventType::kBotStatus) {
        const auto s = e.as<BotStatus>();
        if (index_of(s.bot) < n && s.to == BotState::kRunning)
          collectors[index_of(s.bot)].created = true;
        continue;
      }
      if (e.header.type != EventType::kFillApplied) continue;
      const auto f = e.as<FillApplied>();
      if (index_of(f.bot) >= n) continue;
      Collector& c = collectors[index_of(f.bot)];
      if (std::find(filled.begin(), filled.end(), index_of(f.bot)) == filled.end()) {
        catch_up(c);  // before this input's fills change its equity
        filled.push_back(index_of(f.bot));
      }
      ++c.trades;
      const std::int64_t realized = f.realized_pnl - c.last_realized;
      if (realized != 0) c.closing.add_closing(static_cast<double>(realized));
      c.last_realized = f.realized_pnl;
      c.fees += f.fee;
      if (options.keep_fills)
        c.fills.push_back({t, f.side, f.price, f.quantity, f.fee, f.realized_pnl});
      const bool now_in = f.position_after != 0;
      if (now_in && !c.in_position) {
        c.position_since = t;
        c.holder_slot = static_cast<std::uint32_t>(holders.size());
        holders.push_back(index_of(f.bot));
      }
      if (!now_in && c.in_position) {
        c.exposed += t - c.position_since;
        collectors[holders.back()].holder_slot = c.holder_slot;
        holders[c.holder_slot] = holders.back();
        holders.pop_back();
      }
      c.in_position = now_in;
    }
    // One sample per configuration and input, after all its records, as the report takes.
    for (const std::uint32_t i : filled) {
      Collector& c = collectors[i];
      c.equity = equity_of(c, fold, BotId{i});
      c.drawdown.add(t, c.equity);
    }
    const InstrumentId moved = marked_instrument(records.front());
    if (moved != kNoInstrument) {
      for (const std::uint32_t i : holders) {
        Collector& c = collectors[i];
        if (c.instrument != moved || std::find(filled.begin(), filled.end(), i) != filled.end())
          continue;
        catch_up(c);
        c.equity = equity_of(c, fold, BotId{i});
        c.drawdown.add(t, c.equity);
      }
    }
    previous_input = t;
  };
  Backtest backtest(config, chunk_bots, std::move(bo));
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    backtest.market(inputs[k]);
    if (options.progress && (k & 4095) == 4095) options.progress(done + k + 1, total);
  }
  done += inputs.size();
  result.inputs += backtest.inputs();
  ++result.passes;
  if (options.progress) options.progress(done, total);
  const Nanos span = last_time - first_time;
  for (std::size_t i = 0; i < n; ++i) {
    Collector& c = collectors[i];
    if (c.in_position) c.exposed += last_time - c.position_since;
    catch_up(c);
    const BotId bot{static_cast<std::uint32_t>(i)};
    c.equity = equity_of(backtest.fold(), bot);
    c.drawdown.add(last_time, c.equity);
    SweepRun& run = result.runs[(first + i) * periods + p];
    run.metrics = finish(c, capital_of(market.config, c.instrument), span);
    run.metrics.fees = backtest.fold().orders().fees(bot);
    run.metrics.realized_pnl = backtest.fold().orders().realized_pnl(bot);
    run.fills = std::move(c.fills);
    run.created = c.created;
  }
  return backtest.fold().orders().stats().table_full == 0;
}

}  // namespace

SweepResult run_sweep(const RecordedMarket& market, const SweepPlan& plan,
                      const std::vector<std::string>& bots, const SweepOptions& options) {
  SweepResult result;
  result.plan = plan;
  const std::size_t periods = plan.periods.size();
  result.runs.resize(bots.size() * periods);
  const engine::InstrumentTable table(market.config.instruments);
  if (table.size()) result.price_scale = table.price_scale(table.definition(0).instrument);
  const std::size_t chunk = std::max<std::size_t>(
      1, std::min(options.chunk ? options.chunk : bots.size(), kMaxSweepPass));
  // A pass's order table holds kSweepOrdersPerBot a configuration (the deployment's 256
  // each would cost a pass of 1,000 two 256k-order tables, most of its time in page faults);
  // one that overflows runs again roomier, then configuration by configuration.
  const std::size_t largest = std::min(chunk, bots.size());
  const engine::EngineConfig config = pass_config(market.config, largest, kSweepOrdersPerBot);
  const engine::EngineConfig roomy =
      pass_config(market.config, largest,
                  std::max(deployment_orders_per_bot(market.config), 4 * kSweepOrdersPerBot));

  SweepJob job{market, bots, options, result, {}, {}, 0, 0, {}};
  for (const SweepPeriod& p : plan.periods) {
    job.slices.push_back(market.slice(p.part));
    job.total += job.slices.back().size();
  }
  job.total *= (bots.size() + chunk - 1) / chunk;
  for (const std::string& json : bots)
    job.instruments.push_back(bot_instrument(market.config, json));

  for (std::size_t first = 0; first < bots.size(); first += chunk) {
    const std::size_t n = std::min(chunk, bots.size() - first);
    for (std::size_t p = 0; p < periods; ++p) {
      if (job.pass(config, first, n, p)) continue;
      ++result.rerun_passes;
      job.total += job.slices[p].size();
      if (roomy.fold.oms.orders > config.fold.oms.orders && job.pass(roomy, first, n, p)) continue;
      // Still too many orders: each configuration alone on the deployment's fold, exactly as
      // it runs alone (slow, and only for configurations that keep hundreds of orders).
      job.total += job.slices[p].size() * n;
      for (std::size_t i = first; i < first + n; ++i)
        job.pass(market.config, i, 1, p);
    }
  }
  return result;
}

}  // namespace be::replay
