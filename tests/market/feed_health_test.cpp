#include "strategies/market/feed_health.hpp"

#include <gtest/gtest.h>

namespace be {
namespace {

constexpr VenueId kBinance{0};
constexpr VenueId kKraken{1};
constexpr InstrumentId kBtc{0};
constexpr InstrumentId kEth{1};
constexpr InstrumentId kXbt{2};

Connectivity status(VenueId venue, ConnectivityState state,
                    InstrumentId instrument = kNoInstrument) {
  return {.venue = venue, .state = state, .instrument = instrument};
}

class FeedHealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(health.define(kBtc, kBinance));
    ASSERT_TRUE(health.define(kEth, kBinance));
    ASSERT_TRUE(health.define(kXbt, kKraken));
    health.apply(status(kBinance, ConnectivityState::kConnected), 1);
    health.apply(status(kKraken, ConnectivityState::kConnected), 1);
  }
  FeedHealth health{8, 2};
};

TEST(FeedHealth, shouldNotTradeBeforeTheVenueFirstConnects) {
  FeedHealth health(4, 1);
  EXPECT_EQ(health.reason(kBtc), SafeModeReason::kUnknownInstrument);
  health.define(kBtc, kBinance);
  EXPECT_EQ(health.reason(kBtc), SafeModeReason::kNotConnected);
  health.apply(status(kBinance, ConnectivityState::kConnected), 5);
  EXPECT_TRUE(health.tradable(kBtc));
}

TEST_F(FeedHealthTest, shouldStopEveryInstrumentOfADisconnectedVenueOnly) {
  health.apply(status(kBinance, ConnectivityState::kDisconnected), 10);
  EXPECT_EQ(health.reason(kBtc), SafeModeReason::kNotConnected);
  EXPECT_EQ(health.reason(kEth), SafeModeReason::kNotConnected);
  EXPECT_TRUE(health.tradable(kXbt)) << "another venue is unaffected";
  health.apply(status(kBinance, ConnectivityState::kConnected), 20);
  EXPECT_TRUE(health.tradable(kBtc));
  EXPECT_EQ(health.stats()["disconnects"], 1u);
}

TEST_F(FeedHealthTest, shouldKeepAGappedInstrumentStoppedUntilItRecoversEvenAfterReconnect) {
  health.apply(status(kBinance, ConnectivityState::kGap, kBtc), 10);
  EXPECT_EQ(health.reason(kBtc), SafeModeReason::kGap);
  EXPECT_TRUE(health.tradable(kEth));
  health.apply(status(kBinance, ConnectivityState::kDisconnected), 11);
  health.apply(status(kBinance, ConnectivityState::kConnected), 12);
  EXPECT_EQ(health.reason(kBtc), SafeModeReason::kGap) << "the book has not resynced yet";
  health.apply(status(kBinance, ConnectivityState::kRecovered, kBtc), 13);
  EXPECT_TRUE(health.tradable(kBtc));
  EXPECT_EQ(health.stats()["gaps"], 1u);
  EXPECT_EQ(health.stats()["recoveries"], 1u);
}

TEST_F(FeedHealthTest, shouldStopOnAStaleFeedAndResumeWhenDataFlowsAgain) {
  health.apply(status(kKraken, ConnectivityState::kStale), 10);
  EXPECT_EQ(health.reason(kXbt), SafeModeReason::kStale);
  health.apply(status(kKraken, ConnectivityState::kRecovered), 11);
  EXPECT_TRUE(health.tradable(kXbt));
  health.apply(status(kKraken, ConnectivityState::kStale, kXbt), 12);
  EXPECT_EQ(health.reason(kXbt), SafeModeReason::kStale);
  health.apply(status(kKraken, ConnectivityState::kConnected), 13);
  EXPECT_TRUE(health.tradable(kXbt)) << "a reconnect clears staleness";
}

TEST_F(FeedHealthTest, shouldIgnoreAndCountEventsForUnknownIds) {
  health.apply(status(VenueId{9}, ConnectivityState::kDisconnected), 10);
  health.apply(status(kBinance, ConnectivityState::kGap, InstrumentId{7}), 10);
  health.apply(status(kKraken, ConnectivityState::kGap, kBtc), 10);  // BTC is not on Kraken
  EXPECT_EQ(health.stats()["ignored"], 3u);
  EXPECT_TRUE(health.tradable(kBtc));
  EXPECT_FALSE(health.define(InstrumentId{99}, kBinance));
}

}  // namespace
}  // namespace be
