// The event stream's buffer, indexed by journal sequence (engine/stream_buffer.hpp): the window
// a client can resume in, what moves it (eviction, a lost event, a restart), the newest price
// per instrument; and through a real Engine: each item's seq is its record's journal sequence,
// bot events carry their owner (also after a restart), and a restart starts the buffer after
// the journal's position.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "engine/stream_buffer.hpp"
#include "tests/engine/engine_fixture.hpp"

namespace be::engine {
namespace {

using namespace test_support;

StreamItem item(SequenceNumber seq, std::uint32_t price_instrument = StreamItem::kNotAPrice) {
  StreamItem i;
  i.seq = seq;
  i.price_instrument = price_instrument;
  i.json = "{\"seq\":" + std::to_string(seq) + "}";
  return i;
}

std::vector<SequenceNumber> seqs(const StreamBatch& b) {
  std::vector<SequenceNumber> out;
  for (const StreamItem& i : b.items)
    out.push_back(i.seq);
  return out;
}

TEST(StreamBufferTest, shouldServeWhatFollowsAnySeqIncludingOnesBetweenItems) {
  StreamBuffer buffer(100, 1);
  buffer.reset(10);
  for (SequenceNumber s : {12u, 13u, 17u, 30u})
    buffer.push(item(s));
  EXPECT_EQ(seqs(buffer.since(10, 100)), (std::vector<SequenceNumber>{12, 13, 17, 30}));
  EXPECT_EQ(seqs(buffer.since(13, 100)), (std::vector<SequenceNumber>{17, 30}));
  EXPECT_EQ(seqs(buffer.since(14, 100)), (std::vector<SequenceNumber>{17, 30}));  // a gap
  EXPECT_EQ(seqs(buffer.since(12, 2)), (std::vector<SequenceNumber>{13, 17}));    // at most max
  EXPECT_TRUE(buffer.since(30, 100).items.empty());
  const StreamBatch b = buffer.since(16, 100);
  EXPECT_FALSE(b.resync);
  EXPECT_EQ(b.window.first_seq, 11u);
  EXPECT_EQ(b.window.head_seq, 30u);
}

TEST(StreamBufferTest, shouldAskForAResyncBeforeTheWindowAndStartAtFirstSeq) {
  StreamBuffer buffer(3, 1);
  buffer.reset(10);  // a restart: the previous run's events are not held
  const StreamBatch before_start = buffer.since(4, 100);
  EXPECT_TRUE(before_start.resync);
  EXPECT_EQ(before_start.window.first_seq, 11u);
  for (SequenceNumber s : {11u, 15u, 16u, 20u})  // 11 is evicted: first_seq 12
    buffer.push(item(s));
  EXPECT_EQ(buffer.window().first_seq, 12u);
  const StreamBatch evicted = buffer.since(10, 100);
  EXPECT_TRUE(evicted.resync);
  EXPECT_EQ(seqs(evicted), (std::vector<SequenceNumber>{15, 16, 20}));
  EXPECT_FALSE(buffer.since(11, 100).resync);  // first_seq - 1: exact
  EXPECT_EQ(seqs(buffer.since(11, 100)), (std::vector<SequenceNumber>{15, 16, 20}));
  // An event that never reached the buffer: nobody resumes across it.
  buffer.lost(21);
  buffer.push(item(22));
  EXPECT_TRUE(buffer.since(16, 100).resync);
  EXPECT_EQ(seqs(buffer.since(16, 100)), (std::vector<SequenceNumber>{22}));
  EXPECT_FALSE(buffer.since(21, 100).resync);
  EXPECT_EQ(buffer.window().first_seq, 22u);
  EXPECT_EQ(buffer.window().head_seq, 22u);
}

TEST(StreamBufferTest, shouldNameTheNewestPriceHeldPerInstrument) {
  StreamBuffer buffer(4, 3);
  buffer.reset(0);
  buffer.push(item(1, 0));
  buffer.push(item(2, 1));
  buffer.push(item(3, 0));
  buffer.push(item(4));
  EXPECT_EQ(buffer.window().latest_prices, (std::vector<SequenceNumber>{2, 3}));
  buffer.push(item(5));
  buffer.push(item(6));
  buffer.push(item(7));  // 2 and 3 evicted: nothing held to name
  EXPECT_TRUE(buffer.window().latest_prices.empty());
  EXPECT_TRUE(buffer.since(0, 10).window.latest_prices.empty());  // only window() lists them
}

// The publisher thread fills the buffer after the pipeline: waits (bounded) for it to reach
// `seq`.
bool streamed_through(const Engine& engine, SequenceNumber seq) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (engine.stream_window().head_seq < seq) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

std::vector<StreamItem> everything(const Engine& engine) {
  std::vector<StreamItem> out;
  for (SequenceNumber after = 0;;) {
    StreamBatch b = engine.stream_since(after, 1000);
    if (b.items.empty()) return out;
    after = b.items.back().seq;
    for (StreamItem& i : b.items)
      out.push_back(std::move(i));
  }
}

TEST(EngineStreamTest, shouldNumberItemsByJournalSequenceWithOwnersAcrossARestart) {
  TempDir dir;
  const EngineConfig config = test_config(dir.path);
  Market market(11);
  BotId bobs{};
  SequenceNumber last_streamed = 0;
  {
    auto engine = open_engine(config);
    ASSERT_TRUE(engine);
    EXPECT_EQ(engine->stream_window().first_seq, 1u);  // a new journal
    ASSERT_TRUE(engine->start().has_value());
    ASSERT_TRUE(start_trading(*engine, market, {kGridBot}));  // user 1's
    const CommandResult bob = engine->create_bot(UserId{2}, kDcaBot);
    ASSERT_EQ(bob.status, CommandStatus::kAccepted);
    bobs = bob.bot;
    ASSERT_TRUE(offer_market(*engine, market, 400));
    const CommandResult deleted =
        engine->bot_command(UserId{2}, false, bobs, OperatorCommandKind::kDeleteBot);
    ASSERT_EQ(deleted.status, CommandStatus::kAccepted);
    ASSERT_TRUE(streamed_through(*engine, deleted.sequence));
    const std::vector<StreamItem> items = everything(*engine);
    ASSERT_GT(items.size(), 20u);
    SequenceNumber previous = 0;
    bool bob_seen = false;
    for (const StreamItem& i : items) {
      EXPECT_GT(i.seq, previous);
      previous = i.seq;
      EXPECT_EQ(i.json.rfind("{\"seq\":" + std::to_string(i.seq) + ",", 0), 0u) << i.json;
      const bool price = i.json.find("\"type\":\"price\"") != std::string::npos;
      EXPECT_EQ(price, i.price_instrument == 0) << i.json;
      if (i.bot == kNoBot) continue;
      EXPECT_EQ(i.owner, i.bot == bobs ? UserId{2} : UserId{1}) << i.json;
      bob_seen = bob_seen || i.bot == bobs;
    }
    EXPECT_TRUE(bob_seen);
    // Resuming from the middle gives exactly the tail.
    const SequenceNumber middle = items[items.size() / 2].seq;
    const std::vector<StreamItem> tail(items.begin() + static_cast<long>(items.size() / 2) + 1,
                                       items.end());
    StreamBatch b = engine->stream_since(middle, 100'000);
    ASSERT_EQ(b.items.size(), tail.size());
    for (std::size_t k = 0; k < tail.size(); ++k)
      EXPECT_EQ(b.items[k].seq, tail[k].seq);
    last_streamed = items.back().seq;
    engine->stop();
  }
  auto reopened = open_engine(config);
  ASSERT_TRUE(reopened);
  const Engine::RecoveryReport& r = reopened->recovery();
  const SequenceNumber journal_end = r.last_position + r.completed_records;
  EXPECT_GE(journal_end, last_streamed);
  EXPECT_EQ(reopened->stream_window().first_seq, journal_end + 1);
  EXPECT_EQ(reopened->stream_window().head_seq, journal_end);
  EXPECT_TRUE(reopened->stream_since(last_streamed, 10).resync || last_streamed == journal_end);
  // The owners come back with the recovered bots: user 1's grid bot, started or stopped
  // after the restart.
  ASSERT_TRUE(reopened->start().has_value());
  const BotView* grid = reopened->read_model()->find(BotId{0});
  ASSERT_NE(grid, nullptr);
  const CommandResult command =
      reopened->bot_command(UserId{1}, false, BotId{0},
                            grid->state == BotState::kRunning ? OperatorCommandKind::kStopBot
                                                              : OperatorCommandKind::kStartBot);
  ASSERT_EQ(command.status, CommandStatus::kAccepted) << command.message;
  ASSERT_TRUE(streamed_through(*reopened, command.sequence));
  bool status_seen = false;
  for (const StreamItem& i : everything(*reopened)) {
    EXPECT_GT(i.seq, journal_end);
    if (i.bot != BotId{0}) continue;
    EXPECT_EQ(i.owner, UserId{1}) << i.json;
    status_seen = status_seen || i.json.find("\"type\":\"bot_status\"") != std::string::npos;
  }
  EXPECT_TRUE(status_seen);
  reopened->stop();
}

}  // namespace
}  // namespace be::engine
