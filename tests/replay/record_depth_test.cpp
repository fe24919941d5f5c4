// A recorded book (`botengine record --depth`): the REST depth snapshot rides in a kRest frame
// beside the depth diffs, and a replay turns it into the book's snapshot levels through the
// real parser, so the paper venue's queue model sees the level an order joins.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "feed/record/capture_writer.hpp"
#include "replay/capture_replay.hpp"

namespace {

using namespace be;
namespace fs = std::filesystem;

constexpr Nanos kT0 = 1'700'000'000'000'000'000;

class RecordDepthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("be-record-depth-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST(RestFrame, shouldSplitBackIntoTheUrlAndTheBody) {
  const std::string payload =
      capture::rest_frame("https://api.binance.com/api/v3/depth?symbol=X", "{\"a\":\n1}");
  const capture::RestFrame f = capture::split_rest_frame(payload);
  EXPECT_EQ(f.url, "https://api.binance.com/api/v3/depth?symbol=X");
  EXPECT_EQ(f.body, "{\"a\":\n1}");  // only the first newline separates
}

TEST_F(RecordDepthTest, shouldReplayTheRecordedSnapshotAsTheBooksLevels) {
  const std::string file = (dir_ / "depth.becap").string();
  {
    capture::CaptureWriterOptions o;
    o.venue = "binance";
    auto w = capture::CaptureWriter::create(file, o, kT0);
    ASSERT_TRUE(w.has_value()) << w.error();
    ASSERT_TRUE((*w)->append(capture::FrameKind::kConnected, 0, kT0, "ws://127.0.0.1:1/stream"));
    ASSERT_TRUE((*w)->append(
        capture::FrameKind::kReceived, 0, kT0 + 1,
        R"({"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1700000000000,)"
        R"("s":"BTCUSDT","U":101,"u":102,"b":[["50000.00","1.2"]],"a":[]}})"));
    ASSERT_TRUE((*w)->append(
        capture::FrameKind::kRest, 0, kT0 + 2,
        capture::rest_frame("http://127.0.0.1:1/api/v3/depth?symbol=BTCUSDT&limit=1000",
                            R"({"lastUpdateId":100,"bids":[["50000.00","1.5"],["49999.00","3"]],)"
                            R"("asks":[["50001.00","2.0"]]})")));
    ASSERT_TRUE((*w)->close()) << (*w)->error();
  }
  auto capture = replay::CaptureFile::open(file);
  ASSERT_TRUE(capture) << capture.error();
  auto config = replay::derive_config(**capture, feed::Venue::kBinance);
  ASSERT_TRUE(config) << config.error();
  std::vector<BookDelta> snapshot;
  auto stats = replay::feed_capture(**capture, feed::Venue::kBinance, *config, [&](const Event& e) {
    if (e.header.type == EventType::kBookDelta && (e.as<BookDelta>().flags & BookDelta::kSnapshot))
      snapshot.push_back(e.as<BookDelta>());
  });
  ASSERT_TRUE(stats) << stats.error();
  EXPECT_EQ(stats->not_parsed, 0u) << "the snapshot went to the depth parser";
  ASSERT_EQ(snapshot.size(), 3u);
  EXPECT_EQ(snapshot[0].side, Side::kBuy);
  EXPECT_EQ(snapshot[0].price, 5'000'000'000'000);  // 50000.00 at scale 8
  EXPECT_EQ(snapshot[0].quantity, 150'000'000);     // 1.5
  EXPECT_EQ(snapshot[2].side, Side::kSell);
  EXPECT_TRUE(snapshot[2].flags & BookDelta::kEndOfUpdate);
}

}  // namespace
