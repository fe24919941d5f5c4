#include "feed/capture.hpp"

#include <gtest/gtest.h>

#include <string>

#include "feed/dispatcher.hpp"

namespace be::feed {
namespace {

TEST(CaptureLine, shouldParseEveryLineShapeOfTheTextFormat) {
  auto msg = parse_capture_line(R"(1633998512.0633569: {"stream":"x","data":{}})");
  ASSERT_TRUE(msg.has_value());
  EXPECT_EQ(msg->kind, CaptureLineKind::kMessage);
  EXPECT_EQ(msg->receive_time, 1633998512063356900);
  EXPECT_EQ(msg->payload, R"({"stream":"x","data":{}})");

  auto connect = parse_capture_line("wss://ws.kraken.com <-> 1618678132.368463");
  ASSERT_TRUE(connect.has_value());
  EXPECT_EQ(connect->kind, CaptureLineKind::kConnect);
  EXPECT_EQ(connect->url, "wss://ws.kraken.com");
  EXPECT_EQ(connect->receive_time, 1618678132368463000);

  auto sent =
      parse_capture_line(R"(wss://ws.kraken.com <- 1618678132.83097: {"event":"subscribe"})");
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->kind, CaptureLineKind::kSent);
  EXPECT_EQ(sent->payload, R"({"event":"subscribe"})");

  auto http = parse_capture_line(
      "https://api.binance.com/api/v3/depth?symbol=NKNUSDT&limit=1000 -> 1633998512.320639: {}");
  ASSERT_TRUE(http.has_value());
  EXPECT_EQ(http->kind, CaptureLineKind::kHttp);
  EXPECT_EQ(url_query_param(http->url, "symbol"), "NKNUSDT");
  EXPECT_EQ(url_query_param(http->url, "limit"), "1000");
  EXPECT_EQ(url_query_param(http->url, "nope"), "");

  auto config = parse_capture_line(R"(configuration: {"trades":["NKN-USDT"]})");
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->kind, CaptureLineKind::kConfig);
}

TEST(CaptureLine, shouldRejectMalformedLinesWithAReason) {
  EXPECT_EQ(parse_capture_line("").error(), CaptureError::kEmptyLine);
  EXPECT_EQ(parse_capture_line("garbage").error(), CaptureError::kMalformedLine);
  EXPECT_EQ(parse_capture_line("12.5 no colon").error(), CaptureError::kMalformedLine);
  EXPECT_EQ(parse_capture_line("12.x: {}").error(), CaptureError::kBadTimestamp);
  EXPECT_EQ(parse_capture_line("wss://a ?? 1: {}").error(), CaptureError::kMalformedLine);
  EXPECT_EQ(parse_capture_line("99999999999999999999: {}").error(), CaptureError::kBadTimestamp);
}

TEST(CaptureLine, shouldTruncateTimeDigitsBeyondNanoseconds) {
  EXPECT_EQ(*parse_capture_time("1.1234567891"), 1123456789);
  EXPECT_EQ(*parse_capture_time("7"), 7'000'000'000);
}

TEST(CaptureReader, shouldTakeVenueFromFileNameAndSkipBadLines) {
  EXPECT_EQ(venue_from_capture_name("/x/y/BINANCE_US.ws.1.0"), Venue::kBinanceUs);
  EXPECT_EQ(venue_from_capture_name("KRAKEN.0"), Venue::kKraken);
  EXPECT_EQ(venue_from_capture_name("FTX.ws.1"), Venue::kUnknown);
  TextCaptureReader reader;
  reader.assign("1.5: {}\nbroken\n\n2.5: []\n", Venue::kKraken);
  CaptureRecord r;
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r.receive_time, 1'500'000'000);
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r.payload, "[]");
  EXPECT_FALSE(reader.next(r));
  EXPECT_EQ(reader.bad_lines(), 1u);
}

TEST(CaptureReader, shouldFailToOpenAMissingFileWithAMessage) {
  TextCaptureReader reader;
  std::string error;
  EXPECT_FALSE(reader.open("/nonexistent/BINANCE.ws.1.0", error));
  EXPECT_NE(error.find("/nonexistent/BINANCE.ws.1.0"), std::string::npos);
}

}  // namespace
}  // namespace be::feed
