// Shared fixture for the risk tests: one instrument "BTCUSDT" at price scale 2 and qty scale
// 3 (100.00 is 10000, 1.000 is 1000), base asset 0 (BTC), quote asset 1 (USDT), bots 0..3,
// accounts 0..1; bot 0 and bot 1 belong to account 0. Figures are written as decimal text
// and converted with be::parse_decimal, so the tests read like the docs.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string_view>

#include "core/fixed_point.hpp"
#include "risk/risk_engine.hpp"

namespace be::risk::test {

inline std::int64_t px(std::string_view s) {
  return parse_decimal(s, 2).value();
}
inline std::int64_t qty(std::string_view s) {
  return parse_decimal(s, 3).value();
}

inline constexpr InstrumentId kBtc{0};
inline constexpr InstrumentId kEth{1};
inline constexpr BotId kBot{0};
inline constexpr BotId kSibling{1};  // same account as kBot
inline constexpr BotId kOther{2};    // account 1
inline constexpr AccountId kAccount{0};
inline constexpr AccountId kOtherAccount{1};
inline constexpr AssetId kBase{0};
inline constexpr AssetId kQuote{1};
inline constexpr Nanos kSecond = 1'000'000'000;
inline constexpr Nanos kDay = RiskEngine::kDayNanos;
inline constexpr Nanos kT0 = 20'000 * kDay + 10 * 3600 * kSecond;  // 10:00 UTC, some day

inline InstrumentDefined btc_definition(std::int64_t tick = 1, std::int64_t step = 1,
                                        std::int64_t min_notional = 0) {
  return {.instrument = kBtc,
          .price_scale = 2,
          .qty_scale = 3,
          .tick_size = tick,
          .step_size = step,
          .min_notional = min_notional};
}

class RiskFixture : public ::testing::Test {
 protected:
  RiskEngine engine{Capacity{4, 2, 2, 3}};
  std::array<OrderIntent, 8> exits{};

  void SetUp() override {
    ASSERT_TRUE(engine.define_instrument(btc_definition(), kBase, kQuote));
    configure(BotConfig{});
    ASSERT_TRUE(engine.configure_bot(kSibling, kAccount, BotConfig{}));
    ASSERT_TRUE(engine.configure_bot(kOther, kOtherAccount, BotConfig{}));
  }

  void configure(const BotConfig& c, BotId bot = kBot) {
    ASSERT_TRUE(engine.configure_bot(bot, kAccount, c));
  }
  // A bot config with these limits and nothing else set.
  void configure_limits(const Limits& l, BotId bot = kBot) {
    BotConfig c;
    c.limits = l;
    configure(c, bot);
  }
  void configure_account(const Limits& l, bool check_balance = false) {
    AccountConfig c;
    c.limits = l;
    c.check_balance = check_balance ? 1 : 0;
    ASSERT_TRUE(engine.configure_account(kAccount, c));
  }

  static OrderIntent limit(Side side, std::int64_t price, std::int64_t quantity, BotId bot = kBot) {
    return {.bot = bot,
            .instrument = kBtc,
            .side = side,
            .type = OrderType::kLimit,
            .price = price,
            .quantity = quantity};
  }
  static OrderIntent market(Side side, std::int64_t quantity, BotId bot = kBot) {
    OrderIntent i = limit(side, 0, quantity, bot);
    i.type = OrderType::kMarket;
    return i;
  }
  static OrderIntent reduce_only(OrderIntent i) {
    i.flags = OrderIntent::kReduceOnly;
    return i;
  }

  Decision check(const OrderIntent& i, Nanos t = kT0) { return engine.check(i, t); }
  std::size_t trade(std::int64_t price, Nanos t = kT0) {
    return engine.apply_trade(Trade{.instrument = kBtc, .price = price, .quantity = 1}, t, exits);
  }
  void fill(Side side, std::int64_t price, std::int64_t quantity, std::int64_t fee = 0,
            BotId bot = kBot, Nanos t = kT0) {
    engine.apply_fill(FillInput{.bot = bot,
                                .instrument = kBtc,
                                .side = side,
                                .price = price,
                                .quantity = quantity,
                                .fee = fee},
                      t);
  }
  void open_order(Side side, std::int64_t price, std::int64_t quantity, BotId bot = kBot) {
    engine.apply_order_opened(OrderInput{bot, kBtc, side, price, quantity});
  }
};

// Asserts a reject's reason and scope, with the reason's name in the failure message.
#define EXPECT_REJECT(decision, want_reason, want_scope)                                       \
  do {                                                                                         \
    const ::be::risk::Decision be_d_ = (decision);                                             \
    EXPECT_EQ(::be::risk::to_string(be_d_.reject.reason), ::be::risk::to_string(want_reason)); \
    EXPECT_EQ(be_d_.reject.scope, want_scope);                                                 \
  } while (false)

}  // namespace be::risk::test
