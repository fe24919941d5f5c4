// The strategy stage, market data: instruments defined, trades and venue bars into bars per
// (instrument, timeframe), closed bars into the shared condition engine (Signals) and the
// bots, trades and quotes to the bots that trade the instrument (the instrument's listeners,
// never a walk over every bot). Hot path after warm-up: no
// allocation (the trigger buffer is on the stack).
#include <array>
#include <string>

#include "strategies/stage/stage_state.hpp"

namespace be::stage {

void StrategyStage::define(const InstrumentDefined& def) {
  const auto i = index_of(def.instrument);
  if (i >= instruments_.size() || index_of(def.venue) >= venue_names_.size()) {
    ++stats_["bad_commands"];
    return;
  }
  Instrument& in = instruments_[i];
  in.defined = true;
  in.info.id = def.instrument;
  in.info.price_scale = def.price_scale;
  in.info.qty_scale = def.qty_scale;
  in.info.tick_size = def.tick_size;
  in.info.step_size = def.step_size;
  in.info.min_notional = def.min_notional;
  in.symbol = std::string(def.symbol_view());
  in.venue = def.venue;
  in.base = assets_.intern(def.base_view());
  in.quote = assets_.intern(def.quote_view());
  if (free_quote_.size() < assets_.size()) free_quote_.resize(assets_.size(), 0);
  for (std::size_t k = 0; k < in.bars.size(); ++k) {
    in.bars[k] = BarAggregator(def.instrument, kStandardIntervals[k]);
  }
  health_.define(def.instrument, def.venue);
}

void StrategyStage::on_trade(const Trade& trade, Nanos t, Outbox& out) {
  const auto i = index_of(trade.instrument);
  if (i >= instruments_.size() || !instruments_[i].defined) return;
  for (BarAggregator& a : instruments_[i].bars) {
    a.on_trade(trade, t, [&](const Bar& bar) { on_closed_bar(bar, out); });
  }
  for (BotSlot* slot : listeners_[i]) {
    if (!slot->receives_callbacks()) continue;
    Context ctx(*this, *slot, out);
    slot->heartbeat = now_;
    ++slot->inputs;
    slot->bot->on_trade(trade, ctx);
    fail_if_stopped(*slot, out);
  }
}

void StrategyStage::on_bar_input(const Bar& bar, Outbox& out) {
  const auto i = index_of(bar.instrument);
  if (i >= instruments_.size() || !instruments_[i].defined || !bar.closed) return;
  for (BarAggregator& a : instruments_[i].bars) {
    a.on_bar(bar, [&](const Bar& b) { on_closed_bar(b, out); });
  }
}

// A clock tick (Timer input) also closes bars whose interval ended in a quiet market, so bots
// see the bar when it ends, not at the next trade.
void StrategyStage::on_clock_tick(Outbox& out) {
  for (Instrument& in : instruments_) {
    if (!in.defined) continue;
    for (BarAggregator& a : in.bars) {
      a.on_time(now_, [&](const Bar& bar) { on_closed_bar(bar, out); });
    }
  }
}

namespace {
struct TriggerBuffer final : cond::TriggerSink {
  std::array<cond::Trigger, 256> items;
  std::size_t size = 0;
  std::uint64_t dropped = 0;
  void on_trigger(const cond::Trigger& t) noexcept override {
    if (size < items.size()) {
      items[size++] = t;
    } else {
      ++dropped;
    }
  }
};
}  // namespace

void StrategyStage::on_closed_bar(const Bar& bar, Outbox& out) {
  ++stats_["bars"];
  const Instrument& in = instruments_[index_of(bar.instrument)];
  TriggerBuffer triggers;
  conditions_.on_bar(bar, in.info.price_scale, in.info.qty_scale, triggers);
  for (BotSlot* slot : listeners_[index_of(bar.instrument)]) {
    if (slot->config.timeframe_seconds != bar.interval_seconds || !slot->receives_callbacks()) {
      continue;
    }
    Context ctx(*this, *slot, out);
    slot->heartbeat = now_;
    ++slot->inputs;
    slot->bot->on_bar(bar, ctx);
    fail_if_stopped(*slot, out);
  }
  stats_["intents_dropped"] += triggers.dropped;
  for (std::size_t k = 0; k < triggers.size; ++k) {
    const cond::Trigger& trig = triggers.items[k];
    auto sub = subscriptions_.find(trig.subscription);
    if (sub == subscriptions_.end()) continue;
    BotSlot* slot = find(sub->second.first);
    if (slot == nullptr) continue;
    Signal sig;
    sig.bot = slot->bot->id();
    sig.condition_index = sub->second.second;
    sig.instrument = trig.instrument;
    sig.timeframe_seconds = trig.timeframe_seconds;
    sig.bar_open_time = trig.bar_open_time;
    sig.lhs = trig.lhs;
    sig.rhs = trig.rhs;
    ++stats_["signals"];
    out.emit(sig, now_);
    if (!slot->active()) continue;
    Context ctx(*this, *slot, out);
    slot->bot->on_condition(sub->second.second, ctx);
    fail_if_stopped(*slot, out);
  }
}

void StrategyStage::on_quote(const Quote& quote, Outbox& out) {
  const auto i = index_of(quote.instrument);
  if (i >= listeners_.size()) return;
  for (BotSlot* slot : listeners_[i]) {
    if (!slot->receives_callbacks()) continue;
    Context ctx(*this, *slot, out);
    slot->heartbeat = now_;
    ++slot->inputs;
    slot->bot->on_quote(quote, ctx);
    fail_if_stopped(*slot, out);
  }
}

}  // namespace be::stage
