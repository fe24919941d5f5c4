// The harness's socket feed (bench/harness/sim_feed.hpp) over real loopback: the simulator
// sends the wire generator's frames at their intended times and the client hands each one
// over with its schedule slot. What the figures rest on is pinned here: the bytes a parser
// sees are the generator's (the venue's) byte for byte, frame k carries slot k's intended
// time, nothing is sent before it is due, and a run that loses frames says so.
#include "bench/harness/sim_feed.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <ostream>
#include <string>
#include <vector>

namespace be::bench {

namespace {

// A receiving client and how its thread idles (the Beast client ignores `idle`).
struct Receiver {
  const char* name;
  FeedClient client;
  const char* idle;
};
void PrintTo(const Receiver& r, std::ostream* os) {
  *os << r.name;
}

struct Received {
  std::string bytes;
  Nanos receive_time = 0;
  Nanos intended = 0;
};

class SimWsFeedWith : public ::testing::TestWithParam<Receiver> {};

TEST_P(SimWsFeedWith, shouldDeliverTheVenuesBytesInOrderEachWithItsIntendedTime) {
  constexpr std::uint64_t kCount = 600;
  std::mutex mu;
  std::vector<Received> got;
  SimFeedConfig config;
  config.rate = 20'000;
  config.count = kCount;
  config.lead = 1'000'000'000;  // room to connect on a loaded machine
  config.client = GetParam().client;
  config.idle = GetParam().idle;
  SimWsFeed feed(config,
                 [&](std::string_view frame, std::size_t readable, Nanos rx, Nanos intended) {
                   EXPECT_GE(readable, frame.size());
                   std::lock_guard lock(mu);
                   got.push_back({std::string(frame), rx, intended});
                 });
  const Schedule schedule = feed.schedule();
  ASSERT_TRUE(feed.start());
  ASSERT_TRUE(feed.wait_done(10'000'000'000)) << feed.result().error;
  feed.stop();

  const SimFeedResult r = feed.result();
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.sender.sent, kCount);
  EXPECT_EQ(r.received, kCount);
  EXPECT_EQ(r.connects, 1u);
  ASSERT_EQ(got.size(), kCount);
  WireGenerator venue(config.wire);
  std::string expected;
  for (std::uint64_t i = 0; i < kCount; ++i) {
    venue.next(schedule.intended(i), expected);
    ASSERT_EQ(got[i].bytes, expected) << "frame " << i;
    ASSERT_EQ(got[i].intended, schedule.intended(i)) << "frame " << i;
    // The sender waits for the wall clock to reach the intended time: a frame received
    // before it would make every latency look shorter than it was.
    ASSERT_GE(got[i].receive_time, got[i].intended) << "frame " << i;
  }
  // Every frame's own lag, measured by the sender: none negative, as many as were sent.
  EXPECT_EQ(feed.sender_lag().count(), kCount);
  EXPECT_EQ(feed.sender_lag().negative(), 0u);
  EXPECT_EQ(r.sender.max_lag, static_cast<Nanos>(feed.sender_lag().max()));
  // Every frame's wire time: from the sender starting its write to the client's read.
  EXPECT_EQ(feed.wire().count(), kCount);
  EXPECT_EQ(feed.wire().negative(), 0u) << "a frame read before it was written";
}

INSTANTIATE_TEST_SUITE_P(Clients, SimWsFeedWith,
                         ::testing::Values(Receiver{"beast", FeedClient::kBeast, "busy_spin"},
                                           Receiver{"uring_spin", FeedClient::kUring, "busy_spin"},
                                           Receiver{"uring_yield", FeedClient::kUring, "yield"},
                                           Receiver{"uring_wait", FeedClient::kUring, "wait"}),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(SimWsFeed, shouldSayWhenTheClientHasNotReceivedEveryFrame) {
  // A receiver that has seen nothing yet: stop() before the first frame is due.
  SimFeedConfig config;
  config.rate = 1'000;
  config.count = 50;
  config.lead = 2'000'000'000;  // stopped long before the first frame is due
  SimWsFeed feed(config, [](std::string_view, std::size_t, Nanos, Nanos) {});
  ASSERT_TRUE(feed.start());
  EXPECT_FALSE(feed.wait_done(1'000'000));
  feed.stop();
  const SimFeedResult r = feed.result();
  EXPECT_EQ(r.received, 0u);
  EXPECT_EQ(r.error, "the simulator sent 0 of 50 frames");
}

}  // namespace
}  // namespace be::bench
