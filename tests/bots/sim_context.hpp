// A minimal market for bot tests: bars drive time, market orders fill at the close of the
// bar during which they were submitted, limit orders fill at their price on a later bar that
// trades through it. Timers fire at the first bar closing at or after their deadline. It is
// deliberately simple (whole fills, no fees, no latency) so expectations can be worked out by
// hand; the paper venue is the realistic one.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

#include "core/fixed_point.hpp"
#include "strategies/bots/bot.hpp"
#include "tests/bots/bot_test_data.hpp"

namespace be::bots::test {

struct Submitted {
  std::size_t bar_index;
  OrderIntent intent;
  bool in_reaction_to_fill = false;  // submitted from on_fill/on_order_update
};

class SimContext final : public BotContext {
 public:
  explicit SimContext(InstrumentInfo info) : info_(info) {}

  Nanos now() const noexcept override { return now_; }
  void submit(const OrderIntent& intent) noexcept override {
    submitted.push_back({bar_index_, intent, in_fill_ > 0});
    if (intent.type == OrderType::kMarket) {
      market_.push_back(intent);
    } else {
      open_.push_back({next_id_++, intent});
    }
  }
  void cancel(InstrumentId /*instrument*/, std::uint32_t tag) noexcept override {
    ++cancels;
    std::erase_if(open_, [&](const Resting& r) { return tag == 0 || r.intent.tag == tag; });
  }
  void set_timer(std::uint32_t id, Nanos deadline) noexcept override { timers_[id] = deadline; }
  const InstrumentInfo* instrument(InstrumentId) const noexcept override { return &info_; }
  std::int64_t position(InstrumentId) const noexcept override { return position_; }
  bool tradable(InstrumentId) const noexcept override { return tradable_; }
  std::int64_t available_quote(InstrumentId) const noexcept override { return quote_balance_; }
  void set_quote_balance(std::int64_t q) { quote_balance_ = q; }

  void set_tradable(bool t) { tradable_ = t; }
  // Starts the bot at event time t; market orders it sends fill at `price`.
  void start(Bot& bot, Nanos t, std::int64_t price) {
    now_ = t;
    bot.start(*this);
    fill_market(bot, price);
  }

  // Event time moves to t with no market data (a quiet market): only due timers fire.
  void advance(Bot& bot, Nanos t) {
    now_ = t;
    fire_timers(bot);
  }

  void deliver(Bot& bot, const Bar& bar, std::size_t index) {
    bar_index_ = index;
    now_ = bar.open_time + static_cast<Nanos>(bar.interval_seconds) * 1'000'000'000LL;
    // Orders resting before this bar may fill on it, at their own price; orders placed in
    // reaction wait for the next bar.
    const std::vector<Resting> before = open_;
    for (const Resting& r : before) {
      auto it =
          std::find_if(open_.begin(), open_.end(), [&](const Resting& o) { return o.id == r.id; });
      if (it == open_.end()) continue;  // cancelled by an earlier fill's reaction
      const bool hit =
          r.intent.side == Side::kBuy ? bar.low <= r.intent.price : bar.high >= r.intent.price;
      if (!hit) continue;
      open_.erase(it);
      fill(bot, r.intent, r.intent.price);
      fill_market(bot, bar.close);
    }
    fire_timers(bot);
    bot.on_bar(bar, *this);
    fill_market(bot, bar.close);
  }

  // A condition of the bot fired on the bar just delivered: market orders it sends fill at
  // that bar's close.
  void deliver_condition(Bot& bot, std::uint32_t index, std::int64_t close) {
    bot.on_condition(index, *this);
    fill_market(bot, close);
  }

  std::vector<Submitted> submitted;
  std::vector<BotFill> fills;
  int cancels = 0;
  std::size_t open_orders() const { return open_.size(); }

 private:
  struct Resting {
    std::uint64_t id;
    OrderIntent intent;
  };

  void fire_timers(Bot& bot) {
    for (auto it = timers_.begin(); it != timers_.end();) {
      if (it->second <= now_) {
        const auto id = it->first;
        it = timers_.erase(it);
        bot.timer(id, *this);
      } else {
        ++it;
      }
    }
  }

  void fill_market(Bot& bot, std::int64_t price) {
    while (!market_.empty()) {
      const OrderIntent o = market_.front();
      market_.erase(market_.begin());
      fill(bot, o, price);
    }
  }

  void fill(Bot& bot, OrderIntent o, std::int64_t price) {
    if (o.quantity == 0 && o.quote_amount > 0) {
      const Wide q =
          static_cast<Wide>(o.quote_amount) * static_cast<Wide>(pow10(info_.qty_scale)) / price;
      o.quantity = static_cast<std::int64_t>(q);
      if (info_.step_size > 0) o.quantity -= o.quantity % info_.step_size;
    }
    position_ += o.side == Side::kBuy ? o.quantity : -o.quantity;
    const BotFill f{o.instrument, o.side, o.tag, price, o.quantity, 0};
    fills.push_back(f);
    ++in_fill_;
    bot.on_fill(f, *this);
    bot.on_order_update(
        {o.instrument, o.tag, BotOrderStatus::kFilled, o.side, o.price, o.quantity, o.quantity},
        *this);
    --in_fill_;
  }

  InstrumentInfo info_;
  Nanos now_ = 0;
  std::size_t bar_index_ = 0;
  std::int64_t position_ = 0;
  bool tradable_ = true;
  int in_fill_ = 0;
  std::int64_t quote_balance_ = 0;
  std::uint64_t next_id_ = 1;
  std::vector<OrderIntent> market_;
  std::vector<Resting> open_;
  std::map<std::uint32_t, Nanos> timers_;
};

// After a snapshot restore: continues `original` in `a` and `restored` in a copy of `a` (the
// market as it was at the snapshot) over bars [from, end). Both must submit alike (some
// orders at least) and end in the same state.
inline void expect_identical_continuation(Bot& original, Bot& restored, SimContext& a,
                                          const replay::Candles& candles, std::size_t from) {
  SimContext b = a;
  for (std::size_t i = from; i < candles.size(); ++i) {
    a.deliver(original, closed(candles.bars[i]), i);
    b.deliver(restored, closed(candles.bars[i]), i);
  }
  ASSERT_EQ(a.submitted.size(), b.submitted.size());
  EXPECT_GT(a.submitted.size(), 0u);
  EXPECT_EQ(original.state_hash(), restored.state_hash());
}

}  // namespace be::bots::test
