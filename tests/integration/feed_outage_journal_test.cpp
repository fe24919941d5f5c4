// The market-data path end to end: the exchange simulator on 127.0.0.1 -> the WebSocket
// client -> the Binance parser -> a sequencer -> the LMDB journal. The simulator drops the
// connection; the test checks that data flows again within the backoff schedule and that the
// outage (connected, disconnected, connected) is in the journal between the trades, in
// sequence, so a replay reproduces it. Every wait is a bounded condition, never a sleep.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <vector>

#include "feed/binance.hpp"
#include "feed/symbol_table.hpp"
#include "journal/reader.hpp"
#include "journal/writer.hpp"
#include "net/ws_client.hpp"
#include "sim/sim_server.hpp"

namespace be {
namespace {

constexpr Nanos kMs = 1'000'000;
constexpr VenueId kVenue{1};

TEST(FeedOutage, shouldResumeWithinTheBackoffScheduleAndJournalTheOutage) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("be-outage-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);

  sim::SimConfig sim_config;
  sim_config.port = 0;
  sim_config.speed = 20;
  sim_config.ping_interval = 200 * kMs;
  sim::SyntheticConfig market;
  market.symbols = {"btcusdt"};
  sim::SimServer server(sim_config, sim::make_synthetic_source(market));
  auto port = server.start();
  ASSERT_TRUE(port.has_value()) << port.error();

  journal::WriterOptions writer_options;
  writer_options.durability = journal::Durability::kAsync;
  auto writer = journal::JournalWriter<>::open(dir.string(), writer_options);
  ASSERT_TRUE(writer.has_value()) << writer.error().message;

  // The sequencer: the client calls its handlers on its I/O thread one at a time, so that
  // thread is the journal's single producer.
  feed::SymbolTable symbols(feed::UnknownSymbolPolicy::kReject);
  symbols.add("BTCUSDT");
  feed::BinanceParser parser(kVenue, symbols);
  std::mutex mutex;
  std::condition_variable changed;
  SequenceNumber next = 1;
  std::size_t trades = 0, trades_after_reconnect = 0, connects = 0, append_failures = 0;
  auto append = [&](Event e) {
    e.header.sequence = next++;
    journal::AppendStatus status;
    while ((status = (*writer)->try_append(e)) == journal::AppendStatus::kFull) {
    }
    if (status != journal::AppendStatus::kOk) ++append_failures;
  };
  net::WsClientConfig config;
  config.url = "ws://127.0.0.1:" + std::to_string(*port) + "/stream";
  config.venue = kVenue;
  config.backoff.initial = 50 * kMs;
  config.backoff.cap = 400 * kMs;
  config.connect_timeout = 2'000 * kMs;
  net::WsClientHandlers handlers;
  handlers.on_frame = [&](const net::Frame& frame) {
    std::lock_guard lock(mutex);
    parser.parse(frame.payload, frame.receive_time, [&](const Event& e) {
      append(e);
      if (e.is<Trade>()) {
        ++trades;
        if (connects >= 2) ++trades_after_reconnect;
      }
    });
    changed.notify_all();
  };
  handlers.on_status = [&](const Event& e) {
    std::lock_guard lock(mutex);
    append(e);
    if (e.as<Connectivity>().state == ConnectivityState::kConnected) ++connects;
    changed.notify_all();
  };
  net::WsClient client(config, handlers);
  ASSERT_TRUE(client.start());
  client.subscribe("btcusdt", "trade");
  auto wait = [&](auto predicate) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(10), predicate);
  };
  ASSERT_TRUE(wait([&] { return trades >= 5; }));
  server.inject(sim::Fault{sim::Fault::Kind::kDrop, 0, 1, {}});
  ASSERT_TRUE(wait([&] { return connects >= 2 && trades_after_reconnect >= 5; }));
  client.stop();
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(append_failures, 0u);
  }
  ASSERT_FALSE((*writer)->close().code != journal::Errc::kOk);
  writer->reset();

  // Read it back: contiguous sequences, and the outage between trades.
  auto reader = journal::Reader::open(dir.string());
  ASSERT_TRUE(reader.has_value()) << reader.error().message;
  (*reader)->seek(1);
  journal::RecordView view;
  SequenceNumber expected = 1;
  std::vector<std::pair<ConnectivityState, Nanos>> outage;
  std::size_t trades_before_drop = 0, trades_between = 0, trades_after = 0;
  while ((*reader)->next(view) == journal::ReadStatus::kRecord) {
    ASSERT_EQ(view.sequence, expected++);
    Event e;
    ASSERT_EQ(journal::decode(view, e).code, journal::Errc::kOk);
    if (e.is<Connectivity>()) {
      outage.emplace_back(e.as<Connectivity>().state, e.header.receive_time);
    } else if (e.is<Trade>()) {
      (outage.size() <= 1   ? trades_before_drop
       : outage.size() == 2 ? trades_between
                            : trades_after)++;
    }
  }
  ASSERT_EQ((*reader)->error().code, journal::Errc::kOk) << (*reader)->error().message;
  ASSERT_GE(outage.size(), 3u);
  EXPECT_EQ(outage[0].first, ConnectivityState::kConnected);
  EXPECT_EQ(outage[1].first, ConnectivityState::kDisconnected);
  EXPECT_EQ(outage[2].first, ConnectivityState::kConnected);
  EXPECT_GE(trades_before_drop, 5u);
  EXPECT_EQ(trades_between, 0u) << "no data while disconnected";
  EXPECT_GE(trades_after, 5u);
  // The first retry waits 50 ms +-10 %; on loopback the reconnect itself is quick.
  const Nanos gap = outage[2].second - outage[1].second;
  EXPECT_GE(gap, 45 * kMs);
  EXPECT_LT(gap, 3'000 * kMs);
  reader->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace be
